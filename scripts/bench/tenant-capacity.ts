import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { ControlClient } from "../stack/control-client.js";
import { httpsJson } from "../stack/https-json.js";
import { REPO_ROOT } from "../stack/repo-root.js";
import { CibaClient } from "./ciba-client.js";
import { startNodeChild } from "./node-child.js";
import { mebibytes, residentBytes } from "./rss.js";
import { percentile, round, spread } from "./stats.js";
import type { Spread } from "./stats.js";

export interface TenantCapacityOptions {
  runs: number;
  inFlight: number;
  flows: number;
  intervalSeconds: number;
  approveAfterMs: number;
  retentionSeconds: number;
  maxStoredRequests: number;
  /** Hard cap on one run's load phase; flows still running then are counted as unfinished. */
  maxLoadSeconds: number;
  /** Directory for a CPU profile of the tenant process (`--cpu-prof`), if wanted. */
  profileDir?: string | undefined;
  log: (line: string) => void;
}

export interface CapacityRun {
  completed: number;
  unfinished: number;
  polls: number;
  loadSeconds: number;
  /** Token polls a second while every slot had a flow in flight. */
  sustainedPollsPerSecond: number;
  completedFlowsPerSecond: number;
  tokenP50Ms: number;
  tokenP99Ms: number;
  /** The same, split: polls answered `authorization_pending`, and polls that got the tokens. */
  pendingP99Ms: number;
  issuedP99Ms: number;
  bcAuthorizeP99Ms: number;
  /** Every answer other than `authorization_pending` and a token, by status and error code. */
  unexpected: Record<string, number>;
  /** `after`: idle after the retention window; `afterGc`: then after a full collection. */
  rssMiB: { before: number; peak: number; after: number; afterGc: number };
  /** V8 heap in use after a full collection: what the tenant still holds, before and after. */
  heapMiB: { before: number; afterGc: number };
  /** CPU time of this (client) process over the load phase, in % of one core. */
  clientCpuPercent: number;
  storedRequests: { atEndOfLoad: number; afterRetention: number };
}

export interface TenantCapacityResult {
  settings: Omit<TenantCapacityOptions, "log" | "runs" | "profileDir">;
  sustainedPollsPerSecond: Spread;
  tokenP99Ms: Spread;
  completedFlowsPerSecond: Spread;
  rssMiB: {
    /** The fresh process, after a full collection, before any flow. */
    fresh: number;
    peak: Spread;
    after: Spread;
    afterGc: Spread;
  };
  heapMiB: {
    fresh: number;
    afterGc: Spread;
    /** After the last run minus after the first, both after a full collection. */
    growthAcrossRuns: number;
  };
  unexpectedAnswers: number;
  failed: boolean;
  /**
   * After each run the store emptied once the retention window passed and RSS after a full
   * collection fell below the peak; and the heap in use after a full collection did not grow
   * from the first run to the last.
   */
  bounded: boolean;
  runs: CapacityRun[];
}

const BINDING_MESSAGE = "Do you want to buy 2 XYZ phones";
// The store applies expiries and purges every 250 ms, in bounded steps.
const SWEEP_SLACK_MS = 1_500;
// Lets V8's memory reducer give idle heap pages back before "after" is read.
const SETTLE_MS = 2_000;
// Heap in use after a full collection differs by a few MiB between runs (JIT code, caches);
// kept state would grow with every 10,000 flows instead.
const HEAP_GROWTH_TOLERANCE_MIB = 5;
const GC_TIMEOUT_MS = 5_000;
const RSS_SETTLE_AFTER_GC_MS = 1_000;

async function tenantFile(dir: string, options: TenantCapacityOptions): Promise<string> {
  const base = JSON.parse(
    await readFile(path.join(REPO_ROOT, "apps/mock-auth0/tenants/default.json"), "utf8"),
  ) as { ciba?: Record<string, unknown> };
  const file = path.join(dir, "bench-tenant.json");
  const tenant = {
    ...base,
    ciba: {
      ...base.ciba,
      intervalSeconds: options.intervalSeconds,
      retentionSeconds: options.retentionSeconds,
      maxStoredRequests: options.maxStoredRequests,
      perUserRequestsPerMinute: null,
    },
  };
  await writeFile(file, JSON.stringify(tenant, null, 2));
  return file;
}

