/**
 * `pnpm bench`: what the testbed costs, side by side with its baselines. Loopback only; every
 * load is bounded in count and time. Prints a table and writes bench/results.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { Command, InvalidArgumentError, Option } from "commander";

import { describeMachine, machineLine } from "./machine.js";
import { measureMachineSpeed } from "./machine-speed.js";
import { renderTable } from "./report.js";
import type { BenchResults } from "./report.js";
import { startPostgres } from "../../test/support/postgres.js";
import { measureResourceServer } from "./resource-server-cost.js";
import { measureScenarios } from "./scenario-overhead.js";
import { measureSuite } from "./suite-time.js";
import { measureTenantCapacity } from "./tenant-capacity.js";
import { measureTenantFlood } from "./tenant-flood.js";

const PARTS = ["resource", "tenant", "flood", "scenario", "suite"] as const;
type Part = (typeof PARTS)[number];

interface Options {
  only?: Part[];
  withSuite: boolean;
  quick: boolean;
  rounds: number;
  duration: number;
  connections: number;
  flows: number;
  inFlight: number;
  capacityRuns: number;
  floodRequests: number;
  scenarioRuns: number;
  suiteRuns: number;
  profile?: string;
  out: string;
}

function positive(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new InvalidArgumentError("a whole number >= 1");
  return number;
}

function parts(value: string): Part[] {
  const names = value.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!(PARTS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`parts are ${PARTS.join(", ")}`);
    }
  }
  return names as Part[];
}

const program = new Command("bench")
  .description(
    "Benchmarks of ciba-testbed: resource server cost, tenant capacity, agent scenario " +
      "overhead and (with --with-suite) the test suite's time.",
  )
  .addOption(
    new Option("--only <parts>", `comma-separated parts to run: ${PARTS.join(", ")}`).argParser(
      parts,
    ),
  )
  .option(
    "--with-suite",
    "also time `pnpm test`, --suite-runs times (3 runs: about 10-15 minutes more on 2 cores)",
    false,
  )
  .option("--quick", "short runs for a smoke check; the figures are not comparable", false)
  .option("--rounds <n>", "resource server: alternating rounds", positive, 5)
  .option("--duration <seconds>", "resource server: seconds per run", positive, 4)
  .option("--connections <n>", "resource server: concurrent connections", positive, 50)
  .option("--flows <n>", "tenant: completed flows per run", positive, 10_000)
  .option("--in-flight <n>", "tenant: flows in flight at once", positive, 500)
  .option("--capacity-runs <n>", "tenant: runs, one after another in one tenant", positive, 3)
  .option("--flood-requests <n>", "flood: open requests the tenant holds", positive, 30_000)
  .option("--scenario-runs <n>", "agent scenarios: runs of each path", positive, 3)
  .option("--suite-runs <n>", "test suite: runs (the median is reported)", positive, 3)
  .option("--profile <dir>", "write CPU profiles (--cpu-prof) of the benchmarked servers here")
  .option("--out <file>", "where the results go", path.join(REPO_ROOT, "bench", "results.json"));

// `pnpm bench -- --flag` hands the separator on.
const argv = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--"));
const options = program.parse(argv, { from: "user" }).opts<Options>();
if (options.quick) {
  Object.assign(options, {
    rounds: 2,
    duration: 2,
    flows: 2_000,
    capacityRuns: 1,
    floodRequests: 10_000,
    scenarioRuns: 1,
  });
}
const selected = new Set<Part>(
  options.only ?? [
    "resource",
    "tenant",
    "flood",
    "scenario",
    ...(options.withSuite ? ["suite" as const] : []),
  ],
);
const profileDir = options.profile === undefined ? undefined : path.resolve(options.profile);
const log = (line: string) => {
  process.stderr.write(`${line}\n`);
};

const started = performance.now();
const machine = describeMachine();
const results: BenchResults = {
  startedAt: new Date().toISOString(),
  wallSeconds: 0,
  command: ["pnpm bench", ...argv].join(" "),
  machine,
};
log(`Machine: ${machineLine(machine)}`);

/** The machine's speed before the first part and after the last: see machine-speed.ts. */
async function probeSpeed(when: "before" | "after"): Promise<void> {
  const speed = await measureMachineSpeed();
  results.machineSpeed = { ...results.machineSpeed, [when]: speed };
  log(
    `Machine speed ${when} the parts: node -e 0 ${speed.nodeStartMs.median} ms ` +
      `(${speed.nodeStartMs.min}-${speed.nodeStartMs.max}), RSA-2048 signature ` +
      `${speed.rsaSignatureUs.median} µs (${speed.rsaSignatureUs.min}-${speed.rsaSignatureUs.max})`,
  );
}
await probeSpeed("before");

