import {
  PURCHASE_AUTHORIZATION_DETAILS_TYPE,
  purchaseAuthorizationDetailSchema,
} from "@ciba-testbed/shared";

import type { Catalog } from "./catalog.js";
import { formatCents, limitToCents } from "./money.js";

export interface OrderToCheck {
  productId: string;
  quantity: number;
  totalCents: number;
  /** The request's Idempotency-Key, which an entry's `purchase_id` must equal. */
  idempotencyKey?: string | undefined;
}

export type AuthorizationDetailsCheck =
  /** The token carries no `product_purchase` entry: nothing was approved item by item. */
  | { outcome: "absent" }
  | { outcome: "matched"; index: number }
  | { outcome: "mismatch"; reason: string };

/**
 * RFC 9396: the authorization server only checks an entry's `type`; the resource server must
 * check the content against the request. An order matches the token's one `product_purchase`
 * entry when the entry is well formed, names the same catalog product (by id or name, resolved
 * through the catalog), approves at least the ordered quantity and, when it has
 * `maximum_amount`, at least the order's total. Entries of other types are not ours to judge
 * and are ignored.
 *
 * An order here is one product, and an approval buys once: a token with several purchase
 * entries could only ever be spent on one of them, so it is refused rather than half used.
 */
export function checkPurchaseAuthorizationDetails(
  claim: unknown,
  order: OrderToCheck,
  catalog: Catalog,
): AuthorizationDetailsCheck {
  if (claim === undefined) return { outcome: "absent" };
  if (!Array.isArray(claim)) {
    return {
      outcome: "mismatch",
      reason: "the token's authorization_details claim is not an array",
    };
  }
  const entries = claim
    .map((entry: unknown, index) => ({ entry, index }))
    .filter(({ entry }) => isPurchaseEntry(entry));
  const [only, ...others] = entries;
  if (only === undefined) return { outcome: "absent" };
  if (others.length > 0) {
    return {
      outcome: "mismatch",
      reason:
        `this approval covers ${entries.length} purchases (${entries.length} ` +
        `'${PURCHASE_AUTHORIZATION_DETAILS_TYPE}' authorization_details entries), but this shop ` +
        "places one product per order and an approval buys once: ask the person for one " +
        "approval per purchase, each with a single entry",
    };
  }
  const reason = mismatchReason(only.entry, order, catalog);
  if (reason === undefined) return { outcome: "matched", index: only.index };
  return {
    outcome: "mismatch",
    reason: `the order does not match the purchase the person approved: ${reason}`,
  };
}

function isPurchaseEntry(entry: unknown): boolean {
  return (
    typeof entry === "object" &&
    entry !== null &&
    (entry as { type?: unknown }).type === PURCHASE_AUTHORIZATION_DETAILS_TYPE
  );
}

function mismatchReason(entry: unknown, order: OrderToCheck, catalog: Catalog): string | undefined {
  // Strict: an entry with members this API does not understand could carry a limit we would
  // silently ignore, so it approves nothing.
  const parsed = purchaseAuthorizationDetailSchema.safeParse(entry);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return `the approved purchase is malformed (${where}${issue?.message ?? "invalid"})`;
  }
  const approved = parsed.data;
  const approvedProduct = catalog.find(approved.product);
  if (approvedProduct?.id !== order.productId) {
    return `approved product ${quote(approved.product)}, ordered ${quote(order.productId)}`;
  }
  if (order.quantity > approved.quantity) {
    return `approved quantity ${approved.quantity}, ordered ${order.quantity}`;
  }
  if (
    approved.maximum_amount !== undefined &&
    order.totalCents > limitToCents(approved.maximum_amount)
  ) {
    return `approved at most ${formatCents(limitToCents(approved.maximum_amount))}, the order totals ${formatCents(order.totalCents)}`;
  }
  if (approved.purchase_id !== undefined && order.idempotencyKey !== approved.purchase_id) {
    return order.idempotencyKey === undefined
      ? `the approval is for purchase ${quote(approved.purchase_id)}: send it as the Idempotency-Key`
      : `the approval is for purchase ${quote(approved.purchase_id)}, the Idempotency-Key is ${quote(order.idempotencyKey)}`;
  }
  return undefined;
}

function quote(text: string): string {
  const short = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return `'${short}'`;
}
