/**
 * The approval of one purchase as the page shows it: the chat route's `data-approval` part,
 * updated in place (same id). Type-only, so the server and the browser bundle share it.
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
