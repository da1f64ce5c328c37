import { limitToCents, SHOP_CURRENCY, type PurchaseRequest } from "@ciba-testbed/shared";
import type { OrderJson } from "@ciba-testbed/shop-api";

import type { Outcome } from "./outcome.js";

/** The order as the shop API returned it: passed on as it came, read defensively. */
export type Order = OrderJson;

/** How one step of a purchase ended, before it is tied to the purchase. */
export interface Verdict {
  outcome: Outcome;
  description: string;
  /** The OAuth or shop API error code, when there was one. */
  error?: string;
  /** One sentence telling the person what to change, for configuration problems. */
  fix?: string;
  /** ISO time from which Auth0 accepts the request again, after it answered 429. */
  retryAt?: string;
}

/**
 * What the purchase tool returns to the model: never thrown, always one outcome, so an
 * authorization failure cannot turn into a tool error the model is invited to retry.
 */
export interface PurchaseResult extends Verdict {
  /** The purchase as the model asked for it, in its words. */
  purchase: PurchaseRequest;
  /**
   * The product's name in the shop's catalog, once the catalog resolved the model's words to it;
   * null when the shop resolved nothing (`PurchaseRecord.productName`). Absent for a call that
   * was not tried (the catalog was not asked), and in journals written before.
   */
  productName?: string | null;
  bindingMessage?: string;
  authReqId?: string;
  order?: Order;
  /** ISO time at which a pending approval request expires. */
  expiresAt?: string;
  /** How long each step took: see `PurchaseTimings`. */
  timings?: PurchaseTimings;
}

/**
 * A purchase's steps, in milliseconds, on the agent's monotonic clock (`catalogMs` and
 * `bcAuthorizeMs` as the purchase's record keeps them, the others measured by the process
 * that decided the purchase); a step that did not run, or that this process could not measure
 * (it began in a process on another machine or boot), is absent.
 */
export interface PurchaseTimings {
  /** The shop's catalog, read to price the purchase before anyone is asked. */
  catalogMs?: number;
  /** Auth0's `/bc-authorize`, sending the approval request. */
  bcAuthorizeMs?: number;
  /** From the purchase priced (after the catalog read, before `/bc-authorize`) to the decision. */
  approvalMs?: number;
  /** From Auth0 accepting the request to the agent learning the decision (or the expiry). */
  decisionMs?: number;
  /** From the approval to the shop's answer to the order. */
  orderMs?: number;
}

export function describePurchase(purchase: PurchaseRequest): string {
  const limit =
    purchase.priceLimit === undefined
      ? ""
      : ` (at most ${askedAmount(purchase.priceLimit)} ${SHOP_CURRENCY})`;
  return `${purchase.qty} x ${purchase.product}${limit}`;
}

/**
 * A price limit as the person was asked it and the shop applies it, in whole cents rounded down
 * (`limitToCents`): 499.004 is "499", as the consent read "for max 499 USD".
 */
function askedAmount(limit: number): string {
  try {
    return String(limitToCents(limit) / 100);
  } catch {
    return String(limit);
  }
}

export function orderSummary(order: Order): string {
  // The agent does not check the shop's answer against its schema: any member may be missing.
  const { id, total, currency } = order as Partial<Order>;
  const idText = typeof id === "string" || typeof id === "number" ? ` ${id}` : "";
  const totalText =
    typeof total === "number"
      ? `, total ${total.toFixed(2)} ${typeof currency === "string" ? currency : SHOP_CURRENCY}`
      : "";
  return `order${idText}${totalText}`;
}

/** One sentence a person can read, built only from the result. */
export function describeResult(result: PurchaseResult): string {
  return describeAs(result, false);
}

/**
 * `describeResult` for a purchase of a turn whose earlier purchases were ordered: one that waits
 * says that it is not ordered yet, where "nothing is ordered yet" would deny those orders.
 */
export function describeAfterOrders(result: PurchaseResult): string {
  return describeAs(result, true);
}

/**
 * The product of a purchase by the shop's name for it, once the shop resolved it: the order's,
 * else the catalog's; null when the shop resolved nothing, undefined when it was not asked.
 */
export function shopNameOf(result: PurchaseResult): string | null | undefined {
  const { product } = (result.order ?? {}) as { product?: { name?: unknown } };
  return typeof product?.name === "string" && product.name !== ""
    ? product.name
    : result.productName;
}

/**
 * The purchase of `result` as a report line names it: by the shop's name for the product once
 * the shop resolved it ("1 x XYZ phone" for the model's "xyz-phone"); where the shop resolved
 * nothing, by the model's words quoted as its ('1 x "xyz phone" as the model named it'); and by
 * the model's words as they are for a call the shop was not asked about (not tried).
 */
export function describeResultPurchase(result: PurchaseResult): string {
  const name = shopNameOf(result);
  if (name === undefined) return describePurchase(result.purchase);
  return describePurchase({
    ...result.purchase,
    product: name ?? `${JSON.stringify(result.purchase.product)} as the model named it`,
  });
}

function describeAs(result: PurchaseResult, earlierOrdered: boolean): string {
  const what = describeResultPurchase(result);
  switch (result.outcome) {
    case "ORDERED":
      return `Ordered ${what}: ${result.order ? orderSummary(result.order) : "order placed"}.`;
    case "PENDING": {
      const until = result.expiresAt ? ` until ${result.expiresAt}` : "";
      const notYet = earlierOrdered ? "it is not ordered yet" : "nothing is ordered yet";
      return `Waiting for approval of ${what}${until}; ${notYet}.`;
    }
    case "DENIED":
      return result.error === "denied_or_expired"
        ? `The purchase of ${what} was denied, or its approval request expired before the agent collected an answer (Auth0 answers both alike); nothing was ordered.`
        : `The purchase of ${what} was denied; nothing was ordered.`;
    case "EXPIRED":
      return `The approval request for ${what} expired before the agent collected an answer; nothing was ordered.`;
    default:
      // Not "Could not buy": the shop may have placed it, and a person told it was not bought
      // would ask again and be charged twice.
      if (result.error === "order_unconfirmed") {
        return `The order of ${what} is not confirmed: ${result.description}`;
      }
      // A sentence, whatever the description's source: the shop's words may end without a stop
      // ("... left in stock; 4 requested"), and more may follow in the report.
      return `Could not buy ${what}: ${result.description}${/[.!?)]$/.test(result.description) ? "" : "."}`;
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
