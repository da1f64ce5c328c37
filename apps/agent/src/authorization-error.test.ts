import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The local tenant's own certificates: a CA and a `localhost` certificate it signed.
import { ensureLocalCertificates } from "../../mock-auth0/src/certificates.js";
import {
  classifyAuthorizationError,
  pollFailure,
  unansweredUntilExpiry,
} from "./authorization-error.js";
import { loadConfig } from "./config.js";
import { trustCertificates } from "./local-tenant-trust.js";

const config = loadConfig({});
const NOW = Date.parse("2026-01-01T00:00:00Z");
const classify = (error: unknown, expired = false, requestSent = expired) =>
  classifyAuthorizationError(error, { config, expired, requestSent, now: NOW });

const interrupt = (code: string, message = "m") => Object.assign(new Error(message), { code });
const oauth = (error: string, description = "d") =>
  Object.assign(new Error(description), { error, error_description: description });
const fetchFailed = (cause: unknown) =>
  Object.assign(new Error("request failed"), { cause: new TypeError("fetch failed", { cause }) });
const network = (code: string) => fetchFailed({ code });
const status = (statusCode: number, error: Error) => Object.assign(error, { statusCode });
/** The `auth0` SDK's error for an answer whose body is not JSON. */
const responseError = (statusCode: number, body: string) =>
  Object.assign(new Error("Response returned an error code"), { statusCode, body });
/** What Node throws for a host with several addresses when every one refuses. */
const refusedEverywhere = () =>
  fetchFailed(
    new AggregateError([
      Object.assign(new Error("connect ECONNREFUSED ::1:4010"), { code: "ECONNREFUSED" }),
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4010"), { code: "ECONNREFUSED" }),
    ]),
  );

/** An `AuthApiError` of the auth0 SDK as `@auth0/ai` hands it to onUnauthorized. */
const tooManyRequests = (headers: Record<string, string>, description?: string) =>
  Object.assign(new Error(description ?? "too_many_requests"), {
    error: "too_many_requests",
    ...(description === undefined ? {} : { error_description: description }),
    statusCode: 429,
    headers: new Headers(headers),
  });

