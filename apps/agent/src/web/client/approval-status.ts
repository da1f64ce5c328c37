/**
 * The approval of one purchase as the page shows it: the chat route's `data-approval` part,
 * updated in place (same id). Shared by the server and the browser bundle.
 */
export interface ApprovalStatusData {
  status: string;
  authReqId?: string;
  bindingMessage?: string;
  expiresAt?: string;
  approverUrl?: string;
  description?: string;
  /** Pending: the last poll of Auth0 brought no answer (the tenant unreachable or busy). */
  problem?: string;
}

/**
 * The status of a purchase the person approved whose order the shop has not answered yet: no
 * longer waiting for them, not yet decided. A slow shop keeps it there for as long as it takes.
 */
export const ORDERING = "ORDERING";

/** The error of an order sent to the shop that the shop never confirmed: it may have it. */
export const ORDER_UNCONFIRMED = "order_unconfirmed";

/**
 * The status of the card of such an order: its outcome is ERROR, but a card that said it
 * failed would tell the person that nothing was ordered, and they would ask again.
 */
export const UNCONFIRMED = "UNCONFIRMED";

/** The status of a decided purchase's card: its outcome, UNCONFIRMED for an unconfirmed order. */
export function decidedStatus(result: { outcome: string; error?: unknown }): string {
  return result.error === ORDER_UNCONFIRMED ? UNCONFIRMED : result.outcome;
}
