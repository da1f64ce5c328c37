import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { ensureLocalCertificates } from "@ciba-testbed/mock-auth0";

import { writeBenchSettings } from "./bench-tenant.js";
import { watchProcess } from "./capacity-run.js";
import { CibaClient } from "./ciba-client.js";
import type { TenantAnswer } from "./ciba-client.js";
import { mebibytes, residentBytes } from "./rss.js";
import { percentile, round, spread } from "./stats.js";
import type { Spread } from "./stats.js";
import {
  mockAuth0Command,
  oidcProviderCommand,
  startTenant,
  timeToDiscovery,
} from "./tenant-processes.js";
import type { TenantCommand, TenantProcess } from "./tenant-processes.js";

export interface SideBySideOptions {
  /** Rounds of each load on each tenant, alternating which goes first. */
  rounds: number;
  /** Seconds the pending-poll load lasts. */
  durationSeconds: number;
  /**
   * `/bc-authorize` requests each round sends to each tenant: the same number on both, so that
   * both hold the same requests when their memory is compared (a duration would leave the
   * faster tenant holding more).
   */
  bcAuthorizeRequests: number;
  /** Connections, each with one request in flight at a time. */
  connections: number;
  /** Pending requests the poll load cycles through, each polled at the interval at most. */
  pendingRequests: number;
  intervalSeconds: number;
  /** Fresh starts of each tenant timed to its first discovery answer. */
  startSamples: number;
  /** Directory for CPU profiles of both tenants under the loads (`--cpu-prof`), if wanted. */
  profileDir?: string | undefined;
  log: (line: string) => void;
}

/** One tenant's figures under the closed-loop loads. */
export interface TenantFigures {
  pendingPollsPerSecond: Spread;
  pendingP99Ms: Spread;
  bcAuthorizePerSecond: Spread;
  bcAuthorizeP99Ms: Spread;
  /** After start, before any load, after a moment's rest. */
  freshRssMiB: number;
  /** Highest during the loads. */
  peakRssMiB: number;
  startToDiscoveryMs: Spread;
  unexpected: Record<string, number>;
}

export interface SideBySideResult {
  settings: Omit<SideBySideOptions, "log">;
  mockAuth0: TenantFigures;
  oidcProvider: TenantFigures;
  /** mock-auth0's figure divided by oidc-provider's, medians. */
  ratios: {
    pendingPollsPerSecond: number;
    pendingP99Ms: number;
    bcAuthorizePerSecond: number;
    bcAuthorizeP99Ms: number;
    freshRssMiB: number;
    peakRssMiB: number;
    startToDiscoveryMs: number;
  };
  failed: boolean;
}

const BINDING_MESSAGE = "Do you want to buy 2 XYZ phones";
const REST_BEFORE_RSS_MS = 1_000;

interface LoadFigures {
  perSecond: number;
  p99Ms: number;
}

const p99 = (ms: number[]) =>
  round(
    percentile(
      [...ms].sort((a, b) => a - b),
      99,
    ),
    1,
  );

const answerKey = (where: string, answer: TenantAnswer) =>
  `${where} ${answer.status} ${typeof answer.body.error === "string" ? answer.body.error : ""}`.trim();

/**
 * `connections` loops, each sending `send` again as soon as its answer came, until `durationMs`
 * passed or `requests` were sent.
 */
async function closedLoop(
  client: CibaClient,
  connections: number,
  until: { durationMs: number } | { requests: number },
  send: (connection: CibaClient) => Promise<TenantAnswer | undefined>,
  expect: (answer: TenantAnswer) => string | undefined,
  unexpected: Map<string, number>,
): Promise<LoadFigures> {
  const ms: number[] = [];
  const start = performance.now();
  const deadline = "durationMs" in until ? start + until.durationMs : Infinity;
  let left = "requests" in until ? until.requests : Infinity;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const connection = client.connection();
      while (performance.now() < deadline && left-- > 0) {
        const answer = await send(connection);
        if (answer === undefined) continue;
        ms.push(answer.ms);
        const problem = expect(answer);
        if (problem !== undefined) unexpected.set(problem, (unexpected.get(problem) ?? 0) + 1);
      }
    }),
  );
  return { perSecond: round(ms.length / ((performance.now() - start) / 1000), 0), p99Ms: p99(ms) };
}

const expectStatus = (where: string, status: number, error?: string) => (answer: TenantAnswer) =>
  answer.status === status && (error === undefined || answer.body.error === error)
    ? undefined
    : answerKey(where, answer);