describe("classifyAuthorizationError", () => {
  it.each([
    [interrupt("ASYNC_AUTHORIZATION_ACCESS_DENIED"), false, "DENIED", "access_denied"],
    // Auth0's answer to a wrong client secret at /oauth/token: no person denied anything.
    [
      interrupt("ASYNC_AUTHORIZATION_ACCESS_DENIED", "Unauthorized"),
      false,
      "CONFIG_ERROR",
      "access_denied",
    ],
    [oauth("access_denied", "Unauthorized"), true, "CONFIG_ERROR", "access_denied"],
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
    [oauth("access_denied", "Service not found: x"), false, "CONFIG_ERROR", "access_denied"],
    [oauth("access_denied", "Service not found: x"), true, "CONFIG_ERROR", "access_denied"],
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
    [network("UND_ERR_CONNECT_TIMEOUT"), false, "ERROR", "UND_ERR_CONNECT_TIMEOUT"],
    // /bc-authorize may have reached the tenant, which may have pushed it: no refusal, and the
    // tenant was reached.
    [status(500, oauth("server_error")), false, "ERROR", "request_unconfirmed"],
    [status(503, oauth("temporarily_unavailable")), false, "ERROR", "request_unconfirmed"],
    [responseError(502, "<html>Bad gateway</html>"), false, "ERROR", "request_unconfirmed"],
    [network("ECONNRESET"), false, "ERROR", "request_unconfirmed"],
    [network("UND_ERR_SOCKET"), false, "ERROR", "request_unconfirmed"],
    [network("ETIMEDOUT"), false, "ERROR", "request_unconfirmed"],
    [refusedEverywhere(), false, "ERROR", "ECONNREFUSED"],
    [new Error("boom"), false, "ERROR", undefined],
  ] as const)("%o (expired: %s) -> %s %s", (error, expired, outcome, code) => {
    const classified = classify(error, expired);
    expect(classified.outcome).toBe(outcome);
    expect(classified.error).toBe(code);
  });

  it.each([
    [interrupt("ASYNC_AUTHORIZATION_AUTHORIZATION_REQUEST_EXPIRED"), false],
    [interrupt("ASYNC_AUTHORIZATION_ACCESS_DENIED"), true],
    [oauth("expired_token"), false],
    [interrupt("ASYNC_AUTHORIZATION_INVALID_GRANT"), true],
  ])("gives an expiry (%o, expired: %s) the fix of answering in time", (error, expired) => {
    expect(classify(error, expired).fix).toBe(
      "Ask again if the purchase is still wanted, and have auth0|testbed-user approve it on their device before it expires (--expiry or AGENT_REQUESTED_EXPIRY, now 300 s, sets how long, up to 300 s for a push).",
    );
  });

  it("names how long the tenant gave, and the email, in an expiry's fix", () => {
    const email = { ...config, requestedExpiry: 3600 };
    const context = { config: email, expired: true, requestSent: true, now: NOW, expiresIn: 3600 };
    expect(classifyAuthorizationError(oauth("access_denied"), context).fix).toBe(
      "Ask again if the purchase is still wanted, and have auth0|testbed-user approve it from Auth0's email before it expires (this one allowed 3600 s; --expiry or AGENT_REQUESTED_EXPIRY, now 3600 s, sets how long).",
    );
  });

  it.each([
    // @auth0/ai's name for every invalid_request; the description tells the causes apart.
    [
      interrupt(
        "ASYNC_AUTHORIZATION_USER_DOES_NOT_HAVE_PUSH_NOTIFICATIONS",
        "User auth0|testbed-user is not enrolled in push notifications (Guardian), and there is no email to fall back to",
      ),
      "Enroll auth0|testbed-user in Guardian push notifications on the tenant (or enable the email channel for the application and verify their email address), or act for another user with --user or AGENT_USER_ID.",
    ],
    [
      interrupt(
        "ASYNC_AUTHORIZATION_USER_DOES_NOT_HAVE_PUSH_NOTIFICATIONS",
        "requested_expiry 3600 is over 300 s, which Auth0 sends by email, but client c has no email channel",
      ),
      "Set --expiry or AGENT_REQUESTED_EXPIRY (now 300 s) to 1-300 s for a push, or keep 301-259200 s and enable the email channel for the application and a verified email address for auth0|testbed-user.",
    ],
    [
      interrupt(
        "ASYNC_AUTHORIZATION_USER_DOES_NOT_HAVE_PUSH_NOTIFICATIONS",
        "binding_message contains invalid characters",
      ),
      "Make the tenant localhost:4010 accept the binding message the agent writes (at most 64 characters: A-Z, a-z, 0-9, spaces and +-_.,:#), or change purchaseBindingMessage in packages/shared to the form Auth0 names.",
    ],
    [
      interrupt(
        "ASYNC_AUTHORIZATION_USER_DOES_NOT_HAVE_PUSH_NOTIFICATIONS",
        "openid scope must be requested",
      ),
      "Check the tenant localhost:4010's CIBA settings for the application ciba-testbed-agent (AUTH0_CLIENT_ID) against what Auth0 names, then ask again.",
    ],
    [
      oauth(
        "unauthorized_client",
        "Grant type 'urn:openid:params:grant-type:ciba' not allowed for the client.",
      ),
      "Allow the CIBA grant (urn:openid:params:grant-type:ciba) for the application ciba-testbed-agent (AUTH0_CLIENT_ID) on localhost:4010.",
    ],
    [
      oauth(
        "invalid_authorization_details",
        "authorization_details type x is not allowed on API y",
      ),
      "Allow the authorization_details type that Auth0 names on the API sample-shop-api (SHOP_API_AUDIENCE) and in the application's client grant for it.",
    ],
    [
      oauth("some_new_error"),
      "Change what Auth0's answer (some_new_error) names in the tenant localhost:4010's settings for the application ciba-testbed-agent (AUTH0_CLIENT_ID), then ask again.",
    ],
    [
      tooManyRequests({}),
      "Ask again in a minute, as Auth0 sends auth0|testbed-user at most 5 approval requests a minute.",
    ],
  ])("gives a refused request (%o) a fix from Auth0's error", (error, fix) => {
    expect(classify(error)).toMatchObject({ outcome: "REQUEST_REFUSED", fix });
  });

  it("names the user id's form for a login_hint whose sub Auth0 refuses", () => {
    // "--user testbed-user" for auth0|testbed-user: the fix said to check the CIBA settings.
    const refusal = interrupt(
      "ASYNC_AUTHORIZATION_USER_DOES_NOT_HAVE_PUSH_NOTIFICATIONS",
      'login_hint parameter validation failed: "sub" contains unsupported format',
    );
    const context = { expired: false, requestSent: false, now: NOW };
    expect(
      classifyAuthorizationError(refusal, {
        ...context,
        config: { ...config, userId: "testbed-user" },
      }).fix,
    ).toBe(
      'Check AGENT_USER_ID (or --user): "testbed-user" must be an Auth0 user id, the connection and the id joined by "|" (such as auth0|testbed-user).',
    );
    expect(classifyAuthorizationError(refusal, { ...context, config }).fix).toMatch(
      /^Check AGENT_USER_ID \(or --user\): "auth0\|testbed-user" must be an Auth0 user id, .*\(such as auth0\|<id>\)\.$/,
    );
  });

  it("names AUTH0_DOMAIN for a login_hint whose issuer the tenant does not issue under", () => {
    // A tenant on another host than AUTH0_DOMAIN names (a custom domain): the fix said to check
    // the user id.
    const refusal = interrupt(
      "ASYNC_AUTHORIZATION_USER_DOES_NOT_HAVE_PUSH_NOTIFICATIONS",
      "login_hint iss must be https://vm:45010/ (got https://localhost:4010/)",
    );
    const context = { expired: false, requestSent: false, now: NOW };
    expect(classifyAuthorizationError(refusal, { ...context, config }).fix).toBe(
      "Set AUTH0_DOMAIN to the host the tenant issues its tokens under (the issuer Auth0 names): the agent names https://localhost:4010/ as the person's issuer, and the shop checks tokens against that issuer too.",
    );
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
    [oauth("access_denied", "Service not found: x"), "SHOP_API_AUDIENCE"],
    [network("SELF_SIGNED_CERT_IN_CHAIN"), "ca.pem"],
    [network("CERT_UNTRUSTED"), "ca.pem"],
    [network("ECONNREFUSED"), "pnpm mock-auth0"],
    [refusedEverywhere(), "pnpm mock-auth0"],
    [status(500, oauth("server_error")), "Ask again"],
    [network("UND_ERR_SOCKET"), "Ask again"],
  ])("gives a one-sentence fix for %o", (error, mention) => {
    const { fix } = classify(error);
    expect(fix).toContain(mention);
    expect(fix?.match(/\. |\.$/g)).toHaveLength(1);
  });
});

