import request from "supertest";
import { describe, expect, it } from "vitest";

import {
  AGENT,
  ISSUER,
  USER,
  combine,
  createHarness,
  defaultAuthorizeParams,
  loginHint,
  withCiba,
  withClientAsset,
  withRateLimits,
  withShopApi,
  withUser,
} from "../test-support/harness.js";

describe("POST /bc-authorize", () => {
  it("answers Auth0's shape: auth_req_id, expires_in, interval", async () => {
    const h = await createHarness();
    const response = await h.bcAuthorize().expect(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(response.headers.etag).toBeUndefined();
    const body = response.body as { auth_req_id: string; expires_in: number; interval: number };
    expect(body.expires_in).toBe(300);
    expect(body.interval).toBe(5);
    // CIBA Core 1.0 section 7.3: at least 128 bits of entropy, in A-Za-z0-9.-_
    expect(body.auth_req_id).toMatch(/^[A-Za-z0-9._-]{22,}$/);
    expect(h.store.get(body.auth_req_id)).toMatchObject({
      userId: USER,
      clientId: AGENT.id,
      audience: "sample-shop-api",
      scope: ["openid", "product:buy"],
      bindingMessage: "Do you want to buy 2 XYZ phones",
      status: "pending",
      channel: "guardian-push",
    });
  });

  it("issues a different id every time", async () => {
    const h = await createHarness();
    const ids = await Promise.all([h.start(), h.start(), h.start()]);
    expect(new Set(ids).size).toBe(3);
  });

  it("grants at most the tenant's maximum expiry and honours a shorter one", async () => {
    const h = await createHarness(withCiba({ maxExpiresInSeconds: 60 }));
    expect((await h.bcAuthorize({ requested_expiry: "300" }).expect(200)).body.expires_in).toBe(60);
    expect((await h.bcAuthorize({ requested_expiry: "3" }).expect(200)).body.expires_in).toBe(3);
    // Leading zeros are the same number, however many.
    expect(
      (await h.bcAuthorize({ requested_expiry: "00000003" }).expect(200)).body.expires_in,
    ).toBe(3);
    expect((await h.bcAuthorize({ requested_expiry: undefined }).expect(200)).body.expires_in).toBe(
      60,
    );
  });

  it("sends a fractional interval when the tenant asks for speed", async () => {
    const h = await createHarness(withCiba({ intervalSeconds: 0.1 }));
    expect((await h.bcAuthorize().expect(200)).body.interval).toBe(0.1);
  });

  it("treats the SDK's empty audience as none", async () => {
    const h = await createHarness();
    const id = await h.start({ audience: "", scope: "openid" });
    expect(h.store.get(id)?.audience).toBeUndefined();
  });

  // As Auth0 and mock-auth0's /authorize do: the OIDC scopes and the API's own are granted,
  // any other is left out instead of refusing the request.
  it.each([
    ["a scope the API does not define", "openid product:sell product:buy", "sample-shop-api"],
    ["an API scope with no audience", "openid product:buy", undefined],
  ])("leaves %s out of the request", async (_, scope, audience) => {
    const h = await createHarness();
    const id = await h.start({ scope, audience });
    const granted = audience === undefined ? ["openid"] : ["openid", "product:buy"];
    expect(h.store.get(id)?.scope).toEqual(granted);
  });

  it("keeps authorization_details for the token", async () => {
    const h = await createHarness();
    const details = [
      { type: "product_purchase", product: "XYZ phone", quantity: 2, currency: "USD" },
    ];
    const id = await h.start({ authorization_details: JSON.stringify(details) });
    expect(h.store.get(id)?.authorizationDetails).toEqual(details);
  });

  // Auth0's error table: status, error code and an actionable description.
  it.each([
    [
      "a wrong client secret",
      { client_secret: "nope" },
      401,
      "invalid_client",
      /unknown client_id or wrong client_secret/,
    ],
    ["an unknown client", { client_id: "nobody" }, 401, "invalid_client", /unknown client_id/],
    ["no client secret", { client_secret: undefined }, 401, "invalid_client", /must authenticate/],
    [
      "no openid scope",
      { scope: "product:buy" },
      400,
      "invalid_request",
      /^openid scope must be requested$/,
    ],
    [
      "an unknown user",
      { login_hint: loginHint("auth0|nobody") },
      400,
      "unknown_user_id",
      /^User ID is malformed or unknown$/,
    ],
    ["no login_hint", { login_hint: undefined }, 400, "invalid_request", /login_hint is required/],
    [
      "a login_hint that is not JSON",
      { login_hint: "auth0|testbed-user" },
      400,
      "invalid_request",
      /JSON object/,
    ],
    [
      "a login_hint for another tenant",
      { login_hint: loginHint(USER, "https://elsewhere.auth0.com/") },
      400,
      "invalid_request",
      /iss must be https:\/\/localhost:4010\//,
    ],
    [
      "a user not enrolled in push, for a client without email",
      { login_hint: loginHint("auth0|no-push-user") },
      400,
      "invalid_request",
      /^User auth0\|no-push-user is not enrolled in push notifications \(Guardian\), and there is no email to fall back to: client ciba-testbed-agent has no email channel/,
    ],
    [
      "a malformed sub in login_hint",
      { login_hint: loginHint("testbed-user") },
      400,
      "unknown_user_id",
      /^User ID is malformed or unknown$/,
    ],
    [
      "a login_hint without sub",
      { login_hint: JSON.stringify({ format: "iss_sub", iss: "https://localhost:4010/" }) },
      400,
      "invalid_request",
      /^login_hint parameter validation failed: "sub" contains unsupported format$/,
    ],
    [
      "requested_expiry over 300 for a client without email",
      { requested_expiry: "3600" },
      400,
      "invalid_request",
      /^requested_expiry 3600 is over 300 s, which Auth0 sends by email, but client ciba-testbed-agent has no email channel \(async_approval_notification_channels: guardian-push\)\. Ask for 300 s or less/,
    ],
    [
      "six authorization_details entries",
      {
        authorization_details: JSON.stringify(
          Array.from({ length: 6 }, () => ({ type: "product_purchase" })),
        ),
      },
      400,
      "invalid_request",
      /^authorization_details may have at most 5 entries; got 6$/,
    ],
    [
      "authorization_details over 5 KB",
      {
        authorization_details: JSON.stringify([
          { type: "product_purchase", a: "x".repeat(250), b: "x".repeat(250) },
          ...Array.from({ length: 4 }, () => ({
            type: "product_purchase",
            ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`p${i}`, "y".repeat(200)])),
          })),
        ]),
      },
      400,
      "invalid_request",
      /^authorization_details may be at most 5 KB \(5120 bytes of JSON\); got \d+ bytes$/,
    ],
    [
      "an authorization_details property name Auth0 refuses",
      { authorization_details: '[{"type":"product_purchase","max amount":5}]' },
      400,
      "invalid_request",
      /property names may only contain A-Z, a-z, 0-9, _, \. and -/,
    ],
    [
      "no binding message",
      { binding_message: undefined },
      400,
      "invalid_request",
      /binding_message is required/,
    ],
    [
      "a binding message too long",
      { binding_message: "x".repeat(65) },
      400,
      "invalid_request",
      /at most 64 characters/,
    ],
    [
      "a binding message with refused characters",
      { binding_message: "Buy <b>2</b> phones!" },
      400,
      "invalid_request",
      /may only contain/,
    ],
    [
      "an unknown audience",
      { audience: "sample-shop-apii" },
      403,
      "access_denied",
      /^Service not found: sample-shop-apii$/,
    ],
    [
      "authorization_details that are not JSON",
      { authorization_details: "[{" },
      400,
      "invalid_authorization_details",
      /JSON array/,
    ],
    [
      "authorization_details that are not an array",
      { authorization_details: '{"type":"product_purchase"}' },
      400,
      "invalid_authorization_details",
      /JSON array of objects/,
    ],
    [
      "an authorization_details entry without type",
      { authorization_details: '[{"product":"x"}]' },
      400,
      "invalid_authorization_details",
      /string type/,
    ],
    [
      "an authorization_details type the API does not allow",
      { authorization_details: '[{"type":"money_transfer"}]' },
      400,
      "invalid_authorization_details",
      /money_transfer is not allowed on API sample-shop-api/,
    ],
    [
      "requested_expiry of 0",
      { requested_expiry: "0" },
      400,
      "invalid_request",
      /requested_expiry must be a whole number of seconds from 1 to 259200/,
    ],
    [
      "requested_expiry too large",
      { requested_expiry: "259201" },
      400,
      "invalid_request",
      /requested_expiry/,
    ],
    [
      "an authorization_details member named __proto__, which no copy would keep",
      {
        authorization_details:
          '[{"type":"product_purchase","product":"xyz-phone","quantity":1,"nested":{"__proto__":{"x":1}}}]',
      },
      400,
      "invalid_authorization_details",
      /may not have a member named __proto__/,
    ],
    [
      "an authorization_details number past a double, which would be kept as null",
      {
        authorization_details:
          '[{"type":"product_purchase","product":"XYZ phone","quantity":1e400,"maximum_amount":-1e400}]',
      },
      400,
      "invalid_authorization_details",
      /member "quantity" holds a number too large to keep as sent \(it would be null\)/,
    ],
    [
      "an authorization_details value with a lone surrogate, which UTF-8 cannot write",
      {
        authorization_details:
          '[{"type":"product_purchase","product":"XYZ \\ud800 phone","quantity":1}]',
      },
      400,
      "invalid_authorization_details",
      /^authorization_details\[0\]\.product holds a lone surrogate \(U\+D800\), which is not Unicode text/,
    ],
    [
      "an authorization_details value with U+0000",
      {
        authorization_details:
          '[{"type":"product_purchase","product":"XYZ phone","tags":["ok","a\\u0000b"]}]',
      },
      400,
      "invalid_authorization_details",
      /^authorization_details\[0\]\.tags\[1\] holds the control character U\+0000/,
    ],
    [
      "requested_expiry in exponent notation",
      { requested_expiry: "1e2" },
      400,
      "invalid_request",
      /requested_expiry must be a whole number of seconds/,
    ],
    [
      "requested_expiry that is not a number",
      { requested_expiry: "5m" },
      400,
      "invalid_request",
      /requested_expiry/,
    ],
    [
      "an id_token_hint instead of login_hint",
      { id_token_hint: "eyJ" },
      400,
      "invalid_request",
      /id_token_hint is not supported/,
    ],
  ] as const)("refuses %s", async (_name, params, status, error, description) => {
    const h = await createHarness();
    const response = await h.bcAuthorize(params).expect(status);
    expect(response.body.error).toBe(error);
    expect(response.body.error_description).toMatch(description);
    expect(h.store.size).toBe(0);
  });

  it("refuses a client that may not use the CIBA grant", async () => {
    const h = await createHarness();
    const response = await h
      .bcAuthorize({ client_id: "ciba-testbed-m2m", client_secret: "ciba-testbed-m2m-secret" })
      .expect(403);
    expect(response.body).toEqual({
      error: "unauthorized_client",
      error_description:
        "Grant type 'urn:openid:params:grant-type:ciba' not allowed for the client.",
    });
  });

  it("refuses a repeated parameter (RFC 6749 section 3.2)", async () => {
    const h = await createHarness();
    const { default: request } = await import("supertest");
    const form = new URLSearchParams(defaultAuthorizeParams());
    form.append("scope", "openid");
    const response = await request(h.app)
      .post("/bc-authorize")
      .type("form")
      .send(form.toString())
      .expect(400);
    expect(response.body).toEqual({
      error: "invalid_request",
      error_description: "scope must not be repeated",
    });
  });

  it("refuses a key repeated in a JSON body as it refuses a repeated form parameter, naming it", async () => {
    const h = await createHarness();
    const { default: request } = await import("supertest");
    const params = Object.entries(defaultAuthorizeParams())
      .filter(([name]) => name !== "scope")
      .map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`)
      .join(",");
    const send = (json: string) =>
      request(h.app).post("/bc-authorize").type("json").send(`{${params},${json}}`).expect(400);
    // JSON.parse keeps the last: the client would get product:buy it may think it did not ask for.
    const scope = await send('"scope":"openid","scope":"openid product:buy"');
    expect(scope.body).toEqual({
      error: "invalid_request",
      error_description:
        "scope must not be repeated: the JSON body names it more than once in one object, " +
        "and only one of its values would be read; send it once",
    });
    // Written with an escape, it is the same key; inside authorization_details, named by its path.
    const escaped = await send('"scope":"openid","\\u0073cope":"openid"');
    expect(escaped.body).toMatchObject({
      error_description: expect.stringMatching(/^scope must not be repeated: /),
    });
    const nested = await send(
      '"scope":"openid","authorization_details":[{"type":"product_purchase","type":"x"}]',
    );
    expect(nested.body).toMatchObject({
      error: "invalid_request",
      error_description: expect.stringMatching(
        /^authorization_details\[0\]\.type must not be repeated: /,
      ),
    });
    expect(h.store.size).toBe(0);
  });

  it("writes out in error_description what a person could not see or read", async () => {
    const h = await createHarness();
    const described = async (params: Record<string, string>, status = 400) =>
      ((await h.bcAuthorize(params).expect(status)).body as { error_description: string })
        .error_description;
    const refused = "binding_message may only contain A-Z, a-z, 0-9, spaces and +-_.,:#";
    expect(await described({ binding_message: "Buy 2 XYZ phones\u200b" })).toBe(
      `${refused} (found "\\u{200B}")`,
    );
    expect(await described({ binding_message: "Buy 2 XYZ phone\u0301s" })).toBe(
      `${refused} (found "\\u{0301}")`,
    );
    // An emoji is one character, however JavaScript stores it.
    expect(await described({ binding_message: "Buy 2 XYZ phones \u{1F600}\u{1F601}" })).toBe(
      `${refused} (found "\\u{1F600}\\u{1F601}")`,
    );
    expect(await described({ audience: "sample-shop-api\u202e" }, 403)).toBe(
      "Service not found: sample-shop-api\\u{202E}",
    );
    // Every description keeps to the characters RFC 6749 (5.2) allows, bar the quotes.
    for (const params of [
      { binding_message: "\u202eYUB OT 02" },
      { login_hint: "\u202e" },
      { authorization_details: '[{"type":"\u202eproduct_purchase"}]' },
    ]) {
      expect(await described(params), JSON.stringify(params)).toMatch(/^[\x20-\x7e]+$/);
    }
  });

  it("says a form parameter is not valid UTF-8 where its bytes are not", async () => {
    const h = await createHarness();
    const { default: request } = await import("supertest");
    const send = async (name: string, encoded: string) => {
      const form = new URLSearchParams(defaultAuthorizeParams());
      form.delete(name);
      return (
        await request(h.app)
          .post("/bc-authorize")
          .type("form")
          .send(`${form.toString()}&${name}=${encoded}`)
          .expect(400)
      ).body as { error: string; error_description: string };
    };
    expect(await send("binding_message", "Buy%FF%FE2")).toEqual({
      error: "invalid_request",
      error_description:
        "binding_message is not valid UTF-8: it holds the bytes %FF%FE, which are not UTF-8 text; percent-encode the parameter's text from UTF-8",
    });
    const details = encodeURIComponent('[{"type":"product_purchase","product":"XYZ phone"}]');
    expect(await send("authorization_details", details.replace("XYZ", "XYZ%C3"))).toEqual({
      error: "invalid_authorization_details",
      error_description:
        "authorization_details is not valid UTF-8: it holds the bytes %C3%20, which are not UTF-8 text; percent-encode the parameter's text from UTF-8",
    });
    // A "%" sent bare is a character of the message, named as such.
    expect((await send("binding_message", "100%")).error_description).toMatch(/found "%"/);
    // Percent-encoded UTF-8 is text, refused for what it holds.
    expect((await send("binding_message", "t%C3%A9l%C3%A9phone")).error_description).toMatch(
      /found "\\u\{00E9\}"/,
    );
    expect(h.store.size).toBe(0);
  });

  it("caps the requests a tenant holds open: 429 at once past it, and the open ones keep working", async () => {
    // More requests for one person than Auth0's 5 a minute: the per-user limit is not the point.
    const h = await createHarness(withCiba({ maxOpenRequests: 3, perUserRequestsPerMinute: null }));
    const first = await h.start({ requested_expiry: "30" });
    const second = await h.start({ requested_expiry: "60" });
    const third = await h.start({ requested_expiry: "90" });

    const refused = await h.bcAuthorize().expect(429);
    expect(refused.body).toEqual({
      error: "too_many_requests",
      error_description:
        "The tenant holds 3 open backchannel authentication requests, its limit (ciba.maxOpenRequests): retry after 30 s, once some are answered, collected or expired",
    });
    expect(refused.headers["retry-after"]).toBe("30");
    expect(h.store.size).toBe(3);

    for (const id of [first, second, third]) await h.poll(id).expect(400, /authorization_pending/);
    // A denial frees a slot at once; an approval once its tokens are collected.
    h.decide(first, "deny");
    const fourth = await h.start();
    await h.bcAuthorize().expect(429);
    h.decide(second, "approve");
    await h.bcAuthorize().expect(429);
    h.clock.advance(5_000);
    await h.poll(second).expect(200);
    await h.start();
    // Expiry frees slots too, without anyone polling.
    await h.bcAuthorize().expect(429);
    h.clock.advance(85_000);
    expect(h.store.get(third)?.status).toBe("expired");
    await h.start();
    expect(h.store.get(fourth)?.status).toBe("pending");
  });

  it("keeps a denial or expiry in a full store until its client has polled it, and refuses a new request meanwhile", async () => {
    const h = await createHarness(
      withCiba({ maxOpenRequests: 5, maxStoredRequests: 8, perUserRequestsPerMinute: null }),
    );
    const denied: string[] = [];
    for (let i = 0; i < 5; i += 1) denied.push(await h.start());
    for (const id of denied) {
      await request(h.app).post(`/approver/api/requests/${id}/deny`).expect(200);
    }
    for (let i = 0; i < 3; i += 1) await h.start();
    const refused = await h.bcAuthorize().expect(429);
    expect(refused.body).toEqual({
      error: "too_many_requests",
      error_description:
        "The tenant holds 8 backchannel authentication requests, its limit (ciba.maxStoredRequests), and none it may drop: each is open, or denied or expired with its client not yet told. Retry after 900 s, once clients have polled them or they are purged",
    });
    expect(refused.headers["retry-after"]).toBe("900");
    expect(h.store.size).toBe(8);

    // The agent hears its denial; that request may now make room, and only that one.
    await h.poll(denied[0]!).expect(400, /access_denied/);
    await h.start();
    await h.bcAuthorize().expect(429);
    for (const id of denied.slice(1)) await h.poll(id).expect(400, /access_denied/);

    // An approval whose tokens were collected makes room too; an expiry once it is polled.
    const h2 = await createHarness(
      withCiba({ maxOpenRequests: 5, maxStoredRequests: 2, perUserRequestsPerMinute: null }),
    );
    const collected = await h2.start();
    const expiring = await h2.start({ requested_expiry: "30" });
    h2.decide(collected, "approve");
    h2.clock.advance(30_000);
    await h2.poll(collected).expect(200);
    const third = await h2.start();
    await h2.bcAuthorize().expect(429);
    await h2.poll(expiring).expect(400, /access_denied/);
    await h2.start();
    expect(h2.store.get(third)?.status).toBe("pending");
    expect(h2.store.get(collected)).toBeUndefined();
    expect(h2.store.get(expiring)).toBeUndefined();
  });

  it("holds 10,000 open requests by default, as the tenant setting says", async () => {
    const h = await createHarness();
    expect(h.tenant.ciba.maxOpenRequests).toBe(10_000);
  });

  /** A JSON body for /bc-authorize with these authorization_details. */
  const jsonBody = (authorizationDetails: unknown[]) => ({
    client_id: AGENT.id,
    client_secret: AGENT.secret,
    scope: "openid product:buy",
    audience: "sample-shop-api",
    login_hint: loginHint(USER),
    binding_message: "Do you want to buy 1 XYZ phone",
    authorization_details: authorizationDetails,
  });

  it("accepts a JSON body as Auth0 does", async () => {
    const h = await createHarness();
    const { default: request } = await import("supertest");
    const response = await request(h.app)
      .post("/bc-authorize")
      .send({
        ...jsonBody([
          { type: "product_purchase", product: "XYZ phone", quantity: 1, currency: "USD" },
        ]),
        requested_expiry: 120,
      });
    expect(response.body).toMatchObject({ expires_in: 120 });
  });

  it("refuses a login_hint sent as a JSON object rather than a string holding one, saying what to send", async () => {
    const h = await createHarness();
    const body = jsonBody([
      { type: "product_purchase", product: "XYZ phone", quantity: 1, currency: "USD" },
    ]);
    const hint: unknown = JSON.parse(body.login_hint);
    for (const [sent, kind] of [
      [hint, "object"],
      [[hint], "array"],
    ] as const) {
      const response = await request(h.app)
        .post("/bc-authorize")
        .send({ ...body, login_hint: sent })
        .expect(400);
      expect(response.body).toEqual({
        error: "invalid_request",
        error_description:
          `login_hint must be a string, not a JSON ${kind}: send the iss_sub object as JSON ` +
          `text (JSON.stringify it), "login_hint":"{\\"format\\":\\"iss_sub\\",\\"iss\\":\\"${ISSUER}\\",` +
          '\\"sub\\":\\"<user id>\\"}"',
      });
    }
    expect(h.store.size).toBe(0);
    // The same object as a string is the login_hint Auth0's reference and SDKs send.
    await request(h.app).post("/bc-authorize").send(body).expect(200);
  });

  // Auth0's Authentication API, Standard Error Responses (auth0/docs,
  // articles/api/authentication/errors/_errors.md): 400 invalid_scope "Scope must be an array
  // or a string". A number was read as the scope "5", an array as its JSON text, and both were
  // told "openid scope must be requested", the array while it held openid.
  it("reads a JSON body's scope as a string or an array of strings, and answers any other type with Auth0's invalid_scope", async () => {
    const h = await createHarness();
    const body = jsonBody([
      { type: "product_purchase", product: "XYZ phone", quantity: 1, currency: "USD" },
    ]);
    const asArray = await request(h.app)
      .post("/bc-authorize")
      .send({ ...body, scope: ["openid", "product:buy"] })
      .expect(200);
    expect(h.store.get(asArray.body.auth_req_id as string)?.scope).toEqual([
      "openid",
      "product:buy",
    ]);
    for (const [scope, description] of [
      [5, "Scope must be an array or a string; got a number"],
      [true, "Scope must be an array or a string; got a boolean"],
      [{ openid: true }, "Scope must be an array or a string; got an object"],
      [["openid", 5], "Scope must be an array of strings or a string; scope[1] is a number"],
      [
        ["openid", ["profile"]],
        "Scope must be an array of strings or a string; scope[1] is an array",
      ],
    ] as const) {
      const response = await request(h.app)
        .post("/bc-authorize")
        .send({ ...body, scope })
        .expect(400);
      expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(response.body).toEqual({ error: "invalid_scope", error_description: description });
    }
    expect(h.store.size).toBe(1);
  });

  it("refuses a JSON body whose authorization_details hold a lone surrogate, and keeps nothing", async () => {
    const h = await createHarness();
    const { default: request } = await import("supertest");
    const body = JSON.stringify(
      jsonBody([{ type: "product_purchase", product: "\ud800", quantity: 1 }]),
    );
    expect(body).toContain('"product":"\\ud800"');
    const response = await request(h.app).post("/bc-authorize").type("json").send(body).expect(400);
    expect(response.body.error).toBe("invalid_authorization_details");
    expect(response.body.error_description).toMatch(
      /^authorization_details\[0\]\.product holds a lone surrogate \(U\+D800\)/,
    );
    expect(h.store.size).toBe(0);
  });
});