/**
 * Polls of requests nobody answers: `pendingRequests` made first, then each polled in turn,
 * never sooner than the interval after its previous poll, by `connections` loops.
 */
async function pendingPolls(
  tenant: TenantProcess,
  ca: string,
  options: SideBySideOptions,
  unexpected: Map<string, number>,
): Promise<LoadFigures> {
  const client = new CibaClient(tenant.issuer, ca);
  try {
    const ids: { id: string; lastAt: number }[] = [];
    const maker = client.connection();
    while (ids.length < options.pendingRequests) {
      const answer = await maker.backchannelAuthorize(BINDING_MESSAGE);
      const id = answer.body.auth_req_id;
      if (answer.status !== 200 || typeof id !== "string") {
        throw new Error(`${tenant.name}: /bc-authorize answered ${answerKey("", answer)}`);
      }
      ids.push({ id, lastAt: 0 });
    }
    // The server paces polls by when they arrive, the client by when it sent them: under load
    // one poll may wait in the server's queue longer than the next, so polls sent 1.05
    // intervals apart arrived early and got slow_down. Half an interval covers that jitter.
    const gapMs = options.intervalSeconds * 1000 * 1.5;
    return await closedLoop(
      client,
      options.connections,
      { durationMs: options.durationSeconds * 1000 },
      async (connection) => {
        const next = ids.shift();
        if (next === undefined) {
          await sleep(1);
          return undefined;
        }
        const wait = next.lastAt + gapMs - performance.now();
        if (wait > 0) await sleep(wait);
        next.lastAt = performance.now();
        try {
          return await connection.poll(next.id);
        } finally {
          ids.push(next);
        }
      },
      expectStatus("token", 400, "authorization_pending"),
      unexpected,
    );
  } finally {
    client.close();
  }
}

async function bcAuthorizeLoad(
  tenant: TenantProcess,
  ca: string,
  options: SideBySideOptions,
  unexpected: Map<string, number>,
): Promise<LoadFigures> {
  const client = new CibaClient(tenant.issuer, ca);
  try {
    return await closedLoop(
      client,
      options.connections,
      { requests: options.bcAuthorizeRequests },
      (connection) => connection.backchannelAuthorize(BINDING_MESSAGE),
      expectStatus("bc-authorize", 200),
      unexpected,
    );
  } finally {
    client.close();
  }
}

interface Side {
  command: () => Promise<TenantCommand>;
  ca: string;
  pending: LoadFigures[];
  bcAuthorize: LoadFigures[];
  starts: number[];
  freshRss: number;
  peakRss: number;
  unexpected: Map<string, number>;
}

function figures(side: Side): TenantFigures {
  return {
    pendingPollsPerSecond: spread(side.pending.map((f) => f.perSecond)),
    pendingP99Ms: spread(side.pending.map((f) => f.p99Ms)),
    bcAuthorizePerSecond: spread(side.bcAuthorize.map((f) => f.perSecond)),
    bcAuthorizeP99Ms: spread(side.bcAuthorize.map((f) => f.p99Ms)),
    freshRssMiB: mebibytes(side.freshRss),
    peakRssMiB: mebibytes(side.peakRss),
    startToDiscoveryMs: spread(side.starts.map((ms) => round(ms, 0))),
    unexpected: Object.fromEntries(side.unexpected),
  };
}

const ratio = (a: number, b: number) => round(a / b, 2);

/**
 * mock-auth0 and panva's node-oidc-provider (CIBA, poll mode, one client, HTTPS, RS256) under
 * the same loads, alternating: start to the first discovery answer, token polls of pending
 * requests and `/bc-authorize` at `connections` connections, and their resident memory.
 * Nobody approves anything here: every request stays pending.
 */