describe("the fixes that depend on the tenant and the user id", () => {
  const real = loadConfig({
    AUTH0_DOMAIN: "your-tenant.us.auth0.com",
    AUTH0_CLIENT_ID: "x",
    AUTH0_CLIENT_SECRET: "y",
  });
  const context = { expired: false, requestSent: false, now: NOW };

  it("answers an unreachable real tenant with its domain, not with the local tenant", () => {
    expect(classifyAuthorizationError(network("ENOTFOUND"), { ...context, config: real })).toEqual({
      outcome: "ERROR",
      error: "ENOTFOUND",
      description: "Cannot reach the tenant at https://your-tenant.us.auth0.com/ (ENOTFOUND).",
      fix: "Check AUTH0_DOMAIN: your-tenant.us.auth0.com must be the tenant's domain (the Domain in the application's settings in the Auth0 dashboard), reachable from this machine.",
    });
    expect(classify(network("ENOTFOUND")).fix).toBe(
      "Start the local tenant with pnpm mock-auth0, or check AUTH0_DOMAIN.",
    );
  });

  it("says what the agent was asking for when the tenant refused its credentials", () => {
    const unauthorized = oauth("access_denied", "Unauthorized");
    expect(classifyAuthorizationError(unauthorized, { ...context, config: real })).toMatchObject({
      outcome: "CONFIG_ERROR",
      description:
        "The tenant refused this application's credentials when it asked for the person's approval (401 Unauthorized)",
    });
    expect(
      classifyAuthorizationError(unauthorized, { ...context, requestSent: true, config: real })
        .description,
    ).toBe(
      "The tenant refused this application's credentials when it asked for the tokens (401 Unauthorized)",
    );
  });

  it("says that Auth0's user ids carry a prefix, for an unknown id without one", () => {
    const unknown = oauth("unknown_user_id", "User ID is malformed or unknown");
    const fixFor = (userId: string) =>
      classifyAuthorizationError(unknown, { ...context, config: { ...config, userId } }).fix;
    expect(fixFor("testbed-user")).toBe(
      `Check AGENT_USER_ID (or --user): "testbed-user" has no connection prefix, which every Auth0 user id has (a user imported with the user_id testbed-user is auth0|testbed-user).`,
    );
    expect(fixFor("auth0|nobody")).toBe(
      'Check AGENT_USER_ID (or --user): "auth0|nobody" must be the user id of a user of this tenant.',
    );
  });

  it.each([
    [
      "auth0%7Ctestbed-user",
      `"auth0%7Ctestbed-user" is URL-encoded, as the Auth0 dashboard's URLs show a user id: %7C stands for "|", so write it auth0|testbed-user.`,
    ],
    [
      "auth0:testbed-user",
      `"auth0:testbed-user" joins the connection and the id with ":", but Auth0's separator is "|": write it auth0|testbed-user.`,
    ],
    [
      "buyer@example.com",
      `"buyer@example.com" is an email address, not a user id: the agent names the person by their Auth0 user id, such as auth0|<id>, which the user's page in the Auth0 dashboard (User Management > Users) shows as user_id.`,
    ],
  ])(
    "says what is wrong with the user id %s, refused as unknown or as no user id",
    (userId, hint) => {
      const user = { ...config, userId };
      const unknown = oauth("unknown_user_id", "User ID is malformed or unknown");
      const malformed = oauth(
        "invalid_request",
        'login_hint parameter validation failed: "sub" contains unsupported format',
      );
      for (const error of [unknown, malformed]) {
        expect(
          classifyAuthorizationError(error, {
            config: user,
            expired: false,
            requestSent: false,
            now: NOW,
          }).fix,
        ).toBe(`Check AGENT_USER_ID (or --user): ${hint}`);
      }
    },
  );
});

