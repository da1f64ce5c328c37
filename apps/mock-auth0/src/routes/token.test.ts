import { CIBA_GRANT_TYPE } from "@ciba-testbed/shared";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import request from "supertest";
import { describe, expect, it } from "vitest";

import {
  AGENT,
  ISSUER,
  M2M,
  USER,
  combine,
  createHarness,
  loginHint,
  withApprover,
  withCiba,
  withExtraClient,
  withShopApi,
  withUser,
} from "../test-support/harness.js";

const PURCHASE = [{ type: "product_purchase", product: "XYZ phone", quantity: 2, currency: "USD" }];

/** The shop API with `token_dialect: rfc9068_profile` (Auth0's RFC 9068 access token profile). */
const RFC9068_SHOP_API = withShopApi((api) => ({ ...api, token_dialect: "rfc9068_profile" }));

describe("POST /oauth/token with the CIBA grant", () => {
  it("walks pending -> approved -> tokens, then refuses the used id", async () => {
    const h = await createHarness();
    const id = await h.start({ authorization_details: JSON.stringify(PURCHASE) });

    const pending = await h.poll(id).expect(400);
    expect(pending.body).toEqual({
      error: "authorization_pending",
      error_description: "The end-user authorization is pending",
    });

    expect(h.decide(id, "approve").ok).toBe(true);
    // Auth0's interval, 5 s, before the next poll.
    h.clock.advance(5_000);
    const granted = await h.poll(id).expect(200);
    expect(granted.headers["cache-control"]).toBe("no-store");
    expect(granted.headers["content-type"]).toBe("application/json");
    expect(granted.headers.etag).toBeUndefined();
    expect(granted.body).toMatchObject({
      token_type: "Bearer",
      expires_in: 86_400,
      scope: "openid product:buy",
      authorization_details: PURCHASE,
    });

    const jwks = createLocalJWKSet(h.keys.jwks());
    const access = await jwtVerify(granted.body.access_token, jwks, {
      issuer: ISSUER,
      audience: "sample-shop-api",
      currentDate: new Date(h.clock.now()),
    });
    expect(access.protectedHeader).toMatchObject({ alg: "RS256", kid: h.keys.currentKid });
    expect(access.payload).toMatchObject({
      iss: ISSUER,
      sub: USER,
      aud: ["sample-shop-api", `${ISSUER}userinfo`],
      azp: AGENT.id,
      scope: "openid product:buy",
      iat: h.clock.now() / 1000,
      exp: h.clock.now() / 1000 + 86_400,
      authorization_details: PURCHASE,
    });
    // Auth0's default profile: these claims and no others (no jti), in a JWT typed as such.
    expect(Object.keys(access.payload).sort()).toEqual(
      ["iss", "sub", "aud", "iat", "exp", "scope", "azp", "authorization_details"].sort(),
    );
    expect(access.protectedHeader.typ).toBe("JWT");
    const idToken = await jwtVerify(granted.body.id_token, jwks, {
      issuer: ISSUER,
      audience: AGENT.id,
      currentDate: new Date(h.clock.now()),
    });
    expect(idToken.payload.sub).toBe(USER);

    h.clock.advance(5_000);
    const reused = await h.poll(id).expect(400);
    expect(reused.body.error).toBe("invalid_grant");
    expect(h.store.get(id)?.status).toBe("consumed");
  });

  it("answers access_denied after a denial", async () => {
    const h = await createHarness();
    const id = await h.start();
    h.decide(id, "deny");
    const response = await h.poll(id).expect(400);
    expect(response.body).toEqual({
      error: "access_denied",
      error_description: "The end-user denied the authorization request or it has been expired",
    });
  });

  it("answers Auth0's access_denied once expires_in has passed (by default)", async () => {
    const h = await createHarness();
    const id = await h.start({ requested_expiry: "3" });
    h.clock.advance(3_000);
    const response = await h.poll(id).expect(400);
    expect(response.body).toEqual({
      error: "access_denied",
      error_description: "The end-user denied the authorization request or it has been expired",
    });
    expect(h.store.get(id)?.status).toBe("expired");
    expect(h.store.get(id)?.timeline.at(-1)).toMatchObject({
      type: "poll",
      answer: "access_denied",
    });
  });

  it("answers the CIBA spec's expired_token after expiry when the tenant says so", async () => {
    const h = await createHarness(withCiba({ expiredError: "expired_token" }));
    const id = await h.start({ requested_expiry: "3" });
    h.clock.advance(3_001);
    const response = await h.poll(id).expect(400);
    expect(response.body.error).toBe("expired_token");
    expect(response.body.error_description).toMatch(
      /start a new backchannel authentication request/,
    );
  });

  it("expires an approval that was never collected", async () => {
    const h = await createHarness(withCiba({ expiredError: "expired_token" }));
    const id = await h.start({ requested_expiry: "10" });
    h.decide(id, "approve");
    h.clock.advance(10_000);
    expect((await h.poll(id).expect(400)).body.error).toBe("expired_token");
  });

  it("never refuses the first poll, however soon it comes", async () => {
    const h = await createHarness();
    const id = await h.start();
    await h.poll(id).expect(400, /authorization_pending/);
  });

  it("answers a grant's refusal with the headers and body shape of every other refusal", async () => {
    const h = await createHarness();
    const id = await h.start();
    // authorization_pending is answered by the token route itself, unsupported_grant_type by
    // the app's error handler: the same headers either way.
    const pending = await h.poll(id).expect(400);
    const unsupported = await h.poll(id, { grant_type: "urn:example:made-up" }).expect(400);
    const names = (headers: Record<string, string>) =>
      Object.keys(headers)
        .filter((name) => !["content-length", "date"].includes(name))
        .sort();
    expect(names(pending.headers)).toEqual(names(unsupported.headers));
    // No entity tag on an answer nobody may cache (Express would hash every body for one).
    expect(names(pending.headers)).not.toContain("etag");
    expect(pending.headers["content-type"]).toBe(unsupported.headers["content-type"]);
    expect(pending.headers["cache-control"]).toBe("no-store");
    expect(Object.keys(pending.body as object)).toEqual(["error", "error_description"]);
  });

  it("answers 429 slow_down with Retry-After when polled faster than the interval, growing each time", async () => {
    const h = await createHarness(withCiba({ intervalSeconds: 2 }));
    const id = await h.start();
    await h.poll(id).expect(400);

    h.clock.advance(500);
    const first = await h.poll(id).expect(429);
    // Auth0's body: the description and the new interval as a number; the wait in Retry-After.
    expect(first.body).toEqual({
      error: "slow_down",
      error_description: "You are polling faster than allowed. Try again in 7 seconds.",
      interval: 7,
    });
    expect(first.headers["retry-after"]).toBe("7");

    h.clock.advance(2_000);
    const second = await h.poll(id).expect(429);
    expect(second.headers["retry-after"]).toBe("12");

    // CIBA Core 1.0 section 11: the raised interval holds for every later poll.
    h.clock.advance(12_000);
    await h.poll(id).expect(400, /authorization_pending/);
    h.clock.advance(10_000);
    expect((await h.poll(id).expect(429)).headers["retry-after"]).toBe("17");
  });

  it("meets a client polling at the announced interval with slow_down when it enforces a longer one", async () => {
    const h = await createHarness(
      withCiba({ intervalSeconds: 0.2, enforcedIntervalSeconds: 1, slowDownIncrementSeconds: 1 }),
    );
    const started = await h.bcAuthorize().expect(200);
    expect(started.body.interval).toBe(0.2);
    const id = started.body.auth_req_id as string;
    await h.poll(id).expect(400, /authorization_pending/);
    h.clock.advance(200);
    expect((await h.poll(id).expect(429)).headers["retry-after"]).toBe("2");
    h.clock.advance(2_000);
    await h.poll(id).expect(400, /authorization_pending/);
  });

  it("expires a request early, server side, for an expire-after rule", async () => {
    // The spec's expired_token tells this expiry from a denial (Auth0's access_denied would not).
    const h = await createHarness(
      combine(withApprover("expire-after:1500"), withCiba({ expiredError: "expired_token" })),
    );
    const started = await h.bcAuthorize({ requested_expiry: "60" }).expect(200);
    // The client is told it has 60 s; the tenant gives up after 1.5 s.
    expect(started.body.expires_in).toBe(60);
    const id = started.body.auth_req_id as string;
    await h.poll(id).expect(400, /authorization_pending/);
    h.clock.advance(1_500);
    expect((await h.poll(id).expect(400)).body.error).toBe("expired_token");
    expect(h.store.get(id)?.status).toBe("expired");
  });

  it("measures 'too fast' per request, not per client", async () => {
    const h = await createHarness();
    const a = await h.start();
    const b = await h.start();
    await h.poll(a).expect(400, /authorization_pending/);
    await h.poll(b).expect(400, /authorization_pending/);
  });

  it("accepts a poll at the interval, within a small tolerance", async () => {
    const h = await createHarness(withCiba({ intervalSeconds: 1 }));
    const id = await h.start();
    await h.poll(id).expect(400);
    h.clock.advance(950);
    await h.poll(id).expect(400, /authorization_pending/);
  });

  it("records every poll and its answer in the timeline", async () => {
    const h = await createHarness();
    const id = await h.start();
    await h.poll(id);
    h.clock.advance(100);
    await h.poll(id);
    // The slow_down raised the interval from Auth0's 5 s to 10 s.
    h.clock.advance(10_000);
    h.decide(id, "approve");
    await h.poll(id).expect(200);
    const record = h.store.get(id);
    expect(record?.polls).toBe(3);
    expect(record?.timeline.map((e) => ("answer" in e ? `poll:${e.answer}` : e.type))).toEqual([
      "created",
      "poll:authorization_pending",
      "poll:slow_down",
      "approved",
      "poll:token",
      "token_issued",
    ]);
  });

  it.each([
    ["an unknown auth_req_id", "no-such-request"],
    ["an empty auth_req_id", ""],
  ])("refuses %s", async (_name, id) => {
    const h = await createHarness();
    const response = await h.poll(id).expect(400);
    expect(response.body.error).toBe(id === "" ? "invalid_request" : "invalid_grant");
  });

  it("refuses another client's auth_req_id as invalid_grant, without revealing it exists", async () => {
    const h = await createHarness(
      withExtraClient(
        { name: "Other agent", grant_types: [CIBA_GRANT_TYPE] },
        { client_id: "other-agent", client_secret: "other-agent-secret" },
      ),
    );
    const id = await h.start();
    h.decide(id, "approve");
    const response = await h
      .poll(id, { client_id: "other-agent", client_secret: "other-agent-secret" })
      .expect(400);
    expect(response.body.error).toBe("invalid_grant");
    // The rightful client still gets its tokens.
    await h.poll(id).expect(200);
  });

  it("refuses a purged auth_req_id as invalid_grant", async () => {
    const h = await createHarness();
    const id = await h.start({ requested_expiry: "5" });
    h.clock.advance(5_000 + h.tenant.ciba.retentionSeconds * 1000);
    expect(h.store.get(id)).toBeUndefined();
    expect((await h.poll(id).expect(400)).body.error).toBe("invalid_grant");
  });

  it("refuses bad client authentication before looking at the request, as Auth0's token endpoint does", async () => {
    const h = await createHarness();
    const id = await h.start();
    // Auth0 answers an unknown client_id or a wrong secret at /oauth/token this way, not with
    // invalid_client; the tenant's log says which.
    const wrong = await h.poll(id, { client_secret: "wrong" }).expect(401);
    expect(wrong.body).toEqual({ error: "access_denied", error_description: "Unauthorized" });
    const unknown = await h.poll(id, { client_id: "nobody", client_secret: "x" }).expect(401);
    expect(unknown.body).toEqual({ error: "access_denied", error_description: "Unauthorized" });
    // No secret from a client that has one gets the same answer: a confidential application
    // called without its secret gets 401 access_denied "Unauthorized" from Auth0's token
    // endpoint (auth0/auth0-spa-js#539 and #488, auth0-samples/auth0-angular-samples#201,
    // auth0/docs#9117), not invalid_client.
    const empty = await h.poll(id, { client_secret: "" }).expect(401);
    expect(empty.body).toEqual({ error: "access_denied", error_description: "Unauthorized" });
    const none = await request(h.app)
      .post("/oauth/token")
      .type("form")
      .send({ client_id: AGENT.id, grant_type: CIBA_GRANT_TYPE, auth_req_id: id })
      .expect(401);
    expect(none.body).toEqual({ error: "access_denied", error_description: "Unauthorized" });
    expect(h.store.get(id)?.polls).toBe(0);
  });

  /** `POST /oauth/token` with `grant_type` and the agent's own credentials, nothing else. */
  const asAgent = (h: Awaited<ReturnType<typeof createHarness>>, grantType: string) =>
    request(h.app)
      .post("/oauth/token")
      .type("form")
      .send({ client_id: AGENT.id, client_secret: AGENT.secret, grant_type: grantType });

  // go-auth0's recordings: /oauth/token answers `application/json` with no charset, a token
  // and authorization_pending alike; /bc-authorize says `application/json; charset=utf-8`.
  it("answers as application/json with no charset, a token and every refusal alike, as Auth0's token endpoint", async () => {
    const h = await createHarness();
    const id = await h.start();
    expect(h.decide(id, "approve").ok).toBe(true);
    h.clock.advance(1_000);
    const answers = [
      await h.poll(id).expect(200),
      // The grant's own refusal (the id is used now), a failed client authentication, a
      // missing parameter, a body that is not a form, and a body over the limit.
      await h.poll(id).expect(400),
      await h.poll(id, { client_secret: "wrong" }).expect(401),
      await request(h.app)
        .post("/oauth/token")
        .type("form")
        .send({ client_id: AGENT.id, client_secret: AGENT.secret }),
      await request(h.app).post("/oauth/token").type("text/plain").send("grant_type=x"),
      await request(h.app)
        .post("/oauth/token")
        .type("form")
        .send({ grant_type: CIBA_GRANT_TYPE, padding: "x".repeat(200_000) }),
    ];
    expect(answers.map((answer) => [answer.status, answer.headers["content-type"]])).toEqual([
      [200, "application/json"],
      [400, "application/json"],
      [401, "application/json"],
      [400, "application/json"],
      [415, "application/json"],
      [413, "application/json"],
    ]);
    expect(answers.slice(1).every((answer) => typeof answer.body.error === "string")).toBe(true);
    // A body the tenant does not read is named, not answered for the parameters it carried.
    expect(answers[4]?.body).toEqual({
      error: "invalid_request",
      error_description:
        'The request body\'s Content-Type is "text/plain", and this endpoint reads application/x-www-form-urlencoded or application/json: send the parameters as a form, with Content-Type: application/x-www-form-urlencoded',
    });
  });

  // Auth0's Standard Error Responses (auth0/docs, articles/api/authentication/errors/_errors.md)
  // give unsupported_grant_type a 501; the testbed keeps RFC 6749 section 5.2's 400, as it
  // answers nothing a client sent with a 5xx (docs/auth0-fidelity.md: a deliberate difference).
  it("refuses a grant type Auth0 does not have with 400 unsupported_grant_type", async () => {
    const h = await createHarness();
    const response = await asAgent(h, "urn:example:made-up").expect(400);
    expect(response.body).toEqual({
      error: "unsupported_grant_type",
      error_description: expect.stringMatching(/^Unsupported grant type: urn:example:made-up\./),
    });
  });

  it.each([["password"], ["http://auth0.com/oauth/grant-type/password-realm"]])(
    "refuses %s, a grant type Auth0 has and the client is not allowed, as Auth0 does: 403 unauthorized_client",
    async (grantType) => {
      const h = await createHarness();
      const response = await asAgent(h, grantType).expect(403);
      expect(response.body).toEqual({
        error: "unauthorized_client",
        error_description: `Grant type '${grantType}' not allowed for the client.`,
      });
    },
  );

  it("says it is mock-auth0's own limit when the client has a grant type of Auth0's that mock-auth0 does not implement", async () => {
    const h = await createHarness({
      assets: (assets) => ({
        ...assets,
        clients: (assets.clients as Record<string, unknown>[]).map((client, i) =>
          i === 0
            ? { ...client, grant_types: [...(client.grant_types as string[]), "password"] }
            : client,
        ),
      }),
    });
    const response = await asAgent(h, "password").expect(400);
    expect(response.body).toEqual({
      error: "unsupported_grant_type",
      error_description: expect.stringMatching(
        /^Grant type password is one Auth0 has and mock-auth0 does not: it supports /,
      ),
    });
  });

  it("refuses a grant type the client may not use", async () => {
    const h = await createHarness();
    const response = await asAgent(h, "client_credentials").expect(403);
    expect(response.body.error).toBe("unauthorized_client");
  });

  it("gives two identical approvals collected in the same second the same access token, as Auth0's profile (no jti) does", async () => {
    const h = await createHarness();
    const details = { authorization_details: JSON.stringify(PURCHASE) };
    const [a, b] = [await h.start(details), await h.start(details)];
    h.decide(a, "approve");
    h.decide(b, "approve");
    const first = (await h.poll(a).expect(200)).body.access_token as string;
    const second = (await h.poll(b).expect(200)).body.access_token as string;
    // A resource server that spends an approval once sees these as one approval.
    expect(second).toBe(first);
  });

  it("issues RFC 9068 access tokens for an API with token_dialect rfc9068_profile: typ at+jwt, client_id and a fresh jti, no azp", async () => {
    const h = await createHarness(RFC9068_SHOP_API);
    const details = { authorization_details: JSON.stringify(PURCHASE) };
    const [a, b] = [await h.start(details), await h.start(details)];
    h.decide(a, "approve");
    h.decide(b, "approve");
    const first = (await h.poll(a).expect(200)).body as { access_token: string; id_token: string };
    const second = (await h.poll(b).expect(200)).body as { access_token: string };

    const jwks = createLocalJWKSet(h.keys.jwks());
    const access = await jwtVerify(first.access_token, jwks, {
      issuer: ISSUER,
      audience: "sample-shop-api",
      // RFC 9068 section 4: the resource server checks the type.
      typ: "at+jwt",
      currentDate: new Date(h.clock.now()),
    });
    expect(access.protectedHeader).toEqual({
      alg: "RS256",
      typ: "at+jwt",
      kid: h.keys.currentKid,
    });
    const iat = h.clock.now() / 1000;
    expect(access.payload).toEqual({
      iss: ISSUER,
      sub: USER,
      aud: ["sample-shop-api", `${ISSUER}userinfo`],
      client_id: AGENT.id,
      iat,
      exp: iat + 86_400,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      scope: "openid product:buy",
      authorization_details: PURCHASE,
    });
    // Unlike Auth0's profile, two identical approvals in the same second are two tokens.
    expect(decodeJwt(second.access_token).jti).not.toBe(access.payload.jti);
    expect(second.access_token).not.toBe(first.access_token);
    // The profile is the access token's: the ID token stays a JWT.
    expect(decodeProtectedHeader(first.id_token).typ).toBe("JWT");
  });

  it("issues an opaque access token, not a JWT, without an API audience", async () => {
    const h = await createHarness();
    const id = await h.start({ audience: undefined, scope: "openid" });
    h.decide(id, "approve");
    const response = await h.poll(id).expect(200);
    expect(response.body).toMatchObject({
      token_type: "Bearer",
      expires_in: 86_400,
      scope: "openid",
    });
    expect(() => decodeJwt(response.body.access_token as string)).toThrow();
    expect((response.body.access_token as string).split(".")).toHaveLength(5);
  });

  it("puts the profile and email claims of the scopes granted, and only those, in the ID token", async () => {
    const h = await createHarness();
    const claimsFor = async (scope: string) => {
      const id = await h.start({ scope });
      h.decide(id, "approve");
      const response = await h.poll(id).expect(200);
      return decodeJwt(response.body.id_token as string);
    };
    const iat = h.clock.now() / 1000;
    expect(await claimsFor("openid profile email product:buy")).toEqual({
      given_name: "Test",
      family_name: "Buyer",
      nickname: "buyer",
      name: "Test Buyer",
      picture: expect.stringMatching(/^https:\/\/s\.gravatar\.com\/avatar\/[0-9a-f]{32}\?/),
      updated_at: new Date(h.clock.now()).toISOString(),
      email: "buyer@example.com",
      email_verified: true,
      iss: ISSUER,
      sub: USER,
      aud: AGENT.id,
      iat,
      exp: iat + 36_000,
      auth_time: iat,
    });
    const emailOnly = await claimsFor("openid email product:buy");
    expect(emailOnly).toMatchObject({ email: "buyer@example.com", email_verified: true });
    expect(emailOnly).not.toHaveProperty("name");
    const bare = await claimsFor("openid product:buy");
    expect(Object.keys(bare).sort()).toEqual(["aud", "auth_time", "exp", "iat", "iss", "sub"]);
  });

  it("sets auth_time to when the person approved, not to when the token was polled", async () => {
    const h = await createHarness();
    const id = await h.start();
    h.clock.advance(3_000);
    const approvedAt = h.clock.now() / 1000;
    h.decide(id, "approve");
    h.clock.advance(7_000);
    const response = await h.poll(id).expect(200);
    expect(decodeJwt(response.body.id_token as string)).toMatchObject({
      iat: approvedAt + 7,
      auth_time: approvedAt,
    });
  });

  it("gives email_verified as the users file has it", async () => {
    const h = await createHarness(
      withUser("testbed-user", (u) => ({ ...u, email_verified: false })),
    );
    const id = await h.start({ scope: "openid email product:buy" });
    h.decide(id, "approve");
    const response = await h.poll(id).expect(200);
    expect(decodeJwt(response.body.id_token as string).email_verified).toBe(false);
  });

  it("follows a scheduled approval from the approver policy", async () => {
    const h = await createHarness(withApprover("approve-after:7500"));
    const id = await h.start();
    await h.poll(id).expect(400, /authorization_pending/);
    h.clock.advance(5_000);
    await h.poll(id).expect(400, /authorization_pending/);
    h.clock.advance(5_000);
    await h.poll(id).expect(200);
    expect(h.store.get(id)?.decision).toMatchObject({ decision: "approve", by: "rule" });
  });

  it("accepts the login_hint of the user it identifies only", async () => {
    const h = await createHarness();
    const id = await h.start({ login_hint: loginHint("auth0|second-user") });
    h.decide(id, "approve");
    const response = await h.poll(id).expect(200);
    expect(decodeJwt(response.body.access_token).sub).toBe("auth0|second-user");
  });
});

