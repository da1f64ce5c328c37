import { describeResult, type PurchaseResult } from "../purchase-result.js";
import { ORDER_UNCONFIRMED } from "./client/approval-status.js";

/** The error of a purchase whose shop could not be reached (catalog-check.ts, order-step.ts). */
const SHOP_UNREACHABLE = "shop_unreachable";

/**
 * The Idempotency-Key an `order_unconfirmed` description of order-step.ts names: the purchase id
 * by which the shop keeps the order, what the shop's support looks it up by.
 */
const NAMED_KEY = /\bIdempotency-Key is ([^\s,]+)/;

/**
 * A purchase's result as the chat page tells it, in the answer the app writes for a turn that
 * ended with it and in the sentence of the chat's purchases: the CLI's, but where its
 * description is a developer's:
 * - a shop that could not be reached: the description names the shop's URL and the network
 *   error (a developer's to fix, a shopper's to wait out);
 * - an order the shop never confirmed (`order_unconfirmed`): the description counts attempts,
 *   quotes the shop's last answer and explains Idempotency-Keys, where the person needs what is
 *   known (they approved it, it went to the shop), what is not (whether the shop placed it) and
 *   what to do (check their orders before asking again), and the key only as a reference.
 * The page keeps that description, whole, under the card's Technical details, and the answer
 * its code.
 */
export function shownResult(result: PurchaseResult): PurchaseResult {
  if (result.error === ORDER_UNCONFIRMED) {
    const key = NAMED_KEY.exec(result.description)?.[1];
    const description =
      "you approved it and it was sent to the shop, but the shop never said whether it placed " +
      "it, so it may have been ordered or not. Check your orders with the shop before you ask " +
      "for it again, or you may get it twice." +
      (key === undefined ? "" : ` Reference for the shop: ${key}.`);
    return { ...result, description };
  }
  if (result.error !== SHOP_UNREACHABLE) return result;
  // A purchase refused before its approval request was sent has no binding message.
  const description =
    result.bindingMessage === undefined
      ? "the shop cannot be reached right now, so you were not asked to approve it and nothing was ordered. Try again in a few minutes."
      : "the shop could not be reached to place the order you approved, so nothing was ordered. Try again in a few minutes: you will be asked to approve it again.";
  return { ...result, description };
}

/** The sentence the chat page tells a purchase's result with: `describeResult` of `shownResult`. */
export function shownSentence(result: PurchaseResult): string {
  return describeResult(shownResult(result));
}
