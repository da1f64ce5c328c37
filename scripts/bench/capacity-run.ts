import { setTimeout as sleep } from "node:timers/promises";

import { httpsJson } from "@ciba-testbed/stack";

import type { BenchTenant } from "./bench-tenant.js";
import { generateLoad } from "./capacity-load.js";
import type { Load, LoadSettings } from "./capacity-load.js";
import { CibaClient } from "./ciba-client.js";
import { memoryAfterGc } from "./memory-after-gc.js";
import { cpuSecondsOf, mebibytes, residentBytes } from "./rss.js";
import { percentile, round } from "./stats.js";

export interface RunSettings extends LoadSettings {
  retentionSeconds: number;
}

export interface CapacityRun {
  completed: number;
  unfinished: number;
  polls: number;
  loadSeconds: number;
  /** Token polls a second in the steady window (`loadFigures`). */
  sustainedPollsPerSecond: number;
  completedFlowsPerSecond: number;
  tokenP50Ms: number;
  tokenP99Ms: number;
  /** The same, split: polls answered `authorization_pending`, and polls that got the tokens. */
  pendingP99Ms: number;
  issuedP99Ms: number;
  /**
   * The same two over the window `sustainedPollsPerSecond` counts (`loadFigures`): without the
   * warm-up, when the slots' connections make their TLS handshakes, the signing threads start
   * and the tenant's code is not yet compiled.
   */
  steady: { pendingP99Ms: number; issuedP99Ms: number };
  bcAuthorizeP99Ms: number;
  /** Every answer other than `authorization_pending` and a token, by status and error code. */
  unexpected: Record<string, number>;
  /** `after`: idle after the retention window; `afterGc`: then after a full collection. */
  rssMiB: { before: number; peak: number; after: number; afterGc: number };
  /** V8 heap in use after a full collection: what the tenant still holds, before and after. */
  heapMiB: { before: number; afterGc: number };
  /** CPU time of this (client) process over the load phase, in % of one core. */
  clientCpuPercent: number;
  /**
   * CPU time per completed flow, in ms: the tenant's (every thread) and this process's, whose
   * clients share the machine's cores with it. Steadier from run to run than the latencies,
   * which follow from it: the load is closed (each flow polls again once answered), so it runs
   * the machine out of CPU and the latency is what that leaves.
   */
  cpuMsPerFlow: { tenant: number; client: number };
  storedRequests: { atEndOfLoad: number; afterRetention: number };
}

// The store applies expiries and purges every 250 ms, in bounded steps.
export const SWEEP_SLACK_MS = 1_500;
// Lets V8's memory reducer give idle heap pages back before "after" is read.
const SETTLE_MS = 2_000;
const PEAK_SAMPLE_MS = 200;

