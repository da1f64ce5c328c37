import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { z } from "zod";

import type { FileCpu } from "../../test/support/cpu-per-file.js";
import { TEST_CHECKS, scriptStep, withWorkspaceBinaries } from "../test-steps.js";
import { machineBusySeconds, waitedChildrenCpuSeconds } from "./rss.js";
import { round, spread } from "./stats.js";
import type { Spread } from "./stats.js";

export interface SuiteOptions {
  runs: number;
  slowest: number;
  log: (line: string) => void;
}

export interface SuiteFile {
  file: string;
  seconds: number;
}

/** What one test file cost in CPU (test/support/cpu-per-file.ts), in seconds. */
export interface SuiteFileCpu {
  file: string;
  /** Its worker's and its processes' together. */
  seconds: number;
  /** The processes it started and waited for: agents, servers, browsers, npm. */
  processSeconds: number;
}

export interface SuiteRun {
  totalSeconds: number;
  /**
   * CPU seconds of every process of the run that its parent waited for (the build check, the
   * checks, Vitest, its workers and most of what the tests started); NaN where /proc cannot
   * tell.
   */
  cpuSeconds: number;
  /**
   * CPU seconds the whole machine was busy during the run (/proc/stat): the run's processes,
   * those no one waited for too, and anything else the machine ran; NaN where /proc cannot tell.
   */
  machineBusySeconds: number;
  steps: Record<string, number>;
  exitCodes: Record<string, number>;
  tests: { passed: number; failed: number; files: number };
  /**
   * Each failed test (its file, its full name and the first line of its first failure), and
   * each step stopped for running past SUITE_STEP_TIMEOUT_MS.
   */
  failures: string[];
  slowestFiles: SuiteFile[];
  /** The test files' CPU together (their workers' and their processes'). */
  filesCpuSeconds: number;
  /** The test files that cost the most CPU, the most first. */
  heaviestFiles: SuiteFileCpu[];
}

export interface SuiteResult {
  totalSeconds: Spread;
  /** The runs' CPU seconds (`SuiteRun.cpuSeconds`). */
  cpuSeconds: Spread;
  /** The machine's busy CPU seconds during each run (`SuiteRun.machineBusySeconds`). */
  machineBusySeconds: Spread;
  /** The machine's cores: a run's CPU seconds over these is the least time it could take. */
  cores: number;
  /** Met when every run passed and the median run took at most `atMostSeconds`. */
  targets: { atMostSeconds: number; met: boolean };
  steps: Record<string, Spread>;
  /** The slowest test files of the run whose total was the median. */
  slowestFiles: SuiteFile[];
  /** The test files' CPU together (`SuiteRun.filesCpuSeconds`). */
  filesCpuSeconds: Spread;
  /** The test files that cost the most CPU in the run whose total was the median. */
  heaviestFiles: SuiteFileCpu[];
  failed: boolean;
  runs: SuiteRun[];
}

// `pnpm test` (scripts/test.ts) makes sure build/ is current, then runs its checks and vitest
// all at once, each as it does (test-steps.ts): the total is the build check's time plus the
// slowest of the three, and each one's own time says where it goes.
//
// Each step is stopped after SUITE_STEP_TIMEOUT_MS: a bound for a run that hangs, well above the
// slowest run seen, so that a slow machine gets its figure. A cold `pnpm test` (nothing cached:
// the first run in a clean clone) took up to 337 s on a 2-core AMD EPYC VM, and a bound of 5
// minutes would stop Vitest there before it reported.
export const SUITE_STEP_TIMEOUT_MS = 15 * 60_000;
/** `pnpm test` in at most a minute on two cores: every CI job of a team that uses it pays it. */
export const SUITE_TARGET_SECONDS = 60;

const vitestReport = z.object({
  numPassedTests: z.number(),
  numFailedTests: z.number(),
  testResults: z.array(
    z.object({
      name: z.string(),
      startTime: z.number(),
      endTime: z.number(),
      // A file that failed to load has no tests, only its message.
      message: z.string().optional(),
      assertionResults: z.array(
        z.object({
          fullName: z.string(),
          status: z.string(),
          failureMessages: z.array(z.string()).nullish(),
        }),
      ),
    }),
  ),
});

const firstLine = (text: string | undefined) => (text ?? "").trim().split("\n")[0] ?? "";

/** Runs one step of `pnpm test` in the repository, and kills it when it runs past `timeoutMs`. */
export function timed(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; shell?: boolean } = {},
  timeoutMs = SUITE_STEP_TIMEOUT_MS,
): Promise<{ seconds: number; exitCode: number; timedOut: boolean }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, cwd: REPO_ROOT, stdio: "ignore" });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({
        seconds: round((performance.now() - started) / 1000, 1),
        exitCode: code ?? (signal === null ? 1 : 128),
        timedOut,
      });
    });
  });
}

type VitestReport = z.infer<typeof vitestReport>;

const fileCpu = z.object({
  file: z.string(),
  ownMs: z.number(),
  childrenMs: z.number(),
}) satisfies z.ZodType<FileCpu>;

/**
 * The CPU the test files cost (`SUITE_CPU_FILE`, one JSON line per file): all together, and
 * the `count` heaviest.
 */
async function readFilesCpu(
  file: string,
  count: number,
): Promise<{ total: number; heaviest: SuiteFileCpu[] }> {
  const text = await readFile(file, "utf8").catch(() => "");
  const files = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => fileCpu.parse(JSON.parse(line)))
    .map((f) => ({
      file: f.file,
      seconds: round((f.ownMs + f.childrenMs) / 1000, 1),
      processSeconds: round(f.childrenMs / 1000, 1),
    }));
  return {
    total: round(
      files.reduce((sum, f) => sum + f.seconds, 0),
      1,
    ),
    heaviest: files.sort((a, b) => b.seconds - a.seconds).slice(0, count),
  };
}

