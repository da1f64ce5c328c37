import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startPostgres } from "../support/postgres.js";
import type { PostgresServer } from "../support/postgres.js";
import { ShopApiProcess, buyerToken, sharedTenant } from "../support/shop-api-process.js";

// PostgreSQL gone while the shop runs: every answer that needs it is 503
// temporarily_unavailable with Retry-After (retry with the same Idempotency-Key), /ready says
// the shop cannot sell, and nothing is a 500. A server of its own, since this file stops it.
describe("shop-api when its PostgreSQL stops", () => {
  let tenant: RunningMockAuth0;
  let postgres: PostgresServer;
  let shop: ShopApiProcess;

  beforeAll(async () => {
    [tenant, postgres] = await Promise.all([sharedTenant(), startPostgres()]);
    shop = await ShopApiProcess.start(tenant, { url: await postgres.createDatabase() });
  });
  afterAll(async () => {
    await shop.stop();
    await postgres.stop();
  });

  it("answers 503 with Retry-After, never 500, and is not ready", async () => {
    const approval = await buyerToken(tenant, {
      product: "USB-C cable",
      quantity: 1,
      maximumAmount: 9.99,
    });
    // (No /ready before: it keeps an answer for 5 s, a load balancer's polls cost the issuer
    // nothing.)
    await postgres.stop();

    const bought = await shop.buy(approval, { product: "USB-C cable", qty: 1 }, "outage-1");
    expect(bought).toMatchObject({
      status: 503,
      body: {
        error: "temporarily_unavailable",
        error_description: expect.stringContaining("same Idempotency-Key"),
      },
    });
    for (const path of ["/api/products", "/api/products/usb-c-cable", "/api/purchases"]) {
      const answer = await fetch(`${shop.url}${path}`, {
        headers: { authorization: `Bearer ${approval}` },
      });
      expect([path, answer.status, answer.headers.get("retry-after")]).toEqual([path, 503, "5"]);
    }
    const ready = await fetch(`${shop.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      error: "temporarily_unavailable",
      error_description: expect.stringContaining("database cannot be reached"),
    });
  });
});