interface LoadStats {
  polls: number;
  pollTimes: number[];
  tokenMs: number[];
  pendingMs: number[];
  issuedMs: number[];
  bcAuthorizeMs: number[];
  unexpected: Map<string, number>;
  completed: number;
  started: number;
  unfinished: number;
}

const answerKey = (where: string, status: number, body: Record<string, unknown>) =>
  `${where} ${status} ${typeof body.error === "string" ? body.error : ""}`.trim();

async function runFlow(
  client: CibaClient,
  stats: LoadStats,
  deadline: number,
): Promise<"completed" | "failed" | "unfinished"> {
  const bc = await client.backchannelAuthorize(BINDING_MESSAGE);
  stats.bcAuthorizeMs.push(bc.ms);
  const authReqId = bc.body.auth_req_id;
  if (bc.status !== 200 || typeof authReqId !== "string") {
    const key = answerKey("bc-authorize", bc.status, bc.body);
    stats.unexpected.set(key, (stats.unexpected.get(key) ?? 0) + 1);
    return "failed";
  }
  let waitMs = Number(bc.body.interval ?? 5) * 1000;
  for (;;) {
    // A well-behaved client: one poll per interval, measured from the previous answer.
    await sleep(waitMs);
    if (performance.now() > deadline) return "unfinished";
    const answer = await client.poll(authReqId);
    stats.polls += 1;
    stats.pollTimes.push(performance.now());
    stats.tokenMs.push(answer.ms);
    if (answer.status === 200 && typeof answer.body.access_token === "string") {
      stats.issuedMs.push(answer.ms);
      return "completed";
    }
    if (answer.status === 400 && answer.body.error === "authorization_pending") {
      stats.pendingMs.push(answer.ms);
      continue;
    }
    const key = answerKey("token", answer.status, answer.body);
    stats.unexpected.set(key, (stats.unexpected.get(key) ?? 0) + 1);
    if (answer.status === 429 && answer.body.error === "slow_down") {
      waitMs = (answer.retryAfter ?? waitMs / 1000 + 5) * 1000;
      continue;
    }
    return "failed";
  }
}

