import {
  MAX_PRICE_LIMIT,
  MAX_PRODUCT_NAME_LENGTH,
  MAX_QUANTITY,
  purchaseRequestSchema,
  SHOP_CURRENCY,
  type PurchaseRequest,
} from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { describeNotTried } from "../../agent-report.js";
import { OUTCOMES } from "../../outcome.js";
import { REPEATED_PURCHASE as GUARD_REPEATED, TURN_ENDED } from "../../turn-guard.js";
import {
  decidedHeading,
  INPUT_BOUNDS,
  notRunText,
  notTriedText,
  REPEATED_PURCHASE,
} from "./decided-card-text.js";

const laptop: PurchaseRequest = { product: "ABC laptop", qty: 1 };
const priced: PurchaseRequest = { product: "XYZ phone", qty: 2, priceLimit: 500 };

describe("what a decided purchase's card says", () => {
  it("says a call not tried as the CLI's report says it, and nothing of what the model was told", () => {
    for (const purchase of [laptop, priced]) {
      expect(notTriedText(purchase, TURN_ENDED)).toBe(describeNotTried([purchase]));
      expect(notTriedText(purchase, undefined)).toBe(describeNotTried([purchase]));
    }
    expect(notTriedText(laptop, TURN_ENDED)).toBe(
      "1 x ABC laptop was not tried: nobody was asked to approve it, and nothing was ordered.",
    );
    expect(notTriedText(priced, TURN_ENDED)).toContain(`(at most 500 ${SHOP_CURRENCY})`);
  });

  it.each([999.999, 499.004, 9.989999999, 19.5, 0.01, 1_000_000, 123456.78, 2.675])(
    "says a limit of %s as the CLI's report says it, as the shop applies it",
    (priceLimit) => {
      const purchase = { product: "ABC laptop", qty: 1, priceLimit };
      expect(notTriedText(purchase, TURN_ENDED)).toBe(describeNotTried([purchase]));
      expect(notTriedText(purchase, REPEATED_PURCHASE)).toBe(
        describeNotTried([purchase], [{ purchase }]),
      );
    },
  );

  it("says a limit in whole cents rounded down", () => {
    expect(notTriedText({ product: "ABC laptop", qty: 1, priceLimit: 999.999 }, TURN_ENDED)).toBe(
      "1 x ABC laptop (at most 999.99 USD) was not tried: nobody was asked to approve it, and nothing was ordered.",
    );
  });

  it("says a repeat not tried as the CLI's report says it", () => {
    expect(REPEATED_PURCHASE).toBe(GUARD_REPEATED);
    expect(notTriedText(laptop, REPEATED_PURCHASE)).toBe(
      describeNotTried([laptop], [{ purchase: laptop }]),
    );
  });

  it("names a call not tried without its purchase in words too", () => {
    expect(notTriedText({}, TURN_ENDED)).toBe(
      "A purchase was not tried: nobody was asked to approve it, and nothing was ordered.",
    );
  });

  it("heads each outcome in words, never its code", () => {
    for (const outcome of [...Object.keys(OUTCOMES), "UNKNOWN"]) {
      expect(decidedHeading(outcome)).toMatch(/^Purchase: [a-z][A-Za-z0-9 ]*$/);
    }
    expect(decidedHeading("ORDERED")).toBe("Purchase: ordered");
    expect(decidedHeading("NO_PURCHASE")).toBe("Purchase: not tried");
    expect(decidedHeading("SHOP_REFUSED")).toBe("Purchase: refused by the shop");
  });

  it("says ordered, or approved, only of a purchase the shop ordered: an approval is no order", () => {
    for (const outcome of [...Object.keys(OUTCOMES), "UNKNOWN"]) {
      if (outcome === "ORDERED") continue;
      expect(decidedHeading(outcome)).not.toMatch(/order|approved/);
    }
  });
});

describe("what the card of a call that never ran says", () => {
  const tail = "Nobody was asked to approve anything for it, and nothing was ordered.";

  it("holds the tool's bounds to the schema's", () => {
    expect(INPUT_BOUNDS).toEqual({
      productLength: MAX_PRODUCT_NAME_LENGTH,
      qty: MAX_QUANTITY,
      priceLimit: MAX_PRICE_LIMIT,
    });
  });

  it.each([
    [{ product: "XYZ phone", qty: "2" }, "its quantity was not a number"],
    [{ product: "XYZ phone", qty: 1.5 }, "its quantity was not a whole number"],
    [{ product: "XYZ phone", qty: 0 }, "its quantity was not 1 to 1000"],
    [{ product: " ", qty: 1 }, "its product name was empty"],
    [{ qty: 1 }, "it named no product"],
    [{ product: "x".repeat(101), qty: 1 }, "its product name was over 100 characters"],
    [{ product: "XYZ phone", qty: 1, priceLimit: "500" }, "its price limit was not a number"],
    [
      { product: "XYZ phone", qty: 1, priceLimit: 0 },
      "its price limit was not 0.01 to 1000000 USD",
    ],
    [
      { product: "XYZ phone", qty: 1, color: "red" },
      "it gave color, which the purchase tool does not take",
    ],
  ])("says why the tool refused %j, which the schema refuses too", (input, why) => {
    expect(purchaseRequestSchema.safeParse(input).success).toBe(false);
    expect(notRunText(input, "The model's call of shop_online could not run, ...")).toMatch(
      new RegExp(
        `^The model's call( for [^:]+)? was not run: ${why.replace(/[.()]/g, "\\$&")}\\. `,
      ),
    );
  });

  it("names what was asked when it can, and says input that is not JSON, or cut off, plainly", () => {
    expect(notRunText({ product: "XYZ phone", qty: 1, color: "red" }, "")).toBe(
      `The model's call for 1 x XYZ phone was not run: it gave color, which the purchase tool does not take. ${tail}`,
    );
    expect(
      notRunText('{"product": "XYZ', "(Invalid input for tool shop_online: JSON parsing failed)"),
    ).toBe(`The model's call was not run: its input was not JSON the agent can read. ${tail}`);
    expect(notRunText('{"product": "XYZ', 'its input "..." is not whole JSON: ...')).toBe(
      `The model's call was not run: its input broke off before it was complete. ${tail}`,
    );
    // A whole call of an answer that broke off (a content filter, no finish reason).
    expect(
      notRunText({ product: "XYZ phone", qty: 2 }, "The model's answer was withheld ..."),
    ).toBe(
      `The model's call for 2 x XYZ phone was not run: the model's answer broke off, so none of the calls in it was run. ${tail}`,
    );
  });
});
