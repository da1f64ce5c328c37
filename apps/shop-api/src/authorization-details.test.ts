import { describe, expect, it } from "vitest";

import { checkPurchaseAuthorizationDetails } from "./authorization-details.js";
import { DEFAULT_PRODUCTS, InMemoryCatalog } from "./catalog.js";

const catalog = new InMemoryCatalog(DEFAULT_PRODUCTS);
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
