import { availableParallelism } from "node:os";

import { defineConfig } from "vitest/config";

import { SHORT_LIVED_SHOP_NODE_FLAGS } from "./packages/shared/src/node/short-lived-shop.js";
import { maxWorkers } from "./test/support/max-workers.js";

/**
 * Every worker collects garbage on its own thread: with one worker per core, V8's parallel
 * GC helpers only contend with the other worker and the processes the tests start (about 5%
 * less CPU for the same files). And its young generation may grow to 32 MB a semi-space
 * instead of V8's 16: the unit tests allocate fast (apps, servers, requests by the thousand),
 * and a larger nursery means fewer scavenges, each copying what is still alive. The unit and
 * agent projects took 2-13% less CPU in each of 6 alternating pairs of runs (median 6%, on a
 * 2-core AMD EPYC), for at most 32 MB more memory per worker (two semi-spaces).
 */
const WORKER_NODE_FLAGS = ["--single-threaded-gc", "--max-semi-space-size=32"];

/**
 * How long `expect.poll` waits for what it polls (a process to end, a socket to close, a
 * server's state after a browser's click) before the test fails: Vitest's default is 1 s, which a
 * machine loaded by the other worker and the processes both start can take for any of them. A
 * test that passes is not slower for it; only a failure takes longer to report.
 */
const EXPECT = { poll: { timeout: 10_000 } };

// JUNIT_REPORT=<file> adds a JUnit XML report for CI systems, next to the usual output.
const junit = process.env.JUNIT_REPORT;

// SUITE_CPU_FILE=<file> (`pnpm bench --with-suite` sets it): the CPU time of each test file,
// a JSON line each (test/support/cpu-per-file.ts).
const setupFiles = process.env.SUITE_CPU_FILE ? ["test/support/cpu-per-file.ts"] : [];

export default defineConfig({
  test: {
    // Processes start from the build (scripts/build.js): rebuilt first when a source changed.
    globalSetup: ["test/support/global-setup.ts"],
    reporters: junit ? ["default", ["junit", { outputFile: junit }]] : ["default"],
    // A stray `.only` must fail the suite instead of silently skipping the rest.
    allowOnly: false,
    // Each test file's modules, transformed from TypeScript, kept in node_modules between runs
    // (keyed by each file's text and the configuration): a run after the first transforms only
    // what changed.
    experimental: { fsModuleCache: true },
    // Vitest's default is one worker fewer than the cores: a single worker on two cores, so
    // every file waited for the one before. One worker per core; more thrashes a loaded
    // machine (the servers and agents each file starts need the cores too).
    // VITEST_MAX_WORKERS (or --maxWorkers) overrides it.
    maxWorkers: maxWorkers(process.env.VITEST_MAX_WORKERS, availableParallelism()),
    // `isolate: false`: a worker keeps its modules from one file to the next instead of
    // importing Express, jose, the stack and the app again for every file: half the CPU time of
    // the unit tests, 8 of the end-to-end project's 174 s. Each file builds its own apps,
    // stores, clocks and processes, and leaves no global changed: the agent's files that patch
    // one (nock, the default CA store, a spy on stdout, fake timers) put it back after
    // themselves, so a file never depends on which files ran before it in its worker.
    //
    // Projects one after the other (`groupOrder`): Vitest keeps a worker only while the next
    // file in its queue belongs to the same project, so a project per package started 13
    // workers a run, each loading Vitest and the shared modules again. The end-to-end files run
    // first (the long ones, while the short unit files fill the end), then the agent's unit
    // tests, then one project for the unit tests of every other package. The agent's files stub
    // the network with nock, which patches http, https and fetch in the whole worker while a
    // file runs: in workers of their own it can never reach another package's tests. 6 workers a run
    // instead of 13: about 5 s less CPU and wall time on two cores. One project for everything
    // was slower: the end-to-end files' processes then share the cores with the unit files'
    // servers from the start.
    projects: [
      {
        test: {
          // A package's unit tests, the `.test.ts` files under its `src/`: `pnpm vitest run
          // apps/<name>` runs one package's.
          name: "unit",
          root: ".",
          include: ["apps/*/src/**/*.test.ts", "packages/*/src/**/*.test.ts"],
          exclude: ["apps/agent/**", "**/node_modules/**"],
          sequence: { groupOrder: 2 },
          // Some unit files start real processes or run thousands of requests; while the e2e
          // files' processes share the two cores, Vitest's 5 s default measures the machine,
          // not the code.
          testTimeout: 20_000,
          expect: EXPECT,
          isolate: false,
          setupFiles,
          // The shop-api's files open PGlite; a worker lives no longer than a throw-away shop.
          execArgv: [...WORKER_NODE_FLAGS, ...SHORT_LIVED_SHOP_NODE_FLAGS],
        },
      },
      {
        test: {
          name: "agent",
          root: ".",
          include: ["apps/agent/src/**/*.test.ts"],
          sequence: { groupOrder: 1 },
          testTimeout: 20_000,
          expect: EXPECT,
          isolate: false,
          setupFiles,
          execArgv: WORKER_NODE_FLAGS,
        },
      },
      {
        test: {
          name: "e2e",
          root: ".",
          sequence: { groupOrder: 0 },
          include: ["test/**/*.test.ts"],
          isolate: false,
          setupFiles,
          execArgv: WORKER_NODE_FLAGS,
          testTimeout: 60_000,
          expect: EXPECT,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