const crashed: string[] = [];
/** A part that cannot run (a server that does not start) is reported; the others still run. */
async function attempt<T>(part: string, measure: () => Promise<T>): Promise<T | undefined> {
  try {
    return await measure();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    crashed.push(`${part}: ${message}`);
    log(`  ${part} could not run: ${message}`);
    return undefined;
  }
}

if (selected.has("resource")) {
  log(
    `1. Resource server: POST /api/purchases, ${options.connections} connections, ` +
      `${options.rounds} rounds of ${options.duration} s each way`,
  );
  results.resourceServer = await attempt("resource server", () =>
    measureResourceServer({
      rounds: options.rounds,
      durationSeconds: options.duration,
      connections: options.connections,
      profileDir,
      log,
    }),
  );
  log("1b. The same with the shop's orders in PostgreSQL (a throw-away server)");
  const postgres = await startPostgres().catch((error: unknown) => {
    // Not installed here: the figures are skipped, not failed.
    log(`  skipped: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  });
  if (postgres) {
    try {
      const databaseUrl = await postgres.createDatabase();
      results.resourceServerPostgres = await attempt("resource server (PostgreSQL)", () =>
        measureResourceServer({
          rounds: options.rounds,
          durationSeconds: options.duration,
          connections: options.connections,
          databaseUrl,
          log,
        }),
      );
    } finally {
      await postgres.stop();
    }
  }
}
if (selected.has("tenant")) {
  log(
    `2. Tenant capacity: ${options.inFlight} CIBA flows in flight, ` +
      `${options.capacityRuns} runs of ${options.flows} flows`,
  );
  results.tenantCapacity = await attempt("tenant capacity", () =>
    measureTenantCapacity({
      runs: options.capacityRuns,
      inFlight: options.inFlight,
      flows: options.flows,
      intervalSeconds: 0.1,
      pacedPollSeconds: 0.2,
      approveAfterMs: 1_000,
      retentionSeconds: 5,
      maxStoredRequests: 5_000,
      maxLoadSeconds: 90,
      profileDir,
      log,
    }),
  );
}
if (selected.has("flood")) {
  log(`2b. Tenant under flood: /bc-authorize with ${options.floodRequests} open requests`);
  results.tenantFlood = await attempt("tenant flood", () =>
    measureTenantFlood({
      openRequests: options.floodRequests,
      samples: 1_000,
      fillConcurrency: 32,
      log,
    }),
  );
}
if (selected.has("scenario")) {
  log(`3. Agent scenarios: approve, deny, timeout, ${options.scenarioRuns} runs each`);
  results.scenarioOverhead = await attempt("agent scenarios", () =>
    measureScenarios({
      runs: options.scenarioRuns,
      approvalDelayMs: 1_000,
      expirySeconds: 2,
      log,
    }),
  );
}
if (selected.has("suite")) {
  log(`4. Test suite: pnpm test, ${options.suiteRuns} run(s)`);
  results.suiteTime = await attempt("test suite", () =>
    measureSuite({ runs: options.suiteRuns, slowest: 5, log }),
  );
}

await probeSpeed("after");

results.wallSeconds = Math.round((performance.now() - started) / 100) / 10;
await mkdir(path.dirname(path.resolve(options.out)), { recursive: true });
await writeFile(path.resolve(options.out), `${JSON.stringify(results, null, 2)}\n`);

process.stdout.write(`\n${renderTable(results)}\n\n`);
process.stdout.write(
  `Whole run: ${results.wallSeconds} s. Results: ${path.relative(process.cwd(), path.resolve(options.out))}\n`,
);

const failures = [
  ...crashed,
  results.resourceServer?.failed && "resource server runs had non-2xx answers or errors",
  results.resourceServerPostgres?.failed &&
    "resource server runs on PostgreSQL had non-2xx answers or errors",
  results.tenantCapacity?.failed && "tenant runs had unexpected answers or unfinished flows",
  results.tenantFlood?.failed && "tenant flood: unexpected answers, or no 429 past the cap",
  results.tenantFlood &&
    !results.tenantFlood.met &&
    `tenant flood: /bc-authorize ${results.tenantFlood.ratio}x slower with ${results.tenantFlood.settings.openRequests} open requests (target <= ${results.tenantFlood.targets.ratioAtMost}x)`,
  results.tenantCapacity &&
    !results.tenantCapacity.bounded &&
    "tenant memory did not come back down",
  results.scenarioOverhead?.failed &&
    `agent scenarios: ${results.scenarioOverhead.reason ?? "a path ended with the wrong outcome"}`,
  results.suiteTime?.failed && "pnpm test failed",
].filter((failure): failure is string => typeof failure === "string");
for (const failure of failures) process.stderr.write(`FAILED: ${failure}\n`);
process.exitCode = failures.length > 0 ? 1 : 0;
