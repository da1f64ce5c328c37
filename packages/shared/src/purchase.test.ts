import { describe, expect, it } from "vitest";

import { limitToCents, purchaseRequestSchema, toCents } from "./purchase.js";

describe("purchaseRequestSchema", () => {
  it("accepts the quickstart tool's input", () => {
    expect(purchaseRequestSchema.parse({ product: "XYZ phone", qty: 2 })).toEqual({
      product: "XYZ phone",
      qty: 2,
    });
    expect(purchaseRequestSchema.parse({ product: " XYZ ", qty: 1, priceLimit: 500 })).toEqual({
      product: "XYZ",
      qty: 1,
      priceLimit: 500,
    });
  });

  it.each([
    [{ product: "XYZ", qty: 0 }, "qty must be at least 1"],
    [{ product: "XYZ", qty: 1.5 }, "qty must be a whole number"],
    [{ product: "XYZ", qty: "2" }, "qty must be a number"],
    [{ product: "XYZ", qty: 1e9 }, "qty must be at most 1000"],
    [{ product: "", qty: 1 }, "product must not be empty"],
    [{ qty: 1 }, "product is required"],
    [{ product: "XYZ", qty: 1, priceLimit: -1 }, "priceLimit must be greater than 0"],
    [{ product: "XYZ", qty: 1, color: "red" }, "Unrecognized key(s) in object: 'color'"],
  ])("refuses %j with %s", (body, message) => {
    const result = purchaseRequestSchema.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toContain(message);
  });
});

describe("toCents", () => {
  it("rounds binary fractions to whole cents", () => {
    expect(toCents(0.1 + 0.2)).toBe(30);
    expect(toCents(499.99)).toBe(49999);
  });
});

describe("limitToCents", () => {
  it("allows no more than the limit: a fraction of a cent is not rounded up", () => {
    expect(limitToCents(9.985)).toBe(998);
    expect(limitToCents(9.999999)).toBe(999);
    // Binary fractions just under a whole cent stay that cent.
    expect(limitToCents(9.99)).toBe(999);
    expect(limitToCents(0.1 + 0.2)).toBe(30);
    expect(limitToCents(1_000_000)).toBe(100_000_000);
  });
});
