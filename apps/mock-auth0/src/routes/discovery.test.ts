import { ManualClock } from "@ciba-testbed/shared";
import { createLocalJWKSet, jwtVerify } from "jose";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { createApp } from "../app.js";
import { BackchannelStore } from "../backchannel/backchannel-store.js";
import { SigningKeys } from "../signing-keys.js";
import { loadTenant } from "../tenant/load-tenant.js";
import { ISSUER, createHarness, testKeys } from "../test-support/harness.js";

describe("discovery", () => {
  it("lists what Auth0's discovery lists, for the endpoints and methods this tenant serves", async () => {
    const h = await createHarness();
    const response = await request(h.app).get("/.well-known/openid-configuration").expect(200);
    expect(response.body).toMatchObject({
      issuer: ISSUER,
      token_endpoint: `${ISSUER}oauth/token`,
      userinfo_endpoint: `${ISSUER}userinfo`,
      jwks_uri: `${ISSUER}.well-known/jwks.json`,
      revocation_endpoint: `${ISSUER}oauth/revoke`,
      scopes_supported: ["openid", "profile", "offline_access", "email"],
      response_types_supported: [
        "code",
        "token",
        "id_token",
        "code token",
        "code id_token",
        "token id_token",
        "code token id_token",
      ],
      subject_types_supported: ["public"],
      code_challenge_methods_supported: ["S256"],
      response_modes_supported: ["query", "fragment", "form_post"],
      token_endpoint_auth_methods_supported: [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
      ],
      token_endpoint_auth_signing_alg_values_supported: ["RS256", "RS384", "PS256"],
      claims_supported: [
        "aud",
        "auth_time",
        "email",
        "email_verified",
        "exp",
        "family_name",
        "given_name",
        "iat",
        "iss",
        "name",
        "nickname",
        "picture",
        "sub",
      ],
      request_uri_parameter_supported: false,
      id_token_signing_alg_values_supported: ["RS256"],
      backchannel_authentication_endpoint: `${ISSUER}bc-authorize`,
      backchannel_token_delivery_modes_supported: ["poll"],
    });
    // Auth0's document has none of these; its RAR docs say it does not advertise RAR types.
    for (const absent of [
      "grant_types_supported",
      "authorization_details_types_supported",
      "backchannel_user_code_parameter_supported",
      "request_parameter_supported",
    ]) {
      expect(response.body).not.toHaveProperty(absent);
    }
  });

  it("sends no client to an endpoint it does not serve", async () => {
    const h = await createHarness();
    const document = (await request(h.app).get("/.well-known/openid-configuration").expect(200))
      .body as Record<string, unknown>;
    const endpoints = Object.entries(document).filter(
      ([name, value]) => /_(endpoint|uri)$/.test(name) && typeof value === "string",
    );
    expect(endpoints.length).toBeGreaterThanOrEqual(4);
    for (const [name, url] of endpoints) {
      const path = new URL(String(url)).pathname;
      const method = /^(token|revocation|backchannel)/.test(name) ? "post" : "get";
      const response = await request(h.app)[method](path);
      expect(response.status, `${name} ${path}`).not.toBe(404);
    }
  });

  it("sends no CORS headers and answers no preflight: a browser page on another origin is not served", async () => {
    const h = await createHarness();
    const origin = "http://localhost:5173";
    for (const path of ["/.well-known/openid-configuration", "/.well-known/jwks.json"]) {
      const answer = await request(h.app).get(path).set("origin", origin).expect(200);
      expect(answer.headers).not.toHaveProperty("access-control-allow-origin");
    }
    const preflight = await request(h.app)
      .options("/oauth/token")
      .set("origin", origin)
      .set("access-control-request-method", "POST");
    expect(preflight.status).toBe(404);
    expect(preflight.headers).not.toHaveProperty("access-control-allow-origin");
  });

  it("refuses an issuer without the trailing slash Auth0 issuers have", async () => {
    const keys = await testKeys();
    expect(() =>
      createApp(
        { issuer: "https://localhost:4010", tenant: loadTenant() },
        { keys, store: new BackchannelStore(loadTenant().ciba, new ManualClock()) },
      ),
    ).toThrow(/must end with "\/"/);
  });
});

describe("JWKS and key rotation", () => {
  it("publishes the next key ahead of use and keeps the previous one after rotation", async () => {
    const keys = await SigningKeys.create();
    const clock = new ManualClock();
    const tenant = loadTenant();
    const app = createApp(
      { issuer: ISSUER, tenant },
      { keys, clock, store: new BackchannelStore(tenant.ciba, clock) },
    );
    const before = await request(app).get("/.well-known/jwks.json").expect(200);
    expect(before.body.keys).toHaveLength(2);
    expect(before.body.keys[0]).toMatchObject({
      kty: "RSA",
      alg: "RS256",
      use: "sig",
      kid: keys.currentKid,
    });
    expect(before.body.keys.every((k: { d?: string }) => k.d === undefined)).toBe(true);
    const [current, next] = before.body.keys.map((k: { kid: string }) => k.kid);

    const oldToken = await keys.sign({ iss: ISSUER, sub: "x", aud: "sample-shop-api", iat: 1 });
    const rotated = await request(app).post("/admin/signing-keys/rotate").expect(200);
    expect(rotated.body).toMatchObject({ current: next, previous: current });

    const after = await request(app).get("/.well-known/jwks.json").expect(200);
    expect(after.body.keys.map((k: { kid: string }) => k.kid)).toEqual([
      next,
      rotated.body.next,
      current,
    ]);
    const newToken = await keys.sign({ iss: ISSUER, sub: "x", aud: "sample-shop-api", iat: 1 });
    // A verifier holding the JWKS from before the rotation already knows the new signing key.
    await expect(jwtVerify(newToken, createLocalJWKSet(before.body))).resolves.toBeDefined();
    // And tokens signed before the rotation still verify against the new set.
    await expect(jwtVerify(oldToken, createLocalJWKSet(after.body))).resolves.toBeDefined();
  });
});
