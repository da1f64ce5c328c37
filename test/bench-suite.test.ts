import { describe, expect, it } from "vitest";

import { describeMachine } from "../scripts/bench/machine.js";
import { renderTable } from "../scripts/bench/report.js";
import { SUITE_TARGET_SECONDS, summarizeSuite } from "../scripts/bench/suite-time.js";
import type { SuiteResult, SuiteRun } from "../scripts/bench/suite-time.js";

function run(totalSeconds: number, exitCodes: Record<string, number> = {}): SuiteRun {
  return {
    totalSeconds,
    steps: { build: 0.5, check: 5, "format:check": 4, vitest: totalSeconds - 0.5 },
    exitCodes: { build: 0, check: 0, "format:check": 0, vitest: 0, ...exitCodes },
    tests: { passed: 10, failed: 0, files: 2 },
    failures: [],
    slowestFiles: [{ file: `test/${String(totalSeconds)}.test.ts`, seconds: totalSeconds / 2 }],
  };
}

/** The target cell of the table's total row. */
function verdictOf(suiteTime: SuiteResult): string | undefined {
  const table = renderTable({
    startedAt: new Date(0).toISOString(),
    wallSeconds: 1,
    command: "pnpm bench --with-suite",
    machine: describeMachine(),
    suiteTime,
  });
  return table
    .split("\n")
    .find((line) => line.startsWith("| 4. pnpm test total s "))
    ?.split("|")[5]
    ?.trim();
}

describe("pnpm bench --with-suite", () => {
  it(`judges the median run against ${String(SUITE_TARGET_SECONDS)} s and names the median run's slowest files`, () => {
    const slow = summarizeSuite([run(58), run(189), run(61)]);
    expect(slow.totalSeconds).toMatchObject({ median: 61, min: 58, max: 189 });
    expect(slow.targets).toEqual({ atMostSeconds: 60, met: false });
    expect(slow.slowestFiles).toEqual([{ file: "test/61.test.ts", seconds: 30.5 }]);
    expect(verdictOf(slow)).toBe("<= 60: MISSED");

    const fast = summarizeSuite([run(58), run(189), run(60)]);
    expect(fast.targets.met).toBe(true);
    expect(verdictOf(fast)).toBe("<= 60: met");
  });

  it("never calls a run that failed a check fast", () => {
    const failed = summarizeSuite([run(40), run(41, { check: 1 }), run(42)]);
    expect(failed.failed).toBe(true);
    expect(failed.targets.met).toBe(false);
    expect(verdictOf(failed)).toBe("<= 60: MISSED");
    expect(verdictOf(summarizeSuite([]))).toBe("<= 60: MISSED");
  });
});
