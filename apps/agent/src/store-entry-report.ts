import { isAuthRequestKey } from "./auth0-store.js";
import type { StoreEntryError } from "./halt.js";
import { isLeaseKey } from "./lease.js";
import { isThreadKey } from "./thread-journal.js";

/**
 * What to tell the person about a store entry that cannot be read: which entry of which
 * thread, where it is, and the one step that gets them going again.
 */
export function describeStoreEntryError(
  error: StoreEntryError,
  threadId: string,
  untouched: boolean,
): { message: string; fix: string } {
  const { key, location, problem, removal } = error;
  const [what, fix] = isThreadKey(key)
    ? [
        `The record of thread ${threadId}`,
        `Run ${removal} to forget thread ${threadId} (orders it placed stay in the shop), then ask again.`,
      ]
    : isLeaseKey(key)
      ? [
          `The lease of thread ${threadId}`,
          `If no agent process is working on thread ${threadId}, run ${removal}; the lease only records who works on the thread.`,
        ]
      : isAuthRequestKey(key)
        ? [
            `The stored approval request of thread ${threadId}`,
            `Run ${removal}, then resume thread ${threadId}: the request is asked about again from the thread's record, or reported lost; no second push is sent.`,
          ]
        : [
            `The store entry ${key} of thread ${threadId}`,
            `Run ${removal}, then resume thread ${threadId}.`,
          ];
  const unchanged = untouched ? " Nothing was changed." : "";
  return { message: `${what} (${location}) cannot be read: ${problem}.${unchanged}`, fix };
}
