import { ManualClock } from "@ciba-testbed/shared";
import { createLocalJWKSet, jwtVerify } from "jose";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { createApp } from "../app.js";
import { BackchannelStore } from "../backchannel/backchannel-store.js";
import { SigningKeys } from "../signing-keys.js";
import { loadTenant } from "../tenant/load-tenant.js";
import { ISSUER, createHarness } from "../test-support/harness.js";

describe("discovery", () => {
  it("advertises CIBA in poll mode, the grants and the client authentication methods", async () => {
    const h = await createHarness();
    const response = await request(h.app).get("/.well-known/openid-configuration").expect(200);
    expect(response.body).toMatchObject({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}.well-known/jwks.json`,
      token_endpoint: `${ISSUER}oauth/token`,
      backchannel_authentication_endpoint: `${ISSUER}bc-authorize`,
      backchannel_token_delivery_modes_supported: ["poll"],
      grant_types_supported: ["urn:openid:params:grant-type:ciba", "client_credentials"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
      id_token_signing_alg_values_supported: ["RS256"],
      authorization_details_types_supported: ["product_purchase"],
    });
    expect(response.body.scopes_supported).toContain("product:buy");
  });

  it("refuses an issuer without the trailing slash Auth0 issuers have", async () => {
    const keys = await SigningKeys.create();
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
