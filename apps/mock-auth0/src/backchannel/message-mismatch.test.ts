import { describe, expect, it } from "vitest";

import { messageMismatch } from "./message-mismatch.js";

const purchase = (product: unknown, quantity: unknown) => [
  { type: "product_purchase", product, quantity, currency: "USD" },
];

describe("messageMismatch", () => {
  it("names the product and quantity the message leaves out", () => {
    expect(messageMismatch("Buy 1 XYZ phone case for 19.99 USD", purchase("ABC laptop", 5))).toBe(
      'The binding message does not name the product "ABC laptop" or the quantity 5 of authorization_details: the person would approve the message while the token authorizes the details.',
    );
    expect(messageMismatch("Do you want to buy 2 XYZ phones", purchase("XYZ phone", 3))).toMatch(
      /does not name the quantity 3 of/,
    );
    // 19.99 holds no 1 and no 19 of its own.
    expect(messageMismatch("Buy XYZ phone for 19.99 USD", purchase("XYZ phone", 19))).toMatch(
      /the quantity 19/,
    );
  });

  it("takes the agent's own messages as they are written: plurals, accents, a name cut short", () => {
    expect(messageMismatch("Do you want to buy 2 XYZ phones", purchase("XYZ phone", 2))).toBe(
      undefined,
    );
    expect(messageMismatch("Do you want to buy 3 batteries", purchase("battery", 3))).toBe(
      undefined,
    );
    expect(messageMismatch("Do you want to buy 1 cafe mug", purchase("Café mug", 1))).toBe(
      undefined,
    );
    expect(
      messageMismatch(
        "Do you want to buy 1 Extraordinarily long product name that...",
        purchase("Extraordinarily long product name that goes on", 1),
      ),
    ).toBe(undefined);
  });

  it("has nothing to compare without purchase entries", () => {
    expect(messageMismatch("Sign in", undefined)).toBe(undefined);
    expect(messageMismatch("Sign in", [{ type: "other", product: "ABC laptop" }])).toBe(undefined);
    expect(messageMismatch("Buy it", purchase({ odd: 1 }, "5"))).toBe(undefined);
  });
});
