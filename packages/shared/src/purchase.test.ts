import { describe, expect, it } from "vitest";

import { limitToCents, purchaseRequestSchema, toCents, writtenLimitToCents } from "./purchase.js";

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
    [{ product: "XYZ", qty: 1, priceLimit: -1 }, "priceLimit must be at least 0.01 (one cent)"],
    // Below a cent it allows nothing, and a consent would read "for max 0 USD".
    [{ product: "XYZ", qty: 1, priceLimit: 0.001 }, "priceLimit must be at least 0.01 (one cent)"],
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

describe("writtenLimitToCents", () => {
  it("floors the decimal as written, digits JSON.parse would round away included", () => {
    expect(writtenLimitToCents("9.989999999999999999")).toBe(998);
    expect(limitToCents(JSON.parse("9.989999999999999999") as number)).toBe(999);
    expect(writtenLimitToCents("0.0099999999999999999999")).toBe(0);
    expect(writtenLimitToCents("499.0000000000000000001")).toBe(49_900);
  });

  it("reads JSON's spellings of one number alike: trailing zeros, E, an unsigned exponent", () => {
    for (const text of ["9.99", "9.990", "999E-2", "999e-2", "0.999e1", "0.999e+1"]) {
      expect(writtenLimitToCents(text), text).toBe(999);
    }
    expect(writtenLimitToCents("1e2")).toBe(10_000);
  });

  it("refuses what is not a decimal", () => {
    expect(() => writtenLimitToCents("0x10")).toThrow(RangeError);
    expect(() => writtenLimitToCents("+1")).toThrow(RangeError);
    expect(() => writtenLimitToCents("")).toThrow(RangeError);
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

  it("floors exactly: a limit a hair under a cent allows the cent below it", () => {
    expect(limitToCents(9.989999999)).toBe(998);
    expect(limitToCents(9.98999999999999)).toBe(998);
    expect(limitToCents(0.0099999999)).toBe(0);
    expect(limitToCents(123.4567)).toBe(12_345);
    expect(limitToCents(999_999.999999)).toBe(99_999_999);
  });

  it("reads numbers JavaScript writes with an exponent", () => {
    expect(String(1e-7)).toBe("1e-7");
    expect(limitToCents(1e-7)).toBe(0);
    expect(limitToCents(2.5e-2)).toBe(2);
    expect(limitToCents(1.5e21)).toBe(1.5e23);
  });

  it("floors below zero away from zero, and leaves what is not finite as it is", () => {
    expect(limitToCents(-9.985)).toBe(-999);
    expect(limitToCents(-9.98)).toBe(-998);
    expect(limitToCents(-1e-7)).toBe(-1);
    expect(limitToCents(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(limitToCents(Number.NaN)).toBeNaN();
  });

  it("agrees with the exact floor of amount x 100 for amounts of up to 6 decimals", () => {
    // Every amount of 3 decimals up to 100, and a spread of 6-decimal ones up to the maximum.
    const millionths = [
      ...Array.from({ length: 100_000 }, (_, i) => (i + 1) * 1_000),
      ...Array.from({ length: 100_000 }, (_, i) => 1 + i * 9_999_991),
    ];
    const wrong = millionths.filter(
      (m) => limitToCents(m / 1_000_000) !== (m - (m % 10_000)) / 10_000,
    );
    expect(wrong).toEqual([]);
  });
});
