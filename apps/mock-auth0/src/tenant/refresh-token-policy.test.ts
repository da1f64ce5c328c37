import { describe, expect, it } from "vitest";

import { refreshTokenPolicy } from "./refresh-token-policy.js";

describe("a client's refresh_token settings", () => {
  it("defaults to Auth0's: non-rotating and non-expiring", () => {
    expect(refreshTokenPolicy(undefined)).toEqual({
      policy: {
        rotating: false,
        absoluteLifetimeSeconds: undefined,
        idleLifetimeSeconds: undefined,
        leewaySeconds: 0,
      },
    });
  });

  it("gives a rotating token Auth0's 30 days, idle and at most", () => {
    expect(
      refreshTokenPolicy({ rotation_type: "rotating", expiration_type: "expiring", leeway: 3 }),
    ).toEqual({
      policy: {
        rotating: true,
        absoluteLifetimeSeconds: 2_592_000,
        idleLifetimeSeconds: 2_592_000,
        leewaySeconds: 3,
      },
    });
  });

  it("takes the lifetimes given, and infinite ones", () => {
    expect(
      refreshTokenPolicy({
        expiration_type: "expiring",
        token_lifetime: 600,
        infinite_idle_token_lifetime: true,
      }),
    ).toEqual({
      policy: {
        rotating: false,
        absoluteLifetimeSeconds: 600,
        idleLifetimeSeconds: undefined,
        leewaySeconds: 0,
      },
    });
  });

  it("refuses what Auth0 refuses: rotation without expiry, an idle lifetime over the maximum", () => {
    expect(
      refreshTokenPolicy({ rotation_type: "rotating", expiration_type: "non-expiring" }),
    ).toEqual({
      problem: { path: ["expiration_type"], message: expect.stringMatching(/must expire/) },
    });
    expect(
      refreshTokenPolicy({
        expiration_type: "expiring",
        token_lifetime: 60,
        idle_token_lifetime: 120,
      }),
    ).toEqual({
      problem: { path: ["idle_token_lifetime"], message: expect.stringMatching(/cannot exceed/) },
    });
  });
});
