import {
  isRecord,
  PURCHASE_ID,
  purchaseRequestSchema,
  type PurchaseRequest,
} from "@ciba-testbed/shared";
import { z } from "zod";

import { LeaseNotHeldError, type AgentStore } from "./agent-store.js";
import { leaseLost, NewerFormatError, StoreEntryError, threadGone } from "./halt.js";
import { leaseKey, type Lease } from "./lease.js";
import { OUTCOMES, type Outcome } from "./outcome.js";
import { finishedResult, type MeasuredSteps, type PurchaseRecord } from "./purchase-record.js";
import type { PurchaseResult, Verdict } from "./purchase-result.js";
import { threadKeepUntil } from "./retention.js";

/**
 * The journal format this agent writes, in each thread record's `formatVersion`, and the newest
 * it reads: a record of a newer format is refused (`store_newer_format`), not read as far as
 * this agent knows it. A record without one is of format 1, as agents wrote before formats had
 * numbers. Raise it whenever a record may hold something an older agent must not ignore.
 */
export const JOURNAL_FORMAT = 2;

/**
 * A call the turn did not try (asked for after the turn had ended at a purchase that did not
 * go through, or waits for the person in interrupt mode): nobody was asked and nothing ordered.
 */
export interface UntriedCall {
  toolCallId: string;
  purchase: PurchaseRequest;
  /** Why, as the model was told: the result's `error` and `description`. */
  error: string;
  description: string;
  /** How many purchases the thread had journaled when it was not tried. */
  afterPurchases: number;
  /**
   * For a call not tried as a repeat (`repeated_purchase`): what the person would have been
   * asked, as the turn's guard compared it (`consentOf`), and the catalog's name for its product
   * (null where the catalog resolved none). Absent for other calls, and in journals written
   * before.
   */
  consent?: string;
  productName?: string | null;
}

export interface ThreadRecord {
  /** The journal format the record was written in (`JOURNAL_FORMAT`); none is format 1. */
  formatVersion?: number;
  threadId: string;
  request: string;
  userId: string;
  createdAt: number;
  purchases: PurchaseRecord[];
  /** The calls the turn did not try, in order (journal format 2). */
  untried?: UntriedCall[];
  finished?: {
    outcome: Outcome;
    message: string;
    at: number;
    fix?: string;
    /** The code of a failure that no purchase of the thread holds (`invalid_tool_call`). */
    error?: string;
    /** What the request asked for after the failure that ended the turn (see AgentReport). */
    notTried?: PurchaseRequest[];
  };
}

export const THREAD_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const outcomeSchema = z.enum(Object.keys(OUTCOMES) as [Outcome, ...Outcome[]]);

const purchaseResultSchema = z
  .object({
    outcome: outcomeSchema,
    description: z.string(),
    error: z.string().optional(),
    fix: z.string().optional(),
    purchase: purchaseRequestSchema,
    productName: z.string().nullable().optional(),
    bindingMessage: z.string().optional(),
    authReqId: z.string().optional(),
    order: z.record(z.unknown()).optional(),
    expiresAt: z.string().optional(),
    timings: z
      .object({
        catalogMs: z.number().optional(),
        bcAuthorizeMs: z.number().optional(),
        approvalMs: z.number().optional(),
        decisionMs: z.number().optional(),
        orderMs: z.number().optional(),
      })
      .optional(),
  })
  .passthrough();

const bootReadingSchema = z.object({
  bootId: z.string().min(1),
  monotonicMs: z.number(),
  suspendedMs: z.number(),
});

