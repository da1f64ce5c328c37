import type { Machine } from "./machine.js";
import { machineLine } from "./machine.js";
import type { ResourceServerResult } from "./resource-server-cost.js";
import type { ScenarioResult } from "./scenario-overhead.js";
import { spread } from "./stats.js";
import type { Spread } from "./stats.js";
import type { SuiteResult } from "./suite-time.js";
import type { TenantCapacityResult } from "./tenant-capacity.js";
import type { TenantFloodResult } from "./tenant-flood.js";

export interface BenchResults {
  startedAt: string;
  wallSeconds: number;
  command: string;
  machine: Machine;
  resourceServer?: ResourceServerResult | undefined;
  /** The same with the shop's orders in PostgreSQL (skipped when it is not installed). */
  resourceServerPostgres?: ResourceServerResult | undefined;
  tenantCapacity?: TenantCapacityResult | undefined;
  tenantFlood?: TenantFloodResult | undefined;
  scenarioOverhead?: ScenarioResult | undefined;
  suiteTime?: SuiteResult | undefined;
}

type Row = [figure: string, median: string, min: string, max: string, target: string];

const fmt = (value: number, digits = 0): string =>
  Number.isFinite(value) ? value.toFixed(digits) : "-";
const row = (figure: string, s: Spread, target = "", digits = 0): Row => [
  figure,
  fmt(s.median, digits),
  fmt(s.min, digits),
  fmt(s.max, digits),
  target,
];
const single = (figure: string, value: string, target = ""): Row => [figure, value, "", "", target];
const verdict = (met: boolean) => (met ? "met" : "MISSED");

function resourceRows(r: ResourceServerResult, number = "1."): Row[] {
  const a = r.authenticated;
  const b = r.unauthenticated;
  const errors = [...a.runs, ...b.runs].reduce((sum, run) => sum + run.non2xx + run.errors, 0);
  const p99Met = a.p99Ms.median < r.targets.p99BelowMs;
  const ratioMet = r.ratio.median >= r.targets.ratioAtLeast;
  return [
    row(
      `${number} POST /api/purchases with a token (${r.database === "postgres" ? "PostgreSQL" : "embedded database"}): req/s`,
      a.requestsPerSecond,
    ),
    row("   with a token: p50 ms", a.p50Ms),
    row("   with a token: p99 ms", a.p99Ms, `< ${r.targets.p99BelowMs}: ${verdict(p99Met)}`),
    row("   auth middleware off: req/s", b.requestsPerSecond),
    row("   auth middleware off: p50 ms", b.p50Ms),
    row("   auth middleware off: p99 ms", b.p99Ms),
    row(
      "   ratio with / without token (req/s)",
      r.ratio,
      `>= ${r.targets.ratioAtLeast}: ${verdict(ratioMet)}`,
      2,
    ),
    single(
      `   non-2xx answers and errors (${r.rounds} rounds x ${r.durationSeconds} s, ${r.connections} conn.)`,
      String(errors),
      "0",
    ),
  ];
}

function tenantRows(t: TenantCapacityResult): Row[] {
  const s = t.settings;
  const last = t.runs[t.runs.length - 1];
  return [
    row(
      `2. ${s.inFlight} CIBA flows in flight (interval ${s.intervalSeconds} s): polls/s`,
      t.sustainedPollsPerSecond,
    ),
    row("   token endpoint p99 ms (every poll)", t.tokenP99Ms),
    row(
      "   token endpoint p99 ms, pending answers",
      spreadOf(t, (r) => r.pendingP99Ms),
    ),
    row(
      "   token endpoint p99 ms, token issued",
      spreadOf(t, (r) => r.issuedP99Ms),
    ),
    row("   completed flows/s", t.completedFlowsPerSecond),
    single(
      `   answers other than authorization_pending (${t.runs.length} x ${s.flows} flows)`,
      String(t.unexpectedAnswers),
      "0",
    ),
    single("   RSS MiB, fresh process", fmt(t.rssMiB.fresh, 1)),
    row(`   RSS MiB, peak during ${s.flows} flows`, t.rssMiB.peak, "", 1),
    row(`   RSS MiB, idle ${s.retentionSeconds} s after (retention)`, t.rssMiB.after, "", 1),
    row("   RSS MiB, then after a full GC", t.rssMiB.afterGc, "< peak", 1),
    single("   V8 heap in use MiB, fresh process (after GC)", fmt(t.heapMiB.fresh, 1)),
    row("   V8 heap in use MiB, after each run (after GC)", t.heapMiB.afterGc, "", 1),
    single(
      "   V8 heap growth MiB, first run to last (after GC)",
      fmt(t.heapMiB.growthAcrossRuns, 1),
      `~0: ${t.bounded ? "bounded" : "NOT BOUNDED"}`,
    ),
    single(
      "   stored requests, end of load -> after retention",
      last ? `${last.storedRequests.atEndOfLoad} -> ${last.storedRequests.afterRetention}` : "-",
      `<= ${s.maxStoredRequests}`,
    ),
  ];
}

