import { Agent } from "node:https";

import type { JWTPayload } from "express-oauth2-jwt-bearer";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { isMachineToken } from "./auth.js";
import { createTestApp } from "./test-support/test-app.js";
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

  const purchase = async (shop: ReturnType<typeof createTestApp>) =>
    request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${await issuer.mint()}`)
      .send({ product: "XYZ phone", qty: 1 });

  it("is trusted through tokenVerification.agent (the alternative to NODE_EXTRA_CA_CERTS)", async () => {
    const shop = createTestApp(issuer, {
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

  it("is refused as a bad token when untrusted: the failure the start-up check names", async () => {
    const res = await purchase(createTestApp(issuer));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: "invalid_token",
      error_description: "Failed to fetch authorization server metadata",
    });
  });
});

describe("isMachineToken", () => {
  it.each([
    [{ sub: "auth0|testbed-user" }, false],
    [{ sub: "google-oauth2|123", gty: "password" }, false],
    [{ sub: "abc@clients", gty: "client-credentials" }, true],
    [{ sub: "abc@clients" }, true],
    [{ sub: "auth0|user", gty: "client-credentials" }, true],
    [{ sub: "auth0|user", gty: "client_credentials" }, true],
    [{}, true],
    [{ sub: "" }, true],
    [{ sub: 42 }, true],
  ] as [JWTPayload, boolean][])("%j -> %s", (payload, machine) => {
    expect(isMachineToken(payload)).toBe(machine);
  });
});
