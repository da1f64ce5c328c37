import { describe, expect, it } from "vitest";

import { InMemoryOrderStore } from "./order-store.js";
import type { Order } from "./order-store.js";

const order = (id: string, sub: string, key?: string): Order => ({
  id,
  productId: "xyz-phone",
  productName: "XYZ phone",
  quantity: 1,
  unitPriceCents: 49_900,
  totalCents: 49_900,
  currency: "USD",
  status: "confirmed",
  createdAt: Date.parse("2026-01-15T10:00:00Z"),
  authorization: { sub, azp: "agent", authorizationDetailsMatched: false, approvalId: null },
  ...(key === undefined ? {} : { idempotency: { key, fingerprint: "f" } }),
});

describe("InMemoryOrderStore", () => {
  it("stores, finds and lists by owner", () => {
    const store = new InMemoryOrderStore();
    store.insert(order("1", "alice"));
    store.insert(order("2", "bob"));
    store.insert(order("3", "alice"));
    expect(store.getById("2")?.authorization.sub).toBe("bob");
    expect(store.listByOwner("alice").map((o) => o.id)).toEqual(["1", "3"]);
    expect(store.getById("nope")).toBeUndefined();
  });

  it("scopes idempotency keys to the owner, without ambiguity", () => {
    const store = new InMemoryOrderStore();
    store.insert(order("1", "a|b", "c"));
    expect(store.findByIdempotencyKey("a|b", "c")?.id).toBe("1");
    expect(store.findByIdempotencyKey("a", "b|c")).toBeUndefined();
    expect(store.findByIdempotencyKey("someone", "c")).toBeUndefined();
  });

  it("refuses a duplicate id or a reused key", () => {
    const store = new InMemoryOrderStore();
    store.insert(order("1", "alice", "k"));
    expect(() => {
      store.insert(order("1", "bob"));
    }).toThrow(/already exists/);
    expect(() => {
      store.insert(order("2", "alice", "k"));
    }).toThrow(/idempotency key/);
    expect(store.size).toBe(1);
  });

  it("hands out copies", () => {
    const store = new InMemoryOrderStore();
    store.insert(order("1", "alice"));
    store.getById("1")!.quantity = 99;
    expect(store.getById("1")?.quantity).toBe(1);
  });
});