const purchaseRecordSchema = z
  .object({
    toolCallId: z.string().min(1),
    purchaseId: z.string().regex(PURCHASE_ID).optional(),
    purchase: purchaseRequestSchema,
    productName: z.string().nullable().optional(),
    bindingMessage: z.string(),
    maximumAmount: z.number().optional(),
    startedAt: z.number(),
    catalogMs: z.number().optional(),
    bcAuthorizeMs: z.number().optional(),
    acceptedAt: z.number().optional(),
    acceptedOn: bootReadingSchema.optional(),
    request: z
      .object({
        id: z.string().min(1),
        expiresIn: z.number(),
        interval: z.number(),
        sentAt: z.number(),
        sentOn: bootReadingSchema.optional(),
        polledAt: z.number().optional(),
        answeredAt: z.number().optional(),
        unansweredSince: z.number().optional(),
        failedSince: z.number().optional(),
        lastFailure: z.object({ code: z.string(), description: z.string() }).optional(),
      })
      .optional(),
    approvedAt: z.number().optional(),
    orderSentAt: z.number().optional(),
    finishedAt: z.number().optional(),
    result: purchaseResultSchema.optional(),
  })
  .passthrough();

const threadRecordSchema = z
  .object({
    formatVersion: z.number().int().min(1).max(JOURNAL_FORMAT).optional(),
    threadId: z.string().regex(THREAD_ID_PATTERN),
    request: z.string(),
    userId: z.string(),
    createdAt: z.number(),
    purchases: z.array(purchaseRecordSchema),
    untried: z
      .array(
        z
          .object({
            toolCallId: z.string().min(1),
            purchase: purchaseRequestSchema,
            error: z.string(),
            description: z.string(),
            afterPurchases: z.number().int().min(0),
            consent: z.string().optional(),
            productName: z.string().nullable().optional(),
          })
          .passthrough(),
      )
      .optional(),
    finished: z
      .object({
        outcome: outcomeSchema,
        message: z.string(),
        at: z.number(),
        fix: z.string().optional(),
        error: z.string().optional(),
        notTried: z.array(purchaseRequestSchema).optional(),
      })
      .optional(),
  })
  .passthrough();

/**
 * Threads in an AgentStore: one key per thread, rewritten whole, so each write is atomic.
 *
 * The agent writes a thread only through `heldBy(threadId, lease)`, the journal of the process
 * holding the thread's lease: each of its writes lands only while that lease still holds, in
 * the same step as the write. A process that stalled past its lease (frozen, or its command
 * held up on the network) and then finds another process took the thread over gets lease_lost
 * and writes nothing: it never overwrites what the other process recorded since.
 */
export class ThreadJournal {
  constructor(
    private readonly store: AgentStore,
    private readonly writer?: { threadId: string; lease: Lease },
  ) {}

  /** This journal, writing thread `threadId` only while `lease` holds it, and no other thread. */
  heldBy(threadId: string, lease: Lease): ThreadJournal {
    return new ThreadJournal(this.store, { threadId, lease });
  }

  async get(threadId: string): Promise<ThreadRecord | undefined> {
    const schema = threadRecordSchema.refine((thread) => thread.threadId === threadId, {
      message: `this is not the record of thread ${threadId}`,
      path: ["threadId"],
    });
    try {
      // JSON has no `undefined`, so zod's `?: T | undefined` members are the `?: T` of the types.
      return (await this.store.get(threadKey(threadId), schema)) as ThreadRecord | undefined;
    } catch (error) {
      throw newerFormat(error) ?? error;
    }
  }

  async put(record: ThreadRecord): Promise<void> {
    // The oldest format that holds the record, so an agent that knows only format 1 still
    // reads a record that needs nothing newer.
    const thread = { ...record, formatVersion: record.untried?.length ? 2 : 1 };
    const { writer } = this;
    if (writer === undefined) {
      await this.store.put(threadKey(thread.threadId), thread, {
        keepUntil: threadKeepUntil(thread),
      });
      return;
    }
    if (thread.threadId !== writer.threadId) {
      throw new Error(`Thread ${thread.threadId} written under the lease of ${writer.threadId}`);
    }
    try {
      await this.store.put(threadKey(thread.threadId), thread, {
        keepUntil: threadKeepUntil(thread),
        heldBy: { key: leaseKey(writer.threadId), lease: writer.lease },
      });
    } catch (error) {
      if (error instanceof LeaseNotHeldError) throw leaseLost(writer.threadId);
      throw error;
    }
  }

