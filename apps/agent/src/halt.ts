import type { PurchaseResult } from "./purchase-result.js";

/**
 * Ends the agent's run at once. The purchase tool lets it through instead of turning it into a
 * result the model could retry, and the agent writes nothing more to the thread.
 */
export class AgentHalt extends Error {
  constructor(
    /** A stable code for scripts and tests: `store_corrupt`, `lease_lost`, `parent_gone`. */
    readonly code: string,
    message: string,
    readonly fix?: string,
    /** The purchase this run finished before it stopped, which its report keeps. */
    readonly result?: PurchaseResult,
  ) {
    super(message);
    this.name = "AgentHalt";
  }
}

/** A store entry that is not what the agent wrote: bad JSON, or JSON of another shape. */
export class StoreEntryError extends AgentHalt {
  constructor(
    readonly key: string,
    /** Where the entry lives, e.g. its file. */
    readonly location: string,
    readonly problem: string,
    /** How to remove it, e.g. `rm -- '<file>'`. */
    readonly removal: string,
    /** The entry's JSON, when it was valid JSON of another shape: what can still be read of it. */
    readonly content?: unknown,
    code = "store_corrupt",
  ) {
    super(code, `${location} cannot be read: ${problem}`);
    this.name = "StoreEntryError";
  }
}

/**
 * A thread record written by a newer agent, in a journal format this one does not know: read as
 * far as this agent knows it, it could miss what the newer format adds (an agent that knew no
 * `purchaseId` spent the person's approval on an order the shop refused). Nothing is wrong with
 * the entry, and it must not be removed: the agent that wrote it can resume it.
 */
export class NewerFormatError extends StoreEntryError {
  constructor(
    entry: StoreEntryError,
    /** The format the entry was written in. */
    readonly formatVersion: number,
    /** The newest format this agent reads. */
    readonly known: number,
  ) {
    super(
      entry.key,
      entry.location,
      `it was written by a newer version of the agent, in journal format ${String(formatVersion)}, and this agent reads formats up to ${String(known)}`,
      entry.removal,
      entry.content,
      "store_newer_format",
    );
    this.name = "NewerFormatError";
  }
}

/**
 * Another process claimed the thread after this one sent the order, before it could record the
 * shop's answer: the order stands as the shop answered (`result`, which the report keeps), and
 * nobody must be told that nothing was ordered.
 */
export function leaseLostAfterOrder(
  threadId: string,
  answer: string,
  result: PurchaseResult,
): AgentHalt {
  return new AgentHalt(
    "lease_lost",
    `Another process took over thread ${threadId} while this one waited for the shop's answer to its order, so this one did not record it there. The shop answered: ${answer}`,
    `Check the person's orders before asking again, and resume thread ${threadId} once the other process has ended.`,
    result,
  );
}

/** Another process claimed the thread since this one did: it must not act on it any more. */
export function leaseLost(threadId: string): AgentHalt {
  return new AgentHalt(
    "lease_lost",
    `Another process took over thread ${threadId} while this one worked on it; this one stopped and ordered nothing more.`,
    `Resume thread ${threadId} once the other process has ended to see where it stands.`,
  );
}

/**
 * The thread went from the store while a run worked on it: the store lost its data (a Redis
 * emptied or restarted without persistence) or someone removed the record. What the run did is
 * in the shop and the tenant, not in the store. `placed`: the orders this run placed, once known
 * (the agent's report says them; the journal that finds the thread gone does not know them).
 */
export function threadGone(threadId: string, placed?: readonly string[]): AgentHalt {
  return new AgentHalt(
    "thread_lost",
    `Thread ${threadId} went from the agent's store while this run worked on it (the store lost its data, or its record was removed), so this run cannot record what it did.`,
    placed === undefined
      ? "Check the shop's orders for the person before asking again: an order this run placed is there, not in the store."
      : placed.length === 0
        ? "This run placed no order; check the shop's orders for the person before asking again, as an order an earlier run of the thread placed is there, not in the store."
        : `Check the shop's orders for the person before asking again: order ${placed.join(", ")}, which this run placed, is there, not in the store.`,
  );
}