export async function measureSideBySide(options: SideBySideOptions): Promise<SideBySideResult> {
  const { log } = options;
  const dir = await mkdtemp(path.join(tmpdir(), "ciba-side-by-side-"));
  try {
    // Each tenant reuses a certificate made beforehand, so no start pays for making one.
    const mockCerts = path.join(dir, "certs-mock-auth0");
    const oidcCerts = path.join(dir, "certs-oidc-provider");
    const [mockCa, oidcCa] = await Promise.all(
      [mockCerts, oidcCerts].map(async (certDir) => {
        const made = await ensureLocalCertificates(certDir);
        return readFile(made.caCertPath, "utf8");
      }),
    );
    const settingsFile = await writeBenchSettings(path.join(dir, "mock-auth0.json"), {
      approver: { default: "manual", rules: [] },
      ciba: {
        intervalSeconds: options.intervalSeconds,
        maxOpenRequests: 1_000_000,
        maxStoredRequests: 1_000_000,
      },
    });
    const sides: [Side, Side] = [
      {
        command: () => mockAuth0Command({ settingsFile, certDir: mockCerts }),
        ca: mockCa ?? "",
        pending: [],
        bcAuthorize: [],
        starts: [],
        freshRss: Number.NaN,
        peakRss: 0,
        unexpected: new Map(),
      },
      {
        command: () => oidcProviderCommand({ certDir: oidcCerts, approveAfterMs: undefined }),
        ca: oidcCa ?? "",
        pending: [],
        bcAuthorize: [],
        starts: [],
        freshRss: Number.NaN,
        peakRss: 0,
        unexpected: new Map(),
      },
    ];
    const names = ["mock-auth0", "oidc-provider"];
    const profiled = options.profileDir
      ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`]
      : [];
    const inTurn = (round: number) => (round % 2 === 0 ? sides : ([sides[1], sides[0]] as const));

    for (let i = 0; i < options.startSamples; i++) {
      for (const side of inTurn(i))
        side.starts.push(await timeToDiscovery(await side.command(), side.ca));
    }
    log(
      `  start to first discovery answer: ${sides
        .map((s, i) => `${names[i]} ${round(spread(s.starts).median, 0)} ms`)
        .join(", ")}`,
    );

    const running: TenantProcess[] = [];
    try {
      for (const side of sides) {
        const command = await side.command();
        // Profiled under the loads only, not while its start is timed.
        const tenant = await startTenant({ ...command, args: [...profiled, ...command.args] });
        running.push(tenant);
        await sleep(REST_BEFORE_RSS_MS);
        side.freshRss = (await residentBytes(tenant.pid)) ?? Number.NaN;
      }
      for (let i = 0; i < options.rounds; i++) {
        for (const side of inTurn(i)) {
          const tenant = running[sides.indexOf(side)];
          if (!tenant) throw new Error("a tenant did not start");
          const { value, peak } = await watchProcess(
            tenant.pid,
            side.peakRss,
            (async () => {
              const pending = await pendingPolls(tenant, side.ca, options, side.unexpected);
              const bc = await bcAuthorizeLoad(tenant, side.ca, options, side.unexpected);
              return { pending, bc };
            })(),
          );
          side.peakRss = peak;
          side.pending.push(value.pending);
          side.bcAuthorize.push(value.bc);
          log(
            `  round ${i + 1}/${options.rounds} ${tenant.name}: pending polls ${value.pending.perSecond}/s ` +
              `p99 ${value.pending.p99Ms} ms, /bc-authorize ${value.bc.perSecond}/s p99 ${value.bc.p99Ms} ms, ` +
              `RSS peak ${mebibytes(peak)} MiB`,
          );
        }
      }
    } finally {
      await Promise.all(running.map((tenant) => tenant.stop()));
    }

    const [mockAuth0, oidcProvider] = sides.map(figures) as [TenantFigures, TenantFigures];
    return {
      settings: {
        profileDir: options.profileDir,
        rounds: options.rounds,
        durationSeconds: options.durationSeconds,
        bcAuthorizeRequests: options.bcAuthorizeRequests,
        connections: options.connections,
        pendingRequests: options.pendingRequests,
        intervalSeconds: options.intervalSeconds,
        startSamples: options.startSamples,
      },
      mockAuth0,
      oidcProvider,
      ratios: {
        pendingPollsPerSecond: ratio(
          mockAuth0.pendingPollsPerSecond.median,
          oidcProvider.pendingPollsPerSecond.median,
        ),
        pendingP99Ms: ratio(mockAuth0.pendingP99Ms.median, oidcProvider.pendingP99Ms.median),
        bcAuthorizePerSecond: ratio(
          mockAuth0.bcAuthorizePerSecond.median,
          oidcProvider.bcAuthorizePerSecond.median,
        ),
        bcAuthorizeP99Ms: ratio(
          mockAuth0.bcAuthorizeP99Ms.median,
          oidcProvider.bcAuthorizeP99Ms.median,
        ),
        freshRssMiB: ratio(mockAuth0.freshRssMiB, oidcProvider.freshRssMiB),
        peakRssMiB: ratio(mockAuth0.peakRssMiB, oidcProvider.peakRssMiB),
        startToDiscoveryMs: ratio(
          mockAuth0.startToDiscoveryMs.median,
          oidcProvider.startToDiscoveryMs.median,
        ),
      },
      failed:
        Object.keys(mockAuth0.unexpected).length > 0 ||
        Object.keys(oidcProvider.unexpected).length > 0,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