  async findPurchase(threadId: string, toolCallId: string): Promise<PurchaseRecord | undefined> {
    return (await this.get(threadId))?.purchases.find((p) => p.toolCallId === toolCallId);
  }

  async putPurchase(threadId: string, record: PurchaseRecord): Promise<void> {
    const thread = await this.get(threadId);
    if (thread === undefined) throw threadGone(threadId);
    const index = thread.purchases.findIndex((p) => p.toolCallId === record.toolCallId);
    if (index === -1) thread.purchases.push(record);
    else thread.purchases[index] = record;
    await this.put(thread);
  }

  /** Records a call the turn did not try, once. */
  async noteUntried(threadId: string, call: Omit<UntriedCall, "afterPurchases">): Promise<void> {
    const thread = await this.get(threadId);
    if (thread === undefined) throw threadGone(threadId);
    const untried = thread.untried ?? [];
    if (untried.some((known) => known.toolCallId === call.toolCallId)) return;
    untried.push({ ...call, afterPurchases: thread.purchases.length });
    await this.put({ ...thread, untried });
  }

  /** The token was taken: from here on the approval is spent. Returns the purchase's record. */
  markApproved(
    threadId: string,
    toolCallId: string,
    at: number,
  ): Promise<PurchaseRecord | undefined> {
    return this.mark(threadId, toolCallId, "approvedAt", at);
  }

  /** The order request is about to leave: from here on the shop may have the order. */
  async markOrderSent(threadId: string, toolCallId: string, at: number): Promise<void> {
    await this.mark(threadId, toolCallId, "orderSentAt", at);
  }

  /**
   * Writes the purchase's result, which no later run changes, and returns it: finished at `at`
   * (the wall clock), its steps' durations as the finishing process `measured` them; `asked`
   * false for a purchase refused before any approval request was sent.
   */
  async finishPurchase(
    threadId: string,
    record: PurchaseRecord,
    verdict: Verdict & Pick<PurchaseResult, "order">,
    at: number,
    measured: MeasuredSteps = {},
    how: { asked?: boolean } = {},
  ): Promise<PurchaseResult> {
    const result = finishedResult(record, verdict, measured, how);
    await this.putPurchase(threadId, { ...record, finishedAt: at, result });
    return result;
  }

  /**
   * Records a step of the way from approval to order once, so a stop in between is known.
   * Returns the purchase's record as it now stands (none for a call the thread does not have).
   */
  private async mark(
    threadId: string,
    toolCallId: string,
    step: "approvedAt" | "orderSentAt",
    at: number,
  ): Promise<PurchaseRecord | undefined> {
    // A thread gone from the store stops the run here, before the order it would let leave.
    const thread = await this.get(threadId);
    if (thread === undefined) throw threadGone(threadId);
    const index = thread.purchases.findIndex((p) => p.toolCallId === toolCallId);
    const record = thread.purchases[index];
    if (record === undefined || record[step] !== undefined) return record;
    // The thread just read, written back: no second read of the store.
    const marked = { ...record, [step]: at };
    thread.purchases[index] = marked;
    await this.put(thread);
    return marked;
  }
}

/** A thread record refused because it is of a journal format newer than this agent's. */
function newerFormat(error: unknown): NewerFormatError | undefined {
  if (!(error instanceof StoreEntryError) || !isRecord(error.content)) return undefined;
  const version = error.content.formatVersion;
  return typeof version === "number" && version > JOURNAL_FORMAT
    ? new NewerFormatError(error, version, JOURNAL_FORMAT)
    : undefined;
}

export function threadKey(threadId: string): string {
  return `threads/${threadId}`;
}

export function isThreadKey(key: string): boolean {
  return key.startsWith("threads/");
}
