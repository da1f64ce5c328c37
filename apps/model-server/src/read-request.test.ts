import { describe, expect, it } from "vitest";

import { readPurchaseRequest } from "./read-request.js";

describe("readPurchaseRequest", () => {
  it.each([
    ["Buy 2 XYZ phones", [{ product: "XYZ phone", qty: 2 }]],
    [
      "Could you order three XYZ phones for me? Keep it under 5000 dollars.",
      [{ product: "XYZ phone", qty: 3, priceLimit: 5000 }],
    ],
    [
      "I want to buy 2 XYZ phones. My budget is $1,200.",
      [{ product: "XYZ phone", qty: 2, priceLimit: 1200 }],
    ],
    ["Order one XYZ phone, max 600 USD", [{ product: "XYZ phone", qty: 1, priceLimit: 600 }]],
    ["Hi! Please buy 2 XYZ phones for us. Thanks!", [{ product: "XYZ phone", qty: 2 }]],
    // A budget in the purchase itself wins over a second one.
    [
      "Buy 2 XYZ phones under $500. My budget is $1200.",
      [{ product: "XYZ phone", qty: 2, priceLimit: 500 }],
    ],
  ])("reads %j", (message, items) => {
    expect(readPurchaseRequest(message)).toEqual({ kind: "purchases", items });
  });

  it.each(["Buy 2 XYZ phones? Really?", "Buy 2 XYZ phones; ship them fast"])(
    "refuses a product with sentence punctuation in %j instead of guessing",
    (message) => {
      const parsed = readPurchaseRequest(message);
      expect(parsed.kind).toBe("unclear");
    },
  );

  it("passes the parser's own questions through", () => {
    expect(readPurchaseRequest("Buy some phones")).toEqual({
      kind: "unclear",
      understood: [],
      needed: "the number of phones to buy",
    });
  });
});