describe("POST /bc-authorize: Guardian push (guardianFactors)", () => {
  it("refuses push when the tenant's push-notification factor is off", async () => {
    const h = await createHarness({
      assets: (assets) => ({
        ...assets,
        guardianFactors: [{ name: "push-notification", enabled: false }],
      }),
    });
    const response = await h.bcAuthorize().expect(400);
    expect(response.body.error_description).toMatch(/Guardian push notifications are not enabled/);
  });
});

describe("POST /bc-authorize: the API's user access policy (subject_type_authorization.user)", () => {
  const userPolicy = (policy: string) =>
    withShopApi((api) => ({
      ...api,
      subject_type_authorization: { user: { policy }, client: { policy: "require_client_grant" } },
    }));
  /** The repository's tenant gives the agent a user grant; each test sets its own instead. */
  const userGrant = (grant?: Record<string, unknown>) => ({
    assets: (assets: Record<string, unknown>) => ({
      ...assets,
      clientGrants: [
        ...(assets.clientGrants as { subject_type?: string }[]).filter(
          (g) => g.subject_type !== "user",
        ),
        ...(grant === undefined
          ? []
          : [
              {
                client_id: "Shopping agent",
                audience: "sample-shop-api",
                subject_type: "user",
                ...grant,
              },
            ]),
      ],
    }),
  });
  const details = JSON.stringify([{ type: "product_purchase", product: "XYZ phone" }]);

  it("refuses everyone under deny_all", async () => {
    const h = await createHarness(userPolicy("deny_all"));
    const response = await h.bcAuthorize().expect(403);
    expect(response.body).toMatchObject({ error: "access_denied" });
    expect(response.body.error_description).toMatch(/user access policy is deny_all/);
  });

  it("needs a user client grant under require_client_grant, with its scopes and types", async () => {
    const without = await createHarness(combine(userPolicy("require_client_grant"), userGrant()));
    const refused = await without.bcAuthorize().expect(403);
    expect(refused.body.error_description).toMatch(/needs a client grant with subject_type "user"/);

    const h = await createHarness(
      combine(
        userPolicy("require_client_grant"),
        userGrant({ scope: ["product:buy"], authorization_details_types: ["product_purchase"] }),
      ),
    );
    await h.bcAuthorize({ authorization_details: details }).expect(200);

    const narrow = await createHarness(
      combine(userPolicy("require_client_grant"), userGrant({ scope: [] })),
    );
    await narrow.bcAuthorize().expect(403, /not been granted scopes: product:buy/);
    await narrow
      .bcAuthorize({ scope: "openid", authorization_details: details })
      .expect(400, /not allowed by the client grant/);
  });

  it("grants every scope of the API with allow_all_scopes", async () => {
    const h = await createHarness(
      combine(userPolicy("require_client_grant"), userGrant({ allow_all_scopes: true })),
    );
    await h.bcAuthorize().expect(200);
  });
});

