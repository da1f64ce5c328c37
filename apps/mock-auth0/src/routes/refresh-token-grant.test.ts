import { createHash, randomBytes } from "node:crypto";

import { CIBA_GRANT_TYPE } from "@ciba-testbed/shared";
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import request from "supertest";
import { describe, expect, it } from "vitest";

import {
  AGENT,
  ISSUER,
  USER,
  combine,
  withLoginHintLogin,
  createHarness,
  withClientAsset,
  withExtraClient,
  withShopApi,
} from "../test-support/harness.js";
import type { Harness } from "../test-support/harness.js";

const PURCHASE = [{ type: "product_purchase", product: "XYZ phone", quantity: 2, currency: "USD" }];
const INVALID = { error: "invalid_grant", error_description: "Unknown or invalid refresh token." };

/** A CIBA request approved and collected: the token response. */
async function approvedTokens(h: Harness, params: Record<string, string | undefined> = {}) {
  const id = await h.start({
    audience: undefined,
    scope: "openid profile offline_access",
    ...params,
  });
  h.decide(id, "approve");
  return (await h.poll(id).expect(200)).body as Record<string, unknown>;
}

const refresh = (h: Harness, refreshToken: unknown, params: Record<string, string> = {}) =>
  request(h.app)
    .post("/oauth/token")
    .type("form")
    .send({
      client_id: AGENT.id,
      client_secret: AGENT.secret,
      grant_type: "refresh_token",
      refresh_token: String(refreshToken),
      ...params,
    });

const agentRefreshTokens = (settings: Record<string, unknown>) =>
  withClientAsset("Shopping agent", (c) => ({ ...c, refresh_token: settings }));

describe("offline_access and the refresh token", () => {
  it("returns a refresh token for offline_access without an audience (the repository's agent may refresh)", async () => {
    const h = await createHarness();
    const tokens = await approvedTokens(h);
    expect(tokens).toEqual({
      access_token: expect.any(String),
      id_token: expect.any(String),
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{65}$/),
      token_type: "Bearer",
      expires_in: 86_400,
      scope: "openid profile offline_access",
    });
  });

  it("returns none for an API that does not allow offline access (the shop API), and one for an API that does", async () => {
    const shop = { audience: "sample-shop-api", scope: "openid offline_access product:buy" };
    const denied = await createHarness();
    const withoutRefresh = await approvedTokens(denied, shop);
    expect(withoutRefresh).not.toHaveProperty("refresh_token");
    expect(withoutRefresh.scope).toBe("openid offline_access product:buy");

    const allowed = await createHarness(
      withShopApi((api) => ({ ...api, allow_offline_access: true })),
    );
    const tokens = await approvedTokens(allowed, {
      ...shop,
      authorization_details: JSON.stringify(PURCHASE),
    });
    const refreshed = await refresh(allowed, tokens.refresh_token).expect(200);
    const { payload } = await jwtVerify(
      String(refreshed.body.access_token),
      createLocalJWKSet(allowed.keys.jwks()),
      { issuer: ISSUER, audience: "sample-shop-api", currentDate: new Date(allowed.clock.now()) },
    );
    // The grant the person approved, renewed: RFC 9396 keeps its authorization_details.
    expect(payload).toMatchObject({ sub: USER, authorization_details: PURCHASE });
    expect(refreshed.body.authorization_details).toEqual(PURCHASE);
  });

  it("marks a refreshed access token gty refresh_token, as Auth0's profile does, and the CIBA one not", async () => {
    const h = await createHarness(withShopApi((api) => ({ ...api, allow_offline_access: true })));
    const tokens = await approvedTokens(h, {
      audience: "sample-shop-api",
      scope: "openid product:buy offline_access",
    });
    expect(decodeJwt(String(tokens.access_token))).not.toHaveProperty("gty");
    const refreshed = await refresh(h, tokens.refresh_token).expect(200);
    expect(decodeJwt(String(refreshed.body.access_token))).toMatchObject({
      sub: USER,
      azp: AGENT.id,
      gty: "refresh_token",
    });
  });

  it("renews an RFC 9068 access token in its profile for an API with token_dialect rfc9068_profile", async () => {
    const h = await createHarness(
      withShopApi((api) => ({
        ...api,
        allow_offline_access: true,
        token_dialect: "rfc9068_profile",
      })),
    );
    const tokens = await approvedTokens(h, {
      audience: "sample-shop-api",
      scope: "openid offline_access product:buy",
    });
    const refreshed = await refresh(h, tokens.refresh_token).expect(200);
    const { payload, protectedHeader } = await jwtVerify(
      String(refreshed.body.access_token),
      createLocalJWKSet(h.keys.jwks()),
      {
        issuer: ISSUER,
        audience: "sample-shop-api",
        typ: "at+jwt",
        currentDate: new Date(h.clock.now()),
      },
    );
    expect(protectedHeader.typ).toBe("at+jwt");
    expect(payload).toMatchObject({ sub: USER, client_id: AGENT.id });
    expect(payload).not.toHaveProperty("azp");
    // "The RFC 9068 profile does not use the gty claim" (Access Token Profiles).
    expect(payload).not.toHaveProperty("gty");
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(payload.jti).not.toBe(decodeJwt(String(tokens.access_token)).jti);
  });

  it("returns none for a client without the refresh_token grant", async () => {
    const h = await createHarness(
      withClientAsset("Shopping agent", (c) => ({ ...c, grant_types: [CIBA_GRANT_TYPE] })),
    );
    expect(await approvedTokens(h)).not.toHaveProperty("refresh_token");
  });
});

