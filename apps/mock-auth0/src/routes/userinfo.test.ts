import { SignJWT, generateKeyPair } from "jose";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { ISSUER, M2M, USER, createHarness, withRateLimits } from "../test-support/harness.js";
import type { Harness } from "../test-support/harness.js";

async function accessToken(h: Harness, params: Record<string, string | undefined>) {
  const id = await h.start(params);
  h.decide(id, "approve");
  return String((await h.poll(id).expect(200)).body.access_token);
}

const userinfo = (h: Harness, token: string, method: "get" | "post" = "get") =>
  request(h.app)[method]("/userinfo").set("Authorization", `Bearer ${token}`);

const invalidToken = (description: string) =>
  `Bearer realm="Users", error="invalid_token", error_description="${description}"`;

describe("/userinfo", () => {
  it("answers the person's claims for the scopes the opaque token carries, as Auth0's recording", async () => {
    const h = await createHarness();
    const token = await accessToken(h, { audience: undefined, scope: "openid profile email" });
    const response = await userinfo(h, token).expect(200);
    expect(response.body).toEqual({
      sub: USER,
      given_name: "Test",
      family_name: "Buyer",
      nickname: "buyer",
      name: "Test Buyer",
      picture: expect.stringMatching(/^https:\/\/s\.gravatar\.com\/avatar\//),
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      email: "buyer@example.com",
      email_verified: true,
    });
    await userinfo(h, token, "post").expect(200, response.body);
  });

  it("releases nothing but sub for openid alone", async () => {
    const h = await createHarness();
    const token = await accessToken(h, { audience: undefined, scope: "openid" });
    await userinfo(h, token).expect(200, { sub: USER });
  });

  it("accepts a JWT access token whose audience includes /userinfo (issued with openid)", async () => {
    const h = await createHarness();
    const token = await accessToken(h, { scope: "openid email product:buy" });
    await userinfo(h, token).expect(200, {
      sub: USER,
      email: "buyer@example.com",
      email_verified: true,
    });
  });

  it("refuses a token for an API only, with Auth0's WWW-Authenticate", async () => {
    const h = await createHarness();
    const machine = await request(h.app)
      .post("/oauth/token")
      .type("form")
      .send({
        grant_type: "client_credentials",
        client_id: M2M.id,
        client_secret: M2M.secret,
        audience: "sample-shop-api",
      })
      .expect(200);
    const response = await userinfo(h, String(machine.body.access_token)).expect(401);
    expect(response.headers["www-authenticate"]).toBe(invalidToken("Invalid token"));
    expect(response.body).toEqual({ error: "invalid_token", error_description: "Invalid token" });
  });

  it("refuses two Authorization headers (RFC 6750 section 3.1), even two of one person's token", async () => {
    const h = await createHarness();
    const token = await accessToken(h, {});
    const response = await request(h.app)
      .get("/userinfo")
      // Two headers, as superagent sends an array (its types allow arrays for Cookie only).
      .set("Authorization", [`Bearer ${token}`, `Bearer ${token}`] as unknown as string)
      .expect(400);
    expect(response.headers["www-authenticate"]).toBe(
      'Bearer realm="Users", error="invalid_request"',
    );
    expect(response.body).toEqual({
      error: "invalid_request",
      error_description: "Send one Authorization header; this request had 2",
    });
  });

  it("says when a token has expired", async () => {
    const h = await createHarness();
    const opaque = await accessToken(h, { audience: undefined, scope: "openid" });
    const jwt = await accessToken(h, { scope: "openid product:buy" });
    h.clock.advance(86_400_000);
    for (const token of [opaque, jwt]) {
      const response = await userinfo(h, token).expect(401);
      expect(response.headers["www-authenticate"]).toBe(invalidToken("The token has expired"));
    }
  });

  it("asks for a token when there is none in the Authorization header (RFC 6750 section 3.1)", async () => {
    const h = await createHarness();
    const token = await accessToken(h, { audience: undefined, scope: "openid" });
    for (const response of [
      await request(h.app).get("/userinfo").expect(401),
      await request(h.app).get(`/userinfo?access_token=${token}`).expect(401),
      await request(h.app).get("/userinfo").set("Authorization", `Basic ${token}`).expect(401),
    ]) {
      // No error code for a request without credentials (RFC 6750 section 3.1), and Auth0's
      // plain-text body (Auth0.Android issue 629).
      expect(response.headers["www-authenticate"]).toBe('Bearer realm="Users"');
      expect(response.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(response.text).toBe("Unauthorized");
    }
  });

  it.each([
    ["garbage", "not-a-token"],
    [
      "a JWE of another issuer",
      "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
    ],
  ])("refuses %s as invalid_token", async (_name, token) => {
    const h = await createHarness();
    const response = await userinfo(h, token).expect(401);
    expect(response.headers["www-authenticate"]).toBe(invalidToken("Invalid token"));
  });

  it("refuses a JWT signed by a key that is not the tenant's", async () => {
    const h = await createHarness();
    const { privateKey } = await generateKeyPair("RS256");
    const now = Math.floor(h.clock.now() / 1000);
    const forged = await new SignJWT({ scope: "openid email" })
      .setProtectedHeader({ alg: "RS256", kid: h.keys.currentKid })
      .setIssuer(ISSUER)
      .setSubject(USER)
      .setAudience(`${ISSUER}userinfo`)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey);
    await userinfo(h, forged).expect(401);
  });

  const xRateLimit = (response: request.Response) => ({
    limit: response.headers["x-ratelimit-limit"],
    remaining: response.headers["x-ratelimit-remaining"],
    reset: response.headers["x-ratelimit-reset"],
  });

  it("allows one user Auth0's burst of 10, then 5 a minute, then 429 with when to retry", async () => {
    const h = await createHarness();
    const token = await accessToken(h, { audience: undefined, scope: "openid" });
    const t0 = h.clock.now();
    const reset = String(Math.ceil((t0 + 12_000) / 1000));
    for (let left = 9; left >= 0; left -= 1) {
      const ok = await userinfo(h, token).expect(200);
      expect(xRateLimit(ok)).toEqual({ limit: "10", remaining: String(left), reset });
    }
    const refused = await userinfo(h, token, "post").expect(429);
    expect(refused.body).toEqual({
      error: "too_many_requests",
      error_description: `Too many /userinfo requests for user ${USER}: Auth0 allows one user 5 a minute (rateLimits.userinfoRequestsPerMinute). Retry after 12 s.`,
    });
    expect(refused.headers["retry-after"]).toBe("12");
    expect(xRateLimit(refused)).toEqual({ limit: "10", remaining: "0", reset });
    // Another person is not affected; the bucket gains one request every 12 s.
    const other = await accessToken(h, {
      audience: undefined,
      scope: "openid",
      login_hint: JSON.stringify({ format: "iss_sub", iss: ISSUER, sub: "auth0|second-user" }),
    });
    await userinfo(h, other).expect(200);
    h.clock.advance(12_000);
    await userinfo(h, token).expect(200);
    await userinfo(h, token).expect(429);
  });

  it("counts only requests whose token names a user", async () => {
    const h = await createHarness(
      withRateLimits({ userinfoRequestsPerMinute: 1, userinfoBurst: 1 }),
    );
    const token = await accessToken(h, { audience: undefined, scope: "openid" });
    await userinfo(h, "not-a-token").expect(401);
    await userinfo(h, token).expect(200);
    await userinfo(h, token).expect(429);
  });

  it("raises the limit with rateLimits.userinfoRequestsPerMinute and turns it off with null", async () => {
    const raised = await createHarness(withRateLimits({ userinfoRequestsPerMinute: 60 }));
    const token = await accessToken(raised, { audience: undefined, scope: "openid" });
    const first = await userinfo(raised, token).expect(200);
    expect(xRateLimit(first)).toMatchObject({ limit: "60", remaining: "59" });

    const off = await createHarness(withRateLimits({ userinfoRequestsPerMinute: null }));
    const unlimited = await accessToken(off, { audience: undefined, scope: "openid" });
    for (let i = 0; i < 12; i += 1) await userinfo(off, unlimited).expect(200);
  });
});
