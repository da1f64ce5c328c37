import { ManualClock } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { INTERRUPTED } from "../interrupted-purchase.js";
import { orderPurchase } from "../order-step.js";
import { describeResult, type PurchaseResult } from "../purchase-result.js";
import { shownResult, shownSentence } from "./shown-result.js";
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

  it("says an order the shop never confirmed in plain words: that it may be ordered, to check the orders, and the key as a reference alone", async () => {
    // The order step's own verdict: a shop (or a proxy before it) that answers every attempt 502.
    const verdict = await orderPurchase({
      fetch: () =>
        Promise.resolve(
          new Response('{"message":"upstream timed out"}', {
            status: 502,
            statusText: "Bad Gateway",
            headers: { "content-type": "application/json" },
          }),
        ),
      clock: new ManualClock(),
      shopApiUrl: "http://127.0.0.1:5419/api/purchases",
      accessToken: "at",
      idempotencyKey: "pur_7Hq2xK9",
      purchase,
      retry: { attempts: 4, answerTimeoutMs: 1_000, maxPauseMs: 0 },
    });
    const unconfirmed: PurchaseResult = {
      ...verdict,
      purchase,
      bindingMessage: "Do you want to buy 4 USB-C cables",
    };
    expect(unconfirmed.error).toBe("order_unconfirmed");
    const sentence =
      "The order of 4 x USB-C cable is not confirmed: you approved it and it was sent to the " +
      "shop, but the shop never said whether it placed it, so it may have been ordered or not. " +
      "Check your orders with the shop before you ask for it again, or you may get it twice.";
    expect(answerTo(unconfirmed)).toEqual({
      text: `${sentence} Reference for the shop: pur_7Hq2xK9. Anything asked for after it was not tried.`,
      code: "order_unconfirmed",
    });
    expect(shownSentence(unconfirmed)).toBe(`${sentence} Reference for the shop: pur_7Hq2xK9.`);
    // The CLI's report keeps the attempts, the shop's last answer and the key's explanation,
    // and never says it could not buy what the shop may have.
    expect(describeResult(unconfirmed)).toMatch(
      /^The order of 4 x USB-C cable is not confirmed: The shop did not confirm the order after 4 attempts \(last: 502 /,
    );
    expect(describeResult(unconfirmed)).toMatch(/Its Idempotency-Key is pur_7Hq2xK9/);

    // A process that stopped while it sent the order left no key in the description.
    const stopped: PurchaseResult = { ...INTERRUPTED.whileOrdering, purchase };
    expect(shownSentence(stopped)).toBe(sentence);
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
