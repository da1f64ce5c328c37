import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { describe, expect, it, vi } from "vitest";

import { describeMachine } from "../scripts/bench/machine.js";
import { renderTable } from "../scripts/bench/report.js";
import { machineBusySeconds, waitedChildrenCpuSeconds } from "../scripts/bench/rss.js";
import { SUITE_TARGET_SECONDS, summarizeSuite, timed } from "../scripts/bench/suite-time.js";
import type { SuiteResult, SuiteRun } from "../scripts/bench/suite-time.js";
import type { FileCpu } from "./support/cpu-per-file.js";

function run(
  totalSeconds: number,
  exitCodes: Record<string, number> = {},
  cpuSeconds = totalSeconds * 1.8,
  machineBusySeconds = cpuSeconds,
): SuiteRun {
  return {
    totalSeconds,
    cpuSeconds,
    machineBusySeconds,
    steps: { build: 0.5, check: 5, "format:check": 4, vitest: totalSeconds - 0.5 },
    exitCodes: { build: 0, check: 0, "format:check": 0, vitest: 0, ...exitCodes },
    tests: { passed: 10, failed: 0, files: 2 },
    failures: [],
    slowestFiles: [{ file: `test/${String(totalSeconds)}.test.ts`, seconds: totalSeconds / 2 }],
    filesCpuSeconds: cpuSeconds * 0.8,
    heaviestFiles: [
      {
        file: `test/${String(totalSeconds)}-heavy.test.ts`,
        seconds: cpuSeconds / 4,
        processSeconds: cpuSeconds / 5,
      },
    ],
  };
}

/** The cells of the table's row whose figure starts with `figure`: median, min, max, target. */
function cellsOf(suiteTime: SuiteResult, figure: string): string[] | undefined {
  const table = renderTable({
    startedAt: new Date(0).toISOString(),
    wallSeconds: 1,
    command: "pnpm bench --with-suite",
    machine: describeMachine(),
    suiteTime,
  });
  return table
    .split("\n")
    .find((line) => line.startsWith(`| ${figure}`))
    ?.split("|")
    .slice(2, 6)
    .map((cell) => cell.trim());
}

/** The target cell of the table's total row. */
const verdictOf = (suiteTime: SuiteResult) => cellsOf(suiteTime, "4. pnpm test total s ")?.[3];

