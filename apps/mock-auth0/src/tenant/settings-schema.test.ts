import { describe, expect, it } from "vitest";

import { settingsSchema } from "./settings-schema.js";

describe("mock-auth0.json's schema", () => {
  it("answers as Auth0 by default: its expiry answer, its limits, its 5 s interval", () => {
    const settings = settingsSchema.parse({});
    expect(settings.ciba).toMatchObject({
      intervalSeconds: 5,
      maxExpiresInSeconds: 300,
      expiredError: "access_denied",
      perUserRequestsPerMinute: 5,
      perIpRequestsPerMinute: 500,
    });
    expect(settings.rateLimits).toEqual({
      authenticationApiRequestsPerSecond: 100,
      userinfoRequestsPerMinute: 5,
      userinfoBurst: 10,
    });
  });

  it("takes a $comment that says why, and still refuses a key it does not know", () => {
    const why = "The suites send one person more than 5 requests a minute.";
    expect(
      settingsSchema.parse({
        $comment: why,
        ciba: { $comment: why, perUserRequestsPerMinute: null },
        rateLimits: { $comment: why, authenticationApiRequestsPerSecond: null },
      }).ciba.perUserRequestsPerMinute,
    ).toBeNull();
    expect(settingsSchema.safeParse({ ciba: { comment: why } }).success).toBe(false);
  });

  it("keeps maxExpiresInSeconds within Auth0's push range: e-mail requests live as long as asked", () => {
    expect(settingsSchema.safeParse({ ciba: { maxExpiresInSeconds: 300 } }).success).toBe(true);
    expect(settingsSchema.safeParse({ ciba: { maxExpiresInSeconds: 301 } }).success).toBe(false);
  });
});
