import { setTimeout as sleep } from "node:timers/promises";

import type { CibaClient } from "./ciba-client.js";

export interface LoadSettings {
  inFlight: number;
  flows: number;
  approveAfterMs: number;
  /** Hard cap on the load phase; flows still running then are counted as unfinished. */
  maxLoadSeconds: number;
  /** The poll interval of a tenant whose `/bc-authorize` answer names none (oidc-provider). */
  intervalSeconds: number;
  /**
   * Poll this often instead of at the tenant's interval when that is shorter (a client may
   * always poll less often than asked): sets the load's rate below what the tenant can answer.
   */
  pollEverySeconds?: number | undefined;
}

/** What the load saw, raw: every time and answer, for the run to turn into figures. */
export interface Load {
  polls: number;
  /** `performance.now()` of every answered token poll. */
  pollTimes: number[];
  tokenMs: number[];
  pendingMs: number[];
  issuedMs: number[];
  /** `performance.now()` of each answer in `pendingMs` and `issuedMs`, index for index. */
  pendingAt: number[];
  issuedAt: number[];
  bcAuthorizeMs: number[];
  /** Every answer other than `authorization_pending` and a token, by status and error code. */
  unexpected: Map<string, number>;
  completed: number;
  started: number;
  unfinished: number;
  /** `performance.now()` when the load began, when the last flow started, and when it ended. */
  start: number;
  lastStart: number;
  end: number;
  /** Slots joined one by one over this long from `start`. */
  rampUpMs: number;
  /**
   * `performance.now()` once every slot had finished its first flow: its connection made, and
   * every request of a flow answered by a tenant whose code has run. Undefined if one never did.
   */
  warmedAt: number | undefined;
  /** CPU time of this (client) process over the load. */
  cpu: NodeJS.CpuUsage;
}

const BINDING_MESSAGE = "Do you want to buy 2 XYZ phones";

const answerKey = (where: string, status: number, body: Record<string, unknown>) =>
  `${where} ${status} ${typeof body.error === "string" ? body.error : ""}`.trim();

function count(load: Load, key: string): void {
  load.unexpected.set(key, (load.unexpected.get(key) ?? 0) + 1);
}

async function runFlow(
  client: CibaClient,
  load: Load,
  deadline: number,
  settings: LoadSettings,
): Promise<"completed" | "failed" | "unfinished"> {
  const bc = await client.backchannelAuthorize(BINDING_MESSAGE);
  load.bcAuthorizeMs.push(bc.ms);
  const authReqId = bc.body.auth_req_id;
  if (bc.status !== 200 || typeof authReqId !== "string") {
    count(load, answerKey("bc-authorize", bc.status, bc.body));
    return "failed";
  }
  let waitMs =
    Math.max(Number(bc.body.interval ?? settings.intervalSeconds), settings.pollEverySeconds ?? 0) *
    1000;
  for (;;) {
    // A well-behaved client: one poll per interval, measured from the previous answer.
    await sleep(waitMs);
    if (performance.now() > deadline) return "unfinished";
    const answer = await client.poll(authReqId);
    const at = performance.now();
    load.polls += 1;
    load.pollTimes.push(at);
    load.tokenMs.push(answer.ms);
    if (answer.status === 200 && typeof answer.body.access_token === "string") {
      load.issuedMs.push(answer.ms);
      load.issuedAt.push(at);
      return "completed";
    }
    if (answer.status === 400 && answer.body.error === "authorization_pending") {
      load.pendingMs.push(answer.ms);
      load.pendingAt.push(at);
      continue;
    }
    count(load, answerKey("token", answer.status, answer.body));
    if (answer.status === 429 && answer.body.error === "slow_down") {
      waitMs = (answer.retryAfter ?? waitMs / 1000 + 5) * 1000;
      continue;
    }
    return "failed";
  }
}

/**
 * `inFlight` slots, each running CIBA flows one after another (polling at the tenant's interval
 * until the approver's rule approves), until `flows` have started or the time cap passes.
 */
export async function generateLoad(client: CibaClient, settings: LoadSettings): Promise<Load> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const deadline = start + settings.maxLoadSeconds * 1000;
  // Slots join over one approval delay, as independent agents would, rather than in one
  // burst of TLS handshakes whose approvals (and token signatures) then all fall due together.
  const rampUpMs = settings.approveAfterMs;
  const load: Load = {
    polls: 0,
    pollTimes: [],
    tokenMs: [],
    pendingMs: [],
    issuedMs: [],
    pendingAt: [],
    issuedAt: [],
    bcAuthorizeMs: [],
    unexpected: new Map(),
    completed: 0,
    started: 0,
    unfinished: 0,
    start,
    lastStart: start,
    end: start,
    rampUpMs,
    warmedAt: undefined,
    cpu: { user: 0, system: 0 },
  };
  let slotsCold = settings.inFlight;
  const slot = async (index: number) => {
    await sleep((index * rampUpMs) / settings.inFlight);
    // One kept-alive connection per slot, as each agent process has its own.
    const connection = client.connection();
    let first = true;
    while (load.started < settings.flows && performance.now() < deadline) {
      load.started += 1;
      load.lastStart = performance.now();
      const outcome = await runFlow(connection, load, deadline, settings).catch(
        (error: unknown) => {
          count(load, `network ${error instanceof Error ? error.message : String(error)}`);
          return "failed" as const;
        },
      );
      if (outcome === "completed") load.completed += 1;
      if (outcome === "unfinished") load.unfinished += 1;
      if (first && --slotsCold === 0) load.warmedAt = performance.now();
      first = false;
    }
  };
  await Promise.all(Array.from({ length: settings.inFlight }, (_, index) => slot(index)));
  load.end = performance.now();
  load.cpu = process.cpuUsage(cpuStart);
  return load;
}