/** Vitest's JSON report, or none when Vitest wrote none (it was stopped, or it crashed). */
async function readVitestReport(file: string): Promise<VitestReport | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  return vitestReport.parse(JSON.parse(text));
}

async function oneRun(options: SuiteOptions, dir: string): Promise<SuiteRun> {
  const steps: Record<string, number> = {};
  const exitCodes: Record<string, number> = {};
  const stopped: string[] = [];
  // Never the last run's reports: a Vitest that is stopped writes none.
  const reportFile = path.join(dir, "vitest.json");
  const cpuFile = path.join(dir, "cpu-per-file.jsonl");
  await Promise.all([reportFile, cpuFile].map((file) => rm(file, { force: true })));
  const cpuBefore = waitedChildrenCpuSeconds();
  const machineBefore = machineBusySeconds();
  const started = performance.now();
  const build = await timed("pnpm", ["build"]);
  const [checks, tests] = await Promise.all([
    Promise.all(
      TEST_CHECKS.map(async (name) => {
        const step = scriptStep(name);
        return { name, ...(await timed(step.command, [], { env: step.env, shell: true })) };
      }),
    ),
    timed("vitest", ["run", "--reporter=json", `--outputFile=${reportFile}`], {
      env: { ...withWorkspaceBinaries(), SUITE_CPU_FILE: cpuFile },
    }),
  ]);
  const totalSeconds = round((performance.now() - started) / 1000, 1);
  const cpuSeconds = round(waitedChildrenCpuSeconds() - cpuBefore, 1);
  const machineBusy = round(machineBusySeconds() - machineBefore, 1);
  for (const step of [{ name: "build", ...build }, ...checks, { name: "vitest", ...tests }]) {
    steps[step.name] = step.seconds;
    exitCodes[step.name] = step.exitCode;
    if (step.timedOut) {
      stopped.push(`${step.name}: stopped after ${String(step.seconds)} s`);
    }
  }
  const filesCpu = await readFilesCpu(cpuFile, options.slowest);
  // What the run measured whether or not Vitest reported.
  const measured = {
    totalSeconds,
    cpuSeconds,
    machineBusySeconds: machineBusy,
    filesCpuSeconds: filesCpu.total,
    heaviestFiles: filesCpu.heaviest,
    steps,
    exitCodes,
  };
  const report = await readVitestReport(reportFile);
  if (report === undefined) {
    return {
      ...measured,
      tests: { passed: 0, failed: 0, files: 0 },
      failures:
        stopped.length > 0 ? stopped : [`vitest: wrote no report (exit ${String(tests.exitCode)})`],
      slowestFiles: [],
    };
  }
  const slowestFiles = report.testResults
    .map((result) => ({
      file: path.relative(REPO_ROOT, result.name),
      seconds: round((result.endTime - result.startTime) / 1000, 1),
    }))
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, options.slowest);
  return {
    ...measured,
    tests: {
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      files: report.testResults.length,
    },
    failures: [
      ...stopped,
      ...report.testResults.flatMap((result) => {
        const file = path.relative(REPO_ROOT, result.name);
        const failed = result.assertionResults
          .filter((test) => test.status === "failed")
          .map((test) => `${file} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
        return failed.length === 0 && result.message
          ? [`${file}: ${firstLine(result.message)}`]
          : failed;
      }),
    ],
    slowestFiles,
  };
}

/** The runs' figures: each step's spread, the median run's slowest files, and the target. */
export function summarizeSuite(runs: SuiteRun[], cores = availableParallelism()): SuiteResult {
  const totals = spread(runs.map((r) => r.totalSeconds));
  const medianRun = runs.find((r) => r.totalSeconds === totals.median) ?? runs[0];
  const stepNames = Object.keys(runs[0]?.steps ?? {});
  const failed = runs.some((r) => Object.values(r.exitCodes).some((code) => code !== 0));
  return {
    totalSeconds: totals,
    cpuSeconds: spread(runs.map((r) => r.cpuSeconds)),
    machineBusySeconds: spread(runs.map((r) => r.machineBusySeconds)),
    cores,
    targets: {
      atMostSeconds: SUITE_TARGET_SECONDS,
      met: !failed && totals.median <= SUITE_TARGET_SECONDS,
    },
    steps: Object.fromEntries(
      stepNames.map((name) => [name, spread(runs.map((r) => r.steps[name] ?? Number.NaN))]),
    ),
    slowestFiles: medianRun?.slowestFiles ?? [],
    filesCpuSeconds: spread(runs.map((r) => r.filesCpuSeconds)),
    heaviestFiles: medianRun?.heaviestFiles ?? [],
    failed,
    runs,
  };
}

/** `pnpm test` (type-check, lint, format check, every test), timed step by step. */
export async function measureSuite(options: SuiteOptions): Promise<SuiteResult> {
  const dir = await mkdtemp(path.join(tmpdir(), "bench-suite-"));
  try {
    const runs: SuiteRun[] = [];
    for (let i = 1; i <= options.runs; i++) {
      const run = await oneRun(options, dir);
      runs.push(run);
      options.log(
        `  run ${i}/${options.runs}: ${run.totalSeconds} s (${Object.entries(run.steps)
          .map(([name, seconds]) => `${name} ${seconds} s`)
          .join(
            ", ",
          )}), ${run.cpuSeconds} s of CPU (the machine busy ${run.machineBusySeconds} s), ${run.tests.passed} tests passed, ${run.tests.failed} failed`,
      );
      for (const failure of run.failures) options.log(`    failed: ${failure}`);
    }
    return summarizeSuite(runs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
