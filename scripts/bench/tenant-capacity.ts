import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { ensureLocalCertificates } from "@ciba-testbed/mock-auth0";
import { ControlClient } from "@ciba-testbed/stack";

import { startBenchTenant, writeBenchSettings } from "./bench-tenant.js";
import { generateLoad } from "./capacity-load.js";
import { loadFigures, measureRun, SWEEP_SLACK_MS, watchProcess } from "./capacity-run.js";
import { CibaClient } from "./ciba-client.js";
import { mebibytes } from "./rss.js";
import type { CapacityRun, RunSettings } from "./capacity-run.js";
import { round, spread } from "./stats.js";
import type { Spread } from "./stats.js";
import { oidcProviderCommand, startTenant } from "./tenant-processes.js";
import { measureSideBySide } from "./tenant-side-by-side.js";
import type { SideBySideResult } from "./tenant-side-by-side.js";

export interface TenantCapacityOptions extends RunSettings {
  runs: number;
  intervalSeconds: number;
  /** The paced runs' poll interval (`PacedFlows`). */
  pacedPollSeconds: number;
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
  /** CPU time per completed flow, in ms: the tenant's and the bench's clients' (CapacityRun). */
  cpuMsPerFlow: { tenant: Spread; client: Spread };
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
  /**
   * The same flows against panva's node-oidc-provider, one run after each of mock-auth0's:
   * its polls/s, token p99 split, `/bc-authorize` p99 and peak RSS.
   */
  oidcProviderFlows: OidcProviderFlows;
  /** mock-auth0 under the same flows, each polling less often than it may (`PacedFlows`). */
  paced: PacedFlows;
  /** Both tenants under closed-loop loads, their start and memory (tenant-side-by-side.ts). */
  sideBySide: SideBySideResult | undefined;
  failed: boolean;
  /**
   * After each run the store emptied once the retention window passed and RSS after a full
   * collection fell below the peak; and the heap in use after a full collection did not grow
   * from the first run to the last.
   */
  bounded: boolean;
  runs: CapacityRun[];
}

export interface OidcProviderFlows {
  sustainedPollsPerSecond: Spread;
  pendingP99Ms: Spread;
  issuedP99Ms: Spread;
  bcAuthorizeP99Ms: Spread;
  peakRssMiB: Spread;
  /** oidc-provider's CPU time per completed flow, in ms (every thread). */
  tenantCpuMsPerFlow: Spread;
  unexpectedAnswers: number;
  runs: OidcProviderRun[];
}

/**
 * The same flows, each polling every `pollEverySeconds` rather than at the tenant's 0.1 s: the
 * latency at a rate the tenant answers. The runs above offer each flow 10 polls a second, more
 * than a 2-core machine answers for 500 of them; each client then polls again as soon as it is
 * answered, so they keep the machine's CPU busy whatever it is, and their latency is the queue
 * they build. The target is a p99 at 2,000 polls/s or more (report.ts).
 */
export interface PacedFlows {
  pollEverySeconds: number;
  sustainedPollsPerSecond: Spread;
  /** In the steady window (`loadFigures`). */
  pendingP99Ms: Spread;
  issuedP99Ms: Spread;
  /** Over the whole run, the warm-up included. */
  wholeRunIssuedP99Ms: Spread;
  unexpectedAnswers: number;
  runs: ReturnType<typeof loadFigures>[];
}

type OidcProviderRun = ReturnType<typeof loadFigures> & {
  peakRssMiB: number;
  tenantCpuMsPerFlow: number;
};

// Heap in use after a full collection differs by a few MiB between runs (JIT code, caches);
// kept state would grow with every 10,000 flows instead.
const HEAP_GROWTH_TOLERANCE_MIB = 5;
/** The closed-loop loads of the side-by-side part: the 50 connections. */
const SIDE_BY_SIDE_CONNECTIONS = 50;
const SIDE_BY_SIDE_SECONDS = 4;
/** `/bc-authorize` requests a round sends each tenant: about 4 s of the slower one's. */
const SIDE_BY_SIDE_BC_AUTHORIZE = 20_000;
/**
 * Requests polled in turn: with each polled every 1.5 intervals, 2,000 of them allow ~13,000
 * polls/s, twice what either server answers here, so the servers set the rate, not the list.
 */
