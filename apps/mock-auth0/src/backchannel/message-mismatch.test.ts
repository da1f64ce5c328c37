import { purchaseBindingMessage } from "@ciba-testbed/shared";
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

  it("takes the shared builder's messages for names with characters Auth0 refuses", () => {
    const names: [string, string][] = [
      ["Kid's toy", "Do you want to buy 2 Kids toys"],
      ["AT&T SIM card", "Do you want to buy 2 AT and T SIM cards"],
      ["Levi\u2019s jeans", "Do you want to buy 2 Levis jeans"],
      ["Jack@home lamp", "Do you want to buy 2 Jack at home lamps"],
    ];
    for (const [product, message] of names) {
      expect(purchaseBindingMessage({ product, qty: 2 })).toBe(message);
      expect(messageMismatch(message, purchase(product, 2)), product).toBe(undefined);
    }
    // A name the builder cut short keeps its first word, as the builder wrote it.
    const long = "Kid's extraordinarily long wooden toy train with twelve carriages";
    const cut = purchaseBindingMessage({ product: long, qty: 1 });
    expect(cut).toMatch(/^Do you want to buy 1 Kids .*\.\.\.$/);
    expect(messageMismatch(cut, purchase(long, 1))).toBe(undefined);
  });

  it("still names another product or quantity when the name has such characters", () => {
    expect(messageMismatch("Do you want to buy 2 Kids toys", purchase("Kid's game", 2))).toMatch(
      /does not name the product "Kid's game" of/,
    );
    expect(
      messageMismatch("Do you want to buy 2 AT and T SIM cards", purchase("AT&T phone", 2)),
    ).toMatch(/does not name the product "AT&T phone" of/);
    expect(
      messageMismatch("Do you want to buy 2 Jack at home lamps", purchase("Jack@home lamp", 3)),
    ).toMatch(/does not name the quantity 3 of/);
    expect(
      messageMismatch("Do you want to buy 2 Levis jeans", purchase("Lee\u2019s jeans", 5)),
    ).toMatch(/does not name the product "Lee\u2019s jeans" or the quantity 5 of/);
  });

  it("takes a name only as words of its own, not the start of other words", () => {
    expect(messageMismatch("Do you want to buy 2 tomatoes", purchase("toy", 2))).toMatch(
      /does not name the product "toy" of/,
    );
    expect(messageMismatch("Do you want to buy 1 phonebook", purchase("phone", 1))).toMatch(
      /does not name the product "phone" of/,
    );
    expect(messageMismatch("Do you want to buy 1 XYZ phone case", purchase("XYZ phone", 1))).toBe(
      undefined,
    );
    for (const [product, qty] of [
      ["toy", 2],
      ["box", 3],
      ["XYZ phone", 2],
      ["battery", 4],
      ["TV", 2],
      ["phone", 1],
    ] as const) {
      const message = purchaseBindingMessage({ product, qty });
      expect(messageMismatch(message, purchase(product, qty)), message).toBe(undefined);
    }
  });

  it("has nothing to compare without purchase entries", () => {
    expect(messageMismatch("Sign in", undefined)).toBe(undefined);
    expect(messageMismatch("Sign in", [{ type: "other", product: "ABC laptop" }])).toBe(undefined);
    expect(messageMismatch("Buy it", purchase({ odd: 1 }, "5"))).toBe(undefined);
  });
});
