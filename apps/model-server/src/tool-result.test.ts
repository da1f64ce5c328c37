import { describe, expect, it } from "vitest";

import { readToolResult } from "./tool-result.js";

const purchase = { product: "XYZ phone", qty: 2 };

describe("readToolResult", () => {
  it.each([
    // The shop API's order, and a quickstart's mock order.
    [
      JSON.stringify({ id: "o-1", status: "confirmed", total: 998, currency: "USD" }),
      "ordered",
      "Ordered 2 x XYZ phone: order o-1, total 998.00 USD.",
    ],
    [
      JSON.stringify({ orderId: "ORD-20260101-DEMO01", status: "confirmed", total: 64.76 }),
      "ordered",
      "Ordered 2 x XYZ phone: order ORD-20260101-DEMO01, total 64.76 USD.",
    ],
    [JSON.stringify({ order: { id: 7 } }), "ordered", "Ordered 2 x XYZ phone: order 7."],
    // The quickstart's `response.statusText`, and texts tools return.
    ["OK", "ordered", "Ordered 2 x XYZ phone: order placed."],
    ['"Created"', "ordered", "Ordered 2 x XYZ phone: order placed."],
    ["Ordered 2 XYZ phone, order id: A-9", "ordered", "Ordered 2 x XYZ phone: order A-9."],
    [
      "The end-user denied the authorization request or it has been expired",
      "denied",
      "The purchase of 2 x XYZ phone was denied; nothing was ordered.",
    ],
    [
      JSON.stringify({ code: "ASYNC_AUTHORIZATION_ACCESS_DENIED" }),
      "denied",
      "The purchase of 2 x XYZ phone was denied; nothing was ordered.",
    ],
    [
      "The authorization request has expired.",
      "expired",
      "The approval request for 2 x XYZ phone expired before the agent collected an answer; nothing was ordered.",
    ],
    [
      "Authorization pending: waiting for the user",
      "pending",
      "Waiting for approval of 2 x XYZ phone; nothing is ordered yet.",
    ],
    [
      JSON.stringify({ error: "insufficient_stock", error_description: "Only 1 left" }),
      "refused",
      "Could not buy 2 x XYZ phone: Only 1 left",
    ],
    ["Unprocessable Entity", "refused", "Could not buy 2 x XYZ phone: Unprocessable Entity"],
    [
      "42",
      "unclear",
      'The shop tool answered "42" for 2 x XYZ phone; I cannot tell whether it was ordered.',
    ],
  ])("reads %s as %s", (output, kind, sentence) => {
    expect(readToolResult(output, purchase)).toEqual({ kind, sentence });
  });

  it("uses the agent's own sentence for this repository's purchase results", () => {
    const result = {
      outcome: "DENIED",
      description: "denied",
      purchase: { product: "XYZ phone", qty: 1, priceLimit: 600 },
    };
    expect(readToolResult(JSON.stringify(result), purchase)).toEqual({
      kind: "denied",
      sentence: "The purchase of 1 x XYZ phone (at most 600 USD) was denied; nothing was ordered.",
    });
  });

  it("quotes long answers shortened, on one line", () => {
    const { sentence } = readToolResult(`failed:\n${"x".repeat(500)}`, undefined);
    expect(sentence.startsWith("Could not buy the purchase: failed: xxx")).toBe(true);
    expect(sentence.length).toBeLessThan(260);
  });
});
