import { describe, expect, it } from "vitest";

import type { Load } from "../scripts/bench/capacity-load.js";
import { loadFigures } from "../scripts/bench/capacity-run.js";

/**
 * A 10 s load: slots joined over the first second and were warm at 3 s; the last flow started
 * at 9 s. `answers` lists each poll's time (ms from the start), latency and kind.
 */
type Answer = readonly [at: number, ms: number, kind: "pending" | "issued"];

function load(answers: readonly Answer[]): Load {
  const pick = (kind: "pending" | "issued", field: 0 | 1) =>
    answers.filter((a) => a[2] === kind).map((a) => a[field]);
  return {
    polls: answers.length,
    pollTimes: answers.map((a) => a[0]),
    tokenMs: answers.map((a) => a[1]),
    pendingMs: pick("pending", 1),
    pendingAt: pick("pending", 0),
    issuedMs: pick("issued", 1),
    issuedAt: pick("issued", 0),
    bcAuthorizeMs: [],
    unexpected: new Map(),
    completed: answers.filter((a) => a[2] === "issued").length,
    started: answers.filter((a) => a[2] === "issued").length,
    unfinished: 0,
    start: 0,
    rampUpMs: 1_000,
    warmedAt: 3_000,
    lastStart: 9_000,
    end: 10_000,
    cpu: { user: 0, system: 0 },
  };
}

describe("the tenant capacity's load figures", () => {
  // Warm-up answers are slow, steady ones fast, and the tail after the last start is left out.
  const answers: Answer[] = [
    ...Array.from({ length: 50 }, (_, i) => [1_000 + i * 40, 400, "pending"] as const),
    ...Array.from({ length: 50 }, (_, i) => [1_020 + i * 40, 600, "issued"] as const),
    ...Array.from({ length: 600 }, (_, i) => [3_000 + i * 10, 20 + (i % 10), "pending"] as const),
    ...Array.from({ length: 600 }, (_, i) => [3_005 + i * 10, 40 + (i % 10), "issued"] as const),
    [9_500, 900, "pending"] as const,
    [9_600, 900, "issued"] as const,
  ];

  it("count polls/s and the steady p99s from when every slot was warm to the last start", () => {
    const figures = loadFigures(load(answers));
    expect(figures.sustainedPollsPerSecond).toBe(200);
    expect(figures.steady).toEqual({ pendingP99Ms: 29, issuedP99Ms: 49 });
    // The whole run's p99s still count the warm-up and the tail.
    expect(figures.pendingP99Ms).toBe(400);
    expect(figures.issuedP99Ms).toBe(600);
  });

  it("start the window at the ramp's end when a slot never finished a flow", () => {
    const figures = loadFigures({ ...load(answers), warmedAt: undefined });
    expect(figures.steady.issuedP99Ms).toBe(600);
    expect(figures.sustainedPollsPerSecond).toBe(Math.round(1_300 / 8));
  });
});