const SIDE_BY_SIDE_PENDING = 2000;

const runLine = (run: CapacityRun) =>
  `${run.completed} flows in ${run.loadSeconds} s, ` +
  `${run.sustainedPollsPerSecond} polls/s, token p99 ${run.tokenP99Ms} ms, ` +
  `RSS ${run.rssMiB.before} -> ${run.rssMiB.peak} -> ${run.rssMiB.after} ` +
  `(${run.rssMiB.afterGc} after GC) MiB, heap after GC ${run.heapMiB.afterGc} MiB, ` +
  `client CPU ${run.clientCpuPercent}%, ` +
  `CPU ms per flow ${run.cpuMsPerFlow.tenant} (client ${run.cpuMsPerFlow.client}), ` +
  `stored ${run.storedRequests.atEndOfLoad} -> ${run.storedRequests.afterRetention}, ` +
  `unexpected ${JSON.stringify(run.unexpected)}`;

/** The runs' figures side by side, and whether they failed or let the tenant's memory grow. */
function summarize(
  options: TenantCapacityOptions,
  runs: CapacityRun[],
  oidcRuns: OidcProviderRun[],
  pacedRuns: PacedFlows["runs"],
  sideBySide: SideBySideResult | undefined,
): TenantCapacityResult {
  const unexpected = (list: { unexpected: Record<string, number> }[]) =>
    list.reduce((sum, run) => sum + Object.values(run.unexpected).reduce((a, b) => a + b, 0), 0);
  const unexpectedAnswers = unexpected(runs);
  const { log: _log, runs: _runs, profileDir: _profileDir, ...settings } = options;
  const firstHeap = runs[0]?.heapMiB.afterGc ?? Number.NaN;
  const lastHeap = runs[runs.length - 1]?.heapMiB.afterGc ?? Number.NaN;
  return {
    settings,
    sustainedPollsPerSecond: spread(runs.map((r) => r.sustainedPollsPerSecond)),
    tokenP99Ms: spread(runs.map((r) => r.tokenP99Ms)),
    completedFlowsPerSecond: spread(runs.map((r) => r.completedFlowsPerSecond)),
    cpuMsPerFlow: {
      tenant: spread(runs.map((r) => r.cpuMsPerFlow.tenant)),
      client: spread(runs.map((r) => r.cpuMsPerFlow.client)),
    },
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
    oidcProviderFlows: {
      sustainedPollsPerSecond: spread(oidcRuns.map((r) => r.sustainedPollsPerSecond)),
      pendingP99Ms: spread(oidcRuns.map((r) => r.pendingP99Ms)),
      issuedP99Ms: spread(oidcRuns.map((r) => r.issuedP99Ms)),
      bcAuthorizeP99Ms: spread(oidcRuns.map((r) => r.bcAuthorizeP99Ms)),
      peakRssMiB: spread(oidcRuns.map((r) => r.peakRssMiB)),
      tenantCpuMsPerFlow: spread(oidcRuns.map((r) => r.tenantCpuMsPerFlow)),
      unexpectedAnswers: unexpected(oidcRuns),
      runs: oidcRuns,
    },
    paced: {
      pollEverySeconds: options.pacedPollSeconds,
      sustainedPollsPerSecond: spread(pacedRuns.map((r) => r.sustainedPollsPerSecond)),
      pendingP99Ms: spread(pacedRuns.map((r) => r.steady.pendingP99Ms)),
      issuedP99Ms: spread(pacedRuns.map((r) => r.steady.issuedP99Ms)),
      wholeRunIssuedP99Ms: spread(pacedRuns.map((r) => r.issuedP99Ms)),
      unexpectedAnswers: unexpected(pacedRuns),
      runs: pacedRuns,
    },
    sideBySide,
    failed:
      unexpectedAnswers > 0 ||
      unexpected(pacedRuns) > 0 ||
      [...runs, ...pacedRuns].some((r) => r.completed < options.flows || r.unfinished > 0) ||
      (sideBySide?.failed ?? false),
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
        flags: [
          "--expose-gc",
          ...(options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : []),
        ],
        preload: ["./scripts/bench/gc-on-signal.ts"],
      },
    });
    const runs: CapacityRun[] = [];
    const oidcRuns: OidcProviderRun[] = [];
    const pacedRuns: PacedFlows["runs"] = [];
    try {
      const oidcCerts = path.join(dir, "certs-oidc-provider");
      await ensureLocalCertificates(oidcCerts);
      const oidcProvider = await startTenant(
        await oidcProviderCommand({ certDir: oidcCerts, approveAfterMs: options.approveAfterMs }),
      );
      try {
        const oidcCa = await readFile(path.join(oidcCerts, "ca.pem"), "utf8");
        await new ControlClient(tenant.issuer, tenant.ca).setPolicy({
          default: `approve-after:${options.approveAfterMs}`,
          rules: [],
        });
        for (let i = 1; i <= options.runs; i++) {
          const run = await measureRun(options, tenant);
          runs.push(run);
          options.log(`  run ${i}/${options.runs}: ${runLine(run)}`);
          // The same flows against oidc-provider, right after.
          const client = new CibaClient(oidcProvider.issuer, oidcCa);
          try {
            const {
              value: load,
              peak,
              cpuMs,
            } = await watchProcess(oidcProvider.pid, 0, generateLoad(client, options));
            const figures = {
              ...loadFigures(load),
              peakRssMiB: mebibytes(peak),
              tenantCpuMsPerFlow: round(cpuMs / load.completed, 2),
            };
            oidcRuns.push(figures);
            options.log(
              `  run ${i}/${options.runs} oidc-provider: ${figures.completed} flows, ` +
                `${figures.sustainedPollsPerSecond} polls/s, pending p99 ${figures.pendingP99Ms} ms, ` +
                `token issued p99 ${figures.issuedP99Ms} ms, RSS peak ${figures.peakRssMiB} MiB, ` +
                `CPU ms per flow ${figures.tenantCpuMsPerFlow} (client ${figures.clientCpuMsPerFlow}), ` +
                `unexpected ${JSON.stringify(figures.unexpected)}`,
            );
          } finally {
            client.close();
          }
        }
      } finally {
        await oidcProvider.stop();
      }
      for (let i = 1; i <= options.runs; i++) {
        const client = new CibaClient(tenant.issuer, tenant.ca);
        try {
          const run = loadFigures(
            await generateLoad(client, { ...options, pollEverySeconds: options.pacedPollSeconds }),
          );
          pacedRuns.push(run);
          options.log(
            `  paced run ${i}/${options.runs} (a poll every ${options.pacedPollSeconds} s): ` +
              `${run.completed} flows, ${run.sustainedPollsPerSecond} polls/s, steady p99 ` +
              `pending ${run.steady.pendingP99Ms} ms, token issued ${run.steady.issuedP99Ms} ms ` +
              `(whole run ${run.issuedP99Ms} ms), unexpected ${JSON.stringify(run.unexpected)}`,
          );
        } finally {
          client.close();
        }
        // The store drops the run's requests: the next run starts from the same state.
        if (i < options.runs) await sleep(options.retentionSeconds * 1000 + SWEEP_SLACK_MS);
      }
    } finally {
      await tenant.child.stop();
    }
    options.log("  side by side with oidc-provider: closed-loop loads, start, memory");
    const sideBySide = await measureSideBySide({
      rounds: options.runs,
      durationSeconds: SIDE_BY_SIDE_SECONDS,
      bcAuthorizeRequests: SIDE_BY_SIDE_BC_AUTHORIZE,
      connections: SIDE_BY_SIDE_CONNECTIONS,
      pendingRequests: SIDE_BY_SIDE_PENDING,
      intervalSeconds: options.intervalSeconds,
      startSamples: Math.max(3, options.runs * 2 - 1),
      profileDir:
        options.profileDir === undefined
          ? undefined
          : path.join(options.profileDir, "side-by-side"),
      log: options.log,
    });
    return summarize(options, runs, oidcRuns, pacedRuns, sideBySide);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