/** A Node process that uses `ms` of CPU, after starting one like it when `child` is set. */
function burner(ms: number, child?: number): string[] {
  const script = `
    const { spawnSync } = require("node:child_process");
    ${child === undefined ? "" : `spawnSync(process.execPath, ["-e", ${JSON.stringify(`const t = process.cpuUsage(); for (let u = process.cpuUsage(t); u.user + u.system < ${String(child * 1000)}; u = process.cpuUsage(t));`)}]);`}
    const t = process.cpuUsage();
    for (let u = process.cpuUsage(t); u.user + u.system < ${String(ms * 1000)}; u = process.cpuUsage(t));`;
  return ["-e", script];
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

  it("reports the CPU of the runs' processes and of the machine, and the shortest run that allows", () => {
    const result = summarizeSuite(
      [run(100, {}, 150, 180), run(120, {}, 160, 192), run(90, {}, 140, 171)],
      2,
    );
    expect(result.cpuSeconds).toMatchObject({ median: 150, min: 140, max: 160 });
    expect(cellsOf(result, "   CPU s, every process of the run waited for")).toEqual([
      "150.0",
      "140.0",
      "160.0",
      "",
    ]);
    expect(cellsOf(result, "   CPU s, the whole machine busy during the run")).toEqual([
      "180.0",
      "171.0",
      "192.0",
      "",
    ]);
    expect(
      cellsOf(result, "   machine's CPU s / 2 cores: the shortest this work can run here"),
    ).toEqual(["90.0", "85.5", "96.0", ""]);
    expect(cellsOf(result, "   cores busy (machine's CPU / (total x 2))")).toEqual([
      "0.90",
      "0.80",
      "0.95",
      "",
    ]);
    // Where it goes: the test files' share, and the heaviest files of the median run.
    expect(cellsOf(result, "   test files' CPU s")).toEqual(["120.0", "112.0", "128.0", ""]);
    expect(
      cellsOf(result, "   heavy file: test/100-heavy.test.ts, CPU s (30.0 in its processes)"),
    ).toEqual(["37.5", "", "", ""]);
  });

  it("counts the CPU of a step's processes and of the processes they waited for", async () => {
    const before = waitedChildrenCpuSeconds();
    const step = await timed(process.execPath, burner(200, 200));
    const used = waitedChildrenCpuSeconds() - before;
    expect(step).toMatchObject({ exitCode: 0, timedOut: false });
    expect(used).toBeGreaterThanOrEqual(0.4);
  });

  it("counts on the machine the CPU of a process no one waited for, which the waited count misses", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "bench-orphan-"));
    try {
      const done = path.join(dir, "done");
      // The step starts a process of its own and ends at once, without waiting for it: that
      // process then uses 300 ms of CPU, and says so in a file.
      const orphan = `const t = process.cpuUsage(); for (let u = process.cpuUsage(t); u.user + u.system < 300000; u = process.cpuUsage(t)); require("node:fs").writeFileSync(${JSON.stringify(done)}, "")`;
      const starter = `require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(orphan)}], { detached: true, stdio: "ignore" }).unref()`;
      const waitedBefore = waitedChildrenCpuSeconds();
      const machineBefore = machineBusySeconds();
      expect(await timed(process.execPath, ["-e", starter])).toMatchObject({ exitCode: 0 });
      await expect.poll(() => existsSync(done)).toBe(true);
      expect(machineBusySeconds() - machineBefore).toBeGreaterThanOrEqual(0.3);
      expect(waitedChildrenCpuSeconds() - waitedBefore).toBeLessThan(0.3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("counts each test file's CPU: its worker's, and its processes' once the file stopped them", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "bench-cpu-per-file-"));
    try {
      const cpuFile = path.join(dir, "cpu.jsonl");
      // The fixture uses 200 ms of its worker's CPU in a test, and starts a process that uses
      // 300 ms and runs until the file's afterAll stops it.
      await promisify(execFile)(
        process.execPath,
        [
          path.join(REPO_ROOT, "node_modules/vitest/vitest.mjs"),
          "run",
          "--config",
          "test/fixtures/cpu-per-file/vitest.config.ts",
        ],
        { cwd: REPO_ROOT, env: { ...process.env, SUITE_CPU_FILE: cpuFile } },
      );
      const lines = (await readFile(cpuFile, "utf8")).trim().split("\n");
      const files = lines.map((line) => JSON.parse(line) as FileCpu);
      expect(files).toEqual([
        {
          file: "test/fixtures/cpu-per-file/burns.fixture.ts",
          ownMs: expect.any(Number),
          childrenMs: expect.any(Number),
        },
      ]);
      expect(files[0]?.ownMs).toBeGreaterThanOrEqual(200);
      expect(files[0]?.childrenMs).toBeGreaterThanOrEqual(300);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("stops a step that runs past its time and says so", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const step = timed(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {}, 60_000);
      vi.advanceTimersByTime(60_000);
      expect(await step).toMatchObject({ exitCode: 128, timedOut: true });
    } finally {
      vi.useRealTimers();
    }
  });

  it("never calls a run that failed a check fast", () => {
    const failed = summarizeSuite([run(40), run(41, { check: 1 }), run(42)]);
    expect(failed.failed).toBe(true);
    expect(failed.targets.met).toBe(false);
    expect(verdictOf(failed)).toBe("<= 60: MISSED");
    expect(verdictOf(summarizeSuite([]))).toBe("<= 60: MISSED");
  });
});
