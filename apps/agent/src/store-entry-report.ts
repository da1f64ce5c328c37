import { isRecord } from "@ciba-testbed/shared";

import { isAuthRequestKey } from "./auth0-store.js";
import { NewerFormatError, type StoreEntryError } from "./halt.js";
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
  if (error instanceof NewerFormatError) {
    return {
      message: `The record of thread ${threadId} (${location}) cannot be read: ${problem}. It is not resumed, and nothing was changed: read in an older format, it could be taken for something it does not say.`,
      fix: `Upgrade the agent (git pull, then pnpm install) and resume thread ${threadId} with it. Do not remove the record: it may hold an approval the person gave, or an order placed.`,
    };
  }
  const [what, fix] = isThreadKey(key)
    ? [
        `The record of thread ${threadId}`,
        // The record is what says whether the thread ordered: without it, asking again may buy
        // the same things twice.
        `Check the person's orders at the shop before asking again (thread ${threadId} may have placed some, and they stay there); then run ${removal} to forget the thread.`,
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
  const shown = isThreadKey(key) ? ordersShown(error.content, threadId) : undefined;
  const still = shown === undefined ? "" : ` ${shown}`;
  return { message: `${what} (${location}) cannot be read: ${problem}.${unchanged}${still}`, fix };
}

/**
 * The orders a thread record that is valid JSON, but not of the agent's shape, still names: read
 * loosely, member by member, and only from the thread's own record (another thread's says
 * nothing about this one). Undefined when nothing of it can be read.
 */
function ordersShown(content: unknown, threadId: string): string | undefined {
  if (!isRecord(content) || content.threadId !== threadId) return undefined;
  if (!Array.isArray(content.purchases)) return undefined;
  const orders = content.purchases.flatMap((entry: unknown) => {
    if (!isRecord(entry) || !isRecord(entry.purchase)) return [];
    const { product, qty } = entry.purchase;
    if (typeof product !== "string" || typeof qty !== "number") return [];
    const what = `${qty} x ${product}`;
    const result = isRecord(entry.result) ? entry.result : undefined;
    if (result?.outcome === "ORDERED") {
      const id = isRecord(result.order) ? result.order.id : undefined;
      return [typeof id === "string" ? `order ${id} placed for ${what}` : `${what} ordered`];
    }
    const unconfirmed =
      result === undefined ? entry.orderSentAt !== undefined : result.error === "order_unconfirmed";
    if (unconfirmed) return [`an order for ${what} that the shop may have`];
    return [];
  });
  return orders.length === 0
    ? "What can still be read of it names no order placed or sent."
    : `What can still be read of it: ${orders.join("; ")}.`;
}
