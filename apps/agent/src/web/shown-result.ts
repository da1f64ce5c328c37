import type { PurchaseResult } from "../purchase-result.js";

/** The error of a purchase whose shop could not be reached (catalog-check.ts, order-step.ts). */
const SHOP_UNREACHABLE = "shop_unreachable";

/**
 * A purchase's result as the chat page tells it, in the answer the app writes for a turn that
 * ended with it and in the sentence of the chat's purchases: the CLI's, but for a shop that
 * could not be reached, whose description names the shop's URL and the network error (a
 * developer's to fix, a shopper's to wait out). The page keeps that description, whole, under
 * the card's Technical details, and the answer its code.
 */
export function shownResult(result: PurchaseResult): PurchaseResult {
  if (result.error !== SHOP_UNREACHABLE) return result;
  // A purchase refused before its approval request was sent has no binding message.
  const description =
    result.bindingMessage === undefined
      ? "the shop cannot be reached right now, so you were not asked to approve it and nothing was ordered. Try again in a few minutes."
      : "the shop could not be reached to place the order you approved, so nothing was ordered. Try again in a few minutes: you will be asked to approve it again.";
  return { ...result, description };
}
