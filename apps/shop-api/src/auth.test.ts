import { Agent } from "node:https";

import type { JWTPayload } from "express-oauth2-jwt-bearer";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { notIssuedForAPerson } from "./auth.js";
import { createTestApp } from "./test-support/test-app.js";
import type { TestApp } from "./test-support/test-app.js";
import { localTls, startTestIssuer } from "./test-support/test-issuer.js";
import type { LocalTls, TestIssuer } from "./test-support/test-issuer.js";

describe("an HTTPS issuer with a private CA", () => {
  let issuer: TestIssuer;
  let tls: LocalTls;
  beforeAll(async () => {
    tls = await localTls();
    issuer = await startTestIssuer({ tls });
  });
  afterAll(async () => {
    await issuer.close();
  });

  const purchase = async (shop: TestApp) =>
    request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${await issuer.mint()}`)
      .send({ product: "XYZ phone", qty: 1 });

  it("is trusted through tokenVerification.agent (the alternative to NODE_EXTRA_CA_CERTS)", async () => {
    const shop = await createTestApp(issuer, {
      deps: { tokenVerification: { agent: new Agent({ ca: tls.ca }) } },
    });
    expect(issuer.issuer).toMatch(/^https:\/\/localhost:\d+\/$/);
    const res = await purchase(shop);
    expect(res.status).toBe(201);
    expect(issuer.requests).toEqual([
      "/.well-known/openid-configuration",
      "/.well-known/jwks.json",
    ]);
  });

  it("answers /ready and verifies purchases through that same agent: one trust decision", async () => {
    // The CA was made just now, so NODE_EXTRA_CA_CERTS (read at start-up) cannot name it:
    // only the agent trusts it.
    const shop = await createTestApp(issuer, {
      deps: { tokenVerification: { agent: new Agent({ ca: tls.ca }) } },
    });
    const ready = await request(shop.app).get("/ready");
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ready", issuer: issuer.issuer, jwks_keys: 1 });
    expect((await purchase(shop)).status).toBe(201);
  });

  it("answers 503, not a bad token, when the issuer is untrusted: the failure the start-up check names", async () => {
    const shop = await createTestApp(issuer);
    const res = await purchase(shop);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      error: "temporarily_unavailable",
      error_description:
        "The access token could not be checked: the issuer's metadata or signing keys could not " +
        "be fetched (Failed to fetch authorization server metadata). Nothing was done; retry the " +
        "same request later. GET /ready names the cause",
    });
    expect(await shop.orderCount()).toBe(0);
    // The log points at the check that names the cause, and /ready names it.
    expect(shop.logs.join("\n")).toContain(
      "token check could not reach the issuer; GET /ready names the cause",
    );
    const ready = await request(shop.app).get("/ready");
    expect(ready.status).toBe(503);
    expect(ready.body.error_description).toContain("cannot be trusted");
  });
});

const CLIENT =
  "This token was issued to a client (client_credentials), not for a user: orders need a token issued for the person who buys, e.g. through CIBA";
const NOBODY =
  "This token names no person (its sub claim is missing, empty or not a string): orders need a token issued for the person who buys, e.g. through CIBA";

describe("notIssuedForAPerson", () => {
  it.each([
    [{ sub: "auth0|testbed-user" }, undefined],
    [{ sub: "google-oauth2|123", gty: "password" }, undefined],
    [{ sub: "auth0|user", gty: ["refresh_token", "password"] }, undefined],
    [{ sub: "abc@clients", gty: "client-credentials" }, CLIENT],
    [{ sub: "abc@clients" }, CLIENT],
    [{ sub: "auth0|user", gty: "client-credentials" }, CLIENT],
    [{ sub: "auth0|user", gty: "client_credentials" }, CLIENT],
    // Several grants made the token: one of them a client's own is enough.
    [{ sub: "auth0|user", gty: ["client-credentials"] }, CLIENT],
    [{ sub: "auth0|user", gty: ["refresh_token", "client_credentials"] }, CLIENT],
    [{ gty: ["client-credentials"] }, CLIENT],
    // No sub: nobody to buy for, and nothing says a client.
    [{}, NOBODY],
    [{ sub: "" }, NOBODY],
    [{ sub: 42 }, NOBODY],
    [{ gty: "password" }, NOBODY],
    // RFC 9068 profile: the client's own token has sub = client_id; a person's has another sub.
    [{ sub: "ciba-testbed-backoffice", client_id: "ciba-testbed-backoffice" }, CLIENT],
    [{ sub: "auth0|testbed-user", client_id: "ciba-testbed-agent" }, undefined],
  ] as [JWTPayload, string | undefined][])("%j -> %s", (payload, refusal) => {
    expect(notIssuedForAPerson(payload)).toBe(refusal);
  });
});

describe("an issuer whose access tokens use another algorithm than its ID tokens", () => {
  // oidc-provider signs a resource server's JWT access tokens with that server's `jwt.sign.alg`,
  // whatever `id_token_signing_alg_values_supported` says: a real tenant's token, refused by
  // the library's default of reading that list as the algorithms of access tokens.
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer({
      metadata: { id_token_signing_alg_values_supported: ["RS256"] },
      jwkAlg: null,
    });
  });
  afterAll(async () => {
    await issuer.close();
  });

  const buyWith = async (shop: TestApp, token: string) =>
    request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${token}`)
      .send({ product: "XYZ phone", qty: 1 });

  it("buys with a PS256 access token when ID tokens are RS256 only", async () => {
    const shop = await createTestApp(issuer);
    const res = await buyWith(shop, await issuer.mint({ alg: "PS256" }));
    expect(res.headers["www-authenticate"]).toBeUndefined();
    expect(res.status).toBe(201);
    expect(await shop.orderCount()).toBe(1);
  });
});
