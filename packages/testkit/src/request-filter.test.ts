import { describe, expect, it } from "vitest";

import { matches, mayBeRefusalOf } from "./request-filter.js";
import type { ConsentRequest, TenantRefusal } from "./wire.js";

const request = (bindingMessage: string) =>
  ({
    status: "pending",
    user: "auth0|testbed-user",
    client_id: "ciba-testbed-agent",
    binding_message: bindingMessage,
    created_at: "2030-01-01T12:00:00.000Z",
  }) as ConsentRequest;

describe("a request filter's bindingMessage", () => {
  it("matches every request a global or sticky pattern matches, not every other one", () => {
    const three = ["Buy 1 XYZ phone", "Buy 2 XYZ phone", "Buy 3 XYZ phone"].map(request);
    for (const pattern of [/XYZ/g, /Buy/y, /xyz/gi]) {
      expect(
        three.filter((r) => matches(r, { bindingMessage: pattern })),
        String(pattern),
      ).toEqual(three);
      expect(pattern.lastIndex).toBe(0);
    }
    const refusal = { binding_message: "Buy 4 XYZ phone", user: null, client_id: null };
    const refusals = [refusal, refusal] as TenantRefusal[];
    expect(refusals.filter((r) => mayBeRefusalOf(r, { bindingMessage: /XYZ/g }))).toHaveLength(2);
  });

  it("is an exact binding message when it is a string", () => {
    expect(matches(request("Buy 2 XYZ phone"), { bindingMessage: "Buy 2 XYZ phone" })).toBe(true);
    expect(matches(request("Buy 2 XYZ phones"), { bindingMessage: "Buy 2 XYZ phone" })).toBe(false);
  });
});
