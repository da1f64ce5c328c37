import { purchaseBindingMessage } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { messageMismatch } from "./message-mismatch.js";

const purchase = (product: unknown, quantity: unknown, maximumAmount?: number) => [
  {
    type: "product_purchase",
    product,
    quantity,
    currency: "USD",
    ...(maximumAmount === undefined ? {} : { maximum_amount: maximumAmount }),
  },
];

/** Each message with its details: `null` where nothing is flagged, else words the finding holds. */
function expectReadings(
  cases: readonly [string, Parameters<typeof messageMismatch>[1], RegExp | null][],
): void {
  for (const [message, details, says] of cases) {
    const found = messageMismatch(message, details);
    if (says === null) expect(found, message).toBe(undefined);
    else expect(found, message).toMatch(says);
  }
}

describe("messageMismatch", () => {
  it("names the product and quantity the message leaves out", () => {
    expect(messageMismatch("Buy 1 XYZ phone case for 19.99 USD", purchase("ABC laptop", 5))).toBe(
      'The binding message does not name the product "ABC laptop" or the quantity 5 (it says 1) of authorization_details and states a maximum of 19.99 that authorization_details do not set: the person would approve the message while the token authorizes the details.',
    );
    expect(messageMismatch("Do you want to buy 2 XYZ phones", purchase("XYZ phone", 3))).toMatch(
      /does not name the quantity 3 \(it says 2\) of/,
    );
    // 19.99 holds no 1 and no 19 of its own.
    expect(messageMismatch("Buy XYZ phone for 19.99 USD", purchase("XYZ phone", 19))).toMatch(
      /the quantity 19 \(it states no count\)/,
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
    ).toMatch(/does not name the quantity 3 \(it [^)]*\) of/);
    expect(
      messageMismatch("Do you want to buy 2 Levis jeans", purchase("Lee\u2019s jeans", 5)),
    ).toMatch(/does not name the product "Lee\u2019s jeans" or the quantity 5 \(it [^)]*\) of/);
  });

  it("takes a name followed by German or French for 'for' and 'and' as the name", () => {
    for (const [message, currency] of [
      ["Kaufe 2 XYZ phones fuer max 998 EUR", "EUR"],
      ["Acheter 2 XYZ phones pour max 998 EUR", "EUR"],
      ["Buy 2 XYZ phones now, 998 USD max", "USD"],
    ] as const) {
      const details = purchase("XYZ phone", 2, 998).map((entry) => ({ ...entry, currency }));
      expect(messageMismatch(message, details), message).toBe(undefined);
    }
    const phoneAndLaptop = [...purchase("XYZ phone", 2), ...purchase("ABC laptop", 1)];
    expect(messageMismatch("2 XYZ phones und 1 ABC laptop", phoneAndLaptop)).toBe(undefined);
    expect(messageMismatch("2 XYZ phones et 1 ABC laptop", purchase("XYZ phone", 2))).toMatch(
      /names "1 ABC laptop", which authorization_details do not buy/,
    );
    expect(
      messageMismatch("Kaufe 2 XYZ phones fuer max 998 EUR", purchase("XYZ phone", 2, 998)),
    ).toMatch(/the currency USD \(it says EUR\)/);
  });

  it("takes a word of the name in another language as that word", () => {
    const phones = (quantity: number) => purchase("XYZ phone", quantity);
    const euros = purchase("XYZ phone", 2, 998).map((entry) => ({ ...entry, currency: "EUR" }));
    expectReadings([
      ["Buy 2 XYZ Handys", phones(2), null],
      ["Kaufe 2 XYZ Handys fuer max 998 EUR", euros, null],
      ["Kaufe ein XYZ Handy", phones(1), null],
      ["Compra 2 XYZ moviles", phones(2), null],
      ["Koop een XYZ telefoon", phones(1), null],
      ["Buy 1 XYZ Handy Huelle", purchase("XYZ phone case", 1), null],
      ["Kaufe 3 XYZ Handys", phones(2), /the quantity 2 \(it says 3\)/],
      ["Kaufe ein XYZ Handy", phones(2), /the quantity 2 \(it says 1\)/],
      // A word for something else, or the phone for its case, names another product.
      ["Kaufe 2 XYZ Handyhuellen", phones(2), /the product "XYZ phone"/],
      ["Buy 2 XYZ Handys", purchase("ABC laptop", 2), /the product "ABC laptop"/],
      ["Buy 1 XYZ Handy", purchase("XYZ phone case", 1), /the product "XYZ phone case"/],
    ]);
  });

  it("reads a measure, a term or a share after the name as what it says, not a count", () => {
    const phones = (quantity: number, maximum?: number) => purchase("XYZ phone", quantity, maximum);
    const unread = /which the testbed cannot read/;
    expectReadings([
      ["Buy 1 XYZ phone 128 GB", phones(1), null],
      ["Buy 2 XYZ phones 256GB, max 998 USD", phones(2, 998), null],
      ["Buy 1 XYZ phone 6.1 inch", phones(1), null],
      ["Buy 1 XYZ phone 2 day shipping", phones(1), null],
      ["Buy 1 XYZ phone, 2-day shipping", phones(1), null],
      ["Buy 2 XYZ phones with 1 year warranty, max 998 USD", phones(2, 998), null],
      ["Buy 2 XYZ phones, 1 per person", phones(2), null],
      ["Buy 4 XYZ phones 2 per person", phones(4), null],
      // The count before the name is still the count; the measure never is.
      ["Buy 1 XYZ phone 128 GB", phones(128), /the quantity 128 \(it says 1\)/],
      ["Buy 1 XYZ phone, 2 day shipping", phones(2), /the quantity 2 \(it says 1\)/],
      ["Buy 1 XYZ phone 128 GB and 1 ABC laptop", phones(1), /names "1 ABC laptop", which/],
      // A period with no term after it may repeat the purchase; a share that is the whole count,
      // or of no count, may be that many for each of many people.
      ["Buy 1 XYZ phone, 2 day", phones(1), unread],
      ["Buy 2 XYZ phones, 2 per person", phones(2), unread],
      ["Buy 2 XYZ phones per person", phones(2), unread],
      ["Buy 2 XYZ phones, 3 per person", phones(2), unread],
      ["Buy 4 XYZ phones, 1 per person, 5 people", phones(4), unread],
      ["Buy 2 XYZ phones, 1 per person for 4 people", phones(2), unread],
      ["Buy XYZ phones, 1 per person", phones(3), /the quantity 3 \(it states no count\)/],
    ]);
  });

  it("takes a name only as words of its own, not the start of other words", () => {
    expect(messageMismatch("Do you want to buy 2 tomatoes", purchase("toy", 2))).toMatch(
      /does not name the product "toy" of/,
    );
    expect(messageMismatch("Do you want to buy 1 phonebook", purchase("phone", 1))).toMatch(
      /does not name the product "phone" of/,
    );
    expect(
      messageMismatch("Do you want to buy 1 XYZ phone case", purchase("XYZ phone", 1)),
    ).toMatch(/does not name the product "XYZ phone" of/);
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

  // [message, product, quantity, maximum_amount, what the check says (undefined: they agree)]
  const table: [string, string, number, number | undefined, RegExp | undefined][] = [
    // A longer product that starts with the details' product is another product.
    ["Do you want to buy 2 XYZ phone cases", "XYZ phone", 2, undefined, /the product "XYZ phone"/],
    ["Buy 2 XYZ phones cases", "XYZ phone", 2, undefined, /the product "XYZ phone"/],
    ["Buy 1 XYZ phone charger for 19 USD", "XYZ phone", 1, undefined, /the product "XYZ phone"/],
    // A price is not the quantity.
    [
      "Do you want to buy 2 XYZ phones for max 20 USD",
      "XYZ phone",
      20,
      20,
      /the quantity 20 \(it [^)]*\) of/,
    ],
    ["Buy 2 XYZ phones for 20 USD", "XYZ phone", 20, undefined, /the quantity 20 \(it [^)]*\) of/],
    ["Buy 2 XYZ phones up to 20", "XYZ phone", 20, 20, /the quantity 20 \(it [^)]*\) of/],
    ["Buy XYZ phone for USD 3", "XYZ phone", 3, undefined, /the quantity 3 \(it [^)]*\) of/],
    // A stated maximum must be the details' maximum_amount, in whole cents.
    [
      "Do you want to buy 2 XYZ phones for max 20 USD",
      "XYZ phone",
      2,
      998,
      /the maximum_amount 998 \(it says max 20\)/,
    ],
    ["Buy 2 XYZ phones for up to 9.99 USD", "XYZ phone", 2, 9.98, /the maximum_amount 9\.98 /],
    [
      "Do you want to buy 2 XYZ phones for max 998 USD",
      "XYZ phone",
      2,
      undefined,
      /states a maximum of 998 that authorization_details do not set/,
    ],
    // A maximum written currency-first, or after "of", is a maximum too.
    [
      "Do you want to buy 2 XYZ phones for max USD 10",
      "XYZ phone",
      2,
      998,
      /the maximum_amount 998 \(it says max 10\)/,
    ],
    ["Buy 2 XYZ phones for up to $10", "XYZ phone", 2, 998, /the maximum_amount 998 /],
    ["Buy 2 XYZ phones, maximum of 10 USD", "XYZ phone", 2, 998, /the maximum_amount 998 /],
    ["Buy 2 XYZ phones, max: USD 10", "XYZ phone", 2, 998, /the maximum_amount 998 /],
    ["Buy 2 XYZ phones for max USD 998", "XYZ phone", 2, undefined, /states a maximum of 998/],
    ["Buy 2 XYZ phones for max USD 998", "XYZ phone", 2, 998, undefined],
    ["Buy 2 XYZ phones for at most $998.00", "XYZ phone", 2, 998, undefined],
    // Money is read as a person reads it: any currency, code or symbol, near a limit word.
    [
      "Do you want to buy 2 XYZ phones for max EUR 10",
      "XYZ phone",
      2,
      998,
      /998 \(it says max 10\) or the currency USD \(it says EUR\) of/,
    ],
    [
      "Do you want to buy 2 XYZ phones, 10 USD max",
      "XYZ phone",
      2,
      998,
      /the maximum_amount 998 \(it says max 10\) of/,
    ],
    ["Do you want to buy 2 XYZ phones for 10 USD", "XYZ phone", 2, 998, /the maximum_amount 998 /],
    [
      "Buy 2 XYZ phones, max US$ 10",
      "XYZ phone",
      2,
      998,
      /the maximum_amount 998 \(it says max 10\) of/,
    ],
    [
      "Buy 2 XYZ phones, max USD $10",
      "XYZ phone",
      2,
      998,
      /the maximum_amount 998 \(it says max 10\) of/,
    ],
    ["Buy 2 XYZ phones, max amount of 10 USD", "XYZ phone", 2, 998, /the maximum_amount 998 /],
    ["Buy 2 XYZ phones, max total 10 USD", "XYZ phone", 2, 998, /the maximum_amount 998 /],
    ["Buy 2 XYZ phones, no more than 10 USD", "XYZ phone", 2, 998, /the maximum_amount 998 /],
    ["Buy 2 XYZ phones under $10", "XYZ phone", 2, 998, /the maximum_amount 998 /],
    ["Buy 2 XYZ phones, limit 10 USD", "XYZ phone", 2, 998, /the maximum_amount 998 /],
    ["Buy 2 XYZ phones, total $10", "XYZ phone", 2, 998, /the maximum_amount 998 /],
    ["Buy 2 XYZ phones for a total of 10 USD", "XYZ phone", 2, 998, /the maximum_amount 998 /],
    ["Buy 2 XYZ phones, $10 or less", "XYZ phone", 2, 998, /the maximum_amount 998 /],
    [
      "Buy 2 XYZ phones, 10\u20ac max",
      "XYZ phone",
      2,
      998,
      /998 \(it says max 10\) or the currency USD \(it says \u20ac\)/,
    ],
    [
      "Buy 2 XYZ phones up to \u00a310",
      "XYZ phone",
      2,
      10,
      /the currency USD \(it says \u00a3\) of/,
    ],
    [
      "Buy 1 XYZ phone max 998 EUR",
      "XYZ phone",
      1,
      998,
      /does not name the currency USD \(it says EUR\) of/,
    ],
    ["Buy 1 XYZ phone max 998 eur", "XYZ phone", 1, 998, /the currency USD \(it says EUR\)/],
    ["Buy 2 XYZ phones for max 998 GEL", "XYZ phone", 2, 998, /the currency USD \(it says GEL\)/],
    ["Buy 2 XYZ phones for 10 USD", "XYZ phone", 2, undefined, /states a maximum of 10 that/],
    ["Buy 2 XYZ phones for 499 USD each", "XYZ phone", 2, 10, /998|\(it says 499 each\)/],
    // ... and the same words with the entry's amount and currency agree.
    ["Do you want to buy 2 XYZ phones, 998 USD max", "XYZ phone", 2, 998, undefined],
    ["Do you want to buy 2 XYZ phones for 998 USD", "XYZ phone", 2, 998, undefined],
    ["Buy 2 XYZ phones, max US$ 998", "XYZ phone", 2, 998, undefined],
    ["Buy 2 XYZ phones, max USD $998", "XYZ phone", 2, 998, undefined],
    ["Buy 2 XYZ phones, max amount of 998 USD", "XYZ phone", 2, 998, undefined],
    ["Buy 2 XYZ phones, max total 998 USD", "XYZ phone", 2, 998, undefined],
    ["Buy 2 XYZ phones, no more than $998", "XYZ phone", 2, 998, undefined],
    ["Buy 2 XYZ phones under $1,000", "XYZ phone", 2, 1000, undefined],
    ["Buy 2 XYZ phones for 499 USD each", "XYZ phone", 2, 998, undefined],
    ["Buy 2 XYZ phones at $499 per phone", "XYZ phone", 2, 998, undefined],
    ["Buy 1 XYZ phone, max 998 EUR", "XYZ phone", 1, 998, /the currency USD/],
    [
      "2x XYZ phone at 5 USD each",
      "XYZ phone",
      2,
      998,
      /the maximum_amount 998 \(it says 5 each\)/,
    ],
    ["Buy 2 XYZ phones at $10", "XYZ phone", 2, 20, undefined],
    // A number that counts something else, or a word that is a currency only in capitals, is no price.
    ["Buy 2 XYZ phones for all 3 kids", "XYZ phone", 2, 998, undefined],
    ["Buy up to 2 XYZ phones", "XYZ phone", 2, 998, undefined],
    // The quantity is the number that counts the product, not any number of the message.
    ["Buy XYZ phone, qty 2, max 998 USD", "XYZ phone", 2, 998, undefined],
    ["Buy XYZ phone, quantity: 2, max 998 USD", "XYZ phone", 2, 998, undefined],
    ["Buy XYZ phone quantity 2 for max 998 USD", "XYZ phone", 2, 998, undefined],
    ["Buy 2 units of XYZ phone for max 998 USD", "XYZ phone", 2, 998, undefined],
    ["Buy 2 pcs XYZ phone", "XYZ phone", 2, undefined, undefined],
    ["Buy XYZ phone, 2 units, max 998 USD", "XYZ phone", 2, 998, undefined],
    ["Buy XYZ phone x 2", "XYZ phone", 2, undefined, undefined],
    ["Buy 2x XYZ phone for max 998 USD", "XYZ phone", 2, 998, undefined],
    ["Buy XYZ phone, qty 3, max 998 USD", "XYZ phone", 2, 998, /the quantity 2 \(it [^)]*\) of/],
    ["Buy 3 units of XYZ phone", "XYZ phone", 2, undefined, /the quantity 2 \(it [^)]*\) of/],
    ["Buy 2 XYZ phones, qty 3", "XYZ phone", 2, undefined, /the quantity 2 \(it [^)]*\) of/],
    [
      "Do you want to buy 1 XYZ phone for 2 people",
      "XYZ phone",
      2,
      undefined,
      /the quantity 2 \(it [^)]*\) of/,
    ],
    [
      "Do you want to buy 1 XYZ phone, order 2",
      "XYZ phone",
      2,
      undefined,
      /the quantity 2 \(it [^)]*\) of/,
    ],
    [
      "Do you want to buy 1 XYZ phone at 2 pm",
      "XYZ phone",
      2,
      undefined,
      /the quantity 2 \(it [^)]*\) of/,
    ],
    ["Buy 1 XYZ phone x2", "XYZ phone", 2, undefined, /the quantity 2 \(it [^)]*\) of/],
    [
      "Buy 2 XYZ phones and 1 XYZ phone",
      "XYZ phone",
      2,
      undefined,
      /the quantity 2 \(it [^)]*\) of/,
    ],
    ["Buy XYZ phone", "XYZ phone", 1, undefined, /the quantity 1 \(it [^)]*\) of/],
    ["Buy 2 x XYZ phone", "XYZ phone", 2, undefined, undefined],
    ["Buy 2 XYZ phones at 2 pm", "XYZ phone", 2, undefined, undefined],
    // A name with no letter or digit a binding message may hold is named by none.
    [
      "Do you want to buy 2 items",
      "\u03c4\u03b7\u03bb\u03ad\u03c6\u03c9\u03bd\u03bf",
      2,
      undefined,
      /the product "\u03c4\u03b7\u03bb/,
    ],
    ["Do you want to buy 2 XYZ phones", "\u0416\u0416", 2, undefined, /the product/],
    // What an agent writes in its own words.
    ["Buy 2 XYZ phones", "XYZ phone", 2, undefined, undefined],
    ["Approve purchase of 2 XYZ phones for up to 998 USD", "XYZ phone", 2, 998, undefined],
    ["XYZ phone x2", "XYZ phone", 2, undefined, undefined],
    ["2x XYZ phone at 499 USD each", "XYZ phone", 2, 998, undefined],
    ["Buy 2 XYZ phones, max 998.00 USD", "XYZ phone", 2, 998, undefined],
    ["Buy 2 XYZ phones for max 998 USD", "XYZ phone", 2, 998.004, undefined],
    ["Order 12: buy 2 XYZ phones", "XYZ phone", 2, undefined, undefined],
    ["Buy 1 Model 3 charger", "Model 3 charger", 1, undefined, undefined],
    ["Buy 3 Model 3 chargers", "Model 3 charger", 1, undefined, /the quantity 1 \(it [^)]*\) of/],
    ["Buy 1,000 USB-C cables", "USB-C cable", 1000, undefined, undefined],
    ["Buy 2 \uff38\uff39\uff3a phones", "XYZ phone", 2, undefined, undefined],
  ];

  it.each(table)(
    "%s | %s, quantity %d, maximum_amount %s",
    (message, product, quantity, maximum, says) => {
      const found = messageMismatch(message, purchase(product, quantity, maximum));
      if (says === undefined) expect(found).toBe(undefined);
      else expect(found).toMatch(says);
    },
  );

  // Auth0 refuses "$", "€" and "£" in a binding message: a suffix, a scale or a currency's name
  // is how one states another limit. For 2 XYZ phones at a maximum_amount of 998 USD:
  const otherLimits: [string, RegExp][] = [
    ["for max 10k USD", /the maximum_amount 998 \(it says max 10k\) of/],
    ["for max 10K USD", /the maximum_amount 998 \(it says max 10k\) of/],
    ["for max 1k", /the maximum_amount 998 \(it says max 1k\) of/],
    ["for max 10USD", /the maximum_amount 998 \(it says max 10\) of/],
    ["for max USD10", /the maximum_amount 998 \(it says max 10\) of/],
    ["for max 998 thousand USD", /the maximum_amount 998 \(it says max 998 thousand\) of/],
    ["for max 998 million USD", /the maximum_amount 998 \(it says max 998 million\) of/],
    ["for max 998 euros", /does not name the currency USD \(it says euros\) of/],
    ["for max 998 pounds", /does not name the currency USD \(it says pounds\) of/],
    ["for max 998 yen", /does not name the currency USD \(it says yen\) of/],
    ["for max 998 USD or 10 EUR", /998 \(it says 10\) or the currency USD \(it says EUR\) of/],
    ["for max 998 USD, 10 USD each", /the maximum_amount 998 \(it says 10 each\) of/],
    [
      "for max 998e3 USD",
      /states "max 998e3 USD", which the testbed cannot read as the maximum_amount/,
    ],
    ["for max 998 cents", /states "max 998 cents", which the testbed cannot read/],
    ["for max ten USD", /states "max ten USD", which the testbed cannot read/],
    ["for max 998 kroner", /states "max 998 kroner", which the testbed cannot read/],
    ["for max 2 grand", /states "max 2 grand", which the testbed cannot read/],
    // A price or a lower bound names the product, and is no maximum of 998.
    ["cost 10 USD", /^The binding message does not name the maximum_amount 998 \(it says 10\) of/],
    ["minimum 10 USD", /^The binding message states "minimum 10 USD", which the testbed/],
    ["over 10 USD", /^The binding message states "over 10 USD", which the testbed/],
    ["for over 998 USD", /^The binding message states "over 998 USD", which the testbed/],
    ["at 10 USD", /^The binding message does not name the maximum_amount 998 \(it says 10\) of/],
  ];

  it.each(otherLimits)("flags 'Do you want to buy 2 XYZ phones %s'", (tail, says) => {
    expect(
      messageMismatch(`Do you want to buy 2 XYZ phones ${tail}`, purchase("XYZ phone", 2, 998)),
    ).toMatch(says);
  });

  it("reads those words when they state the details' limit", () => {
    for (const [tail, maximum] of [
      ["for max 10k USD", 10_000],
      ["for max 10K", 10_000],
      ["for max 998USD", 998],
      ["for max USD998", 998],
      ["for max 2 thousand USD", 2000],
      ["for max 998 dollars", 998],
      ["at 499 USD each", 998],
      ["at 499 USD", 998],
      ["for max 998, qty 2", 998],
    ] as const) {
      const message = `Do you want to buy 2 XYZ phones ${tail}`;
      expect(messageMismatch(message, purchase("XYZ phone", 2, maximum)), message).toBe(undefined);
    }
    expect(
      messageMismatch("Buy 2 XYZ phones for max 998 euros", [
        {
          type: "product_purchase",
          product: "XYZ phone",
          quantity: 2,
          maximum_amount: 998,
          currency: "EUR",
        },
      ]),
    ).toBe(undefined);
  });

  it("quotes a price stated when the details set no maximum", () => {
    expect(
      messageMismatch("Do you want to buy 2 XYZ phones at 10 USD", purchase("XYZ phone", 2)),
    ).toMatch(/^The binding message states "10 USD", which the testbed cannot read/);
  });

  it("takes every message the shared builder writes, with and without the limit, cut short or not", () => {
    const products = [
      "XYZ phone",
      "battery",
      "box",
      "TV",
      "USB-C cable",
      "Kid's toy",
      "AT&T SIM card",
      "Caf\u00e9 mug",
      "Model 3 charger",
      "USD gift card",
      "2x4 lumber",
      "Extraordinarily long product name that goes on and on for a while",
    ];
    for (const product of products) {
      for (const qty of [1, 2, 20, 1000]) {
        for (const priceLimit of [undefined, 20, 998, 9.985, 123456.78]) {
          const message = purchaseBindingMessage({ product, qty, priceLimit });
          expect(messageMismatch(message, purchase(product, qty, priceLimit)), message).toBe(
            undefined,
          );
        }
      }
    }
  });

  // Words next to a stated amount or count that make it another: the person approves the words.
  // [message, quantity, maximum_amount, what the check says]
  const understated: [string, number, number | undefined, RegExp][] = [
    // An addition to the limit.
    ["Buy 1 XYZ phone for max 998 USD plus 10", 1, 998, /states "max 998 USD plus 10", which/],
    ["Buy 1 XYZ phone for max 998 USD plus 10", 1, 1008, /states "max 998 USD plus 10", which/],
    ["Buy 1 XYZ phone for max 998 USD + 10 USD shipping", 1, 1008, /"max 998 USD \+ 10"/],
    [
      "Buy 2 XYZ phones for max 998 USD plus tax and fees",
      2,
      998,
      /"max 998 USD plus tax and fees"/,
    ],
    ["Buy 1 XYZ phone for max 998 USD and 10 USD fee", 1, 1008, /"10 USD fee"/],
    // A factor, in the message or after its limit, where the count is another.
    ["Buy 2 XYZ phones for max 998 USD x 10", 2, 998, /"max 998 USD x 10"/],
    ["Buy 2 XYZ phones for max 998 USD times 10", 2, 998, /"max 998 USD times 10"/],
    ["Buy 2 XYZ phones for max 998 USD 2x", 2, 998, /"max 998 USD 2x"/],
    ["Buy 2 XYZ phones, max 998 USD, x 10", 2, 998, /says "x 10", which may change the/],
    ["Buy 1 XYZ phone, max 998 USD, times 10", 10, 9980, /says "times 10", which may/],
    ["Buy 2 XYZ phones, 10 times", 2, undefined, /says "10 times"/],
    ["Buy 2 XYZ phones x 2", 2, undefined, /says "2 XYZ phones x 2"/],
    ["Buy 2 XYZ phones 2x", 2, undefined, /says "2 XYZ phones 2x"/],
    ["2x Buy 1 XYZ phone", 1, undefined, /says "2x"/],
    ["Buy XYZ phone twice", 1, undefined, /says "twice"/],
    ["Buy 2 XYZ phones and 2 more", 2, undefined, /says "2 more"/],
    // A period: the amount recurs, or is split.
    ["Buy 1 XYZ phone for max 998 USD per month", 1, 998, /states "max 998 USD per month", which/],
    ["Buy 1 XYZ phone for max 998 USD a month", 1, 998, /"max 998 USD a month"/],
    ["Buy 1 XYZ phone for max 998 USD each month", 1, 998, /"max 998 USD each month"/],
    ["Buy 1 XYZ phone for max 998 USD monthly", 1, 998, /"max 998 USD monthly"/],
    ["Buy 1 XYZ phone for max 998 USD pm", 1, 998, /"max 998 USD pm"/],
    ["Buy 2 XYZ phones for max 998 USD over 12 months", 2, 998, /"max 998 USD over 12 months"/],
    ["Buy 2 XYZ phones, 12 payments of 998 USD", 2, 998, /"12 payments"/],
    ["Buy 2 XYZ phones weekly", 2, undefined, /says "weekly"/],
    ["Buy 2 XYZ phones for max 499 USD per person", 2, 998, /"max 499 USD per person"/],
    // A lower bound, or money the person gets.
    ["Buy 1 XYZ phone for max 998 USD or more", 1, 998, /"max 998 USD or more"/],
    ["Buy 1 XYZ phone for 998 USD and up", 1, 998, /"for 998 USD and up"/],
    ["Buy 1 XYZ phone for 998 USD+", 1, 998, /"for 998 USD\+"/],
    ["Buy 1 XYZ phone for 998+ USD", 1, 998, /says "998\+"/],
    ["Buy 2 XYZ phones for max 998 USD or so", 2, 998, /"max 998 USD or so"/],
    ["Buy 1 XYZ phone, save 998 USD", 1, 998, /states "save 998 USD"/],
    ["Buy 1 XYZ phone, 998 USD cashback", 1, 998, /states "998 USD cashback"/],
    // Each unit's price written before the amount.
    ["Buy 2 XYZ phones, each 998 USD", 2, 998, /998 \(it says 998 each\)/],
    // Another currency, however it is written.
    ["Buy 1 XYZ phone for max 998 Canadian dollars", 1, 998, /USD \(it says canadian dollars\)/],
    ["Buy 2 XYZ phones for max 998 HK dollars", 2, 998, /USD \(it says hk dollars\)/],
    ["Buy 2 XYZ phones for max 998 Taiwan dollars", 2, 998, /states "max 998 Taiwan", which/],
    ["Buy 1 XYZ phone for max 998 USD in EUR", 1, 998, /states "max 998 USD in EUR", which/],
    ["Buy 1 XYZ phone, pay in EUR, max 998", 1, 998, /the currency USD \(it says EUR\)/],
    // A count in words that is not the quantity.
    ["Buy a XYZ phone", 3, undefined, /the quantity 3 \(it [^)]*\) of/],
    ["Buy a pair of XYZ phones", 3, undefined, /the quantity 3 \(it [^)]*\) of/],
    ["Buy two XYZ phones for max 998 USD", 20, 998, /the quantity 20 \(it [^)]*\) of/],
  ];

  it.each(understated)("flags '%s' for quantity %d, maximum_amount %s", (message, q, max, says) => {
    expect(messageMismatch(message, purchase("XYZ phone", q, max))).toMatch(says);
  });

  // Honest messages in other words, orders and forms. [message, quantity, maximum_amount]
  const honest: [string, number, number | undefined][] = [
    ["Buy a XYZ phone", 1, undefined],
    ["Buy an XYZ phone for max 998 USD", 1, 998],
    ["Buy one XYZ phone for max 998 USD", 1, 998],
    ["Buy a single XYZ phone", 1, undefined],
    ["Buy two XYZ phones", 2, undefined],
    ["Buy a pair of XYZ phones", 2, undefined],
    ["Buy twelve XYZ phones", 12, undefined],
    ["Buy a dozen XYZ phones", 12, undefined],
    ["Buy two dozen XYZ phones", 24, undefined],
    ["Buy twenty-five XYZ phones", 25, undefined],
    ["Buy a hundred XYZ phones", 100, undefined],
    ["Buy 2 XYZ phone for max 998 USD", 2, 998],
    ["Max 998 USD: buy 2 XYZ phones", 2, 998],
    ["For max 998 USD, buy 2 XYZ phones", 2, 998],
    ["Buy 2 XYZ phones, 499 USD each", 2, 998],
    ["Buy 2 XYZ phones at 499 USD a phone", 2, 998],
    ["Buy 2 XYZ phones for 499 USD per unit", 2, 998],
    ["Buy 1 XYZ phone for max 998 US dollars", 1, 998],
    ["Buy 1 XYZ phone for max 998 USD incl tax", 1, 998],
    ["Buy 2 XYZ phones for max 998 USD today", 2, 998],
    ["Buy 2 XYZ phones for max 998 USD all in", 2, 998],
    ["Buy 2 XYZ phones for max 998 USD with free shipping", 2, 998],
    ["Buy 2 XYZ phones for max 998 USD in 1 payment", 2, 998],
    ["Buy 2 XYZ phones for max 998 USD by 5 pm", 2, 998],
    ["Buy 2 XYZ phones for max 998 USD, delivered in 2 days", 2, 998],
    ["Buy 2 XYZ phones for max 998 USD, order #12", 2, 998],
    ["Buy 2 XYZ phones, qty 2, max 998 USD", 2, 998],
    ["Buy 2 XYZ phones. Max 998 USD.", 2, 998],
    ["Buy 2 XYZ phones as a gift for Anna", 2, 998],
    ["Buy 2 XYZ phones without cases", 2, undefined],
  ];

  it.each(honest)("takes '%s' for quantity %d, maximum_amount %s", (message, q, max) => {
    expect(messageMismatch(message, purchase("XYZ phone", q, max))).toBe(undefined);
  });

  it("reads a name with a factor or a + in it as the name", () => {
    expect(messageMismatch("Buy 1 Pro 2x phone", purchase("Pro 2x phone", 1))).toBe(undefined);
    expect(messageMismatch("Buy 1 Disney+ gift card", purchase("Disney+ gift card", 1))).toBe(
      undefined,
    );
  });

  it("names an item the message buys that the details do not", () => {
    expect(messageMismatch("Buy 2 XYZ phones and 1 ABC laptop", purchase("XYZ phone", 2))).toBe(
      'The binding message names "1 ABC laptop", which authorization_details do not buy: the person would approve the message while the token authorizes the details.',
    );
    expect(
      messageMismatch("Buy 2 XYZ phones, 3 USB-C cables and a laptop", purchase("XYZ phone", 3)),
    ).toMatch(
      /^The binding message names "3 USB-C cables" and "a laptop", which authorization_details do not buy and does not name the quantity 3 \(it says 2\) of/,
    );
    // Not an item: a time, a measure, who it is for, a split of the named count, what is owned.
    for (const message of [
      "Buy 2 XYZ phones, delivered in 2 days",
      "Buy 2 XYZ phones, 64 GB",
      "Buy 2 XYZ phones: 1 for Anna, 1 for Ben",
      "Buy 2 XYZ phones, 1 black and 1 white",
      "Buy 2 XYZ phones for my XYZ tablet",
    ]) {
      expect(messageMismatch(message, purchase("XYZ phone", 2)), message).toBe(undefined);
    }
    // A split that does not add up to the named count is items of their own.
    expect(
      messageMismatch("Buy 2 XYZ phones, 1 black and 2 white", purchase("XYZ phone", 2)),
    ).toMatch(/names "2 white", which/);
  });

  it("names one word of a thing sold after a count as an item, in several languages", () => {
    const laptop = purchase("ABC laptop", 1);
    expect(messageMismatch("Buy 1 ABC laptop, 1 souris", laptop)).toMatch(
      /^The binding message names "1 souris", which authorization_details do not buy: /,
    );
    expect(messageMismatch("Buy 1 ABC laptop, 1 charger, 2 cables", laptop)).toMatch(
      /names "1 charger" and "2 cables", which/,
    );
    expect(messageMismatch("Compra 1 ABC laptop y 1 raton", laptop)).toMatch(/names "1 raton"/);
    expect(messageMismatch("Koop 1 ABC laptop en 1 muis", laptop)).toMatch(/names "1 muis"/);
    // Such items never split the named count: 1 + 1 is 2, but a case and a charger are no phones.
    expect(
      messageMismatch("Buy 2 XYZ phones, 1 case and 1 charger", purchase("XYZ phone", 2)),
    ).toMatch(/names "1 case" and "1 charger", which/);
    // The product's own word is its count split, and a colour or a year no item.
    for (const message of [
      "Buy 2 XYZ phones, 2 colours",
      "Buy 2 XYZ phones: 1 phone for Anna, 1 for Ben",
      "Buy 1 ABC laptop, 1 silver",
    ]) {
      const details = message.includes("laptop") ? laptop : purchase("XYZ phone", 2);
      expect(messageMismatch(message, details), message).toBe(undefined);
    }
  });

  it("holds a total over several products against the sum of their maximum_amounts", () => {
    const both = (phone?: number, laptop?: number, laptopCurrency = "USD") => [
      ...purchase("XYZ phone", 2, phone),
      ...purchase("ABC laptop", 1, laptop).map((entry) => ({ ...entry, currency: laptopCurrency })),
    ];
    for (const message of [
      "Buy 2 XYZ phones and 1 ABC laptop, max 2498 USD total",
      "Buy 2 XYZ phones and 1 ABC laptop, 2498 USD for both",
      "Max 2498 USD in total: 2 XYZ phones, 1 ABC laptop",
      // Unmarked, the one amount after both products that is their sum and not the laptop's.
      "Buy 2 XYZ phones and 1 ABC laptop for max 2498 USD",
    ]) {
      expect(messageMismatch(message, both(998, 1500)), message).toBe(undefined);
    }
    expect(
      messageMismatch("Buy 2 XYZ phones and 1 ABC laptop, max 2000 USD total", both(998, 1500)),
    ).toBe(
      "The binding message does not name the maximum_amounts 998 + 1500 = 2498 in total (it says max 2000 in total) of authorization_details: the person would approve the message while the token authorizes the details.",
    );
    // The laptop's own limit, written as the total, lets the person believe 1500 is all.
    expect(
      messageMismatch("Buy 2 XYZ phones and 1 ABC laptop, max 1500 USD total", both(998, 1500)),
    ).toMatch(/998 \+ 1500 = 2498 in total \(it says max 1500 in total\)/);
    expect(
      messageMismatch("Buy 2 XYZ phones and 1 ABC laptop, max 2498 USD total", both(998)),
    ).toMatch(/states a maximum of 2498 in total \(the product "ABC laptop" has none\) that/);
    expect(
      messageMismatch(
        "Buy 2 XYZ phones and 1 ABC laptop, max 2498 USD total",
        both(998, 1500, "EUR"),
      ),
    ).toMatch(/states "2498 USD", which the testbed cannot read as the maximum_amount/);
    // Unmarked, the one amount after both products is still both products'.
    expect(
      messageMismatch("Buy 2 XYZ phones and 1 ABC laptop for max 2400 USD", both(998, 1500)),
    ).toMatch(/998 \+ 1500 = 2498 in total \(it says max 2400 in total\)/);
  });

  it("reads one limit after or before a list as the whole list's, not the last product's", () => {
    const pair = (phone?: number, laptop?: number) => [
      ...purchase("XYZ phone", 1, phone),
      ...purchase("ABC laptop", 1, laptop),
    ];
    const message = "Buy an XYZ phone and an ABC laptop, up to 500 USD";
    // The laptop's own 500 USD: the person reads 500 for both, while the token lets the shop
    // charge 1000; with no limit on the phone, the phone has none at all.
    expect(messageMismatch(message, pair(500, 500))).toMatch(
      /the maximum_amounts 500 \+ 500 = 1000 in total \(it says max 500 in total\)/,
    );
    expect(messageMismatch(message, pair(undefined, 500))).toMatch(
      /states a maximum of 500 in total \(the product "XYZ phone" has none\) that/,
    );
    expect(messageMismatch("Max 998 USD: 1 XYZ phone and 1 ABC laptop", pair(998))).toMatch(
      /the product "ABC laptop" has none/,
    );
    expect(
      messageMismatch("Buy an XYZ phone and an ABC laptop, up to 1000 USD", pair(500, 500)),
    ).toBe(undefined);
    // An amount between the products, or one after each, is its own product's.
    expect(messageMismatch("Buy an XYZ phone for max 500 USD, and an ABC laptop", pair(500))).toBe(
      undefined,
    );
    expect(
      messageMismatch("Buy 1 XYZ phone max 500 USD, 1 ABC laptop max 900 USD", pair(500, 900)),
    ).toBe(undefined);
    // One price each unit's after the list is every product's.
    const each = "Buy an XYZ phone and an ABC laptop, 499 USD each";
    expect(messageMismatch(each, pair(499, 499))).toBe(undefined);
    expect(messageMismatch(each, pair(5000, 499))).toMatch(
      /the maximum_amount 5000 \(it says 499 each\)/,
    );
  });

  it("reads a bound on the count as the shop applies quantity: the most it sells", () => {
    expect(messageMismatch("Buy at least 2 XYZ phones", purchase("XYZ phone", 2))).toBe(
      'The binding message does not name the quantity 2 (it says "at least 2", a lower bound, where the token buys at most 2) of authorization_details: the person would approve the message while the token authorizes the details.',
    );
    for (const message of [
      "Buy min 2 XYZ phones",
      "Buy a minimum of 2 XYZ phones",
      "Buy more than 2 XYZ phones",
      "Buy over 2 XYZ phones",
      "Buy no fewer than 2 XYZ phones",
      "Buy 2 or more XYZ phones",
      "Buy 2+ XYZ phones",
      "Buy 2 XYZ phones minimum",
    ]) {
      expect(messageMismatch(message, purchase("XYZ phone", 2)), message).toMatch(
        /the quantity 2 \(it says "[^"]+", a lower bound, where the token buys at most 2\)/,
      );
    }
    for (const message of [
      "Buy up to 2 XYZ phones",
      "Buy at most 2 XYZ phones",
      "Buy no more than 2 XYZ phones",
      "Buy not more than 2 XYZ phones",
      "Buy never more than 2 XYZ phones",
      "Buy max 2 XYZ phones",
    ]) {
      expect(messageMismatch(message, purchase("XYZ phone", 2)), message).toBe(undefined);
    }
    expect(messageMismatch("Buy no more than 3 XYZ phones", purchase("XYZ phone", 2))).toMatch(
      /the quantity 2 \(it says 3\)/,
    );
  });

  it("takes a corrected count for the count it corrects to", () => {
    for (const message of ["Buy 2, not 3 XYZ phones", "Buy 2 not 3 XYZ phones"]) {
      expect(messageMismatch(message, purchase("XYZ phone", 2)), message).toBe(undefined);
      expect(messageMismatch(message, purchase("XYZ phone", 3)), message).toMatch(
        /^The binding message does not name the quantity 3 \(it says 2\) of/,
      );
    }
  });

  it("has nothing to compare without purchase entries", () => {
    expect(messageMismatch("Sign in", undefined)).toBe(undefined);
    expect(messageMismatch("Do you want to buy 3 XYZ phones", undefined)).toBe(undefined);
    expect(messageMismatch("Buy 1 ABC laptop", [{ type: "other", product: "XYZ phone" }])).toBe(
      undefined,
    );
    expect(messageMismatch("Sign in", [{ type: "other", product: "ABC laptop" }])).toBe(undefined);
    expect(messageMismatch("Buy it", purchase({ odd: 1 }, "5"))).toBe(undefined);
  });
});