describe("values quoted back", () => {
  it("keeps each message one line, whatever the user id, the audience or the tenant's words hold", () => {
    const odd = { ...config, userId: "te\nst", audience: "shop\napi" };
    const as = (error: unknown, expired: boolean | undefined = false, userId = odd.userId) =>
      classifyAuthorizationError(error, {
        config: { ...odd, userId },
        expired,
        requestSent: false,
        now: NOW,
      });
    const verdicts = [
      as(oauth("unknown_user_id", "unknown")),
      as(oauth("unknown_user_id", "unknown"), false, "auth0|te\nst"),
      as(oauth("invalid_request", 'Invalid login_hint: "sub"')),
      as(oauth("invalid_scope", "no scope")),
      as(oauth("access_denied", "Service not found: shop api")),
      as(status(500, oauth("server_error", "broken\nhere"))),
      as(tooManyRequests({}, "slow\ndown")),
      as(interrupt("ASYNC_AUTHORIZATION_ACCESS_DENIED"), undefined),
      as(oauth("expired_token"), true),
    ];
    expect(verdicts[0]?.fix).toBe(
      'Check AGENT_USER_ID (or --user): "te\\u{000A}st" has no connection prefix, which every Auth0 user id has (a user imported with the user_id "te\\u{000A}st" is "auth0|te\\u{000A}st").',
    );
    expect(verdicts[1]?.fix).toBe(
      'Check AGENT_USER_ID (or --user): "auth0|te\\u{000A}st" must be the user id of a user of this tenant.',
    );
    for (const verdict of verdicts) {
      expect(`${verdict.description} ${verdict.fix ?? ""}`).not.toMatch(/[\n\r]/);
    }
  });
});

describe("the tenant's words", () => {
  const words = "User ID is malformed\r\n\u001b[2J\u001b]8;;https://x.example\u0007or unknown";
  const shown =
    "User ID is malformed\\u{000D}\\u{000A}\\u{001B}[2J\\u{001B}]8;;https://x.example\\u{0007}or unknown";

  it.each([
    ["unknown_user_id", oauth("unknown_user_id", words)],
    ["invalid_client", oauth("invalid_client", words)],
    ["another refusal", oauth("invalid_binding_message", words)],
    ["a denial", interrupt("ASYNC_AUTHORIZATION_ACCESS_DENIED", words)],
    [
      "an invalid_request",
      interrupt("ASYNC_AUTHORIZATION_USER_DOES_NOT_HAVE_PUSH_NOTIFICATIONS", words),
    ],
    ["an invalid_grant", interrupt("ASYNC_AUTHORIZATION_INVALID_GRANT", words)],
  ])("are shown on one line, control characters written out: %s", (_, error) => {
    const { description } = classify(error, false, true);
    expect(description).toBe(shown);
  });

  it("are written out also where they name an unknown API", () => {
    const verdict = classify(oauth("access_denied", `Service not found: shop\napi`));
    expect(verdict.description).toBe("Service not found: shop\\u{000A}api");
  });
});

