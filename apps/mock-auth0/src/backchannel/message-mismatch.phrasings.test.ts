import { bindingMessageProblems } from "@ciba-testbed/shared";
import type { AuthorizationDetail } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { messageMismatch } from "./message-mismatch.js";

/** A `product_purchase` entry: `maximum` in `currency` (USD unless given), or none. */
const buys = (
  product: string,
  quantity: number,
  maximum?: number,
  currency = "USD",
): AuthorizationDetail => ({
  type: "product_purchase",
  product,
  quantity,
  currency,
  ...(maximum === undefined ? {} : { maximum_amount: maximum }),
});

/** 2 XYZ phones for at most 998 USD unless given; `null`: no maximum_amount. */
const phones = (quantity = 2, maximum: number | null = 998, currency = "USD") => [
  buys("XYZ phone", quantity, maximum ?? undefined, currency),
];

/**
 * Binding messages an agent may write, each with the request it is sent with and what the tenant
 * must say: `null` when the message states what the request does, else words the finding holds.
 */
type Phrasing = [message: string, details: AuthorizationDetail[], says: RegExp | null];

/** A message that says not to buy, or to do something else than buy, misstates the request. */
const actions: Phrasing[] = [
  ["Do not buy 2 XYZ phones", phones(2, null), /says "Do not buy/],
  ["Dont buy 2 XYZ phones", phones(2, null), /says "Dont buy/],
  ["Never buy 2 XYZ phones", phones(2, null), /says "Never buy/],
  ["Do not order 2 XYZ phones", phones(2, null), /says "Do not order/],
  ["Please do not purchase 2 XYZ phones", phones(2, null), /says "do not purchase/],
  ["Not buying 2 XYZ phones", phones(2, null), /says "Not buying/],
  [
    "No purchase of 2 XYZ phones",
    phones(2, null),
    /^The binding message says "No purchase of 2 XYZ phones" \(authorization_details buy the product "XYZ phone"\): /,
  ],
  ["Do not buy 2 XYZ phones for max 998 USD", phones(), /says "Do not buy/],
  ["You will not buy 2 XYZ phones", phones(2, null), /says "not buy/],
  ["Stop: do not buy 2 XYZ phones", phones(2, null), /says "do not buy/],
  ["Skip buying 2 XYZ phones", phones(2, null), /says "Skip buying/],
  ["Do not buy 3 batteries", [buys("battery", 3)], /says "Do not buy/],
  ["Do not order a coffee mug", [buys("coffee mug", 1)], /says "Do not order/],
  ["Buy 2 XYZ tablets, not XYZ phones", phones(2, null), /says "not/],
  ["Sell 2 XYZ phones", phones(2, null), /says "Sell/],
  ["Sell 2 XYZ phones for max 998 USD", phones(), /says "Sell/],
  ["Sell 2 XYZ phones for 998 USD", phones(), /says "Sell/],
  ["Return 2 XYZ phones", phones(2, null), /says "Return/],
  ["Refund 2 XYZ phones", phones(2, null), /says "Refund/],
  ["Cancel 2 XYZ phones", phones(2, null), /says "Cancel/],
  ["Cancel order of 2 XYZ phones", phones(2, null), /says "Cancel order of 2 XYZ phones"/],
  ["Cancel my order: 2 XYZ phones", phones(2, null), /says "Cancel my order: 2 XYZ phones"/],
  ["Reserve 2 XYZ phones", phones(2, null), /says "Reserve/],
  ["Rent 2 XYZ phones for max 998 USD", phones(), /says "Rent/],
  ["Return 2 XYZ phones for a refund of 998 USD", phones(), /says "Return/],
  ["Trade in 2 XYZ phones", phones(2, null), /says "Trade/],
  ["Resell 2 XYZ phones", phones(2, null), /says "Resell/],
  ["Exchange 2 XYZ phones", phones(2, null), /says "Exchange/],
  ["Return 5 USB-C cables", [buys("USB-C cable", 5)], /says "Return/],
  [
    "Buy 2 XYZ phones and do not buy 1 ABC laptop",
    [buys("XYZ phone", 2), buys("ABC laptop", 1)],
    /says "do not buy/,
  ],
  [
    "Buy 2 XYZ phones, sell 1 ABC laptop",
    [buys("XYZ phone", 2), buys("ABC laptop", 1)],
    /says "sell/,
  ],
];

/** Buying in other words, and negations that do not touch the purchase. */
const buying: Phrasing[] = [
  ["Order 2 XYZ phones", phones(2, null), null],
  ["Purchase 2 XYZ phones for max 998 USD", phones(), null],
  ["Get 2 XYZ phones", phones(2, null), null],
  ["Gift 2 XYZ phones to Anna", phones(2, null), null],
  ["Buy 2 XYZ phones as a gift for Anna", phones(2, null), null],
  ["Pre-order 2 XYZ phones", phones(2, null), null],
  ["Reorder 2 XYZ phones", phones(2, null), null],
  ["Place order: 2 XYZ phones, max 998 USD", phones(), null],
  ["Checkout 2 XYZ phones, total 998 USD", phones(), null],
  ["Confirm purchase: 2x XYZ phone, 998 USD", phones(), null],
  ["Approve order of 2 XYZ phones up to 998 USD", phones(), null],
  ["Approve or deny: buy 2 XYZ phones", phones(2, null), null],
  ["Pay 998 USD for 2 XYZ phones", phones(), null],
  ["Acquire 2 XYZ phones", phones(2, null), null],
  ["Buy 2 XYZ phones, not 3", phones(2, null), null],
  ["Buy 2 XYZ phones, not refurbished", phones(2, null), null],
  ["Buy 2 XYZ phones without cases", phones(2, null), null],
  ["Buy 2 XYZ phones, do not ship before Monday", phones(2, null), null],
  ["Dont worry, buy 2 XYZ phones", phones(2, null), null],
  ["Buy 2 XYZ phones, free returns", phones(2, null), null],
  ["Buy 2 XYZ phones, refundable", phones(2, null), null],
  ["Buy 2 XYZ phones, cancel within 30 days", phones(2, null), null],
  ["Buy 2 XYZ phones, not more than 998 USD", phones(), null],
  ["Buy 2 XYZ phones, do not exceed 998 USD", phones(), null],
  ["Buy 2 XYZ phones, never pay more than 998 USD", phones(), null],
  ["Do not spend more than 998 USD on 2 XYZ phones", phones(), null],
  ["Buy 2 XYZ phones, never more than 998 USD", phones(), null],
  ["Buy 3 batteries", [buys("battery", 3)], null],
  ["Buy a coffee mug", [buys("coffee mug", 1)], null],
];

/** "more", "extra", "another": this request buys the count written, whatever was bought before. */
const more: Phrasing[] = [
  ["Buy 2 more XYZ phones", phones(2, null), null],
  ["Buy 1 more XYZ phone", phones(1, null), null],
  ["Buy 2 more XYZ phones for max 998 USD", phones(), null],
  ["Buy another XYZ phone", phones(1, null), null],
  ["Buy 2 extra XYZ phones", phones(2, null), null],
  ["Buy 2 additional XYZ phones for max 998 USD", phones(), null],
  ["Buy 2 more XYZ phones", phones(4, null), /the quantity 4 \(it [^)]*\)/],
  ["Buy another XYZ phone", phones(2, null), /the quantity 2 \(it [^)]*\)/],
  ["Buy 2 XYZ phones and 2 more", phones(2, null), /"2 more"/],
];

/** Amounts as people write them, within the characters Auth0 allows. */
const numbers: Phrasing[] = [
  ["Buy 2 XYZ phones for max 1,000 USD", phones(2, 1000), null],
  ["Buy 2 XYZ phones for max 1.000 USD", phones(2, 1000), null],
  [
    "Buy 2 XYZ phones for max 1.000 USD",
    phones(2, 1),
    /the maximum_amount 1 \(it says max 1\.000, read as 1000\)/,
  ],
  ["Buy 2 XYZ phones for max 1 000 USD", phones(2, 1000), null],
  [
    "Buy 2 XYZ phones for max 1 000 USD",
    phones(2, 1),
    /the maximum_amount 1 \(it says max 1 000, read as 1000\)/,
  ],
  ["Buy 2 XYZ phones for max 1k USD", phones(2, 1000), null],
  ["Buy 2 XYZ phones for max 1K", phones(2, 1000), null],
  ["Buy 2 XYZ phones for max 1.5k USD", phones(2, 1500), null],
  ["Buy 2 XYZ phones for max USD 1000", phones(2, 1000), null],
  ["Buy 2 XYZ phones for max 1000.00 USD", phones(2, 1000), null],
  ["Buy 2 XYZ phones for max 1000,00 USD", phones(2, 1000), null],
  ["Buy 2 XYZ phones for max 1.000,00 USD", phones(2, 1000), null],
  ["Buy 2 XYZ phones for max 1,000.00 USD", phones(2, 1000), null],
  ["Buy 2 XYZ phones for max 1000USD", phones(2, 1000), null],
  ["Buy 2 XYZ phones for max 1000 dollars", phones(2, 1000), null],
  ["Buy 2 XYZ phones for max 1000 US dollars", phones(2, 1000), null],
  ["Buy 2 XYZ phones for max 1 thousand USD", phones(2, 1000), null],
  ["Buy 2 XYZ phones for max 1.000.000 USD", phones(2, 1_000_000), null],
  ["Buy 2 XYZ phones for max 9.99 USD", phones(2, 9.99), null],
  ["Buy 2 XYZ phones, 998.5 USD max", phones(2, 998.5), null],
  ["Buy 2 XYZ phones for max 998", phones(), null],
  [
    "Buy 2 XYZ phones for max 1,000 USD",
    phones(2, 100),
    /the maximum_amount 100 \(it says max 1,000\)/,
  ],
  [
    "Buy 2 XYZ phones for max 10.000 USD",
    phones(2, 1000),
    /the maximum_amount 1000 \(it says max 10\.000, read as 10000\)/,
  ],
  ["Buy 2 XYZ phones for max 998 EUR", phones(), /the currency USD \(it says EUR\)/],
  ["Buy 2 XYZ phones for max 998 EUR", phones(2, 998, "EUR"), null],
  ["Buy 2 XYZ phones for max 998 euros", phones(2, 998, "EUR"), null],
  ["Buy 2 XYZ phones for max 998 GBP", phones(), /the currency USD \(it says GBP\)/],
  ["Buy 1,000 USB-C cables for max 5.000 USD", [buys("USB-C cable", 1000, 5000)], null],
  ["Buy 1.000 USB-C cables", [buys("USB-C cable", 1000)], null],
  ["Buy 1 000 USB-C cables", [buys("USB-C cable", 1000)], null],
  ["Buy 1 ABC laptop for max 1.499,99 EUR", [buys("ABC laptop", 1, 1499.99, "EUR")], null],
  ["Buy 1 ABC laptop for max 1 499 USD", [buys("ABC laptop", 1, 1499)], null],
  ["Buy 10 coffee mugs, 4.50 USD each", [buys("coffee mug", 10, 45)], null],
  ["Order 10 coffee mugs at 45 USD total", [buys("coffee mug", 10, 45)], null],
  ["Buy 5 USB-C cables for max 50 USD", [buys("USB-C cable", 5, 50)], null],
];

/** Tax: the shop charges none, so an amount before tax that is the limit states the limit. */
const tax: Phrasing[] = [
  ["Buy 2 XYZ phones for 998 USD excl tax", phones(), null],
  ["Buy 2 XYZ phones for max 998 USD excl. tax", phones(), null],
  ["Buy 2 XYZ phones, 998 USD before tax", phones(), null],
  ["Buy 2 XYZ phones, max 998 USD excluding VAT", phones(), null],
  ["Buy 2 XYZ phones for max 998 USD plus tax", phones(), null],
  ["Buy 2 XYZ phones, 998 USD incl tax", phones(), null],
  ["Buy 2 XYZ phones, 900 USD excl tax", phones(), /the maximum_amount 998 \(it says 900\)/],
  ["Buy 2 XYZ phones, max 998 USD plus tax and fees", phones(), /"max 998 USD plus tax and fees"/],
];

/** Ranges and limits, with and without a currency. */
const limits: Phrasing[] = [
  ["Buy 2 XYZ phones for up to 998 USD", phones(), null],
  ["Buy 2 XYZ phones, at most 998 USD", phones(), null],
  ["Buy 2 XYZ phones for no more than 998 USD total", phones(), null],
  ["Buy 2 XYZ phones, 998 USD or less", phones(), null],
  ["Buy 2 XYZ phones for less than 998 USD", phones(), null],
  ["Buy 2 XYZ phones, budget 998 USD", phones(), null],
  ["Buy 2 XYZ phones within 998 USD", phones(), null],
  ["Spend up to 998 USD on 2 XYZ phones", phones(), null],
  ["Up to 998 USD for 2 XYZ phones", phones(), null],
  ["Buy 2 XYZ phones at 499 USD", phones(), null],
  ["Buy 2 XYZ phones at 998 USD", phones(), null],
  ["Buy 2 XYZ phones, 499 USD each", phones(), null],
  ["Buy 2 XYZ phones, max 499 USD per phone", phones(), null],
  ["Buy up to 2 XYZ phones", phones(2, null), null],
  ["Buy at most 2 XYZ phones for max 998 USD", phones(), null],
  ["Buy 2 XYZ phones for at least 998 USD", phones(), /"at least 998 USD"/],
  ["Buy 2 XYZ phones for more than 998 USD", phones(), /"more than 998 USD"/],
  ["Buy 2 XYZ phones, minimum 998 USD", phones(), /"minimum 998 USD"/],
  ["Buy 2 XYZ phones, 998 USD or more", phones(), /"998 USD or more"/],
  ["Buy 2 XYZ phones, 998 USD per month", phones(), /"998 USD per month"/],
  ["Buy 2 XYZ phones, under 1000 USD", phones(), /the maximum_amount 998 \(it says max 1000\)/],
  ["Buy 2 XYZ phones for up to 99 USD", phones(), /the maximum_amount 998 \(it says max 99\)/],
  ["Buy 2 XYZ phones for max 998 USD", phones(2, null), /states a maximum of 998 that/],
  ["Buy 2 XYZ phones, 499 USD each", phones(2, 499), /the maximum_amount 499 \(it says 499 each\)/],
  ["Buy 20 XYZ phones for max 998 USD", phones(), /the quantity 2 \(it [^)]*\) /],
  ["Buy 2 XYZ phones for max 998 USD", phones(20), /the quantity 20 \(it [^)]*\) /],
];

/** Several items in one request. */
const several: Phrasing[] = [
  ["Buy 2 XYZ phones and 1 ABC laptop", [buys("XYZ phone", 2), buys("ABC laptop", 1)], null],
  [
    "Buy 2 XYZ phones, 1 ABC laptop, 3 USB-C cables",
    [buys("XYZ phone", 2), buys("ABC laptop", 1), buys("USB-C cable", 3)],
    null,
  ],
  [
    "Buy 2 XYZ phones and 1 ABC laptop",
    [buys("XYZ phone", 2), buys("ABC laptop", 2)],
    /the quantity 2 \(it [^)]*\) of/,
  ],
  ["Buy 2 XYZ phones", [buys("XYZ phone", 2), buys("ABC laptop", 1)], /the product "ABC laptop"/],
  [
    "Buy 2 XYZ phones max 998 USD, 1 ABC laptop max 1500 USD",
    [buys("XYZ phone", 2, 998), buys("ABC laptop", 1, 1500)],
    null,
  ],
  [
    "Buy 2 XYZ phones max 998 USD, 1 ABC laptop max 150 USD",
    [buys("XYZ phone", 2, 998), buys("ABC laptop", 1, 1500)],
    /the maximum_amount 1500 \(it says max 150\)/,
  ],
];

/** Messages an agent writes when all is well. */
const fine: Phrasing[] = [
  ["Do you want to buy 2 XYZ phones", phones(2, null), null],
  ["Do you want to buy 2 XYZ phones for max 998 USD", phones(), null],
  ["Buy 2 XYZ phones for 998 USD", phones(), null],
  ["2 XYZ phones, max 998 USD", phones(), null],
  ["XYZ phone x2, max 998 USD", phones(), null],
  ["Buy XYZ phone, qty 2, max 998 USD", phones(), null],
  ["Order #123: 2 XYZ phones, max 998 USD", phones(), null],
  ["Approve: 2 XYZ phones for max 998 USD", phones(), null],
  ["Buy two XYZ phones for max 998 USD", phones(), null],
  ["Buy 2 XYZ phones for max 998 USD, ships today", phones(), null],
];

const all = [...actions, ...buying, ...more, ...numbers, ...tax, ...limits, ...several, ...fine];

describe("messageMismatch on messages an agent may write", () => {
  it("holds only messages Auth0 accepts", () => {
    expect(all.length).toBeGreaterThanOrEqual(120);
    for (const [message] of all) expect(bindingMessageProblems(message), message).toEqual([]);
  });

  it.each(all)("%s | %j", (message, details, says) => {
    const found = messageMismatch(message, details);
    if (says === null) expect(found).toBe(undefined);
    else expect(found).toMatch(says);
  });
});

/** A phone and a laptop, each with a maximum_amount (`null`: none), in one currency. */
const phoneAndLaptop = (
  phone: number | null = 998,
  laptop: number | null = 1500,
  currency = "USD",
): AuthorizationDetail[] => [
  buys("XYZ phone", 2, phone ?? undefined, currency),
  buys("ABC laptop", 1, laptop ?? undefined, currency),
];

/** 1 ABC laptop, at most `maximum` (`null`: none). */
const laptop = (maximum: number | null = 1500, currency = "USD"): AuthorizationDetail[] => [
  buys("ABC laptop", 1, maximum ?? undefined, currency),
];

/**
 * Messages written to try the check on what it read wrong before 7 December 2026 (a product
 * the request does not buy, a total over several products, a bound on the count) and in the
 * styles agents write: terse, chatty, with currencies, with German and French words. Each says
 * whether a person reading it learns the truth about the request (`honest`) or is misled, what
 * the check said of it before then (`before`), and, where the check still reads it wrong, why.
 */
type Recorded = [
  message: string,
  details: AuthorizationDetail[],
  truth: "honest" | "misleads",
  before: "passed" | "flagged",
  misread?: string,
];

const recorded: Recorded[] = [
  ["2 XYZ phones", phones(2, null), "honest", "passed"],
  ["2x XYZ phone 998 USD", phones(), "honest", "passed"],
  ["XYZ phone x2 max 998USD", phones(), "honest", "passed"],
  ["BUY 2 XYZ PHONES MAX 998 USD", phones(), "honest", "passed"],
  ["2 XYZ phones + 1 ABC laptop", phoneAndLaptop(null, null), "honest", "flagged"],
  ["XYZ phone x2, ABC laptop x1", phoneAndLaptop(null, null), "honest", "flagged"],
  ["Qty 2 XYZ phone, cap 998 USD", phones(), "honest", "passed"],
  ["2 XYZ phones + 1 ABC laptop", phones(2, null), "misleads", "flagged"],
  ["XYZ phone x2, ABC laptop x1", phones(2, null), "misleads", "flagged"],
  ["2 XYZ phones 1 ABC laptop", phones(2, null), "misleads", "flagged"],
  ["2 XYZ phones, 1 USB-C cable", phones(2, null), "misleads", "passed"],
  ["Buy 2 XYZ phones and 1 ABC laptop", phones(2, null), "misleads", "passed"],
  ["Buy 2 XYZ phones and 1 ABC laptop for max 998 USD", phones(), "misleads", "passed"],
  ["Buy 1 ABC laptop and 2 XYZ phones", phones(2, null), "misleads", "passed"],
  ["Buy 2 XYZ phones and an ABC laptop", phones(2, null), "misleads", "passed"],
  ["Buy 2 XYZ phones plus 1 ABC laptop", phones(2, null), "misleads", "flagged"],
  ["Buy 2 XYZ phones with 2 XYZ phone cases", phones(2, null), "misleads", "flagged"],
  ["Buy 2 XYZ phones and XYZ tablet", phones(2, null), "misleads", "passed"],
  ["Buy 2 XYZ phones, also 1 ABC laptop", phones(2, null), "misleads", "passed"],
  [
    "Buy 2 XYZ phones, 1 ABC laptop, 3 USB-C cables",
    phoneAndLaptop(null, null),
    "misleads",
    "passed",
  ],
  ["Buy 2 XYZ phones and 2 XYZ phone cases", phones(2, null), "misleads", "passed"],
  ["Buy 2 XYZ phones and a laptop", phones(2, null), "misleads", "passed"],
  ["Hi Anna, ok to buy 2 XYZ phones for max 998 USD", phones(), "honest", "passed"],
  ["Hey, can I get 2 XYZ phones for you, max 998 USD", phones(), "honest", "passed"],
  ["Quick one: shall I order 2 XYZ phones, 998 USD total", phones(), "honest", "passed"],
  ["Your agent wants to buy 2 XYZ phones for up to 998 USD", phones(), "honest", "passed"],
  ["Please approve: 2 XYZ phones, max 998 USD, thanks", phones(), "honest", "passed"],
  ["Good morning. Buy 2 XYZ phones for the team, max 998 USD", phones(), "honest", "passed"],
  ["Ok to spend max 998 USD on 2 XYZ phones", phones(), "honest", "passed"],
  ["Buy 2 XYZ phones: 1 for Anna, 1 for Ben", phones(2, null), "honest", "passed"],
  ["Buy 2 XYZ phones, 1 black and 1 white", phones(2, null), "honest", "passed"],
  ["Buy 2 XYZ phones, 2 day shipping", phones(2, null), "honest", "flagged"],
  ["Buy 2 XYZ phones with 1 year warranty, max 998 USD", phones(), "honest", "flagged"],
  ["Buy 2 XYZ phones, ships in 3 days", phones(2, null), "honest", "passed"],
  ["Buy 2 XYZ phones now, 998 USD max", phones(), "honest", "flagged"],
  ["Hi, ok to buy 2 XYZ phones and 1 ABC laptop for you", phones(2, null), "misleads", "passed"],
  ["Hey, just 2 XYZ phones and a XYZ phone case, max 998 USD", phones(), "misleads", "passed"],
  ["Please approve 2 XYZ phones, max 998 USD", phones(3), "misleads", "flagged"],
  ["Please approve 2 XYZ phones, max 998 USD", phones(2, 1998), "misleads", "flagged"],
  ["Kaufe 2 XYZ phones fuer max 998 EUR", phones(2, 998, "EUR"), "honest", "flagged"],
  ["Acheter 2 XYZ phones pour max 998 EUR", phones(2, 998, "EUR"), "honest", "flagged"],
  ["2 XYZ phones, max 998 CHF", phones(2, 998, "CHF"), "honest", "passed"],
  ["2 XYZ phones, max 998 CHF", phones(), "misleads", "flagged"],
  ["Buy 2 XYZ phones for max 998 Euro", phones(2, 998, "EUR"), "honest", "passed"],
  ["Buy 2 XYZ phones, 998,00 EUR max", phones(2, 998, "EUR"), "honest", "passed"],
  ["Buy 2 XYZ phones for 499 EUR each", phones(2, 998, "EUR"), "honest", "passed"],
  ["Buy 2 XYZ phones for 499 EUR each", phones(2, 499, "EUR"), "misleads", "flagged"],
  ["Buy 2 XYZ phones for max 998 GBP", phones(2, 998, "GBP"), "honest", "passed"],
  ["Buy 2 XYZ phones for max 150000 JPY", phones(2, 150000, "JPY"), "honest", "passed"],
  ["Buy 2 XYZ phones for JPY 150000", phones(2, 150000, "JPY"), "honest", "passed"],
  ["Buy 2 XYZ phones for max 998 SEK", phones(2, 998, "NOK"), "misleads", "flagged"],
  ["Buy 2 XYZ phones and 1 ABC laptop, max 2498 USD total", phoneAndLaptop(), "honest", "flagged"],
  ["Buy 2 XYZ phones, 1 ABC laptop, total max 2498 USD", phoneAndLaptop(), "honest", "flagged"],
  ["2 XYZ phones + 1 ABC laptop, 2498 USD in total", phoneAndLaptop(), "honest", "flagged"],
  [
    "Buy 2 XYZ phones and 1 ABC laptop for max 2498 USD total",
    phoneAndLaptop(),
    "honest",
    "flagged",
  ],
  ["Max 2498 USD total: 2 XYZ phones, 1 ABC laptop", phoneAndLaptop(), "honest", "flagged"],
  ["Buy 2 XYZ phones and 1 ABC laptop for max 2498 USD", phoneAndLaptop(), "honest", "flagged"],
  ["Buy 2 XYZ phones and 1 ABC laptop, 2498 USD for both", phoneAndLaptop(), "honest", "flagged"],
  [
    "Buy 2 XYZ phones and 1 ABC laptop, max 2000 USD total",
    phoneAndLaptop(),
    "misleads",
    "flagged",
  ],
  [
    "Buy 2 XYZ phones and 1 ABC laptop, max 3000 USD total",
    phoneAndLaptop(),
    "misleads",
    "flagged",
  ],
  [
    "Buy 2 XYZ phones and 1 ABC laptop, max 2498 EUR total",
    phoneAndLaptop(),
    "misleads",
    "flagged",
  ],
  [
    "Buy 2 XYZ phones and 1 ABC laptop, max 2498 USD total",
    phoneAndLaptop(998, null),
    "misleads",
    "flagged",
  ],
  ["Buy 2 XYZ phones and 1 ABC laptop, max 1500 USD total", phoneAndLaptop(), "misleads", "passed"],
  [
    "2 XYZ phones 998 USD, 1 ABC laptop 1500 USD, total 2498 USD",
    phoneAndLaptop(),
    "honest",
    "flagged",
  ],
  ["Buy at least 2 XYZ phones", phones(2, null), "misleads", "passed"],
  ["Buy 2 or more XYZ phones", phones(2, null), "misleads", "flagged"],
  ["Buy min 2 XYZ phones", phones(2, null), "misleads", "passed"],
  ["Buy 2+ XYZ phones", phones(2, null), "misleads", "flagged"],
  ["Buy more than 2 XYZ phones", phones(2, null), "misleads", "passed"],
  ["Buy 2 XYZ phones or more", phones(2, null), "misleads", "flagged"],
  ["Buy no more than 2 XYZ phones", phones(2, null), "honest", "flagged"],
  ["Buy exactly 2 XYZ phones", phones(2, null), "honest", "passed"],
  ["Buy 2, not 3 XYZ phones", phones(2, null), "honest", "flagged"],
  ["Buy 2 not 3 XYZ phones", phones(2, null), "honest", "flagged"],
  ["Buy 2, not 3 XYZ phones", phones(3, null), "misleads", "flagged"],
  ["Buy 2 XYZ phones, not 3", phones(3, null), "misleads", "flagged"],
  ["Buy at least 2 XYZ phones for max 998 USD", phones(), "misleads", "passed"],
  ["Buy 2 XYZ phones minimum", phones(2, null), "misleads", "passed"],
  ["Buy a minimum of 2 XYZ phones", phones(2, null), "misleads", "passed"],
  ["Buy over 2 XYZ phones", phones(2, null), "misleads", "passed"],
  ["Buy 2 XYZ Handys", phones(2, null), "honest", "flagged"],
  ["Kaufe 2 XYZ phones, max 998 EUR", phones(2, 998, "EUR"), "honest", "passed"],
  [
    "2 Stk XYZ phone, max 998 EUR",
    phones(2, 998, "EUR"),
    "honest",
    "flagged",
    '"Stk" is no unit the check knows',
  ],
  ["2 XYZ phones und 1 ABC laptop", phones(2, null), "misleads", "flagged"],
  ["2 XYZ phones et 1 ABC laptop", phones(2, null), "misleads", "flagged"],
  ["2 XYZ phones und 1 ABC laptop", phoneAndLaptop(null, null), "honest", "flagged"],
  ["Commande: 2 XYZ phones, max 998 EUR", phones(2, 998, "EUR"), "honest", "passed"],
  ["2 XYZ phones avec 1 ABC laptop", phones(2, null), "misleads", "flagged"],
  ["Buy 2 XYZ phones et 1 ordinateur portable", phones(2, null), "misleads", "flagged"],
  ["Buy 2 XYZ phones und 1 Ladekabel", phones(2, null), "misleads", "flagged"],
  ["Buy 2 XYZ phones, Lieferung in 2 Tagen", phones(2, null), "honest", "passed"],
  ["Achat de 2 XYZ phones, 998 EUR max", phones(2, 998, "EUR"), "honest", "passed"],
  ["Buy 2 XYZ phones mit 2 XYZ phone Huellen", phones(2, null), "misleads", "flagged"],
  ["Buy 1 ABC laptop, 1 souris", laptop(null), "misleads", "passed"],
  ["Buy 1 ABC laptop pour max 1500 EUR", laptop(1500, "EUR"), "honest", "flagged"],
  ["Buy 5 USB-C cables and 1 USB-C charger", [buys("USB-C cable", 5)], "misleads", "passed"],
  [
    "Buy 1 Wireless headphones and 1 XYZ phone case",
    [buys("Wireless headphones", 1)],
    "misleads",
    "passed",
  ],
  [
    "Buy 2 XYZ phones, 2 XYZ phone cases",
    [buys("XYZ phone", 2), buys("XYZ phone case", 2)],
    "honest",
    "passed",
  ],
  ["Buy 2 XYZ phones, 2 XYZ phone cases", phones(2, null), "misleads", "passed"],
  ["Buy 5 USB-C cables for my USB-C laptop", [buys("USB-C cable", 5)], "honest", "passed"],
  ["Buy 2 XYZ phones from the XYZ store", phones(2, null), "honest", "passed"],
  ["Buy 2 XYZ phones, 1 per person", phones(2, null), "honest", "flagged"],
  ["Buy 2 XYZ phones, 1 for me and 1 for Ben", phones(2, null), "honest", "passed"],
  ["Buy 2 XYZ phones, 2 colours", phones(2, null), "honest", "passed"],
  [
    "Buy 2 XYZ phones in 2 colors",
    phones(2, null),
    "honest",
    "flagged",
    'a name followed by "in" may go on',
  ],
  ["Buy 2 XYZ phones, 64 GB", phones(2, null), "honest", "passed"],
  ["Buy 2 XYZ phones 128 GB, max 998 USD", phones(), "honest", "flagged"],
  ["Buy 2 XYZ phones and 2 screen protectors", phones(2, null), "misleads", "passed"],
  ["Buy 2 XYZ phones plus 2 chargers", phones(2, null), "misleads", "flagged"],
  ["Buy 2 XYZ phones, then 1 ABC laptop", phones(2, null), "misleads", "passed"],
  ["Buy 2 XYZ phones. Also buy 1 ABC laptop", phones(2, null), "misleads", "passed"],
  ["Buy 2 XYZ phones. Also buy 1 ABC laptop", phoneAndLaptop(null, null), "honest", "passed"],
  [
    "Buy XYZ phones: 2, not 3",
    phones(2, null),
    "honest",
    "flagged",
    "a count after a colon is not read",
  ],
  [
    "Order 2 XYZ phones + 1 USB-C cable, max 2498 USD total",
    phoneAndLaptop(),
    "misleads",
    "flagged",
  ],
  ["Buy 2 XYZ phones, 1 ABC laptop, max 2498 USD overall", phoneAndLaptop(), "honest", "flagged"],
  ["Buy 2 XYZ phones and 1 ABC laptop, 2498 USD altogether", phoneAndLaptop(), "honest", "flagged"],
  [
    "Buy 2 XYZ phones and 1 ABC laptop, max 2498 USD combined",
    phoneAndLaptop(),
    "honest",
    "flagged",
  ],
  [
    "Buy 2 XYZ phones and 1 ABC laptop, max 2498 USD total",
    phoneAndLaptop(998, 1500, "EUR"),
    "misleads",
    "flagged",
  ],
  [
    "Buy 2 XYZ phones and 1 ABC laptop, max 2498 EUR total",
    phoneAndLaptop(998, 1500, "EUR"),
    "honest",
    "flagged",
  ],
  [
    "Buy 2 XYZ phones, 1 ABC laptop, max 2498 USD per item",
    phoneAndLaptop(),
    "misleads",
    "flagged",
  ],
  ["Buy at most 2 XYZ phones", phones(2, null), "honest", "passed"],
  ["Buy not more than 2 XYZ phones", phones(2, null), "honest", "flagged"],
  ["Buy at least 2 XYZ phones", phones(5, null), "misleads", "flagged"],
  ["Buy no less than 2 XYZ phones", phones(2, null), "misleads", "flagged"],
  ["Buy 2 or more XYZ phones for max 998 USD", phones(), "misleads", "flagged"],
];

/**
 * Messages with emoji or a currency symbol: Auth0 refuses them (`/bc-authorize` answers 400
 * invalid_request), so no request carries one; the check reads them all the same.
 */
const refusedByAuth0: Recorded[] = [
  ["Buy 2 XYZ phones \u{1F4F1}\u{1F4F1} max 998 USD", phones(), "honest", "passed"],
  ["\u{1F6D2} 2 XYZ phones + 1 ABC laptop \u{1F4BB}", phones(2, null), "misleads", "flagged"],
  ["Buy 2 XYZ phones \u{1F44D}", phones(2, null), "honest", "passed"],
  ["Buy 2 XYZ phones for max \u20ac998", phones(2, 998, "EUR"), "honest", "passed"],
  ["Buy 2 XYZ phones for max $998", phones(), "honest", "passed"],
  ["\u{1F4F1} x2 + \u{1F4BB} x1, max 2498 $ total", phoneAndLaptop(), "misleads", "flagged"],
];

describe("messageMismatch on the phrasings recorded before it read other products, totals and bounds", () => {
  it("holds at least 80 of them, and only Auth0's characters outside refusedByAuth0", () => {
    expect(recorded.length + refusedByAuth0.length).toBeGreaterThanOrEqual(80);
    for (const [message] of recorded) expect(bindingMessageProblems(message), message).toEqual([]);
    for (const [message] of refusedByAuth0) {
      expect(bindingMessageProblems(message), message).not.toEqual([]);
    }
  });

  it.each([...recorded, ...refusedByAuth0])(
    "%s | %j is %s",
    (message, details, truth, _before, misread) => {
      const flagged = messageMismatch(message, details) !== undefined;
      // A message the check still reads wrong says why; once it reads it right, drop the reason.
      expect(flagged, misread).toBe((truth === "misleads") !== (misread !== undefined));
    },
  );
});