describe("POST /bc-authorize: the notification channel (requested_expiry, async_approval_notification_channels)", () => {
  const withChannels = (channels: string[]) =>
    withClientAsset("Shopping agent", (client) => ({
      ...client,
      async_approval_notification_channels: channels,
    }));
  const pushAndEmail = withChannels(["guardian-push", "email"]);
  const unverified = (userId: string) =>
    withUser(userId, (user) => ({ ...user, email_verified: false }));

  it("uses Guardian push up to 300 s and records the person's email", async () => {
    const h = await createHarness(pushAndEmail);
    const id = await h.start({ requested_expiry: "300" });
    expect(h.store.get(id)).toMatchObject({
      channel: "guardian-push",
      userEmail: "buyer@example.com",
    });
  });

  it("uses email from 301 s to 72 h when the client has it, and the request lives as long as asked", async () => {
    const h = await createHarness(pushAndEmail);
    const response = await h.bcAuthorize({ requested_expiry: "3600" }).expect(200);
    expect(response.body.expires_in).toBe(3600);
    const request = h.store.get(response.body.auth_req_id as string);
    expect(request).toMatchObject({ channel: "email", userEmail: "buyer@example.com" });
    expect(request?.expiresAt).toBe(h.clock.now() + 3_600_000);
    // Push enrolment plays no part in email.
    await h
      .bcAuthorize({ requested_expiry: "301", login_hint: loginHint("auth0|no-push-user") })
      .expect(200);
    expect((await h.bcAuthorize({ requested_expiry: "259200" }).expect(200)).body.expires_in).toBe(
      259_200,
    );
  });

  it("caps only the push range with ciba.maxExpiresInSeconds", async () => {
    const h = await createHarness(combine(pushAndEmail, withCiba({ maxExpiresInSeconds: 60 })));
    expect((await h.bcAuthorize({ requested_expiry: "300" }).expect(200)).body.expires_in).toBe(60);
    expect((await h.bcAuthorize({ requested_expiry: "600" }).expect(200)).body.expires_in).toBe(
      600,
    );
  });

  it("refuses email for a person without a verified email address", async () => {
    const h = await createHarness(combine(pushAndEmail, unverified("testbed-user")));
    const response = await h.bcAuthorize({ requested_expiry: "3600" }).expect(400);
    expect(response.body).toEqual({
      error: "invalid_request",
      error_description:
        "requested_expiry 3600 is over 300 s, which Auth0 sends by email, but user auth0|testbed-user has no verified email address (email_verified is not true), and Auth0 emails verified addresses only. Ask for 300 s or less to notify by Guardian push, or verify the user's email.",
    });
    expect(h.store.size).toBe(0);
  });

  it("falls back to email for a person not enrolled in push, when the client has email", async () => {
    const h = await createHarness(pushAndEmail);
    const response = await h
      .bcAuthorize({ login_hint: loginHint("auth0|no-push-user"), requested_expiry: "120" })
      .expect(200);
    expect(response.body.expires_in).toBe(120);
    expect(h.store.get(response.body.auth_req_id as string)).toMatchObject({
      channel: "email",
      userEmail: "no-push@example.com",
    });
  });

  it("refuses a person without push whose email is not verified", async () => {
    const h = await createHarness(combine(pushAndEmail, unverified("no-push-user")));
    const response = await h
      .bcAuthorize({ login_hint: loginHint("auth0|no-push-user") })
      .expect(400);
    expect(response.body.error).toBe("invalid_request");
    expect(response.body.error_description).toBe(
      "User auth0|no-push-user is not enrolled in push notifications (Guardian), and there is no email to fall back to: user auth0|no-push-user has no verified email address (email_verified is not true), and Auth0 emails verified addresses only. To notify this user, enroll them in Guardian push, or verify the user's email.",
    );
  });

  it("uses email up to 300 s for a client whose only channel is email", async () => {
    const h = await createHarness(withChannels(["email"]));
    const id = await h.start({ requested_expiry: "300" });
    expect(h.store.get(id)?.channel).toBe("email");
  });

  it("falls back to email when the tenant's push factor is off", async () => {
    const h = await createHarness(
      combine(pushAndEmail, {
        assets: (assets) => ({
          ...assets,
          guardianFactors: [{ name: "push-notification", enabled: false }],
        }),
      }),
    );
    const id = await h.start();
    expect(h.store.get(id)?.channel).toBe("email");
  });
});

