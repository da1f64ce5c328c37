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
    ["Buy 2 XYZ phones; ship them fast", [{ product: "XYZ phone", qty: 2 }]],
  ])("reads %j", (message, items) => {
    expect(readPurchaseRequest(message)).toEqual({ kind: "purchases", items });
  });

  it("names catalog products as the catalog does, and any other as typed", () => {
    expect(readPurchaseRequest("Buy 2 usb c cables? Really?")).toEqual({
      kind: "purchases",
      items: [{ product: "USB-C cable", qty: 2 }],
    });
    expect(readPurchaseRequest("get me a dozen AA batteries for $20")).toEqual({
      kind: "purchases",
      items: [{ product: "AA battery", qty: 12, priceLimit: 20 }],
    });
  });

  it("passes the parser's own questions through", () => {
    expect(readPurchaseRequest("Buy some XYZ phones")).toEqual({
      kind: "unclear",
      reason: "quantity_missing",
      understood: [],
      needed: "the number of XYZ phones to buy",
      question: "How many XYZ phones do you want?",
    });
  });
});
