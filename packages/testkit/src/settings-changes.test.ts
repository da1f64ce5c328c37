import { tenantWith } from "@ciba-testbed/mock-auth0";
import { describe, expect, it } from "vitest";

import { settingsChanges } from "./settings-changes.js";

describe("settingsChanges", () => {
  it("turns every rate limit off for rateLimits: null, in settings the tenant loads", () => {
    const changes = settingsChanges({
      rateLimits: null,
      settings: { ciba: { intervalSeconds: 1 } },
    });
    expect(changes).toEqual({
      ciba: { intervalSeconds: 1, perUserRequestsPerMinute: null, perIpRequestsPerMinute: null },
      rateLimits: { authenticationApiRequestsPerSecond: null },
    });
    const tenant = tenantWith({ settings: (settings) => ({ ...settings, ...changes }) });
    expect(tenant.ciba).toMatchObject({
      perUserRequestsPerMinute: null,
      perIpRequestsPerMinute: null,
    });
    expect(tenant.rateLimits).toMatchObject({ authenticationApiRequestsPerSecond: null });
  });

  it("changes only the limits given, and nothing without options", () => {
    expect(settingsChanges({ rateLimits: { perUserRequestsPerMinute: 7 } })).toEqual({
      ciba: { perUserRequestsPerMinute: 7 },
    });
    expect(settingsChanges({})).toBe(undefined);
  });
});
