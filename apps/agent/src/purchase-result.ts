import type { PurchaseRequest } from "@ciba-testbed/shared";

import type { Outcome } from "./outcome.js";

/** The order as the shop API returned it; only a few members are read, the rest is shown. */
export type Order = Record<string, unknown>;

/** How one step of a purchase ended, before it is tied to the purchase. */
export interface Verdict {
  outcome: Outcome;
  description: string;
  /** The OAuth or shop API error code, when there was one. */
  error?: string;
  /** One sentence telling the person what to change, for configuration problems. */
  fix?: string;
}

/**
 * What the purchase tool returns to the model: never thrown, always one outcome, so an
 * authorization failure cannot turn into a tool error the model is invited to retry.
 */
export interface PurchaseResult extends Verdict {
  purchase: PurchaseRequest;
  bindingMessage?: string;
  authReqId?: string;
  order?: Order;
  /** ISO time at which a pending approval request expires. */
  expiresAt?: string;
  /** From sending the approval request to the decision, and from approval to the order. */
  timings?: { approvalMs?: number; orderMs?: number };
}

export function describePurchase(purchase: PurchaseRequest): string {
  const limit = purchase.priceLimit === undefined ? "" : ` (at most ${purchase.priceLimit} USD)`;
  return `${purchase.qty} x ${purchase.product}${limit}`;
}

export function orderSummary(order: Order): string {
  const id = typeof order.id === "string" || typeof order.id === "number" ? ` ${order.id}` : "";
  const total =
    typeof order.total === "number"
      ? `, total ${order.total.toFixed(2)} ${typeof order.currency === "string" ? order.currency : "USD"}`
      : "";
  return `order${id}${total}`;
}

/** One sentence a person can read, built only from the result. */
export function describeResult(result: PurchaseResult): string {
  const what = describePurchase(result.purchase);
  switch (result.outcome) {
    case "ORDERED":
      return `Ordered ${what}: ${result.order ? orderSummary(result.order) : "order placed"}.`;
    case "PENDING":
      return `Waiting for approval of ${what}${result.expiresAt ? ` until ${result.expiresAt}` : ""}; nothing is ordered yet.`;
    case "DENIED":
      return `The purchase of ${what} was denied; nothing was ordered.`;
    case "EXPIRED":
      return `The approval request for ${what} expired unanswered; nothing was ordered.`;
    default:
      return `Could not buy ${what}: ${result.description}`;
  }
}

export function isPurchaseResult(value: unknown): value is PurchaseResult {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { outcome?: unknown }).outcome === "string" &&
    typeof (value as { purchase?: unknown }).purchase === "object"
  );
}
