import { ManualClock } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import type { IssuerCheckResult } from "./issuer-check.js";
import { cachedReadiness } from "./readiness.js";

function counted() {
  const result: IssuerCheckResult = {
    issuer: "https://localhost:4010/",
    metadataUrl: "https://localhost:4010/.well-known/openid-configuration",
    jwksUri: "https://localhost:4010/.well-known/jwks.json",
    keyCount: 1,
  };
  const check = Object.assign(
    () => {
      check.calls += 1;
      return Promise.resolve(result);
    },
    { calls: 0 },
  );
  return check;
}

/** A readiness cached 5 s, with a wall clock and a monotonic one the test moves apart. */
function cached() {
  const wall = new ManualClock();
  const monotonic = { ms: 1_000 };
  const check = counted();
  const ready = cachedReadiness(check, wall, 5_000, () => monotonic.ms);
  return { wall, monotonic, check, ready };
}

describe("cachedReadiness", () => {
  it("checks again once ttlMs has passed on the monotonic clock, whatever the wall clock did", async () => {
    const { wall, monotonic, check, ready } = cached();
    await ready();
    expect(check.calls).toBe(1);
    // The wall clock steps back an hour (NTP): the cached answer still ages.
    wall.advance(-3_600_000);
    monotonic.ms += 4_999;
    await ready();
    expect(check.calls).toBe(1);
    monotonic.ms += 1;
    const again = await ready();
    expect(check.calls).toBe(2);
    expect(again.checkedAt).toBe(wall.now());
  });

  it("keeps its answer for ttlMs when the wall clock steps forward", async () => {
    const { wall, monotonic, check, ready } = cached();
    await ready();
    wall.advance(3_600_000);
    monotonic.ms += 10;
    await ready();
    expect(check.calls).toBe(1);
  });
});
