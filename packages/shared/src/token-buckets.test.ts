import { describe, expect, it } from "vitest";

import { TokenBuckets } from "./token-buckets.js";

const T0 = 1_700_000_000_000;

describe("TokenBuckets: Auth0's token bucket", () => {
  it("lets a burst through, refuses the next and says when one more fits (per minute: every second)", () => {
    const buckets = new TokenBuckets({ burst: 5, sustained: 5, per: "minute" });
    for (let i = 4; i >= 0; i -= 1) {
      expect(buckets.take("alice", T0)).toMatchObject({ ok: true, limit: 5, remaining: i });
    }
    // 5 a minute: one request comes back every 12 s.
    expect(buckets.take("alice", T0)).toEqual({
      ok: false,
      limit: 5,
      remaining: 0,
      resetAt: T0 + 12_000,
      retryAfterSeconds: 12,
    });
    expect(buckets.take("alice", T0 + 11_999).ok).toBe(false);
    expect(buckets.take("alice", T0 + 12_000)).toMatchObject({ ok: true, remaining: 0 });
    expect(buckets.take("alice", T0 + 12_000)).toMatchObject({ ok: false, retryAfterSeconds: 12 });
  });

  it("keeps one bucket per key", () => {
    const buckets = new TokenBuckets({ burst: 1, sustained: 1, per: "minute" });
    expect(buckets.take("alice", T0).ok).toBe(true);
    expect(buckets.take("alice", T0).ok).toBe(false);
    expect(buckets.take("bob", T0).ok).toBe(true);
  });

  it("refills per minute in whole seconds, never above the burst", () => {
    const buckets = new TokenBuckets({ burst: 2, sustained: 60, per: "minute" });
    buckets.take("k", T0);
    buckets.take("k", T0);
    // 60 a minute is one a second; half a second adds nothing yet.
    expect(buckets.peek("k", T0 + 500)).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    expect(buckets.peek("k", T0 + 1_000)).toMatchObject({ ok: true, remaining: 1 });
    expect(buckets.peek("k", T0 + 3_600_000)).toMatchObject({ ok: true, remaining: 2 });
  });

  it("refills per second by the millisecond", () => {
    const buckets = new TokenBuckets({ burst: 100, sustained: 100, per: "second" });
    for (let i = 0; i < 100; i += 1) buckets.take("tenant", T0);
    expect(buckets.take("tenant", T0)).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    expect(buckets.take("tenant", T0 + 9).ok).toBe(false);
    expect(buckets.take("tenant", T0 + 10).ok).toBe(true);
  });

  it("reports the time the next request is added, or now when the bucket is full", () => {
    const buckets = new TokenBuckets({ burst: 5, sustained: 5, per: "minute" });
    expect(buckets.peek("k", T0)).toEqual({ ok: true, limit: 5, remaining: 5, resetAt: T0 });
    expect(buckets.take("k", T0 + 400)).toMatchObject({ remaining: 4, resetAt: T0 + 12_000 });
  });

  it("does not count a peek", () => {
    const buckets = new TokenBuckets({ burst: 1, sustained: 1, per: "minute" });
    expect(buckets.peek("k", T0).ok).toBe(true);
    expect(buckets.peek("k", T0).ok).toBe(true);
    expect(buckets.take("k", T0).ok).toBe(true);
    expect(buckets.peek("k", T0).ok).toBe(false);
  });

  it("forgets refilled buckets once there are many keys, and still limits the busy ones", () => {
    const buckets = new TokenBuckets({ burst: 1, sustained: 1, per: "second" });
    for (let i = 0; i < 10_001; i += 1) buckets.take(`ip-${i}`, T0);
    expect(buckets.take("busy", T0 + 1_000).ok).toBe(true);
    // Every old bucket refilled within the second and was forgotten; the busy one was not.
    expect(buckets.take("busy", T0 + 1_000).ok).toBe(false);
    expect(buckets.take("ip-1", T0 + 1_000).ok).toBe(true);
  });

  it("refuses a policy that cannot work", () => {
    expect(() => new TokenBuckets({ burst: 0, sustained: 1, per: "minute" })).toThrow(/burst/);
    expect(() => new TokenBuckets({ burst: 1, sustained: 0.5, per: "minute" })).toThrow(/rate/);
  });
});