describe("a /bc-authorize whose answer was lost", () => {
  it.each([
    [status(500, oauth("server_error", "injected")), '500 server_error: "injected"'],
    [network("UND_ERR_SOCKET"), "connection_reset (UND_ERR_SOCKET)"],
  ])("says that the person may have a push that buys nothing (%o)", (error, answer) => {
    expect(classify(error).description).toBe(
      `The tenant at https://localhost:4010/ may have taken the approval request, but its answer did not arrive (${answer}), so auth0|testbed-user may be asked to approve it; approving it buys nothing, since the agent never learnt its id. Nothing was ordered; ask again.`,
    );
  });
});

describe("an untrusted local tenant", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "agent-untrusted-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const fixWith = (env: Record<string, string>) =>
    classifyAuthorizationError(network("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), {
      config: loadConfig(env),
      expired: false,
      requestSent: false,
      now: NOW,
    });

  it("says to restart the tenant when its CA file is gone", () => {
    const certDir = path.join(dir, "gone");
    const { description, fix } = fixWith({ MOCK_AUTH0_CERT_DIR: certDir });
    expect(description).toBe(
      "Node does not trust the TLS certificate of https://localhost:4010/ (UNABLE_TO_VERIFY_LEAF_SIGNATURE).",
    );
    expect(fix).toBe(
      `The local tenant's CA ${certDir}/ca.pem does not exist: the tenant writes it when it starts, so it was deleted after the tenant started, or the tenant keeps its certificates elsewhere. Restart the tenant (pnpm dev, or pnpm mock-auth0), which writes it again, then ask again; if the tenant was started with another certificate folder, set MOCK_AUTH0_CERT_DIR to that folder (or NODE_EXTRA_CA_CERTS to its CA: the caCertPath its ready record names).`,
    );
    // pnpm dev's command names the same file in NODE_EXTRA_CA_CERTS.
    expect(
      fixWith({ MOCK_AUTH0_CERT_DIR: certDir, NODE_EXTRA_CA_CERTS: `${certDir}/ca.pem` }).fix,
    ).toMatch(/^The local tenant's CA \S+\/gone\/ca\.pem \(NODE_EXTRA_CA_CERTS\) does not exist: /);
  });

  it("says the tenant's certificate is another CA's when this process trusts the local one", async () => {
    const certDir = path.join(dir, "trusted");
    const { caCert } = await ensureLocalCertificates(certDir);
    const undo = trustCertificates([caCert]);
    try {
      expect(fixWith({ MOCK_AUTH0_CERT_DIR: certDir }).fix).toBe(
        `The tenant's certificate was not signed by ${certDir}/ca.pem, the CA this agent trusts for the local tenant: if the tenant was started with another certificate folder, set MOCK_AUTH0_CERT_DIR to that folder (or NODE_EXTRA_CA_CERTS to its CA: the caCertPath its ready record names); if it uses ${certDir}, its CA was made again after it started, so restart it.`,
      );
    } finally {
      undo();
    }
  });

  it("says how to trust the CA in a process that does not", async () => {
    const certDir = path.join(dir, "untrusted");
    await ensureLocalCertificates(certDir);
    expect(fixWith({ MOCK_AUTH0_CERT_DIR: certDir }).fix).toBe(
      `This process does not trust ${certDir}/ca.pem, the local tenant's CA: the agent's CLI (pnpm agent, node build/agent.cjs) and web app (pnpm agent serve) trust it by themselves, and any other Node process must be started with NODE_EXTRA_CA_CERTS=${certDir}/ca.pem.`,
    );
  });
});

describe("access_denied and expiry", () => {
  it.each([
    ["the SDK's interrupt", interrupt("ASYNC_AUTHORIZATION_ACCESS_DENIED")],
    ["a raw access_denied", oauth("access_denied")],
  ])("says why %s after expiry is an expiry", (_, error) => {
    expect(classify(error, true)).toEqual({
      outcome: "EXPIRED",
      error: "access_denied",
      description:
        "Auth0 answered access_denied once the request had expired: it gives that answer for an expired request too, so the request most likely expired before the agent collected an answer (the person may have answered after the agent's last poll).",
      fix: "Ask again if the purchase is still wanted, and have auth0|testbed-user approve it on their device before it expires (--expiry or AGENT_REQUESTED_EXPIRY, now 300 s, sets how long, up to 300 s for a push).",
    });
  });
});

