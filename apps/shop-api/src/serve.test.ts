import { ManualClock } from "@ciba-testbed/shared";
import { afterEach, describe, expect, it, vi } from "vitest";

import { lateV8Flags } from "./serve.js";
import { untilSecondAfter } from "./store/open-shop-store.js";

describe("the V8 flags a shop sets for itself", () => {
  const embedded = { kind: "embedded", location: ":memory:" } as const;
  const postgres = { kind: "postgres", url: "postgres://shop@db/shop" } as const;

  it("give a short-lived shop's embedded database V8's baseline WebAssembly compiler alone", () => {
    expect(lateV8Flags({ shortLived: true, database: embedded })).toBe("--liftoff-only");
  });

  it("leave a long-lived shop, and one on PostgreSQL (no WebAssembly), as Node starts them", () => {
    expect(lateV8Flags({ shortLived: false, database: embedded })).toBeUndefined();
    expect(lateV8Flags({ shortLived: true, database: postgres })).toBeUndefined();
  });
});

describe("the wait after a shop's record of spent approvals began", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const NOW = Date.parse("2026-01-15T10:00:00.000Z");

  it("lasts to the next whole second after a record begun in this one, and no more", async () => {
    vi.useFakeTimers();
    const clock = new ManualClock(NOW + 300);
    let done = false;
    const waiting = untilSecondAfter(NOW + 300, clock).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(699);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
  });

  it("is none for a record begun at a whole second, or at an earlier start", async () => {
    vi.useFakeTimers();
    for (const began of [NOW, NOW - 86_400_000]) {
      let done = false;
      const waiting = untilSecondAfter(began, new ManualClock(NOW)).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(0);
      await waiting;
      expect(done).toBe(true);
    }
  });
});
