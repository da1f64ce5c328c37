import { describe, expect, it } from "vitest";

import { ManualClock } from "./clock.js";

describe("ManualClock", () => {
  it("moves only when advanced or slept, and records each sleep", async () => {
    const clock = new ManualClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(500);
    await clock.sleep(250);
    expect(clock.now()).toBe(1_750);
    expect(clock.sleeps).toEqual([250]);
  });
});