/** Every request the tenant holds: the `total` of the paged control list, read in one page. */
async function storedCount(tenant: BenchTenant): Promise<number> {
  const answer = await httpsJson(new URL("approver/api/requests?limit=1", tenant.issuer), {
    ca: tenant.ca,
  });
  const total = (answer.body as { total?: unknown }).total;
  if (answer.status !== 200 || typeof total !== "number") {
    throw new Error(`the control API answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return total;
}

/**
 * While `during` runs: the highest resident memory of `pid` seen (sampled every 200 ms, at
 * least `floor`), and the CPU time it used, in ms (NaN where /proc cannot tell).
 */
export async function watchProcess<T>(pid: number, floor: number, during: Promise<T>) {
  const cpuBefore = await cpuSecondsOf(pid);
  let peak = floor;
  const sampler = setInterval(() => {
    void residentBytes(pid).then((bytes) => {
      if (bytes !== undefined && bytes > peak) peak = bytes;
    });
  }, PEAK_SAMPLE_MS);
  let value: T;
  try {
    value = await during;
  } finally {
    clearInterval(sampler);
  }
  const cpuAfter = await cpuSecondsOf(pid);
  return {
    value,
    peak: Math.max(peak, (await residentBytes(pid)) ?? 0),
    cpuMs: (cpuAfter - cpuBefore) * 1000,
  };
}

const p99 = (values: number[]) =>
  round(
    percentile(
      [...values].sort((a, b) => a - b),
      99,
    ),
    1,
  );

/**
 * Throughput and latency of one load, as the run reports them. The steady figures count from
 * when every slot has finished its first flow (warm: each connection made, each kind of request
 * answered once) until the last flow starts (every slot holds a flow until then). A fresh
 * tenant under 500 new connections takes 2-3 s to settle on a 2-core machine: its answers then
 * take up to 10 times their steady p99, and they would be the whole p99 of a 20 s run.
 */
export function loadFigures(load: Load) {
  const windowStart = load.warmedAt ?? load.start + load.rampUpMs;
  const windowEnd = load.lastStart - windowStart > 1_000 ? load.lastStart : load.end;
  const within = (t: number) => t >= windowStart && t <= windowEnd;
  const inWindow = load.pollTimes.filter(within).length;
  const steadyP99 = (ms: number[], at: number[]) => p99(ms.filter((_, i) => within(at[i] ?? 0)));
  const tokenMs = [...load.tokenMs].sort((a, b) => a - b);
  const loadSeconds = (load.end - load.start) / 1000;
  return {
    completed: load.completed,
    unfinished: load.unfinished,
    polls: load.polls,
    loadSeconds: round(loadSeconds, 2),
    sustainedPollsPerSecond: round(inWindow / ((windowEnd - windowStart) / 1000), 0),
    completedFlowsPerSecond: round(load.completed / loadSeconds, 0),
    tokenP50Ms: round(percentile(tokenMs, 50), 1),
    tokenP99Ms: round(percentile(tokenMs, 99), 1),
    pendingP99Ms: p99(load.pendingMs),
    issuedP99Ms: p99(load.issuedMs),
    steady: {
      pendingP99Ms: steadyP99(load.pendingMs, load.pendingAt),
      issuedP99Ms: steadyP99(load.issuedMs, load.issuedAt),
    },
    bcAuthorizeP99Ms: p99(load.bcAuthorizeMs),
    unexpected: Object.fromEntries(load.unexpected),
    clientCpuPercent: round(
      ((load.cpu.user + load.cpu.system) / 1000 / (load.end - load.start)) * 100,
      0,
    ),
    clientCpuMsPerFlow: round((load.cpu.user + load.cpu.system) / 1000 / load.completed, 2),
  };
}

/**
 * One run against a running tenant: its memory after a full collection, the load (with the
 * peak memory meanwhile), then the store and the memory once the retention window has passed.
 */
export async function measureRun(settings: RunSettings, tenant: BenchTenant): Promise<CapacityRun> {
  const client = new CibaClient(tenant.issuer, tenant.ca);
  try {
    const before = await memoryAfterGc(tenant.child, tenant.pid);
    const {
      value: load,
      peak,
      cpuMs,
    } = await watchProcess(tenant.pid, before.rss, generateLoad(client, settings));
    // The clients are gone: their connections must not count as the tenant's state.
    client.close();

    const atEndOfLoad = await storedCount(tenant);
    await sleep(settings.retentionSeconds * 1000 + SWEEP_SLACK_MS);
    const afterRetention = await storedCount(tenant);
    await sleep(SETTLE_MS);
    const after = (await residentBytes(tenant.pid)) ?? Number.NaN;
    const afterGc = await memoryAfterGc(tenant.child, tenant.pid);

    const { clientCpuPercent, clientCpuMsPerFlow, ...figures } = loadFigures(load);
    return {
      ...figures,
      rssMiB: {
        before: mebibytes(before.rss),
        peak: mebibytes(peak),
        after: mebibytes(after),
        afterGc: mebibytes(afterGc.rss),
      },
      heapMiB: { before: mebibytes(before.heapUsed), afterGc: mebibytes(afterGc.heapUsed) },
      clientCpuPercent,
      cpuMsPerFlow: { tenant: round(cpuMs / load.completed, 2), client: clientCpuMsPerFlow },
      storedRequests: { atEndOfLoad, afterRetention },
    };
  } finally {
    client.close();
  }
}
