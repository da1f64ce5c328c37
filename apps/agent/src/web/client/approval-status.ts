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
