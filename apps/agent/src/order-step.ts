import type { PurchaseRequest } from "@ciba-testbed/shared";

import { AgentHalt } from "./halt.js";
import type { PurchaseResult, Verdict } from "./purchase-result.js";
import { placeOrder } from "./shop-client.js";

/** How an order ended: the order, or why there is none. */
export type OrderVerdict = Verdict & Pick<PurchaseResult, "order">;

/**
 * The purchase tool's last step: the approved order, placed once, and the shop's answer sorted
 * into an outcome. A refused token is a setup problem, not the shop judging the purchase.
 */
export async function orderPurchase(options: {
  fetch: typeof fetch;
  shopApiUrl: string;
  accessToken: string;
  toolCallId: string;
  purchase: PurchaseRequest;
}): Promise<OrderVerdict> {
  const { shopApiUrl } = options;
  let answer;
  try {
    answer = await placeOrder({
      fetch: options.fetch,
      url: shopApiUrl,
      accessToken: options.accessToken,
      idempotencyKey: options.toolCallId,
      purchase: options.purchase,
    });
  } catch (error) {
    if (error instanceof AgentHalt) throw error;
    return {
      outcome: "ERROR",
      description: `Cannot reach the shop at ${shopApiUrl}: ${error instanceof Error ? error.message : String(error)}.`,
      fix: "Start it with pnpm shop-api, or check SHOP_API_URL.",
    };
  }
  if (answer.ok) return { outcome: "ORDERED", description: "Ordered.", order: answer.order };
  // RFC 9396: the approval does not cover this order. That is the shop judging the purchase;
  // any other 401/403 means the token itself was refused.
  const judged = answer.error === "insufficient_authorization_details";
  if ((answer.status === 401 || answer.status === 403) && !judged) {
    return {
      outcome: "ERROR",
      error: answer.error,
      description: `The shop refused the approved token (${answer.status}): ${answer.description}`,
      fix: "Check that the shop trusts this tenant (AUTH0_DOMAIN) and expects SHOP_API_AUDIENCE.",
    };
  }
  return { outcome: "SHOP_REFUSED", error: answer.error, description: answer.description };
}
