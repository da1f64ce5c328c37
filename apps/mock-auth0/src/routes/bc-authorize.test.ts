import { describe, expect, it } from "vitest";

import {
  AGENT,
  USER,
  combine,
  createHarness,
  defaultAuthorizeParams,
  loginHint,
  withCiba,
  withShopApi,
} from "../test-support/harness.js";

describe("POST /bc-authorize", () => {
  it("answers Auth0's shape: auth_req_id, expires_in, interval", async () => {
    const h = await createHarness();
    const response = await h.bcAuthorize().expect(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    const body = response.body as { auth_req_id: string; expires_in: number; interval: number };
    expect(body.expires_in).toBe(300);
    expect(body.interval).toBe(1);
    // CIBA Core 1.0 section 7.3: at least 128 bits of entropy, in A-Za-z0-9.-_
    expect(body.auth_req_id).toMatch(/^[A-Za-z0-9._-]{22,}$/);
    expect(h.store.get(body.auth_req_id)).toMatchObject({
      userId: USER,
      clientId: AGENT.id,
      audience: "sample-shop-api",
      scope: ["openid", "product:buy"],
      bindingMessage: "Do you want to buy 2 XYZ phones",
      status: "pending",
      channel: "push",
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

  it("keeps authorization_details for the token", async () => {
    const h = await createHarness();
    const details = [
      { type: "product_purchase", product: "XYZ phone", quantity: 2, currency: "USD" },
    ];
    const id = await h.start({ authorization_details: JSON.stringify(details) });
    expect(h.store.get(id)?.authorizationDetails).toEqual(details);
  });

  it("uses e-mail past 300 s, where push enrolment is not needed", async () => {
    const h = await createHarness(withCiba({ maxExpiresInSeconds: 3600 }));
    const id = await h.start({
      login_hint: loginHint("auth0|no-push-user"),
      requested_expiry: "600",
    });
    expect(h.store.get(id)?.channel).toBe("email");
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
      "a user not enrolled in push",
      { login_hint: loginHint("auth0|no-push-user") },
      400,
      "invalid_request",
      /not enrolled in push/,
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
      400,
      "invalid_request",
      /^Service not found: sample-shop-apii$/,
    ],
    [
      "a scope the API does not define",
      { scope: "openid product:sell" },
      400,
      "invalid_scope",
      /product:sell is not defined on API sample-shop-api/,
    ],
    [
      "an API scope with no audience",
      { audience: undefined },
      400,
      "invalid_scope",
      /no audience was given/,
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

  it("limits requests per user when the tenant turns Auth0's limit on", async () => {
    const h = await createHarness(withCiba({ perUserRequestsPerMinute: 5 }));
    for (let i = 0; i < 5; i += 1) await h.start();
    const refused = await h.bcAuthorize().expect(429);
    expect(refused.body.error).toBe("too_many_requests");
    expect(refused.headers["retry-after"]).toBe("60");
    // Another user is not affected.
    await h.bcAuthorize({ login_hint: loginHint("auth0|second-user") }).expect(200);
    h.clock.advance(60_000);
    await h.bcAuthorize().expect(200);
  });

  it("caps the requests a tenant holds open: 429 at once past it, and the open ones keep working", async () => {
    const h = await createHarness(withCiba({ maxOpenRequests: 3 }));
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
    h.clock.advance(1_000);
    await h.poll(second).expect(200);
    await h.start();
    // Expiry frees slots too, without anyone polling.
    await h.bcAuthorize().expect(429);
    h.clock.advance(89_000);
    expect(h.store.get(third)?.status).toBe("expired");
    await h.start();
    expect(h.store.get(fourth)?.status).toBe("pending");
  });

  it("holds 10,000 open requests by default, as the tenant setting says", async () => {
    const h = await createHarness();
    expect(h.tenant.ciba.maxOpenRequests).toBe(10_000);
  });

  it("does not limit requests in the default tenant", async () => {
    const h = await createHarness();
    for (let i = 0; i < 8; i += 1) await h.start();
    expect(h.store.size).toBe(8);
  });

  it("accepts a JSON body as Auth0 does", async () => {
    const h = await createHarness();
    const { default: request } = await import("supertest");
    const response = await request(h.app)
      .post("/bc-authorize")
      .send({
        client_id: AGENT.id,
        client_secret: AGENT.secret,
        scope: "openid product:buy",
        audience: "sample-shop-api",
        login_hint: loginHint(USER),
        binding_message: "Do you want to buy 1 XYZ phone",
        requested_expiry: 120,
        authorization_details: [
          { type: "product_purchase", product: "XYZ phone", quantity: 1, currency: "USD" },
        ],
      });
    expect(response.body).toMatchObject({ expires_in: 120 });
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
  const userGrant = (grant: Record<string, unknown>) => ({
    assets: (assets: Record<string, unknown>) => ({
      ...assets,
      clientGrants: [
        ...(assets.clientGrants as object[]),
        {
          client_id: "Shopping agent",
          audience: "sample-shop-api",
          subject_type: "user",
          ...grant,
        },
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
    const without = await createHarness(userPolicy("require_client_grant"));
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
