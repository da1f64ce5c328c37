/**
 * The parent's side of `gc-on-signal.ts`: asks the benchmarked process for a full garbage
 * collection and reads the memory it still uses.
 */
import { setTimeout as sleep } from "node:timers/promises";

import type { SupervisedChild } from "@ciba-testbed/stack/supervisor";

import { residentBytes } from "./rss.js";

const GC_TIMEOUT_MS = 5_000;
const RSS_SETTLE_AFTER_GC_MS = 1_000;

function parseMemoryReport(line: string): { rss: number; heapUsed: number } | undefined {
  if (!line.startsWith('{"benchMemoryAfterGc"')) return undefined;
  const { benchMemoryAfterGc } = JSON.parse(line) as {
    benchMemoryAfterGc: { rss: number; heapUsed: number };
  };
  return { rss: benchMemoryAfterGc.rss, heapUsed: benchMemoryAfterGc.heapUsed };
}

/** Resident memory and heap in use after a full collection in `child` (pid `pid`). */
export async function memoryAfterGc(
  child: SupervisedChild,
  pid: number,
): Promise<{ rss: number; heapUsed: number }> {
  const report = child.waitForLine(parseMemoryReport, GC_TIMEOUT_MS, "a memory report");
  child.signal("SIGUSR2");
  const { heapUsed } = await report;
  // Freed pages leave the resident set a moment after the collection, not during it.
  await sleep(RSS_SETTLE_AFTER_GC_MS);
  return { heapUsed, rss: (await residentBytes(pid)) ?? Number.NaN };
}