describe("POST /bc-authorize and /oauth/token: Auth0's rate limits", () => {
  const xRateLimit = (response: { headers: Record<string, string> }) => ({
    limit: response.headers["x-ratelimit-limit"],
    remaining: response.headers["x-ratelimit-remaining"],
    reset: response.headers["x-ratelimit-reset"],
  });
  const unix = (ms: number) => String(Math.ceil(ms / 1000));

  it("sends one person at most 5 requests a minute by default, then 429 with when to retry", async () => {
    const h = await createHarness();
    const t0 = h.clock.now();
    for (let left = 4; left >= 0; left -= 1) {
      const ok = await h.bcAuthorize().expect(200);
      expect(xRateLimit(ok)).toEqual({
        limit: "5",
        remaining: String(left),
        reset: unix(t0 + 12_000),
      });
    }
    const refused = await h.bcAuthorize().expect(429);
    expect(refused.body).toEqual({
      error: "too_many_requests",
      error_description:
        "Too many backchannel authentication requests for user auth0|testbed-user: Auth0 sends one user at most 5 a minute (ciba.perUserRequestsPerMinute). Retry after 12 s.",
    });
    expect(refused.headers["retry-after"]).toBe("12");
    expect(xRateLimit(refused)).toEqual({ limit: "5", remaining: "0", reset: unix(t0 + 12_000) });
    expect(h.store.size).toBe(5);
    // Another person is not affected; the bucket gains one request every 12 s.
    await h.bcAuthorize({ login_hint: loginHint("auth0|second-user") }).expect(200);
    h.clock.advance(12_000);
    await h.bcAuthorize().expect(200);
    await h.bcAuthorize().expect(429);
  });

  it("counts only the requests it accepts against the person", async () => {
    const h = await createHarness(withCiba({ perUserRequestsPerMinute: 1 }));
    await h.bcAuthorize({ binding_message: "x".repeat(65) }).expect(400);
    await h.bcAuthorize().expect(200);
    await h.bcAuthorize().expect(429);
  });

  it("turns the per-user limit off with null", async () => {
    const h = await createHarness(withCiba({ perUserRequestsPerMinute: null }));
    for (let i = 0; i < 8; i += 1) await h.start();
    expect(h.store.size).toBe(8);
  });

  it("limits /bc-authorize per IP address, counting every request", async () => {
    const h = await createHarness(withCiba({ perIpRequestsPerMinute: 2 }));
    await h.bcAuthorize({ scope: "product:buy" }).expect(400);
    await h.bcAuthorize({ login_hint: loginHint("auth0|second-user") }).expect(200);
    const refused = await h.bcAuthorize().expect(429);
    expect(refused.body.error_description).toMatch(
      /^Too many backchannel authentication requests from \S*127\.0\.0\.1: Auth0 allows 2 a minute from one IP address \(ciba\.perIpRequestsPerMinute\)\. Retry after 30 s\.$/,
    );
    expect(refused.headers["retry-after"]).toBe("30");
    expect(xRateLimit(refused)).toMatchObject({ limit: "2", remaining: "0" });
  });

  it("applies Auth0's 500 a minute per IP address by default", async () => {
    const h = await createHarness();
    expect(h.tenant.ciba.perIpRequestsPerMinute).toBe(500);
    expect(h.tenant.rateLimits.authenticationApiRequestsPerSecond).toBe(100);
  });

  it("limits the whole tenant's Authentication API: /bc-authorize and /oauth/token share it", async () => {
    const h = await createHarness(withRateLimits({ authenticationApiRequestsPerSecond: 3 }));
    const id = await h.start();
    const pending = await h.poll(id).expect(400);
    expect(xRateLimit(pending)).toMatchObject({ limit: "3", remaining: "1" });
    // One poll interval (Auth0's 5 s) later.
    h.clock.advance(5_000);
    // The bucket is full again: 3 at once, the fourth waits a third of a second.
    await h.poll(id).expect(400);
    await h.bcAuthorize().expect(200);
    await h.bcAuthorize().expect(200);
    const refused = await h.poll(id).expect(429);
    expect(refused.body).toEqual({
      error: "too_many_requests",
      error_description:
        "Too many Authentication API requests to this tenant: Auth0 allows 3 a second (rateLimits.authenticationApiRequestsPerSecond). Retry after 1 s.",
    });
    expect(refused.headers["retry-after"]).toBe("1");
    h.clock.advance(333);
    await h.bcAuthorize({ login_hint: loginHint("auth0|second-user") }).expect(429);
    h.clock.advance(1);
    await h.bcAuthorize({ login_hint: loginHint("auth0|second-user") }).expect(200);
  });

  it("reports the tightest limit: X-RateLimit-* on /oauth/token by default", async () => {
    const h = await createHarness();
    const id = await h.start();
    const pending = await h.poll(id).expect(400);
    expect(xRateLimit(pending)).toEqual({
      limit: "100",
      remaining: "98",
      reset: unix(h.clock.now() + 10),
    });
  });
});

