/**
 * A Vitest setup file that `pnpm bench --with-suite` adds (vitest.config.ts, when
 * SUITE_CPU_FILE is set): the CPU time each test file costs, written as one JSON line per file
 * to SUITE_CPU_FILE. `pnpm test` is short of CPU, not waiting (the bench's suite part), so this,
 * not a file's wall time under contention, says where a run's time goes.
 *
 * A worker runs its files one after the other, and this file runs again before each (before the
 * test file is imported): from here to the end of the file's last `afterAll`, the worker's own
 * CPU (`ownMs`: importing, the apps and servers it runs in-process, the tests' own work) and
 * that of the processes it started and waited for (`childrenMs`: agents, shops, tenants,
 * browsers, Redis, PostgreSQL, npm). A process still running when the file ends is counted
 * when its worker waits for it: the stacks the files of one worker share are counted for none.
 */
import { appendFileSync } from "node:fs";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { afterAll, expect } from "vitest";

import { waitedChildrenCpuSeconds } from "../../scripts/bench/rss.js";

export interface FileCpu {
  /** The test file, relative to the repository. */
  file: string;
  ownMs: number;
  childrenMs: number;
}

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

const out = process.env.SUITE_CPU_FILE;
const testPath = expect.getState().testPath;
if (out && testPath !== undefined) {
  const file = path.relative(REPO_ROOT, testPath);
  const own = process.cpuUsage();
  const children = waitedChildrenCpuSeconds();
  // Registered first, so it runs after the test file's own afterAll hooks (Vitest runs them in
  // reverse), once its servers and processes are stopped.
  afterAll(() => {
    const line: FileCpu = {
      file,
      ownMs: Math.round(cpuMs(process.cpuUsage(own))),
      childrenMs: Math.round((waitedChildrenCpuSeconds() - children) * 1000),
    };
    appendFileSync(out, `${JSON.stringify(line)}\n`);
  });
}
