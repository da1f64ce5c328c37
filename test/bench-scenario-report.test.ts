import { describe, expect, it } from "vitest";

import { describeMachine } from "../scripts/bench/machine.js";
import { renderTable } from "../scripts/bench/report.js";
import { SCENARIO_TARGET_MS, SPLIT } from "../scripts/bench/scenario-overhead.js";
import type { PathResult, ScenarioResult } from "../scripts/bench/scenario-overhead.js";
import { spread } from "../scripts/bench/stats.js";

/** A path measured three times, every part of its split the same `ms`. */
function path(waitMs: number, overheads: number[], ms: number): PathResult {
  return {
    waitMs,
    expected: "ORDERED",
    overheadMs: spread(overheads),
    wallMs: spread(overheads.map((overhead) => overhead + waitMs)),
    failedRuns: 0,
    runs: [],
    ...(Object.fromEntries(SPLIT.map((key) => [key, spread([ms, ms, ms])])) as Record<
      (typeof SPLIT)[number],
      PathResult["overheadMs"]
    >),
  };
}

function table(scenario: ScenarioResult): string[] {
  return renderTable({
    startedAt: new Date(0).toISOString(),
    wallSeconds: 1,
    command: "pnpm bench --only scenario",
    machine: describeMachine(),
    scenarioOverhead: scenario,
  }).split("\n");
}

const cellsOf = (lines: string[], figure: string) =>
  lines
    .find((line) => line.startsWith(`| ${figure} `))
    ?.split("|")
    .slice(2, 6)
    .map((cell) => cell.trim());

describe("pnpm bench's scenario part", () => {
  const measured: ScenarioResult = {
    status: "measured",
    tenantIntervalSeconds: 1,
    paths: {
      approve: path(1000, [284, 278, 344], 20),
      deny: path(1000, [266, 248, 406], 20),
      timeout: path(2000, [236, 232, 259], 20),
    },
    failed: false,
    targets: { overheadBelowMs: SCENARIO_TARGET_MS, met: true },
  };

  it("reports the testkit's startTestbed() to ready beside the CLI's starts", () => {
    const lines = table({ ...measured, testbedStartMs: spread([1160, 1126, 1125]) });
    const testbed = cellsOf(lines, "   start alone: startTestbed() (testkit) to ready ms");
    const approve = cellsOf(lines, "3. approve: overhead ms (wall - 1000 ms asked for)");
    expect(testbed).toEqual(["1126", "1125", "1160", ""]);
    expect(approve).toEqual(["284", "278", "344", "< 300: met"]);
  });

  it("has no such row in results written before it was measured", () => {
    expect(table(measured).some((line) => line.includes("startTestbed()"))).toBe(false);
  });
});
