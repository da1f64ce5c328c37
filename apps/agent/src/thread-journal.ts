import { purchaseRequestSchema, type PurchaseRequest } from "@ciba-testbed/shared";
import { z } from "zod";

import type { AgentStore } from "./agent-store.js";
import { OUTCOMES, type Outcome } from "./outcome.js";
import type { PurchaseResult } from "./purchase-result.js";

/** One purchase of a thread, written before the approval request is sent. */
export interface PurchaseRecord {
  toolCallId: string;
  purchase: PurchaseRequest;
  bindingMessage: string;
  /** The cap the person approves: their price limit, else the catalog total when known. */
  maximumAmount?: number;
  startedAt: number;
  /** The approval request Auth0 accepted; `sentAt` is taken before sending, to err early. */
  request?: { id: string; expiresIn: number; interval: number; sentAt: number };
  /**
   * The token was taken for the order: Auth0 issues it once, so from here on the approval is
   * spent, whether or not the order follows.
   */
  approvedAt?: number;
  /** The order request is about to leave: the shop may have the order from here on. */
  orderSentAt?: number;
  finishedAt?: number;
  /** Set once, when the purchase is decided; a later run returns it instead of acting again. */
  result?: PurchaseResult;
}

export interface ThreadRecord {
  threadId: string;
  request: string;
  userId: string;
  createdAt: number;
  purchases: PurchaseRecord[];
  finished?: { outcome: Outcome; message: string; at: number; fix?: string };
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
    bindingMessage: z.string().optional(),
    authReqId: z.string().optional(),
    order: z.record(z.unknown()).optional(),
    expiresAt: z.string().optional(),
    timings: z
      .object({ approvalMs: z.number().optional(), orderMs: z.number().optional() })
      .optional(),
  })
  .passthrough();

const purchaseRecordSchema = z
  .object({
    toolCallId: z.string().min(1),
    purchase: purchaseRequestSchema,
    bindingMessage: z.string(),
    maximumAmount: z.number().optional(),
    startedAt: z.number(),
    request: z
      .object({
        id: z.string().min(1),
        expiresIn: z.number(),
        interval: z.number(),
        sentAt: z.number(),
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
    threadId: z.string().regex(THREAD_ID_PATTERN),
    request: z.string(),
    userId: z.string(),
    createdAt: z.number(),
    purchases: z.array(purchaseRecordSchema),
    finished: z
      .object({
        outcome: outcomeSchema,
        message: z.string(),
        at: z.number(),
        fix: z.string().optional(),
      })
      .optional(),
  })
  .passthrough();

/** Threads in an AgentStore: one key per thread, rewritten whole, so each write is atomic. */
export class ThreadJournal {
  constructor(private readonly store: AgentStore) {}

  async get(threadId: string): Promise<ThreadRecord | undefined> {
    const schema = threadRecordSchema.refine((thread) => thread.threadId === threadId, {
      message: `this is not the record of thread ${threadId}`,
      path: ["threadId"],
    });
    // JSON has no `undefined`, so zod's `?: T | undefined` members are the `?: T` of the types.
    return (await this.store.get(threadKey(threadId), schema)) as ThreadRecord | undefined;
  }

  async put(thread: ThreadRecord): Promise<void> {
    await this.store.put(threadKey(thread.threadId), thread);
  }

  async putPurchase(threadId: string, record: PurchaseRecord): Promise<void> {
    const thread = await this.get(threadId);
    if (thread === undefined) throw new Error(`Thread ${threadId} is not in the store`);
    const index = thread.purchases.findIndex((p) => p.toolCallId === record.toolCallId);
    if (index === -1) thread.purchases.push(record);
    else thread.purchases[index] = record;
    await this.put(thread);
  }
}

export function threadKey(threadId: string): string {
  return `threads/${threadId}`;
}

export function isThreadKey(key: string): boolean {
  return key.startsWith("threads/");
}
