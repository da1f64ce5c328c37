import { ManualClock } from "@ciba-testbed/shared";
import { beforeEach, describe, expect, it } from "vitest";

import type { ProductSeed } from "../catalog.js";
import type { Order } from "../order.js";
import { allOrdersOf } from "../test-support/test-orders.js";
import { emptyTestStore } from "../test-support/test-database.js";
import type { SqlShopStore } from "./sql-shop-store.js";

const PRODUCTS: readonly ProductSeed[] = [
  { id: "xyz-phone", name: "XYZ phone", unitPriceCents: 49_900, stock: 5 },
  { id: "last-one", name: "Last one", unitPriceCents: 10_000, stock: 1 },
];

const order = (
  id: string,
  sub: string,
  more: { key?: string; approval?: string; quantity?: number; productId?: string } = {},
): Order => ({
  id,
  productId: more.productId ?? "xyz-phone",
  productName: "XYZ phone",
  quantity: more.quantity ?? 1,
  unitPriceCents: 49_900,
  totalCents: 49_900 * (more.quantity ?? 1),
  currency: "USD",
  status: "confirmed",
  createdAt: Date.parse("2026-01-15T10:00:00.123Z"),
  authorization: {
    sub,
    azp: "agent",
    authorizationDetailsMatched: more.approval !== undefined,
    approvalId: more.approval ?? null,
  },
  ...(more.key === undefined ? {} : { idempotency: { key: more.key, fingerprint: "f" } }),
});

/** When the test store's record of spent approvals began, on its clock. */
const STARTED = Date.parse("2026-01-15T09:59:59.750Z");

let store: SqlShopStore;
beforeEach(async () => {
  store = await emptyTestStore(PRODUCTS, new ManualClock(STARTED));
});

const stockOf = async (id: string) => (await store.stock()).get(id);

describe("SqlShopStore", () => {
  it("keeps when its record of spent approvals began, to the millisecond", async () => {
    expect(await store.recordBegan()).toBe(STARTED);
  });

  it("begins the record once per folder: again in the same folder keeps it, another begins it anew", async () => {
    await store.beginRecord(STARTED, "/data/shop");
    const later = STARTED + 3_600_000;
    expect(await store.beginRecord(later, "/data/shop")).toEqual({ beganAt: STARTED });
    // A copy of the folder, or the folder moved: its record may not be whole.
    expect(await store.beginRecord(later, "/copy/shop")).toEqual({
      beganAt: later,
      movedFrom: "/data/shop",
      heldOrders: false,
    });
    expect(await store.recordBegan()).toBe(later);
  });

  it("gives back every field it was given", async () => {
    const full = order("1", "alice", { key: "k", approval: "a", quantity: 2 });
    const bare = {
      ...order("2", "bob"),
      authorization: { ...order("2", "bob").authorization, azp: null },
    };
    expect(await store.place(full)).toEqual({ outcome: "placed" });
    expect(await store.place(bare)).toEqual({ outcome: "placed" });
    expect(await store.getById("1")).toEqual(full);
    expect(await store.getById("2")).toEqual(bare);
    expect(await store.getById("nope")).toBeUndefined();
  });

  it("lists by owner, oldest first", async () => {
    for (const [id, sub] of [
      ["b", "alice"],
      ["a", "bob"],
      ["c", "alice"],
    ] as const) {
      await store.place(order(id, sub));
    }
    expect((await allOrdersOf(store, "alice")).map((o) => o.id)).toEqual(["b", "c"]);
    expect(await allOrdersOf(store, "carol")).toEqual([]);
  });

  it("takes the stock with the order", async () => {
    await store.place(order("1", "alice", { quantity: 3 }));
    expect(await stockOf("xyz-phone")).toBe(2);
  });

  it("refuses an order beyond the stock, writing nothing, and says what is left", async () => {
    await store.place(order("1", "alice", { quantity: 3 }));
    expect(await store.place(order("2", "alice", { quantity: 3 }))).toEqual({
      outcome: "out-of-stock",
      left: 2,
    });
    expect(await store.getById("2")).toBeUndefined();
    expect(await stockOf("xyz-phone")).toBe(2);
  });

  it("scopes idempotency keys to the owner, without ambiguity", async () => {
    await store.place(order("1", "a|b", { key: "c" }));
    expect((await store.findByIdempotencyKey("a|b", "c"))?.id).toBe("1");
    expect(await store.findByIdempotencyKey("a", "b|c")).toBeUndefined();
    expect(await store.findByIdempotencyKey("someone", "c")).toBeUndefined();
    expect(await store.place(order("2", "someone", { key: "c" }))).toEqual({ outcome: "placed" });
  });

  it("names the earlier order when an Idempotency-Key or an approval is taken, writing nothing", async () => {
    const first = order("1", "alice", { key: "k", approval: "a" });
    await store.place(first);

    expect(await store.place(order("2", "alice", { key: "k" }))).toEqual({
      outcome: "idempotency-key-taken",
      earlier: first,
    });
    expect(await store.place(order("3", "bob", { approval: "a" }))).toEqual({
      outcome: "approval-spent",
      earlier: first,
    });
    // Both taken: the replay wins, as placeOrder checks it first.
    expect(await store.place(order("4", "alice", { key: "k", approval: "a" }))).toMatchObject({
      outcome: "idempotency-key-taken",
    });
    expect((await allOrdersOf(store, "alice")).map((o) => o.id)).toEqual(["1"]);
    expect(await allOrdersOf(store, "bob")).toEqual([]);
    expect(await stockOf("xyz-phone")).toBe(4);
  });

  it("throws on a duplicate order id and puts the stock back", async () => {
    await store.place(order("1", "alice"));
    await expect(store.place(order("1", "bob", { quantity: 2 }))).rejects.toMatchObject({
      code: "23505",
    });
    expect(await stockOf("xyz-phone")).toBe(4);
    expect(await allOrdersOf(store, "bob")).toEqual([]);
  });

  it("sells the last unit once to concurrent orders", async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.place(order(`o${i}`, `buyer-${i}`, { productId: "last-one" })),
      ),
    );
    expect(outcomes.filter((o) => o.outcome === "placed")).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === "out-of-stock")).toHaveLength(19);
    expect(await stockOf("last-one")).toBe(0);
  });

  it("spends an approval once among concurrent orders", async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.place(order(`o${i}`, "alice", { approval: "a" }))),
    );
    const placed = outcomes.filter((o) => o.outcome === "placed");
    expect(placed).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === "approval-spent")).toHaveLength(19);
    expect(await stockOf("xyz-phone")).toBe(4);
  });

  it("gives new products their starting stock and leaves known ones as they are", async () => {
    await store.place(order("1", "alice", { quantity: 2 }));
    await store.addProducts([
      { id: "xyz-phone", name: "XYZ phone", unitPriceCents: 49_900, stock: 50 },
      { id: "new-thing", name: "New thing", unitPriceCents: 100, stock: 7 },
    ]);
    expect(await stockOf("xyz-phone")).toBe(3);
    expect(await stockOf("new-thing")).toBe(7);
  });

  it("finds nothing by a value PostgreSQL text cannot hold (U+0000), without a database error", async () => {
    await store.place(order("1", "alice", { key: "k", approval: "a" }));
    expect(await store.getById("1\u0000")).toBeUndefined();
    expect(await allOrdersOf(store, "alice\u0000")).toEqual([]);
    expect(await store.findByIdempotencyKey("alice", "k\u0000")).toBeUndefined();
    expect(await store.findByApprovalId("\u0000")).toBeUndefined();
  });
});