describe("POST /oauth/token with grant_type=refresh_token", () => {
  it("answers as Auth0's recording: new tokens and, for rotating tokens, a new refresh token", async () => {
    const h = await createHarness();
    const tokens = await approvedTokens(h);
    h.clock.advance(60_000);
    const refreshed = await refresh(h, tokens.refresh_token).expect(200);
    expect(refreshed.headers["cache-control"]).toBe("no-store");
    expect(refreshed.body).toEqual({
      access_token: expect.any(String),
      id_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: "Bearer",
      expires_in: 86_400,
      scope: "openid profile offline_access",
    });
    expect(refreshed.body.refresh_token).not.toBe(tokens.refresh_token);
    const idToken = decodeJwt(String(refreshed.body.id_token));
    // A new ID token, for the person who approved, when they approved.
    expect(idToken).toMatchObject({
      sub: USER,
      aud: AGENT.id,
      name: "Test Buyer",
      iat: h.clock.now() / 1000,
      auth_time: h.clock.now() / 1000 - 60,
    });
    await request(h.app)
      .get("/userinfo")
      .set("Authorization", `Bearer ${String(refreshed.body.access_token)}`)
      .expect(200, { sub: USER, ...(await userinfoOf(h, tokens.access_token)) });
  });

  it("revokes the whole family when a rotated token comes back: Auth0's 403 for every later use", async () => {
    const h = await createHarness();
    const tokens = await approvedTokens(h);
    const second = (await refresh(h, tokens.refresh_token).expect(200)).body.refresh_token;
    const third = (await refresh(h, second).expect(200)).body.refresh_token;

    const reused = await refresh(h, tokens.refresh_token).expect(403);
    expect(reused.body).toEqual(INVALID);
    // The newest token of the family is revoked too.
    expect((await refresh(h, third).expect(403)).body).toEqual(INVALID);
    expect((await refresh(h, second).expect(403)).body).toEqual(INVALID);
  });

  it("lets a non-rotating refresh token be used again, and sends no new one", async () => {
    const h = await createHarness(agentRefreshTokens({ rotation_type: "non-rotating" }));
    const tokens = await approvedTokens(h);
    for (let i = 0; i < 3; i++) {
      const refreshed = await refresh(h, tokens.refresh_token).expect(200);
      expect(refreshed.body).not.toHaveProperty("refresh_token");
    }
  });

  it("ends a refresh token at the client's idle lifetime, which each use renews", async () => {
    const h = await createHarness(
      agentRefreshTokens({
        rotation_type: "rotating",
        expiration_type: "expiring",
        token_lifetime: 3_600,
        idle_token_lifetime: 600,
      }),
    );
    const tokens = await approvedTokens(h);
    h.clock.advance(599_000);
    const next = (await refresh(h, tokens.refresh_token).expect(200)).body.refresh_token;
    h.clock.advance(600_000);
    expect((await refresh(h, next).expect(403)).body).toEqual(INVALID);
  });

  it("refuses another client's refresh token and leaves it to its own client", async () => {
    const h = await createHarness(
      withExtraClient(
        { name: "Other agent", grant_types: [CIBA_GRANT_TYPE, "refresh_token"] },
        { client_id: "other-agent", client_secret: "other-agent-secret" },
      ),
    );
    const tokens = await approvedTokens(h);
    const stolen = await refresh(h, tokens.refresh_token, {
      client_id: "other-agent",
      client_secret: "other-agent-secret",
    }).expect(403);
    expect(stolen.body).toEqual(INVALID);
    await refresh(h, tokens.refresh_token).expect(200);
  });

  it("narrows to the scopes asked for, never widens, and keeps offline_access", async () => {
    const h = await createHarness();
    const tokens = await approvedTokens(h);
    const narrowed = await refresh(h, tokens.refresh_token, { scope: "openid email" }).expect(200);
    expect(narrowed.body.scope).toBe("openid offline_access");
    expect(decodeJwt(String(narrowed.body.id_token))).not.toHaveProperty("name");
  });

  it.each([
    ["no refresh_token", undefined, 400, "invalid_request"],
    ["one this tenant never issued", "x".repeat(65), 403, "invalid_grant"],
  ])("refuses %s", async (_name, token, status, error) => {
    const h = await createHarness();
    const response = await request(h.app)
      .post("/oauth/token")
      .type("form")
      .send({
        client_id: AGENT.id,
        client_secret: AGENT.secret,
        grant_type: "refresh_token",
        ...(token === undefined ? {} : { refresh_token: token }),
      })
      .expect(status);
    expect(response.body.error).toBe(error);
  });

  it("exchanges a public client's refresh token for its client_id alone, and only for that client", async () => {
    // Auth0's Refresh Access Token: client_secret is "Required when the Token Endpoint
    // Authentication Method is set to Post or Basic"; the SPA SDK refreshes with client_id alone
    // (Use Refresh Token Rotation).
    const SPA = { id: "browser-app", callback: "http://localhost:5173/callback" };
    const h = await createHarness(
      combine(
        withExtraClient(
          {
            name: "Browser app",
            app_type: "spa",
            token_endpoint_auth_method: "none",
            grant_types: ["authorization_code", "refresh_token"],
            callbacks: [SPA.callback],
            refresh_token: { rotation_type: "rotating", expiration_type: "expiring" },
          },
          { client_id: SPA.id },
        ),
        withLoginHintLogin,
      ),
    );
    const verifier = randomBytes(32).toString("base64url");
    const authorize = await request(h.app)
      .get("/authorize")
      .query({
        client_id: SPA.id,
        redirect_uri: SPA.callback,
        response_type: "code",
        scope: "openid offline_access",
        login_hint: USER,
        code_challenge: createHash("sha256").update(verifier).digest("base64url"),
        code_challenge_method: "S256",
      })
      .expect(302);
    const code = new URL(String(authorize.headers.location)).searchParams.get("code") ?? "";
    const tokens = await request(h.app)
      .post("/oauth/token")
      .type("form")
      .send({
        grant_type: "authorization_code",
        client_id: SPA.id,
        code,
        code_verifier: verifier,
        redirect_uri: SPA.callback,
      })
      .expect(200);
    const publicRefresh = (refreshToken: unknown) =>
      request(h.app)
        .post("/oauth/token")
        .type("form")
        .send({
          grant_type: "refresh_token",
          client_id: SPA.id,
          refresh_token: String(refreshToken),
        });

    const refreshed = await publicRefresh(tokens.body.refresh_token).expect(200);
    expect(refreshed.body.refresh_token).not.toBe(tokens.body.refresh_token);
    expect((await refresh(h, refreshed.body.refresh_token).expect(403)).body).toEqual(INVALID);
    await publicRefresh(refreshed.body.refresh_token).expect(200);
    // A used token coming back from the public client: 403 as to any client, as a real tenant
    // answered a public Android app's refresh token (auth0/Auth0.Android issue 334).
    expect((await publicRefresh(tokens.body.refresh_token).expect(403)).body).toEqual(INVALID);
  });

  it("refuses the grant to a client that may not use it", async () => {
    const h = await createHarness(
      combine(withClientAsset("Shopping agent", (c) => ({ ...c, grant_types: [CIBA_GRANT_TYPE] }))),
    );
    const response = await refresh(h, "x".repeat(65)).expect(403);
    expect(response.body).toEqual({
      error: "unauthorized_client",
      error_description: "Grant type 'refresh_token' not allowed for the client.",
    });
  });
});

async function userinfoOf(h: Harness, accessToken: unknown) {
  const response = await request(h.app)
    .get("/userinfo")
    .set("Authorization", `Bearer ${String(accessToken)}`)
    .expect(200);
  const { sub: _sub, ...claims } = response.body as Record<string, unknown>;
  return claims;
}
