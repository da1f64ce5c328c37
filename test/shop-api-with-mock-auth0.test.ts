import { readFileSync } from "node:fs";
import { Agent } from "node:https";

import { loadTenant, startMockAuth0 } from "@ciba-testbed/mock-auth0";
import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { DEFAULT_CERT_DIR } from "@ciba-testbed/shared/node";
import {
  Catalog,
  createApp,
  createDeps,
  createLogger,
  openShopStore,
} from "@ciba-testbed/shop-api";
import type { OpenedShopStore, ShopApiConfig } from "@ciba-testbed/shop-api";
import { emptyShopDatabase } from "@ciba-testbed/stack";
import type { Express } from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { allOrdersOf } from "../apps/shop-api/src/test-support/test-orders.js";
import { TenantClient } from "./support/tenant-client.js";

// The shop API verifying tokens that the real mock-auth0 issued, fetched over HTTPS from its
// discovery document and JWKS: the same path a real Auth0 tenant takes.
describe("shop-api with tokens from mock-auth0", () => {
  let tenant: RunningMockAuth0;
  let shop: Express;
  let store: OpenedShopStore;
  let database: Awaited<ReturnType<typeof emptyShopDatabase>>;

  beforeAll(async () => {
    // The repository's certificates (.certs), as the stack's tenant uses, and a copy of an
    // empty shop database: a new one (or `:memory:`) runs initdb in WebAssembly, seconds of
    // CPU that have nothing to do with verifying tokens.
    [tenant, database] = await Promise.all([
      startMockAuth0({
        tenant: loadTenant(),
        port: 0,
        host: "127.0.0.1",
        certDir: DEFAULT_CERT_DIR,
        approverDefault: { action: "approve", afterMs: 0 },
      }),
      emptyShopDatabase(),
    ]);
    const config: ShopApiConfig = {
      port: 0,
      host: "127.0.0.1",
      issuer: tenant.issuer,
      audience: "sample-shop-api",
      requireAuthorizationDetails: true,
      logLevel: "silent",
      database: { kind: "embedded", location: database.folder },
      shortLived: false,
    };
    const catalog = new Catalog();
    store = await openShopStore(config.database, catalog);
    shop = createApp(
      config,
      createDeps(config, {
        catalog,
        store: store.store,
        logger: createLogger("silent"),
        tokenVerification: { agent: new Agent({ ca: readFileSync(tenant.caCertPath) }) },
      }),
    );
  });

  afterAll(async () => {
    await Promise.all([tenant.close(), store.close()]);
    await database.remove();
  });

  const cibaToken = (details: unknown[]) =>
    new TenantClient(tenant.issuer, tenant.caCertPath).userToken({
      user: "auth0|testbed-user",
      scope: "openid product:buy",
      bindingMessage: "Do you want to buy 2 XYZ phones",
      authorizationDetails: details,
    });

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

  it("refuses the opaque token of a CIBA request that named no audience, saying which to name", async () => {
    const ordersBefore = (await allOrdersOf(store.store, "auth0|testbed-user")).length;
    const opaque = await new TenantClient(tenant.issuer, tenant.caCertPath).userToken({
      user: "auth0|testbed-user",
      scope: "openid product:buy",
      bindingMessage: "Do you want to buy 1 XYZ phone",
      audience: null,
    });
    const refused = await request(shop)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${opaque}`)
      .send({ product: "XYZ phone", qty: 1 })
      .expect(401);
    expect(refused.body).toEqual({
      error: "invalid_token",
      error_description: expect.stringContaining("request it with audience=sample-shop-api"),
    });
    expect(await allOrdersOf(store.store, "auth0|testbed-user")).toHaveLength(ordersBefore);
  });

  it("refuses a client-credentials token from the same tenant", async () => {
    const m2m = await new TenantClient(tenant.issuer, tenant.caCertPath).post("oauth/token", {
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
