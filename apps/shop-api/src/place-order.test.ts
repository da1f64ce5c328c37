import { readFileSync } from "node:fs";

import { ManualClock, OAuthError } from "@ciba-testbed/shared";
import { UnauthorizedError } from "express-oauth2-jwt-bearer";
import { describe, expect, it } from "vitest";

import { InMemoryCatalog } from "./catalog.js";
import { InMemoryOrderStore } from "./order-store.js";
import { placeOrder } from "./place-order.js";
import type { Buyer } from "./place-order.js";

const NOW = Date.parse("2026-01-15T10:00:00.000Z");

const deps = () => ({
  catalog: new InMemoryCatalog([
    { id: "xyz-phone", name: "XYZ phone", unitPriceCents: 49_900, stock: 5 },
  ]),
  orders: new InMemoryOrderStore(),
  clock: new ManualClock(NOW),
  newOrderId: () => "ord-1",
});

const buyer = (authorizationDetails: unknown): Buyer => ({
  sub: "auth0|buyer",
  azp: "agent",
  authorizationDetails,
  approvalKey: "approval-1",
});

const approval = (quantity: number) => [
  { type: "product_purchase", product: "xyz-phone", quantity, currency: "USD" },
];

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a refusal");
}

describe("placeOrder", () => {
  it("stamps the order with the clock's time, in epoch milliseconds", () => {
    const { order } = placeOrder(
      { request: { product: "XYZ phone", qty: 1 }, buyer: buyer(undefined) },
      deps(),
    );
    expect(order.createdAt).toBe(NOW);
  });

  it("refuses an order its approval does not cover with the API's own error, not the token library's", () => {
    const error = refusal(() =>
      placeOrder({ request: { product: "XYZ phone", qty: 2 }, buyer: buyer(approval(1)) }, deps()),
    );
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).not.toBeInstanceOf(UnauthorizedError);
    const { status, code, description, headers } = error as OAuthError;
    expect({ status, code }).toEqual({ status: 403, code: "insufficient_authorization_details" });
    expect(headers).toEqual({
      "WWW-Authenticate": `Bearer realm="api", error="insufficient_authorization_details", error_description="${description}"`,
    });
  });

  it("refuses a second order with a spent approval the same way", () => {
    const shared = deps();
    const order = { request: { product: "XYZ phone", qty: 1 }, buyer: buyer(approval(1)) };
    placeOrder(order, shared);
    const error = refusal(() => placeOrder(order, { ...shared, newOrderId: () => "ord-2" }));
    expect(error).toMatchObject({ status: 403, code: "insufficient_authorization_details" });
    expect((error as OAuthError).description).toContain("already used for order ord-1");
  });

  it("knows nothing of Express or the token library (the HTTP glue does)", () => {
    const source = readFileSync(new URL("./place-order.ts", import.meta.url), "utf8");
    expect(source).not.toMatch(/express/);
  });
});
