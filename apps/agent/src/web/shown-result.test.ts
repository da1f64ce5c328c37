import { describe, expect, it } from "vitest";

import { describeResult, type PurchaseResult } from "../purchase-result.js";
import { shownResult } from "./shown-result.js";
import { TurnAnswer } from "./turn-answer.js";

const purchase = { product: "USB-C cable", qty: 4 };

/** The answer text and its code that the app writes for a turn that ended with `result`. */
function answerTo(result: PurchaseResult) {
  const chunks = new TurnAnswer(result).chunks();
  const start = chunks.find((chunk) => chunk.type === "text-start");
  const delta = chunks.find((chunk) => chunk.type === "text-delta");
  return {
    text: delta?.type === "text-delta" ? delta.delta : undefined,
    code: start?.type === "text-start" ? start.providerMetadata?.agent?.error : undefined,
  };
}

describe("a purchase's result as the chat page tells it", () => {
  it("says a shop that could not be reached in plain words, with its code, never its URL or the network's error", () => {
    const notAsked: PurchaseResult = {
      outcome: "ERROR",
      purchase,
      error: "shop_unreachable",
      description:
        "Cannot reach the shop at http://127.0.0.1:5419/api/purchases (ECONNREFUSED), so no order could be placed; the person was not asked.",
    };
    expect(answerTo(notAsked)).toEqual({
      text: "Could not buy 4 x USB-C cable: the shop cannot be reached right now, so you were not asked to approve it and nothing was ordered. Try again in a few minutes. Anything asked for after it was not tried.",
      code: "shop_unreachable",
    });
    const approved: PurchaseResult = {
      ...notAsked,
      bindingMessage: "Do you want to buy 4 USB-C cables",
      description:
        "Cannot reach the shop at http://127.0.0.1:5419/api/purchases (ECONNREFUSED, for 5 s); nothing was ordered.",
    };
    expect(describeResult(shownResult(approved))).toBe(
      "Could not buy 4 x USB-C cable: the shop could not be reached to place the order you approved, so nothing was ordered. Try again in a few minutes: you will be asked to approve it again.",
    );
    // The CLI's report keeps the description, which names what to fix.
    expect(describeResult(notAsked)).toMatch(/127\.0\.0\.1:5419.*ECONNREFUSED/);
  });

  it("leaves every other result as the CLI's report says it", () => {
    const denied: PurchaseResult = {
      outcome: "DENIED",
      purchase,
      error: "access_denied",
      description: "The person denied the purchase.",
    };
    expect(shownResult(denied)).toBe(denied);
  });
});
