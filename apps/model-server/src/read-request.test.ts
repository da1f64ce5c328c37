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
    expect(readPurchaseRequest("Buy 2 usb c cables?")).toEqual({
      kind: "purchases",
      items: [{ product: "USB-C cable", qty: 2 }],
    });
    expect(readPurchaseRequest("get me a dozen AA batteries for $20")).toEqual({
      kind: "purchases",
      items: [{ product: "AA battery", qty: 12, priceLimit: 20 }],
    });
  });

  it.each([
    ["Buy another 3 AA batteries", { product: "AA battery", qty: 3 }],
    ["Buy 3 more AA batteries", { product: "AA battery", qty: 3 }],
    ["Buy 2 extra ABC tablets", { product: "ABC tablet", qty: 2 }],
    ["Buy another ABC tablet", { product: "ABC tablet", qty: 1 }],
  ])("reads %j as more of the thing named, not as part of its name", (message, item) => {
    expect(readPurchaseRequest(message)).toEqual({ kind: "purchases", items: [item] });
  });

  it.each([
    "Buy 2 more",
    "2\u53f0\u306eXYZ\u96fb\u8a71\u3092\u8cb7\u3063\u3066",
    "2\u500bXYZ\u624b\u6a5f",
  ])("asks, rather than buy something named from %j", (message) => {
    expect(readPurchaseRequest(message)).toMatchObject({ kind: "unclear" });
  });

  it("passes the parser's own questions through", () => {
    expect(readPurchaseRequest("Buy some XYZ phones")).toMatchObject({
      kind: "unclear",
      reason: "quantity_missing",
      understood: [],
      needed: "the number of XYZ phones to buy",
      question: "How many XYZ phones do you want?",
    });
  });
});
