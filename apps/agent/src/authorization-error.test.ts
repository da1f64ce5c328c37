import { describe, expect, it } from "vitest";

import { classifyAuthorizationError } from "./authorization-error.js";
import { loadConfig } from "./config.js";

const config = loadConfig({});
const classify = (error: unknown, expired = false) =>
  classifyAuthorizationError(error, { config, expired });

const interrupt = (code: string, message = "m") => Object.assign(new Error(message), { code });
const oauth = (error: string, description = "d") =>
  Object.assign(new Error(description), { error, error_description: description });
const fetchFailed = (cause: unknown) =>
  Object.assign(new Error("request failed"), { cause: new TypeError("fetch failed", { cause }) });
const network = (code: string) => fetchFailed({ code });
/** What Node throws for a host with several addresses when every one refuses. */
const refusedEverywhere = () =>
  fetchFailed(
    new AggregateError([
      Object.assign(new Error("connect ECONNREFUSED ::1:4010"), { code: "ECONNREFUSED" }),
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4010"), { code: "ECONNREFUSED" }),
    ]),
  );

describe("classifyAuthorizationError", () => {
  it.each([
    [interrupt("ASYNC_AUTHORIZATION_ACCESS_DENIED"), false, "DENIED", "access_denied"],
    [interrupt("ASYNC_AUTHORIZATION_ACCESS_DENIED"), true, "EXPIRED", "access_denied"],
    [oauth("access_denied"), true, "EXPIRED", "access_denied"],
    [interrupt("ASYNC_AUTHORIZATION_AUTHORIZATION_REQUEST_EXPIRED"), false, "EXPIRED", undefined],
    [oauth("expired_token"), false, "EXPIRED", "expired_token"],
    [
      interrupt("ASYNC_AUTHORIZATION_USER_DOES_NOT_HAVE_PUSH_NOTIFICATIONS"),
      false,
      "REQUEST_REFUSED",
      "invalid_request",
    ],
    [
      interrupt(
        "ASYNC_AUTHORIZATION_USER_DOES_NOT_HAVE_PUSH_NOTIFICATIONS",
        "Service not found: x",
      ),
      false,
      "CONFIG_ERROR",
      "invalid_request",
    ],
    [interrupt("ASYNC_AUTHORIZATION_INVALID_GRANT"), false, "ERROR", "invalid_grant"],
    [interrupt("ASYNC_AUTHORIZATION_INVALID_GRANT"), true, "EXPIRED", "invalid_grant"],
    [oauth("unknown_user_id"), false, "REQUEST_REFUSED", "unknown_user_id"],
    [oauth("invalid_scope"), false, "REQUEST_REFUSED", "invalid_scope"],
    [
      oauth("invalid_authorization_details"),
      false,
      "REQUEST_REFUSED",
      "invalid_authorization_details",
    ],
    [oauth("invalid_client"), false, "CONFIG_ERROR", "invalid_client"],
    [network("SELF_SIGNED_CERT_IN_CHAIN"), false, "CONFIG_ERROR", "SELF_SIGNED_CERT_IN_CHAIN"],
    [
      network("UNABLE_TO_VERIFY_LEAF_SIGNATURE"),
      false,
      "CONFIG_ERROR",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    ],
    [network("CERT_UNTRUSTED"), false, "CONFIG_ERROR", "CERT_UNTRUSTED"],
    [
      network("ERR_TLS_CERT_ALTNAME_INVALID"),
      false,
      "CONFIG_ERROR",
      "ERR_TLS_CERT_ALTNAME_INVALID",
    ],
    [network("ECONNREFUSED"), false, "ERROR", "ECONNREFUSED"],
    [network("ENOTFOUND"), false, "ERROR", "ENOTFOUND"],
    [refusedEverywhere(), false, "ERROR", "ECONNREFUSED"],
    [new Error("boom"), false, "ERROR", undefined],
  ] as const)("%o (expired: %s) -> %s %s", (error, expired, outcome, code) => {
    const classified = classify(error, expired);
    expect(classified.outcome).toBe(outcome);
    expect(classified.error).toBe(code);
  });

  it("keeps Auth0's own description of a refused request", () => {
    const error = interrupt(
      "ASYNC_AUTHORIZATION_USER_DOES_NOT_HAVE_PUSH_NOTIFICATIONS",
      "binding_message contains invalid characters",
    );
    expect(classify(error).description).toBe("binding_message contains invalid characters");
  });

  it.each([
    [oauth("invalid_client"), "AUTH0_CLIENT_SECRET"],
    [oauth("unknown_user_id"), "AGENT_USER_ID"],
    [oauth("invalid_scope"), "SHOP_API_AUDIENCE"],
    [
      interrupt(
        "ASYNC_AUTHORIZATION_USER_DOES_NOT_HAVE_PUSH_NOTIFICATIONS",
        "Service not found: x",
      ),
      "SHOP_API_AUDIENCE",
    ],
    [network("SELF_SIGNED_CERT_IN_CHAIN"), "ca.pem"],
    [network("CERT_UNTRUSTED"), "ca.pem"],
    [network("ECONNREFUSED"), "pnpm mock-auth0"],
    [refusedEverywhere(), "pnpm mock-auth0"],
  ])("gives a one-sentence fix for %o", (error, mention) => {
    const { fix } = classify(error);
    expect(fix).toContain(mention);
    expect(fix?.match(/\. |\.$/g)).toHaveLength(1);
  });
});

describe("an untrusted local tenant", () => {
  it("names the CA file of MOCK_AUTH0_CERT_DIR in the fix", () => {
    const custom = loadConfig({ MOCK_AUTH0_CERT_DIR: "/tmp/my-certs" });
    const { description, fix } = classifyAuthorizationError(network("CERT_UNTRUSTED"), {
      config: custom,
      expired: false,
    });
    expect(description).toBe(
      "Node does not trust the TLS certificate of https://localhost:4010/ (CERT_UNTRUSTED).",
    );
    expect(fix).toContain("/tmp/my-certs/ca.pem");
  });
});