describe("POST /oauth/token with client_credentials", () => {
  const clientCredentials = (
    h: Awaited<ReturnType<typeof createHarness>>,
    body: Record<string, string>,
  ) =>
    request(h.app)
      .post("/oauth/token")
      .type("form")
      .send({ grant_type: "client_credentials", ...body });

  it("issues a machine token marked as Auth0 marks them", async () => {
    const h = await createHarness();
    const response = await clientCredentials(h, {
      client_id: M2M.id,
      client_secret: M2M.secret,
      audience: "sample-shop-api",
    }).expect(200);
    expect(response.body).toMatchObject({
      token_type: "Bearer",
      scope: "product:buy",
      expires_in: 86_400,
    });
    expect(response.body.id_token).toBeUndefined();
    expect(decodeJwt(response.body.access_token)).toMatchObject({
      sub: `${M2M.id}@clients`,
      gty: "client-credentials",
      aud: "sample-shop-api",
      azp: M2M.id,
      iss: ISSUER,
    });
    expect(decodeJwt(response.body.access_token)).not.toHaveProperty("jti");
    expect(decodeProtectedHeader(response.body.access_token).typ).toBe("JWT");
  });

  it("asks a repeated scope once, in the answer and the token (a scope is a set)", async () => {
    const h = await createHarness();
    const response = await clientCredentials(h, {
      client_id: M2M.id,
      client_secret: M2M.secret,
      audience: "sample-shop-api",
      scope: "product:buy  product:buy",
    }).expect(200);
    expect(response.body.scope).toBe("product:buy");
    expect(decodeJwt(response.body.access_token).scope).toBe("product:buy");
  });

  // Auth0's Standard Error Responses (auth0/docs, articles/api/authentication/errors/_errors.md):
  // 400 invalid_scope "Scope must be an array or a string"; an array of strings is a scope.
  it("reads a JSON body's scope as a string or an array of strings, and answers any other type with Auth0's invalid_scope", async () => {
    const h = await createHarness();
    const send = (scope: unknown) =>
      request(h.app).post("/oauth/token").send({
        grant_type: "client_credentials",
        client_id: M2M.id,
        client_secret: M2M.secret,
        audience: "sample-shop-api",
        scope,
      });
    const granted = await send(["product:buy"]).expect(200);
    expect(granted.body.scope).toBe("product:buy");
    const refused = await send(42).expect(400);
    expect(refused.headers["content-type"]).toBe("application/json");
    expect(refused.body).toEqual({
      error: "invalid_scope",
      error_description: "Scope must be an array or a string; got a number",
    });
  });

  it("issues a machine token in the RFC 9068 profile for an API with token_dialect rfc9068_profile: client_id, jti, no gty", async () => {
    const h = await createHarness(RFC9068_SHOP_API);
    const response = await clientCredentials(h, {
      client_id: M2M.id,
      client_secret: M2M.secret,
      audience: "sample-shop-api",
    }).expect(200);
    const { payload, protectedHeader } = await jwtVerify(
      response.body.access_token as string,
      createLocalJWKSet(h.keys.jwks()),
      {
        issuer: ISSUER,
        audience: "sample-shop-api",
        typ: "at+jwt",
        currentDate: new Date(h.clock.now()),
      },
    );
    expect(protectedHeader).toEqual({ alg: "RS256", typ: "at+jwt", kid: h.keys.currentKid });
    const iat = h.clock.now() / 1000;
    expect(payload).toEqual({
      iss: ISSUER,
      sub: `${M2M.id}@clients`,
      aud: "sample-shop-api",
      client_id: M2M.id,
      iat,
      exp: iat + 86_400,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      scope: "product:buy",
    });
  });

  it("authenticates with client_secret_basic too", async () => {
    const h = await createHarness();
    await request(h.app)
      .post("/oauth/token")
      .auth(M2M.id, M2M.secret)
      .type("form")
      .send({ grant_type: "client_credentials", audience: "sample-shop-api" })
      .expect(200);
  });

  it.each([
    [{}, 403, /No audience parameter was provided/],
    [{ audience: "nope" }, 403, /Service not found: nope/],
    [
      { audience: "sample-shop-api", scope: "product:sell" },
      403,
      /not been granted scopes: product:sell/,
    ],
  ])("refuses %j", async (params, status, description) => {
    const h = await createHarness();
    const response = await clientCredentials(h, {
      client_id: M2M.id,
      client_secret: M2M.secret,
      ...params,
    }).expect(status);
    expect(response.body.error).toBe("access_denied");
    expect(response.body.error_description).toMatch(description);
  });

  it("follows the API's client access policy and the grant's allow_all_scopes", async () => {
    const policy = (client: string) =>
      withShopApi((api) => ({
        ...api,
        subject_type_authorization: { user: { policy: "allow_all" }, client: { policy: client } },
      }));
    const denied = await createHarness(policy("deny_all"));
    const refused = await clientCredentials(denied, {
      client_id: M2M.id,
      client_secret: M2M.secret,
      audience: "sample-shop-api",
    }).expect(403);
    expect(refused.body.error_description).toMatch(/client access policy is deny_all/);

    const all = await createHarness({
      assets: (assets) => ({
        ...assets,
        clientGrants: [
          { client_id: "Back-office service", audience: "sample-shop-api", allow_all_scopes: true },
        ],
      }),
    });
    const granted = await clientCredentials(all, {
      client_id: M2M.id,
      client_secret: M2M.secret,
      audience: "sample-shop-api",
    }).expect(200);
    expect(granted.body.scope).toBe("product:buy");
  });

  it("does not count a user grant for client credentials", async () => {
    const h = await createHarness({
      assets: (assets) => ({
        ...assets,
        clientGrants: [
          {
            client_id: "Back-office service",
            audience: "sample-shop-api",
            subject_type: "user",
            scope: ["product:buy"],
          },
        ],
      }),
    });
    await clientCredentials(h, {
      client_id: M2M.id,
      client_secret: M2M.secret,
      audience: "sample-shop-api",
    }).expect(403, /not authorized to access/);
  });
});
