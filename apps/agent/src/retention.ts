/**
 * How long a shared store keeps what the agent wrote (Redis expires keys by these; the file
 * store keeps files until the agent deletes them). Every time is epoch milliseconds.
 */

/** A thread stays readable this long after its last request expired, or it last changed. */
export const THREAD_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The SDK's stored request stays this long past its expiry. The journal can rebuild it, so
 * this only spares a lookup; a resume checks expiry by its own clock first.
 */
export const AUTH_REQUEST_RETENTION_MS = 60 * 60 * 1000;

/** Entries written with no retention of their own (none of the agent's are). */
export const DEFAULT_RETENTION_MS = THREAD_RETENTION_MS;

/** Until when a store must keep a thread record: see THREAD_RETENTION_MS. */
export function threadKeepUntil(thread: {
  createdAt: number;
  purchases: {
    startedAt: number;
    request?: { sentAt: number; expiresIn: number };
    approvedAt?: number;
    orderSentAt?: number;
    finishedAt?: number;
  }[];
  finished?: { at: number };
}): number {
  const instants = [thread.createdAt, thread.finished?.at ?? 0];
  for (const purchase of thread.purchases) {
    instants.push(
      purchase.startedAt,
      purchase.approvedAt ?? 0,
      purchase.orderSentAt ?? 0,
      purchase.finishedAt ?? 0,
    );
    if (purchase.request !== undefined) {
      instants.push(purchase.request.sentAt + purchase.request.expiresIn * 1000);
    }
  }
  return Math.max(...instants) + THREAD_RETENTION_MS;
}

/** Until when a store must keep the SDK's record of a request: see AUTH_REQUEST_RETENTION_MS. */
export function authRequestKeepUntil(request: { requestedAt: number; expiresIn: number }): number {
  // The SDK counts both in seconds.
  return (request.requestedAt + request.expiresIn) * 1000 + AUTH_REQUEST_RETENTION_MS;
}
