import { mkdtempSync, readFileSync } from "node:fs";
import { Agent } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";

import { loadTenant, startMockAuth0 } from "@ciba-testbed/mock-auth0";
import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { createApp, createDeps, createLogger } from "@ciba-testbed/shop-api";
import type { ShopApiConfig } from "@ciba-testbed/shop-api";
import { CIBA_GRANT_TYPE } from "@ciba-testbed/shared";
import type { Express } from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const USER_HINT = JSON.stringify({ format: "iss_sub", iss: "", sub: "auth0|testbed-user" });
const AGENT = { client_id: "ciba-testbed-agent", client_secret: "ciba-testbed-agent-secret" };

/** A form POST to the tenant over real HTTPS, trusting its CA explicitly. */
async function post(tenant: RunningMockAuth0, endpoint: string, form: Record<string, string>) {
  const { request: httpsRequest } = await import("node:https");
  const ca = readFileSync(tenant.caCertPath);
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = httpsRequest(
      new URL(endpoint, tenant.issuer),
      { method: "POST", ca, headers: { "content-type": "application/x-www-form-urlencoded" } },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => {
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(text) as Record<string, unknown>,
          });
        });
      },
    );
    req.on("error", reject);
    req.end(new URLSearchParams(form).toString());
  });
}

// The shop API verifying tokens that the real mock-auth0 issued, fetched over HTTPS from its
// discovery document and JWKS: the same path a real Auth0 tenant takes.
describe("shop-api with tokens from mock-auth0", () => {
  let tenant: RunningMockAuth0;
  let shop: Express;

  beforeAll(async () => {
    tenant = await startMockAuth0({
      tenant: loadTenant(),
      port: 0,
      host: "127.0.0.1",
      certDir: mkdtempSync(path.join(tmpdir(), "shop-e2e-certs-")),
      approverDefault: { action: "approve", afterMs: 0 },
    });
    const config: ShopApiConfig = {
      port: 0,
      host: "127.0.0.1",
      issuer: tenant.issuer,
      audience: "sample-shop-api",
      requireAuthorizationDetails: true,
      logLevel: "silent",
    };
    shop = createApp(
      config,
      createDeps(config, {
        logger: createLogger("silent"),
        tokenVerification: { agent: new Agent({ ca: readFileSync(tenant.caCertPath) }) },
      }),
    );
  });

  afterAll(async () => {
    await tenant.close();
  });

  async function cibaToken(details: unknown[]): Promise<string> {
    const started = await post(tenant, "bc-authorize", {
      ...AGENT,
      scope: "openid product:buy",
      audience: "sample-shop-api",
      login_hint: USER_HINT.replace('"iss":""', `"iss":"${tenant.issuer}"`),
      binding_message: "Do you want to buy 2 XYZ phones",
      authorization_details: JSON.stringify(details),
    });
    expect(started.status).toBe(200);
    const granted = await post(tenant, "oauth/token", {
      ...AGENT,
      grant_type: CIBA_GRANT_TYPE,
      auth_req_id: String(started.body.auth_req_id),
    });
    expect(granted.status).toBe(200);
    return String(granted.body.access_token);
  }

  it("accepts a CIBA token for the approved purchase and refuses one beyond it", async () => {
    const token = await cibaToken([
      {
        type: "product_purchase",
        product: "XYZ phone",
        quantity: 2,
        maximum_amount: 998,
        currency: "USD",
      },
    ]);
    const ordered = await request(shop)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${token}`)
      .send({ product: "XYZ phone", qty: 2 })
      .expect(201);
    expect(ordered.body).toMatchObject({
      qty: 2,
      total: 998,
      product: { id: "xyz-phone" },
      authorization: {
        sub: "auth0|testbed-user",
        azp: "ciba-testbed-agent",
        authorization_details_matched: true,
      },
    });

    const beyond = await request(shop)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${token}`)
      .send({ product: "XYZ phone", qty: 3 })
      .expect(403);
    expect(beyond.headers["www-authenticate"]).toMatch(
      /^Bearer realm="api", error="insufficient_authorization_details"/,
    );
  });

  it("refuses a client-credentials token from the same tenant", async () => {
    const m2m = await post(tenant, "oauth/token", {
      client_id: "ciba-testbed-m2m",
      client_secret: "ciba-testbed-m2m-secret",
      grant_type: "client_credentials",
      audience: "sample-shop-api",
    });
    const refused = await request(shop)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${String(m2m.body.access_token)}`)
      .send({ product: "XYZ phone", qty: 1 })
      .expect(403);
    expect(refused.body.error).toBe("insufficient_scope");
  });

  it("keeps accepting tokens across a signing key rotation", async () => {
    const before = await cibaToken([
      { type: "product_purchase", product: "XYZ phone", quantity: 1, currency: "USD" },
    ]);
    await tenant.keys.rotate();
    const after = await cibaToken([
      { type: "product_purchase", product: "XYZ phone", quantity: 1, currency: "USD" },
    ]);
    // The verifier fetches the JWKS again for the new kid; the previous key is still published.
    for (const token of [after, before]) {
      await request(shop)
        .post("/api/purchases")
        .set("Authorization", `Bearer ${token}`)
        .send({ product: "XYZ phone", qty: 1 })
        .expect(201);
    }
  });
});