describe("POST /bc-authorize: resource as the audience (Resource Parameter Compatibility Profile)", () => {
  const compatibility = {
    assets: (assets: Record<string, unknown>) => ({
      ...assets,
      tenant: {
        ...(assets.tenant as object | undefined),
        resource_parameter_profile: "compatibility",
      },
    }),
  };

  it("ignores resource under Auth0's default profile", async () => {
    const h = await createHarness();
    const id = await h.start({ audience: undefined, resource: "sample-shop-api" });
    expect(h.store.get(id)).toMatchObject({ audience: undefined, scope: ["openid"] });
  });

  it("reads resource when audience is absent under the compatibility profile", async () => {
    const h = await createHarness(compatibility);
    const id = await h.start({ audience: "", resource: "sample-shop-api" });
    expect(h.store.get(id)?.audience).toBe("sample-shop-api");
    await h
      .bcAuthorize({ audience: undefined, resource: "https://nowhere.example/" })
      .expect(403, /Service not found: https:\/\/nowhere.example\//);
  });

  it("prefers audience when both are sent", async () => {
    const h = await createHarness(compatibility);
    await h
      .bcAuthorize({ audience: "sample-shop-apii", resource: "sample-shop-api" })
      .expect(403, /Service not found: sample-shop-apii/);
  });
});

describe("POST /bc-authorize: login_hint's sub", () => {
  it("answers unknown_user_id for a well-formed id of nobody", async () => {
    const h = await createHarness();
    for (const sub of ["auth0|nobody", "google-oauth2|1234567890", "oauth2|custom|42"]) {
      const response = await h.bcAuthorize({ login_hint: loginHint(sub) }).expect(400);
      expect(response.body).toEqual({
        error: "unknown_user_id",
        error_description: "User ID is malformed or unknown",
      });
    }
  });

  it.each(["", "testbed-user", "auth0|", "|abc", "auth0 |abc", "auth0|a b", "auth0||x"])(
    "refuses the malformed sub %j as Auth0's malformed or unknown user id",
    async (sub) => {
      const h = await createHarness();
      const response = await h.bcAuthorize({ login_hint: loginHint(sub) }).expect(400);
      expect(response.body).toEqual({
        error: "unknown_user_id",
        error_description: "User ID is malformed or unknown",
      });
    },
  );

  it("refuses a sub that is not a string as a login_hint without one: invalid_request", async () => {
    const h = await createHarness();
    const hint = JSON.stringify({ format: "iss_sub", iss: ISSUER, sub: 42 });
    const response = await h.bcAuthorize({ login_hint: hint }).expect(400);
    expect(response.body).toEqual({
      error: "invalid_request",
      error_description:
        'login_hint parameter validation failed: "sub" contains unsupported format',
    });
  });
});
