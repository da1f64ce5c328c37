import { SHOP_CURRENCY, type PurchaseRequest } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { describeNotTried } from "../../agent-report.js";
import { OUTCOMES } from "../../outcome.js";
import { REPEATED_PURCHASE as GUARD_REPEATED, TURN_ENDED } from "../../turn-guard.js";
import { decidedHeading, notTriedText, REPEATED_PURCHASE } from "./decided-card-text.js";

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

  it("says a repeat not tried as the CLI's report says it", () => {
    expect(REPEATED_PURCHASE).toBe(GUARD_REPEATED);
    expect(notTriedText(laptop, REPEATED_PURCHASE)).toBe(describeNotTried([laptop], [laptop]));
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
});
