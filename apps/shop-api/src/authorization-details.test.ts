import { describe, expect, it } from "vitest";

import { checkPurchaseAuthorizationDetails } from "./authorization-details.js";
import { Catalog, DEFAULT_PRODUCTS } from "./catalog.js";

const catalog = new Catalog(DEFAULT_PRODUCTS);
const twoPhones = { productId: "xyz-phone", quantity: 2, totalCents: 99_800 };
const entry = (fields: Record<string, unknown>) => ({
  type: "product_purchase",
  product: "XYZ phone",
  quantity: 2,
  currency: "USD",
  ...fields,
});

describe("checkPurchaseAuthorizationDetails", () => {
  it.each([
    ["no claim", undefined],
    ["an empty array", []],
    ["only other types", [{ type: "payment_initiation" }, { type: 42 }, null, "x"]],
  ])("is absent for %s", (_name, claim) => {
    expect(checkPurchaseAuthorizationDetails(claim, twoPhones, catalog)).toEqual({
      outcome: "absent",
    });
  });

  it("matches and reports which entry", () => {
    expect(
      checkPurchaseAuthorizationDetails(
        [{ type: "other" }, entry({ maximum_amount: 998 })],
        twoPhones,
        catalog,
      ),
    ).toEqual({ outcome: "matched", index: 1 });
  });

  it("binds an approval with purchase_id to the order carrying that Idempotency-Key", () => {
    const approved = [entry({ purchase_id: "call_1" })];
    const check = (idempotencyKey?: string) =>
      checkPurchaseAuthorizationDetails(approved, { ...twoPhones, idempotencyKey }, catalog);
    expect(check("call_1")).toEqual({ outcome: "matched", index: 0 });
    expect(check("call_2")).toEqual({
      outcome: "mismatch",
      reason:
        "the order does not match the purchase the person approved: the approval is for purchase 'call_1', the Idempotency-Key is 'call_2'",
    });
    expect(check(undefined)).toMatchObject({
      outcome: "mismatch",
      reason: expect.stringContaining("send it as the Idempotency-Key"),
    });
  });

  it("refuses a purchase_id outside Idempotency-Key's alphabet", () => {
    const approved = [entry({ purchase_id: "has space" })];
    expect(
      checkPurchaseAuthorizationDetails(
        approved,
        { ...twoPhones, idempotencyKey: "has space" },
        catalog,
      ),
    ).toMatchObject({ outcome: "mismatch", reason: expect.stringContaining("purchase_id") });
  });

  it("compares maximum_amount in cents (0.1 + 0.2 style amounts)", () => {
    const cables = { productId: "usb-c-cable", quantity: 3, totalCents: 2_997 };
    const approved = entry({ product: "USB-C cable", quantity: 3, maximum_amount: 29.97 });
    expect(checkPurchaseAuthorizationDetails([approved], cables, catalog).outcome).toBe("matched");
  });

  it("refuses several purchase entries, even when one matches", () => {
    const result = checkPurchaseAuthorizationDetails(
      [entry({}), { type: "other" }, entry({ quantity: 1 })],
      twoPhones,
      catalog,
    );
    expect(result).toMatchObject({ outcome: "mismatch" });
    expect(result.outcome === "mismatch" && result.reason).toMatch(
      /^this approval covers 2 purchases .* one approval per purchase/,
    );
  });
});
