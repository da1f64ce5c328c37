import { describe, expect, it } from "vitest";

import { OAuthError } from "./oauth-error.js";

describe("OAuthError", () => {
  it("answers below 500 carry no stack frames: they are the protocol working, not a fault", () => {
    const pending = new OAuthError(
      400,
      "authorization_pending",
      "The end-user authorization is pending",
    );
    expect(pending.stack).toBe(
      "OAuthError: authorization_pending: The end-user authorization is pending",
    );
    expect(pending.toJSON()).toEqual({
      error: "authorization_pending",
      error_description: "The end-user authorization is pending",
    });
  });

  it("a 5xx keeps its stack for the log, and other errors keep theirs afterwards", () => {
    const limit = Error.stackTraceLimit;
    const fault = new OAuthError(500, "server_error", "The tenant failed");
    expect(fault.stack).toMatch(/^OAuthError: server_error: The tenant failed\n\s+at /);
    new OAuthError(429, "slow_down", "Too fast");
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error("plain").stack).toMatch(/\n\s+at /);
  });
});
