import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { z } from "zod";

import { TEST_CHECKS, scriptStep, withWorkspaceBinaries } from "../test-steps.js";
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

export interface SuiteRun {
  totalSeconds: number;
  steps: Record<string, number>;
  exitCodes: Record<string, number>;
  tests: { passed: number; failed: number; files: number };
  /** Each failed test: its file, its full name and the first line of its first failure. */
  failures: string[];
  slowestFiles: SuiteFile[];
}

export interface SuiteResult {
  totalSeconds: Spread;
  /** Met when every run passed and the median run took at most `atMostSeconds`. */
  targets: { atMostSeconds: number; met: boolean };
  steps: Record<string, Spread>;
  /** The slowest test files of the run whose total was the median. */
  slowestFiles: SuiteFile[];
  failed: boolean;
  runs: SuiteRun[];
}

// `pnpm test` (scripts/test.ts) makes sure build/ is current, then runs its checks and vitest
// all at once, each as it does (test-steps.ts): the total is the build check's time plus the
// slowest of the three, and each one's own time says where it goes.
const SUITE_TIMEOUT_MS = 5 * 60_000;
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

function timed(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; shell?: boolean } = {},
): Promise<{ seconds: number; exitCode: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, cwd: REPO_ROOT, stdio: "ignore" });
    const timer = setTimeout(() => child.kill("SIGKILL"), SUITE_TIMEOUT_MS);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({
        seconds: round((performance.now() - started) / 1000, 1),
        exitCode: code ?? (signal === null ? 1 : 128),
      });
    });
  });
}

async function oneRun(options: SuiteOptions, dir: string): Promise<SuiteRun> {
  const steps: Record<string, number> = {};
  const exitCodes: Record<string, number> = {};
  const started = performance.now();
  const build = await timed("pnpm", ["build"]);
  steps.build = build.seconds;
  exitCodes.build = build.exitCode;
  const reportFile = path.join(dir, "vitest.json");
  const [checks, tests] = await Promise.all([
    Promise.all(
      TEST_CHECKS.map(async (name) => {
        const step = scriptStep(name);
        return { name, ...(await timed(step.command, [], { env: step.env, shell: true })) };
      }),
    ),
    timed("vitest", ["run", "--reporter=json", `--outputFile=${reportFile}`], {
      env: withWorkspaceBinaries(),
    }),
  ]);
  const totalSeconds = round((performance.now() - started) / 1000, 1);
  for (const { name, seconds, exitCode } of checks) {
    steps[name] = seconds;
    exitCodes[name] = exitCode;
  }
  steps.vitest = tests.seconds;
  exitCodes.vitest = tests.exitCode;
  const report = vitestReport.parse(JSON.parse(await readFile(reportFile, "utf8")));
  const slowestFiles = report.testResults
    .map((result) => ({
      file: path.relative(REPO_ROOT, result.name),
      seconds: round((result.endTime - result.startTime) / 1000, 1),
    }))
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, options.slowest);
  return {
    totalSeconds,
    steps,
    exitCodes,
    tests: {
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      files: report.testResults.length,
    },
    failures: report.testResults.flatMap((result) => {
      const file = path.relative(REPO_ROOT, result.name);
      const failed = result.assertionResults
        .filter((test) => test.status === "failed")
        .map((test) => `${file} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
      return failed.length === 0 && result.message
        ? [`${file}: ${firstLine(result.message)}`]
        : failed;
    }),
    slowestFiles,
  };
}

/** The runs' figures: each step's spread, the median run's slowest files, and the target. */
export function summarizeSuite(runs: SuiteRun[]): SuiteResult {
  const totals = spread(runs.map((r) => r.totalSeconds));
  const medianRun = runs.find((r) => r.totalSeconds === totals.median) ?? runs[0];
  const stepNames = Object.keys(runs[0]?.steps ?? {});
  const failed = runs.some((r) => Object.values(r.exitCodes).some((code) => code !== 0));
  return {
    totalSeconds: totals,
    targets: {
      atMostSeconds: SUITE_TARGET_SECONDS,
      met: !failed && totals.median <= SUITE_TARGET_SECONDS,
    },
    steps: Object.fromEntries(
      stepNames.map((name) => [name, spread(runs.map((r) => r.steps[name] ?? Number.NaN))]),
    ),
    slowestFiles: medianRun?.slowestFiles ?? [],
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
          .join(", ")}), ${run.tests.passed} tests passed, ${run.tests.failed} failed`,
      );
      for (const failure of run.failures) options.log(`    failed: ${failure}`);
    }
    return summarizeSuite(runs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
