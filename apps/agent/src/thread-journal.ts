import type { PurchaseRequest } from "@ciba-testbed/shared";

import type { AgentStore } from "./agent-store.js";
import type { Outcome } from "./outcome.js";
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
  approvedAt?: number;
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

/** Threads in an AgentStore: one key per thread, rewritten whole, so each write is atomic. */
export class ThreadJournal {
  constructor(private readonly store: AgentStore) {}

  async get(threadId: string): Promise<ThreadRecord | undefined> {
    return (await this.store.get(threadKey(threadId))) as ThreadRecord | undefined;
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

function threadKey(threadId: string): string {
  return `threads/${threadId}`;
}
