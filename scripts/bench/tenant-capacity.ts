import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { ControlClient } from "@ciba-testbed/stack";

import { startBenchTenant, writeBenchSettings } from "./bench-tenant.js";
import { measureRun } from "./capacity-run.js";
import type { CapacityRun, RunSettings } from "./capacity-run.js";
import { round, spread } from "./stats.js";
import type { Spread } from "./stats.js";

export interface TenantCapacityOptions extends RunSettings {
  runs: number;
  intervalSeconds: number;
  maxStoredRequests: number;
  /** Directory for a CPU profile of the tenant process (`--cpu-prof`), if wanted. */
  profileDir?: string | undefined;
  log: (line: string) => void;
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

// Heap in use after a full collection differs by a few MiB between runs (JIT code, caches);
// kept state would grow with every 10,000 flows instead.
const HEAP_GROWTH_TOLERANCE_MIB = 5;

const runLine = (run: CapacityRun) =>
  `${run.completed} flows in ${run.loadSeconds} s, ` +
  `${run.sustainedPollsPerSecond} polls/s, token p99 ${run.tokenP99Ms} ms, ` +
  `RSS ${run.rssMiB.before} -> ${run.rssMiB.peak} -> ${run.rssMiB.after} ` +
  `(${run.rssMiB.afterGc} after GC) MiB, heap after GC ${run.heapMiB.afterGc} MiB, ` +
  `client CPU ${run.clientCpuPercent}%, ` +
  `stored ${run.storedRequests.atEndOfLoad} -> ${run.storedRequests.afterRetention}, ` +
  `unexpected ${JSON.stringify(run.unexpected)}`;

/** The runs' figures side by side, and whether they failed or let the tenant's memory grow. */
function summarize(options: TenantCapacityOptions, runs: CapacityRun[]): TenantCapacityResult {
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
}

/**
 * `inFlight` CIBA flows at once against a mock-auth0 child process, each polling at the
 * tenant's interval until the approver's rule approves it, until `flows` have completed;
 * `runs` times in the same process, to see whether its memory comes back down.
 */
export async function measureTenantCapacity(
  options: TenantCapacityOptions,
): Promise<TenantCapacityResult> {
  const dir = await mkdtemp(path.join(tmpdir(), "ciba-bench-"));
  try {
    const settingsFile = await writeBenchSettings(path.join(dir, "mock-auth0.json"), {
      ciba: {
        intervalSeconds: options.intervalSeconds,
        retentionSeconds: options.retentionSeconds,
        maxStoredRequests: options.maxStoredRequests,
        perUserRequestsPerMinute: null,
      },
    });
    const tenant = await startBenchTenant({
      name: "mock-auth0 (bench)",
      settingsFile,
      runner: {
        kind: "node",
        flags: [
          "--expose-gc",
          ...(options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : []),
        ],
        preload: ["./scripts/bench/gc-on-signal.ts"],
      },
    });
    const runs: CapacityRun[] = [];
    try {
      await new ControlClient(tenant.issuer, tenant.ca).setPolicy({
        default: `approve-after:${options.approveAfterMs}`,
        rules: [],
      });
      for (let i = 1; i <= options.runs; i++) {
        const run = await measureRun(options, tenant);
        runs.push(run);
        options.log(`  run ${i}/${options.runs}: ${runLine(run)}`);
      }
    } finally {
      await tenant.child.stop();
    }
    return summarize(options, runs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
