import { describe, expect, it } from "vitest";

import { PURCHASE_ID, purchaseAuthorizationDetailSchema } from "./authorization-details.js";

const entry = (purchaseId: string) => ({
  type: "product_purchase",
  product: "XYZ phone",
  quantity: 1,
  currency: "USD",
  purchase_id: purchaseId,
});

describe("purchase_id", () => {
  it.each([
    "call_abc123",
    "toolu_01A-b.c:d",
    "x",
    "!#$%&'()*+,-./:;<=>?@[]^_`{|}~",
    "a".repeat(255),
  ])("takes %j, which reads the same as a bare or a quoted Idempotency-Key", (id) => {
    expect(PURCHASE_ID.test(id)).toBe(true);
    expect(purchaseAuthorizationDetailSchema.safeParse(entry(id)).success).toBe(true);
  });

  it.each([
    ['a quote (a bare "k" reads as the quoted k)', '"order-7"'],
    ["a quote inside", 'order-"7"'],
    ["a backslash, escaped in the quoted key", "order\\7"],
    ["a space", "order 7"],
    ["nothing", ""],
    ["over 255 characters", "a".repeat(256)],
    ["non-ASCII", "\u00e9t\u00e9"],
  ])("refuses %s, saying which characters it may hold", (_name, id) => {
    const parsed = purchaseAuthorizationDetailSchema.safeParse(entry(id));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.message)).toEqual([
      "purchase_id must be 1 to 255 visible ASCII characters other than '\"' and '\\' (no " +
        "spaces): an Idempotency-Key sent bare or quoted then reads the same",
    ]);
  });
});