describe("access_denied that may be a denial or an expiry", () => {
  const unsure = (domain: string) =>
    classifyAuthorizationError(oauth("access_denied"), {
      config: { ...config, auth0: { ...config.auth0, domain } },
      expired: undefined,
      requestSent: true,
      now: NOW,
    });

  it("says to ask again, and against the local tenant how to make it tell the two apart", () => {
    expect(unsure("localhost:4010")).toMatchObject({
      outcome: "DENIED",
      error: "denied_or_expired",
      fix: 'Ask again if the purchase is still wanted, and have auth0|testbed-user approve it in time. To tell a denial from an expiry, set "ciba": { "expiredError": "expired_token" } in the local tenant\'s mock-auth0.json (or the file MOCK_AUTH0_SETTINGS names) and restart it: it then answers an expired request with expired_token.',
    });
  });

  it("says only to ask again against Auth0, which always answers an expiry this way", () => {
    expect(unsure("example.eu.auth0.com").fix).toBe(
      "Ask again if the purchase is still wanted, and have auth0|testbed-user approve it in time.",
    );
  });
});

describe("access_denied from /bc-authorize", () => {
  // mock-auth0's answer, and Auth0's wording, for an API whose user access policy refuses the
  // application (deny_all, or require_client_grant without a user client grant).
  const policy = () =>
    status(
      403,
      oauth(
        "access_denied",
        'Client "ciba-testbed-agent" is not authorized to access "sample-shop-api" on behalf of a user: the API\'s user access policy is deny_all',
      ),
    );

  it("is a refused request with the tenant's words and the policy to change: nobody was asked", () => {
    expect(classify(policy())).toEqual({
      outcome: "REQUEST_REFUSED",
      error: "access_denied",
      description:
        'Client "ciba-testbed-agent" is not authorized to access "sample-shop-api" on behalf of a user: the API\'s user access policy is deny_all',
      fix: 'Let the application ciba-testbed-agent (AUTH0_CLIENT_ID) act for users on the API sample-shop-api (SHOP_API_AUDIENCE) on localhost:4010: the API\'s user access policy, and a client grant for it with subject_type "user" and the scopes the agent asks for.',
    });
  });

  it("is the person's denial once the request was sent", () => {
    expect(classify(oauth("access_denied"), false, true)).toMatchObject({ outcome: "DENIED" });
  });
});

describe("a 429 from /bc-authorize", () => {
  it("is REQUEST_REFUSED naming Auth0's per-user limit, the user and when to try again", () => {
    const verdict = classify(
      tooManyRequests({ "Retry-After": "42" }, "Too many requests for this user"),
    );
    expect(verdict).toEqual({
      outcome: "REQUEST_REFUSED",
      error: "too_many_requests",
      retryAt: "2026-01-01T00:00:42.000Z",
      description:
        'Auth0 refused the approval request (429 too_many_requests: "Too many requests for this user"), most likely for its per-user limit of 5 backchannel authentication requests a minute for auth0|testbed-user; try again in 42 s (at 2026-01-01T00:00:42.000Z).',
      fix: "Ask again after 2026-01-01T00:00:42.000Z, as Auth0 sends auth0|testbed-user at most 5 approval requests a minute.",
    });
  });

  it("takes the time from X-RateLimit-Reset, Auth0's UNIX time in seconds", () => {
    const reset = String((NOW + 17_000) / 1000);
    const verdict = classify(
      tooManyRequests({
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset,
      }),
    );
    expect(verdict).toMatchObject({
      outcome: "REQUEST_REFUSED",
      retryAt: "2026-01-01T00:00:17.000Z",
    });
    expect(verdict.description).toContain("try again in 17 s (at 2026-01-01T00:00:17.000Z)");
  });

  it("says a minute when Auth0 gives no time", () => {
    const verdict = classify(tooManyRequests({}));
    expect(verdict).not.toHaveProperty("retryAt");
    expect(verdict.description).toMatch(
      /per-user limit of 5 .* a minute .*; try again in a minute\.$/,
    );
  });

  it("reads a 429 whose body is not JSON (the SDK's ResponseError)", () => {
    const error = Object.assign(new Error("Response returned an error code"), {
      statusCode: 429,
      body: "Too Many Requests",
      headers: new Headers({ "Retry-After": "60" }),
    });
    expect(classify(error)).toMatchObject({
      outcome: "REQUEST_REFUSED",
      error: "too_many_requests",
      retryAt: "2026-01-01T00:01:00.000Z",
    });
    expect(classify(error).description).toContain("(429 Too Many Requests)");
  });

  it("is not blamed on the per-user limit once the request was accepted", () => {
    const verdict = classify(tooManyRequests({ "Retry-After": "3" }), false, true);
    expect(verdict).toMatchObject({ outcome: "ERROR", error: "too_many_requests" });
    expect(verdict.description).toBe(
      "Auth0 rate-limited the polls of the approval request (429 too_many_requests); try again in 3 s (at 2026-01-01T00:00:03.000Z).",
    );
  });
});

