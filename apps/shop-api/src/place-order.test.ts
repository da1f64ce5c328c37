import { readFileSync } from "node:fs";

import { ManualClock, OAuthError } from "@ciba-testbed/shared";
import { UnauthorizedError } from "express-oauth2-jwt-bearer";
import { describe, expect, it } from "vitest";

import { Catalog } from "./catalog.js";
import type { ProductSeed } from "./catalog.js";
import { placeOrder } from "./place-order.js";
import type { Buyer, PlaceOrderDeps } from "./place-order.js";
import { allOrdersOf } from "./test-support/test-orders.js";
import { emptyTestStore } from "./test-support/test-database.js";

const NOW = Date.parse("2026-01-15T10:00:00.000Z");

const PRODUCTS: readonly ProductSeed[] = [
  { id: "xyz-phone", name: "XYZ phone", unitPriceCents: 49_900, stock: 5 },
];

const deps = async (): Promise<PlaceOrderDeps> => {
  const clock = new ManualClock(NOW);
  return {
    catalog: new Catalog(PRODUCTS),
    store: await emptyTestStore(PRODUCTS, clock),
    clock,
    newOrderId: () => "ord-1",
  };
};

const buyer = (authorizationDetails: unknown): Buyer => ({
  sub: "auth0|buyer",
  azp: "agent",
  authorizationDetails,
  approvalKey: "approval-1",
  renewable: undefined,
  issuedAt: NOW / 1000,
});

const approval = (quantity: number) => [
  { type: "product_purchase", product: "xyz-phone", quantity, currency: "USD" },
];

async function refusal(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a refusal");
}

describe("placeOrder", () => {
  it("stamps the order with the clock's time, in epoch milliseconds", async () => {
    const { order } = await placeOrder(
      { request: { product: "XYZ phone", qty: 1 }, buyer: buyer(undefined) },
      await deps(),
    );
    expect(order.createdAt).toBe(NOW);
  });

  it("refuses an order its approval does not cover with the API's own error, not the token library's", async () => {
    const shop = await deps();
    const error = await refusal(() =>
      placeOrder({ request: { product: "XYZ phone", qty: 2 }, buyer: buyer(approval(1)) }, shop),
    );
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).not.toBeInstanceOf(UnauthorizedError);
    const { status, code, description, headers } = error as OAuthError;
    expect({ status, code }).toEqual({ status: 403, code: "insufficient_authorization_details" });
    expect(headers).toEqual({
      "WWW-Authenticate": `Bearer realm="api", error="insufficient_authorization_details", error_description="${description}"`,
    });
  });

  it("refuses a second order with a spent approval the same way", async () => {
    const shared = await deps();
    const order = { request: { product: "XYZ phone", qty: 1 }, buyer: buyer(approval(1)) };
    await placeOrder(order, shared);
    const error = await refusal(() => placeOrder(order, { ...shared, newOrderId: () => "ord-2" }));
    expect(error).toMatchObject({ status: 403, code: "insufficient_authorization_details" });
    expect((error as OAuthError).description).toContain("already used for order ord-1");
  });

  /** One XYZ phone, approved, sent with the Idempotency-Key "call-1". */
  const keyedOrder = () => ({
    request: { product: "XYZ phone", qty: 1 },
    buyer: buyer(approval(1)),
    idempotencyKey: "call-1",
  });

  it("answers a retry that raced its first request with the first order, not a spent approval", async () => {
    const shared = await deps();
    const order = keyedOrder();
    const first = await placeOrder(order, shared);
    // The retry read no order under its key: the first had not committed yet, on another replica.
    const raced: PlaceOrderDeps = {
      ...shared,
      store: Object.assign(Object.create(shared.store) as typeof shared.store, {
        findByIdempotencyKey: () => Promise.resolve(undefined),
      }),
      newOrderId: () => "ord-2",
    };
    await expect(placeOrder(order, raced)).resolves.toEqual({ order: first.order, replayed: true });
    // Another key with that approval is a second purchase, refused.
    const error = await refusal(() => placeOrder({ ...order, idempotencyKey: "call-2" }, raced));
    expect(error).toMatchObject({ status: 403, code: "insufficient_authorization_details" });
  });

  it("answers a retry that names the product another way with the first order: the same purchase", async () => {
    const shared = await deps();
    const order = keyedOrder();
    const first = await placeOrder(order, shared);
    const again = { ...order, request: { product: "xyz-phone", qty: 1 } };
    await expect(placeOrder(again, shared)).resolves.toEqual({
      order: first.order,
      replayed: true,
    });
  });

  it("refuses an approval issued before the shop's record of spent approvals began, one with no iat too", async () => {
    const shop = await deps();
    const request = { product: "XYZ phone", qty: 1 };
    for (const issuedAt of [NOW / 1000 - 1, undefined]) {
      const error = await refusal(() =>
        placeOrder({ request, buyer: { ...buyer(approval(1)), issuedAt } }, shop),
      );
      expect(error).toMatchObject({
        status: 403,
        code: "insufficient_authorization_details",
        description: expect.stringMatching(
          /^This approval.* before this shop's record of spent approvals began \(2026-01-15T10:00:00Z\): it may have been spent already; ask the person for a new approval$/,
        ),
      });
    }
    expect(await allOrdersOf(shop.store, "auth0|buyer")).toEqual([]);
    // Issued at the whole second the record began, or after: it buys.
    await expect(placeOrder({ request, buyer: buyer(approval(1)) }, shop)).resolves.toMatchObject({
      replayed: false,
    });
    // A token that approves no particular purchase buys until it expires, whenever issued.
    await expect(
      placeOrder(
        { request, buyer: { ...buyer(undefined), issuedAt: undefined } },
        { ...shop, newOrderId: () => "ord-2" },
      ),
    ).resolves.toMatchObject({ replayed: false });
  });

  it("refuses an approval issued in the second the record began in, before or after it: iat counts whole seconds", async () => {
    // Spent at 10:00:00.300 in a database reset at 10:00:00.800: its iat, 10:00:00, says no more.
    const clock = new ManualClock(NOW + 800);
    const shop = { ...(await deps()), clock, store: await emptyTestStore(PRODUCTS, clock) };
    const request = { product: "XYZ phone", qty: 1 };
    expect(
      await refusal(() => placeOrder({ request, buyer: buyer(approval(1)) }, shop)),
    ).toMatchObject({
      status: 403,
      code: "insufficient_authorization_details",
      description:
        "This approval was issued in the second this shop's record of spent approvals began (2026-01-15T10:00:00.800Z), maybe before it (a token's iat counts whole seconds): it may have been spent already; ask the person for a new approval",
    });
    expect(await allOrdersOf(shop.store, "auth0|buyer")).toEqual([]);
    const next = { ...buyer(approval(1)), issuedAt: NOW / 1000 + 1 };
    await expect(placeOrder({ request, buyer: next }, shop)).resolves.toMatchObject({
      replayed: false,
    });
  });

  it("knows nothing of Express or the token library (the HTTP glue does)", () => {
    const source = readFileSync(new URL("./place-order.ts", import.meta.url), "utf8");
    expect(source).not.toMatch(/express/);
  });
});
