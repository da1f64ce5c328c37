import type { PurchaseRequest } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { parsePurchaseRequest } from "./parse-request.js";

const buy = (product: string, qty: number, priceLimit?: number): PurchaseRequest => ({
  product,
  qty,
  ...(priceLimit === undefined ? {} : { priceLimit }),
});

describe("parsePurchaseRequest", () => {
  it.each<[string, PurchaseRequest[]]>([
    ["Buy 2 XYZ phones", [buy("XYZ phone", 2)]],
    ["buy an XYZ phone", [buy("XYZ phone", 1)]],
    ["Buy a USB-C cable", [buy("USB-C cable", 1)]],
    ["Buy XYZ phone", [buy("XYZ phone", 1)]],
    ["Please buy two XYZ phones.", [buy("XYZ phone", 2)]],
    ["Order three USB-C cables", [buy("USB-C cable", 3)]],
    ["Purchase 10 notebooks", [buy("notebook", 10)]],
    ["I want to buy twenty-five pens", [buy("pen", 25)]],
    ["I'd like to order twenty five pens", [buy("pen", 25)]],
    ["Buy a dozen eggs", [buy("egg", 12)]],
    ["buy half a dozen batteries", [buy("battery", 6)]],
    ["Get me a couple of chargers", [buy("charger", 2)]],
    ["Get me 4 watches", [buy("watch", 4)]],
    ["Could you order 5 boxes?", [buy("box", 5)]],
    ["Buy 3 iPhones", [buy("iPhone", 3)]],
    ["buy 2 glasses", [buy("glass", 2)]],
    ["2 XYZ phones please", [buy("XYZ phone", 2)]],
    ["Buy 2 XYZ phones under $500", [buy("XYZ phone", 2, 500)]],
    ["Buy an XYZ phone for max 300 dollars", [buy("XYZ phone", 1, 300)]],
    ["Buy 1 XYZ phone for at most 250 USD", [buy("XYZ phone", 1, 250)]],
    ["buy 3 batteries below $19.99", [buy("battery", 3, 19.99)]],
    ["Buy 2 XYZ phones max $500", [buy("XYZ phone", 2, 500)]],
    ["buy 2 XYZ Phones up to 600 bucks", [buy("XYZ Phone", 2, 600)]],
    ["Buy one XYZ phone with a budget of $450", [buy("XYZ phone", 1, 450)]],
    ["Buy an XYZ phone for $1,200", [buy("XYZ phone", 1, 1200)]],
    ["Buy 2 XYZ phones and a USB-C cable", [buy("XYZ phone", 2), buy("USB-C cable", 1)]],
    [
      "buy 2 XYZ phones, 1 charger and a case",
      [buy("XYZ phone", 2), buy("charger", 1), buy("case", 1)],
    ],
    [
      "Buy 2 XYZ phones under $1,000 and 3 USB-C cables for at most 30 USD",
      [buy("XYZ phone", 2, 1000), buy("USB-C cable", 3, 30)],
    ],
  ])("%j -> %j", (text, items) => {
    expect(parsePurchaseRequest(text)).toEqual({ kind: "purchases", items });
  });

  it.each<[string, string]>([
    ["What's the weather like?", "a purchase request"],
    ["Hello", "a purchase request"],
    ["", "a purchase request"],
    ["XYZ phone", "a purchase request"],
    ["Buy", "the product to buy"],
    ["Buy 2", "the product to buy"],
    ["Buy phones", "the number of phones"],
    ["Buy some XYZ phones", "the number of XYZ phones"],
    ["Buy 0 XYZ phones", "a quantity between 1 and 1000"],
    ["Buy 5000 XYZ phones", "a quantity between 1 and 1000"],
    ["Buy 2 XYZ phones under $0", "a price limit between 0"],
  ])("%j cannot be bought: needs %s", (text, needed) => {
    const parsed = parsePurchaseRequest(text);
    expect(parsed.kind).toBe("unclear");
    if (parsed.kind === "unclear") expect(parsed.needed).toContain(needed);
  });

  it("says what it understood before the part it could not read", () => {
    expect(parsePurchaseRequest("Buy 2 XYZ phones and some")).toEqual({
      kind: "unclear",
      understood: ["2 x XYZ phone"],
      needed: 'the product to buy in "some"',
    });
  });
});