describe("pollFailure", () => {
  const status = (statusCode: number, body: Record<string, string> = {}, headers = {}) =>
    Object.assign(new Error("Response returned an error code"), {
      statusCode,
      headers: new Headers(headers),
      ...body,
    });

  it.each([
    [network("ECONNREFUSED"), "ECONNREFUSED", "connection_refused (ECONNREFUSED)"],
    [refusedEverywhere(), "ECONNREFUSED", "connection_refused (ECONNREFUSED)"],
    [network("ECONNRESET"), "ECONNRESET", "connection_reset (ECONNRESET)"],
    [network("EAI_AGAIN"), "EAI_AGAIN", "dns (EAI_AGAIN)"],
    // The auth0 SDK's own 10 s timeout.
    [
      Object.assign(new Error("The request was timed out."), { name: "TimeoutError" }),
      "timeout",
      "timeout",
    ],
    [status(503), "http_503", "503 with no OAuth error"],
    [status(500, { error: "server_error" }), "server_error", "500 server_error"],
    [status(429, { error: "too_many_requests" }), "too_many_requests", "429 too_many_requests"],
  ])("polls again after %s", (error, code, description) => {
    expect(pollFailure(error, NOW)).toEqual({ code, description });
  });

  it("waits for the tenant's Retry-After", () => {
    expect(pollFailure(status(503, {}, { "retry-after": "30" }), NOW)).toMatchObject({
      retryAt: NOW + 30_000,
    });
  });

  it.each([
    ["a denial", oauth("access_denied")],
    ["expired_token", oauth("expired_token")],
    ["invalid_grant", interrupt("ASYNC_AUTHORIZATION_INVALID_GRANT")],
    ["a 400 with an OAuth error", status(400, { error: "invalid_request" })],
    ["a 401 invalid_client", status(401, { error: "invalid_client" })],
    ["an untrusted certificate", network("SELF_SIGNED_CERT_IN_CHAIN")],
    ["plain HTTP on the HTTPS port", network("ERR_SSL_WRONG_VERSION_NUMBER")],
    ["a programming error", new TypeError("x is not a function")],
  ])("is no failure to wait out: %s", (_, error) => {
    expect(pollFailure(error, NOW)).toBeUndefined();
  });
});

describe("unansweredUntilExpiry", () => {
  const failure = { code: "ECONNREFUSED", description: "connection_refused (ECONNREFUSED)" };
  const expiresAt = Date.parse("2026-01-01T00:05:00Z");

  it("names the span the polls went unanswered, up to the expiry", () => {
    const verdict = unansweredUntilExpiry(
      failure,
      Date.parse("2026-01-01T00:01:00Z"),
      expiresAt,
      config,
    );
    expect(verdict.description).toContain(
      "gave no answer to the polls of the approval request from 2026-01-01T00:01:00.000Z until the request expired at 2026-01-01T00:05:00.000Z (last: connection_refused (ECONNREFUSED))",
    );
  });

  it("never puts the first failed poll after the end of the span: one made past the expiry is named as such", () => {
    const verdict = unansweredUntilExpiry(
      failure,
      Date.parse("2026-01-01T00:05:13Z"),
      expiresAt,
      config,
    );
    expect(verdict).toMatchObject({ outcome: "ERROR", error: "ECONNREFUSED" });
    expect(verdict.description).toBe(
      "The tenant at https://localhost:4010/ gave no answer to the poll of the approval request at 2026-01-01T00:05:13.000Z, after the request expired at 2026-01-01T00:05:00.000Z (last: connection_refused (ECONNREFUSED)), so whether the person answered is not known. Nothing was ordered.",
    );
  });
});
