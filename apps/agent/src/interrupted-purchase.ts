import type { PurchaseRecord } from "./purchase-record.js";
import type { Verdict } from "./purchase-result.js";

/** What to do when the shop may have an order the agent cannot confirm. */
export const CHECK_ORDERS_FIX =
  "Check the person's orders at the shop before asking for this purchase again.";

/**
 * Nothing waits any more for an approval request the agent sent: asking again sends a new one
 * (a second push beside the first), and only the new one buys.
 */
export const ASK_AGAIN_FIX =
  "Ask again if the purchase is still wanted, and approve the new request: approving the earlier one orders nothing.";

/**
 * What a resume reports about a purchase whose process stopped part-way. Each stretch of the
 * way gets one verdict, whichever trace of the stop the resume finds.
 */
export const INTERRUPTED = {
  /**
   * Auth0 issued the token and the process stopped before the order left: the journal says the
   * approval was taken, or the tenant answers invalid_grant for the request the journal knows.
   */
  beforeOrder: {
    outcome: "ERROR",
    error: "stopped_before_order",
    description:
      "The approval was used by a process that stopped before ordering; ask again. Nothing was ordered.",
    fix: "Ask again if the purchase is still wanted: the earlier approval cannot be used again.",
  },
  /** The order request had left when the process stopped: only the shop knows. */
  whileOrdering: {
    outcome: "ERROR",
    error: "order_unconfirmed",
    description:
      "The process stopped while it was sending the order, so the shop may have it; check the orders before asking again.",
    fix: CHECK_ORDERS_FIX,
  },
  /** The process stopped before it stored the request it was sending; its id is unknown. */
  requestLost: {
    outcome: "ERROR",
    error: "request_lost",
    description:
      "The agent stopped while this approval request was being sent, before it stored the request, so the person may still be asked to approve it, and approving it orders nothing: no agent can poll a request whose id it never stored. It will not send a second one itself. Nothing was ordered.",
    fix: ASK_AGAIN_FIX,
  },
} as const satisfies Record<string, Verdict>;

/** A process took the approval and stopped before it recorded the order's outcome. */
export function stoppedAfterApproval(record: Pick<PurchaseRecord, "orderSentAt">): Verdict {
  return record.orderSentAt === undefined ? INTERRUPTED.beforeOrder : INTERRUPTED.whileOrdering;
}
