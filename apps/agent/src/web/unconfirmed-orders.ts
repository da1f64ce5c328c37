import type { PurchaseRequest } from "@ciba-testbed/shared";
import { quotedValue } from "@ciba-testbed/shared";

import { describePurchase } from "../purchase-result.js";
import type { OrderOut } from "./orders-in-flight.js";

/** An order the web app sent and never heard back about, as the chat's record keeps it. */
export interface UnconfirmedOrder extends OrderOut {
  purchase?: PurchaseRequest;
  /** When the order request left (epoch ms). */
  sentAt?: number;
}

/**
 * What a web app that stopped with orders unanswered says on stderr: each order, whom it is for
 * and when it left, and how to learn whether the shop placed it. The person may have been
 * charged, and the chat that knew it went with the app: nobody else can tell them.
 */
export function describeUnconfirmedOrders(
  orders: readonly UnconfirmedOrder[],
  shop: { purchasesUrl: string; graceMs: number },
): string {
  const count = orders.length === 1 ? "1 order" : `${String(orders.length)} orders`;
  const lines = orders.map((order) => {
    const what =
      order.purchase === undefined
        ? `tool call ${order.toolCallId}`
        : describePurchase(order.purchase);
    const sent =
      order.sentAt === undefined ? "" : `, sent at ${new Date(order.sentAt).toISOString()}`;
    return `  - ${what} for ${quotedValue(order.sub)} (chat thread ${order.threadId}${sent})`;
  });
  const admin = new URL("/admin/orders", shop.purchasesUrl);
  return [
    `The web app stopped with ${count} sent to the shop and unanswered after ${String(shop.graceMs / 1000)} s: the shop may have placed ${orders.length === 1 ? "it" : "them"}, and the person may have been charged.`,
    ...lines,
    `Fix: Check the person's orders at the shop before they ask for it again: GET ${shop.purchasesUrl} with a token of theirs lists them (the testbed's shop: GET ${admin.href}?user=<sub> with its SHOP_API_ADMIN_TOKEN); an order of that product and quantity created since it was sent is this one. Its chat went with the app: ask again in a new chat only if no such order is there.`,
  ].join("\n");
}