/** Every request the tenant holds: the `total` of the paged control list, read in one page. */
async function storedCount(issuer: string, ca: string): Promise<number> {
  const answer = await httpsJson(new URL("approver/api/requests?limit=1", issuer), { ca });
  const total = (answer.body as { total?: unknown }).total;
  if (answer.status !== 200 || typeof total !== "number") {
    throw new Error(`the control API answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return total;
}

interface Tenant {
  issuer: string;
  ca: string;
  pid: number;
  control: ControlClient;
  /** Resident memory and heap in use after a full garbage collection in the tenant process. */
  memoryAfterGc(): Promise<{ rss: number; heapUsed: number }>;
  stop(): Promise<void>;
}

function parseMemoryReport(line: string): { rss: number; heapUsed: number } | undefined {
  if (!line.startsWith('{"benchMemoryAfterGc"')) return undefined;
  const { benchMemoryAfterGc } = JSON.parse(line) as {
    benchMemoryAfterGc: { rss: number; heapUsed: number };
  };
  return { rss: benchMemoryAfterGc.rss, heapUsed: benchMemoryAfterGc.heapUsed };
}

async function startTenant(options: TenantCapacityOptions, tenantPath: string): Promise<Tenant> {
  const certDir = path.join(REPO_ROOT, ".certs");
  const { child, ready: issuer } = await startNodeChild({
    name: "mock-auth0 (bench)",
    script: "apps/mock-auth0/src/main.ts",
    env: {
      ...process.env,
      MOCK_AUTH0_PORT: "0",
      MOCK_AUTH0_HOST: "127.0.0.1",
      MOCK_AUTH0_TENANT: tenantPath,
      MOCK_AUTH0_CERT_DIR: certDir,
      // The control client sends no token: a token in the caller's environment must not apply.
      MOCK_AUTH0_CONTROL_TOKEN: "",
      // Request logs would measure the pipe to this process, not the tenant.
      LOG_LEVEL: "warn",
    },
    nodeArgs: [
      "--expose-gc",
      ...(options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : []),
    ],
    preload: ["./scripts/bench/gc-on-signal.ts"],
    ready: (line) => /is serving (https:\/\/localhost:\d+\/)/.exec(line)?.[1],
  });
  try {
    const ca = await readFile(path.join(certDir, "ca.pem"), "utf8");
    const control = new ControlClient(issuer, ca);
    await control.setPolicy({ default: `approve-after:${options.approveAfterMs}`, rules: [] });
    return {
      issuer,
      ca,
      pid: child.pid,
      control,
      async memoryAfterGc() {
        const report = child.nextLine(parseMemoryReport, GC_TIMEOUT_MS);
        child.signal("SIGUSR2");
        const { heapUsed } = await report;
        // Freed pages leave the resident set a moment after the collection, not during it.
        await sleep(RSS_SETTLE_AFTER_GC_MS);
        return { heapUsed, rss: (await residentBytes(child.pid)) ?? Number.NaN };
      },
      stop: () => child.stop(),
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

async function oneRun(options: TenantCapacityOptions, tenant: Tenant): Promise<CapacityRun> {
  const client = new CibaClient(tenant.issuer, tenant.ca);
  try {
    const before = await tenant.memoryAfterGc();
    let peak = before.rss;
    const sampler = setInterval(() => {
      void residentBytes(tenant.pid).then((bytes) => {
        if (bytes !== undefined && bytes > peak) peak = bytes;
      });
    }, 200);

    const stats: LoadStats = {
      polls: 0,
      pollTimes: [],
      tokenMs: [],
      pendingMs: [],
      issuedMs: [],
      bcAuthorizeMs: [],
      unexpected: new Map(),
      completed: 0,
      started: 0,
      unfinished: 0,
    };
    const cpuStart = process.cpuUsage();
    const loadStart = performance.now();
    const deadline = loadStart + options.maxLoadSeconds * 1000;
    let lastStart = loadStart;
    // Slots join over one approval delay, as independent agents would, rather than in one
    // burst of TLS handshakes whose approvals (and token signatures) then all fall due together.
    const rampUpMs = options.approveAfterMs;
    const slot = async (index: number) => {
      await sleep((index * rampUpMs) / options.inFlight);
      while (stats.started < options.flows && performance.now() < deadline) {
        stats.started += 1;
        lastStart = performance.now();
        const outcome = await runFlow(client, stats, deadline).catch((error: unknown) => {
          const key = `network ${error instanceof Error ? error.message : String(error)}`;
          stats.unexpected.set(key, (stats.unexpected.get(key) ?? 0) + 1);
          return "failed" as const;
        });
        if (outcome === "completed") stats.completed += 1;
        if (outcome === "unfinished") stats.unfinished += 1;
      }
    };
    await Promise.all(Array.from({ length: options.inFlight }, (_, index) => slot(index)));
    const loadEnd = performance.now();
    const cpu = process.cpuUsage(cpuStart);
    clearInterval(sampler);
    peak = Math.max(peak, (await residentBytes(tenant.pid)) ?? 0);
    // The clients are gone: their connections must not count as the tenant's state.
    client.close();

    const atEndOfLoad = await storedCount(tenant.issuer, tenant.ca);
    await sleep(options.retentionSeconds * 1000 + SWEEP_SLACK_MS);
    const afterRetention = await storedCount(tenant.issuer, tenant.ca);
    await sleep(SETTLE_MS);
    const after = (await residentBytes(tenant.pid)) ?? Number.NaN;
    const afterGc = await tenant.memoryAfterGc();

    // Every slot holds a flow from the end of the ramp until the last flow starts.
    const windowStart = loadStart + rampUpMs;
    const windowEnd = lastStart - windowStart > 1_000 ? lastStart : loadEnd;
    const inWindow = stats.pollTimes.filter((t) => t >= windowStart && t <= windowEnd).length;
    const tokenMs = [...stats.tokenMs].sort((a, b) => a - b);
    const p99 = (values: number[]) =>
      round(
        percentile(
          [...values].sort((a, b) => a - b),
          99,
        ),
        1,
      );
    const loadSeconds = (loadEnd - loadStart) / 1000;
    return {
      completed: stats.completed,
      unfinished: stats.unfinished,
      polls: stats.polls,
      loadSeconds: round(loadSeconds, 2),
      sustainedPollsPerSecond: round(inWindow / ((windowEnd - windowStart) / 1000), 0),
      completedFlowsPerSecond: round(stats.completed / loadSeconds, 0),
      tokenP50Ms: round(percentile(tokenMs, 50), 1),
      tokenP99Ms: round(percentile(tokenMs, 99), 1),
      pendingP99Ms: p99(stats.pendingMs),
      issuedP99Ms: p99(stats.issuedMs),
      bcAuthorizeP99Ms: p99(stats.bcAuthorizeMs),
      unexpected: Object.fromEntries(stats.unexpected),
      rssMiB: {
        before: mebibytes(before.rss),
        peak: mebibytes(peak),
        after: mebibytes(after),
        afterGc: mebibytes(afterGc.rss),
      },
      heapMiB: { before: mebibytes(before.heapUsed), afterGc: mebibytes(afterGc.heapUsed) },
      clientCpuPercent: round(((cpu.user + cpu.system) / 1000 / (loadEnd - loadStart)) * 100, 0),
      storedRequests: { atEndOfLoad, afterRetention },
    };
  } finally {
    client.close();
  }
}

/**
 * `inFlight` CIBA flows at once against a mock-auth0 child process, each polling at the
 * tenant's interval until the approver's rule approves it, until `flows` have completed.
 */
export async function measureTenantCapacity(
  options: TenantCapacityOptions,
): Promise<TenantCapacityResult> {
  const dir = await mkdtemp(path.join(tmpdir(), "ciba-bench-"));
  try {
    const tenant = await startTenant(options, await tenantFile(dir, options));
    const runs: CapacityRun[] = [];
    try {
      for (let i = 1; i <= options.runs; i++) {
        const run = await oneRun(options, tenant);
        runs.push(run);
        options.log(
          `  run ${i}/${options.runs}: ${run.completed} flows in ${run.loadSeconds} s, ` +
            `${run.sustainedPollsPerSecond} polls/s, token p99 ${run.tokenP99Ms} ms, ` +
            `RSS ${run.rssMiB.before} -> ${run.rssMiB.peak} -> ${run.rssMiB.after} ` +
            `(${run.rssMiB.afterGc} after GC) MiB, heap after GC ${run.heapMiB.afterGc} MiB, ` +
            `client CPU ${run.clientCpuPercent}%, ` +
            `stored ${run.storedRequests.atEndOfLoad} -> ${run.storedRequests.afterRetention}, ` +
            `unexpected ${JSON.stringify(run.unexpected)}`,
        );
      }
    } finally {
      await tenant.stop();
    }
    const unexpectedAnswers = runs.reduce(
      (sum, run) => sum + Object.values(run.unexpected).reduce((a, b) => a + b, 0),
      0,
    );
    const { log: _log, runs: _runs, profileDir: _profileDir, ...settings } = options;
    const firstHeap = runs[0]?.heapMiB.afterGc ?? Number.NaN;
    const lastHeap = runs[runs.length - 1]?.heapMiB.afterGc ?? Number.NaN;
    return {
      settings,
      sustainedPollsPerSecond: spread(runs.map((r) => r.sustainedPollsPerSecond)),
      tokenP99Ms: spread(runs.map((r) => r.tokenP99Ms)),
      completedFlowsPerSecond: spread(runs.map((r) => r.completedFlowsPerSecond)),
      rssMiB: {
        fresh: runs[0]?.rssMiB.before ?? Number.NaN,
        peak: spread(runs.map((r) => r.rssMiB.peak)),
        after: spread(runs.map((r) => r.rssMiB.after)),
        afterGc: spread(runs.map((r) => r.rssMiB.afterGc)),
      },
      heapMiB: {
        fresh: runs[0]?.heapMiB.before ?? Number.NaN,
        afterGc: spread(runs.map((r) => r.heapMiB.afterGc)),
        growthAcrossRuns: round(lastHeap - firstHeap, 1),
      },
      unexpectedAnswers,
      failed:
        unexpectedAnswers > 0 || runs.some((r) => r.completed < options.flows || r.unfinished > 0),
      bounded:
        lastHeap - firstHeap <= HEAP_GROWTH_TOLERANCE_MIB &&
        runs.every(
          (r) =>
            r.storedRequests.afterRetention <= options.maxStoredRequests &&
            r.storedRequests.afterRetention < r.storedRequests.atEndOfLoad &&
            r.rssMiB.afterGc < r.rssMiB.peak,
        ),
      runs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