function floodRows(f: TenantFloodResult): Row[] {
  const n = f.settings.openRequests;
  return [
    single("2b. /bc-authorize p50 ms, empty tenant", fmt(f.empty.p50Ms, 2)),
    single(`    /bc-authorize p50 ms, ${n} open requests`, fmt(f.flooded.p50Ms, 2)),
    single("    /bc-authorize p99 ms, empty tenant", fmt(f.empty.p99Ms, 2)),
    single(`    /bc-authorize p99 ms, ${n} open requests`, fmt(f.flooded.p99Ms, 2)),
    single(
      "    p50 ratio, flooded / empty",
      fmt(f.ratio, 2),
      `<= ${f.targets.ratioAtMost}: ${verdict(f.met)}`,
    ),
    single(
      "    /bc-authorize past maxOpenRequests: answer, p50 ms",
      `${f.refused.status} ${f.refused.error}, ${fmt(f.refused.p50Ms, 2)}`,
      "429 too_many_requests",
    ),
    single(`    control list page (100 of ${n}) p50 ms`, fmt(f.listPageP50Ms, 2)),
    single(`    time to open ${n} requests s`, fmt(f.fillSeconds, 1)),
  ];
}

function spreadOf(
  t: TenantCapacityResult,
  pick: (run: TenantCapacityResult["runs"][number]) => number,
): Spread {
  return spread(t.runs.map(pick));
}

function scenarioRows(s: ScenarioResult): Row[] {
  if (s.status === "skipped" || !s.paths) {
    return [single("3. agent CLI scenarios", "skipped", s.reason ?? "")];
  }
  const rows: Row[] = [];
  for (const [name, p] of Object.entries(s.paths)) {
    const met = p.failedRuns === 0 && p.overheadMs.median < s.targets.overheadBelowMs;
    rows.push(
      row(
        `3. ${name}: overhead ms (wall - ${p.waitMs} ms asked for)`,
        p.overheadMs,
        `< ${s.targets.overheadBelowMs}: ${verdict(met)}`,
      ),
      row(`   ${name}: process start and exit ms`, p.processMs),
      row(`   ${name}: poll lag after the decision ms`, p.pollLagMs),
      ...(name === "approve" ? [row(`   ${name}: order ms`, p.orderMs)] : []),
      row(`   ${name}: model, /bc-authorize, TLS ms`, p.otherMs),
    );
  }
  for (const [name, start] of Object.entries(s.cliStartMs ?? {})) {
    rows.push(row(`   start alone: ${name} ms`, start));
  }
  return rows;
}

function suiteRows(s: SuiteResult): Row[] {
  return [
    row("4. pnpm test total s", s.totalSeconds, "", 1),
    ...Object.entries(s.steps).map(([name, spreadOfStep]) =>
      row(`   ${name} s`, spreadOfStep, "", 1),
    ),
    ...s.slowestFiles.map((f) => single(`   slow file: ${f.file} s`, f.seconds.toFixed(1))),
  ];
}

/** The results as a Markdown table: readable in a terminal and ready for the README. */
export function renderTable(results: BenchResults): string {
  const rows: Row[] = [
    ...(results.resourceServer ? resourceRows(results.resourceServer) : []),
    ...(results.resourceServerPostgres ? resourceRows(results.resourceServerPostgres, "1b.") : []),
    ...(results.tenantCapacity ? tenantRows(results.tenantCapacity) : []),
    ...(results.tenantFlood ? floodRows(results.tenantFlood) : []),
    ...(results.scenarioOverhead ? scenarioRows(results.scenarioOverhead) : []),
    ...(results.suiteTime ? suiteRows(results.suiteTime) : []),
  ];
  const header: Row = ["figure", "median", "min", "max", "target"];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]?.length ?? 0)));
  const line = (r: Row) =>
    `| ${r.map((cell, i) => (i === 0 || i === 4 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 || i === 4 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |`;
  return [
    `Machine: ${machineLine(results.machine)}`,
    "",
    line(header),
    rule,
    ...rows.map(line),
  ].join("\n");
}
