import type { EarlierOrder } from "../earlier-orders.js";
import { createHash, randomUUID } from "node:crypto";
import { hostname } from "node:os";

import { AuthorizationPendingInterrupt } from "@auth0/ai/interrupts";
import type { Clock, PurchaseRequest } from "@ciba-testbed/shared";
import type { Tool, ToolCallOptions } from "ai";
import type { ZodType } from "zod";

import type { AgentEvent } from "../agent-event.js";
import type { AgentStore } from "../agent-store.js";
import type { Authorizer } from "../approval-poll.js";
import { discardAuthorization } from "../auth0-store.js";
import type { AgentConfig } from "../config.js";
import { leaseLost } from "../halt.js";
import { leaseKey, type LeaseRequest } from "../lease.js";
import { MAX_REQUEST_CHARACTERS } from "../parse-request.js";
import {
  createPurchaseTool,
  PURCHASE_TOOL_NAME,
  purchaseToolDeclaration,
} from "../purchase-tool.js";
import { pendingResult, type PurchaseRecord } from "../purchase-record.js";
import type { PurchaseResult } from "../purchase-result.js";
import { SentRequests } from "../sent-requests.js";
import { threadKey, type ThreadJournal, type ThreadRecord } from "../thread-journal.js";
import { pendingInterruptText } from "./client/pending-interrupt-text.js";
import { CHAT_LIMITS, KeptChats, NewChatRefused, type ChatLimits } from "./kept-chats.js";
import { OrdersInFlight } from "./orders-in-flight.js";
import type { UnconfirmedOrder } from "./unconfirmed-orders.js";

export interface ChatThreadsDeps {
  config: AgentConfig;
  store: AgentStore;
  journal: ThreadJournal;
  authorizer: Authorizer;
  fetch: typeof fetch;
  clock: Clock;
  /**
   * Milliseconds that only move forward, for how long an approval has been waited for:
   * `performance.now()` in `serve`; the clock's time when absent (tests).
   */
  monotonicMs?: () => number;
  /** How many chats' last replies are kept for `purchases` (the latest ones); 1,000 unless set. */
  keptReplies?: number;
  /** How many chats are kept, and how fast one person may start them; CHAT_LIMITS unless set. */
  limits?: Partial<ChatLimits>;
}

/** One chat request's hold on its thread: the shop tool for the person, and the way out. */
export interface OpenThread {
  threadId: string;
  tools: { [PURCHASE_TOOL_NAME]: Tool<PurchaseRequest, PurchaseResult> };
  /** Where the purchase tool's events go while the request runs (the UI stream). */
  onEvent(listener: (event: AgentEvent) => void): void;
  /**
   * What became of that purchase, as the purchase tool reports it (PENDING while it waits);
   * undefined if this chat has no such purchase.
   */
  purchaseResult(toolCallId: string): Promise<PurchaseResult | undefined>;
  /** The orders this chat has placed, as its record keeps them. */
  orders(): Promise<EarlierOrder[]>;
  /**
   * The chat held `ChatThreads.purchasesPerChat` purchases when the request took it, the most it
   * keeps: only the resume of one of them may go on (chat-route's `chat_full`).
   */
  full: boolean;
  /**
   * The request ran the model to its end: `reply` is the model's last words (its last step's
   * text), undefined when the request ended without any (at an interrupt, on an error).
   */
  replied(reply: string | undefined): void;
  release(): Promise<void>;
}

/**
 * Each tool a chat has, by the name the model calls it, with the input schema the tool itself
 * declares: a tool call a client hands back must name one of these and pass its schema.
 */
export const chatToolInputs = {
  [PURCHASE_TOOL_NAME]: purchaseToolDeclaration.inputSchema,
} satisfies Record<keyof OpenThread["tools"], ZodType>;

/** Long enough for a block-mode wait, as the CLI's lease. */
const LEASE_MARGIN_S = 300;

/**
 * The most a chat keeps of the person's message: as much as the offline model reads of it
 * (MAX_REQUEST_CHARACTERS, 2,000 characters, 4 KB at most in memory).
 */
export const MAX_KEPT_REQUEST_CHARACTERS = MAX_REQUEST_CHARACTERS;

/**
 * What a chat's journal entry keeps of the message that started it (`ThreadRecord.request`):
 * its beginning, cut between two characters, never inside one. It is enough because nothing in
 * the web app reads it back: each chat request brings the whole conversation from the page,
 * which is what the model reads (a reply together with the question it answers, and the later
 * messages of the chat, none of which `request` holds). The readers of a journal's `request`
 * are the CLI's, for a thread of one request: `conversation` (its resume) and the agent's
 * reading of what a failed turn left untried. Neither meets a web app's chat, which lives in
 * the app's own memory store. Kept whole, a 1 MB message would cost 1 MB for as long as its
 * chat is kept.
 */
export function keptRequest(text: string): string {
  if (text.length <= MAX_KEPT_REQUEST_CHARACTERS) return text;
  let end = MAX_KEPT_REQUEST_CHARACTERS - 1;
  // A character beyond U+FFFF is two UTF-16 code units: keep both halves or neither.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** A purchase of a chat as `ChatThreads.purchases` lists it. */
export interface ChatPurchase {
  toolCallId: string;
  toolName: typeof PURCHASE_TOOL_NAME;
  result: PurchaseResult;
  /** Seconds between polls of its approval request, once sent: when a page may resume it. */
  interval?: number;
  /**
   * Waiting in block mode: why the request's last poll of Auth0 brought no answer (the tenant
   * unreachable or busy), as the stream's card says it; absent once a poll is answered.
   */
  problem?: string;
  /**
   * The person approved it and a request of the chat is placing its order: the shop has not
   * answered yet. `result` is PENDING until it has.
   */
  ordering?: true;
}

/**
 * The agent's threads as the web app uses them: one per person and chat id, so no person can
 * reach another's thread by its id. Each request holds the thread's lease while it runs, and
 * gets the CLI's purchase tool for the logged-in person: the CIBA userID is the session's
 * `sub`, the purchase is journaled, priced and never repeated.
 */
export class ChatThreads {
  /**
   * The chats this process keeps, which one a request holds right now (this process is the web
   * app's only one), and which ones go to make room for a new chat.
   */
  private readonly kept: KeptChats;
  /** Orders sent to the shop and not yet answered: a stop lets them finish. */
  private readonly orders = new OrdersInFlight();
  /**
   * The model's last words in each thread's last request, if it ended with some. Kept in memory
   * beside the threads (the journal keeps purchases, not the model's text), for `purchases`: the
   * latest `keptReplies` chats' (a page follows a chat minutes after its request, not days),
   * so a long-running app's memory does not grow with every chat it has served.
   */
  private readonly replies = new Map<string, string>();
  /**
   * Why the last poll of each waiting purchase's approval request brought no answer, by thread
   * and auth_req_id, while a request polls it: what the page that asked reads on its card, for
   * the pages that follow the chat (a reload, a second tab). Dropped when a poll is answered, the
   * purchase ends or the request that polls releases the chat, so it holds no more than the
   * chats requests run on.
   */
  private readonly pollProblems = new Map<string, Map<string, string>>();
  /**
   * The id of the person's last message that a request of each chat brought (the latest
   * `keptReplies` chats', as `replies`): a page whose request got no answer (its connection
   * down, a proxy's 5xx) learns from `purchases` whether its message reached the app, so that it
   * neither tells a message the app read "not sent" nor keeps one it never read.
   */
  private readonly lastMessages = new Map<string, string>();
  /**
   * The approval requests this process sent: the chat request that resumes one (the page's
   * next) measures its expiry from the send, and tells a denial from an expiry.
   */
  private readonly sentRequests = new SentRequests();
  /** Purchases one chat keeps at most (`ChatLimits.purchasesPerChat`). */
  readonly purchasesPerChat: number;

  constructor(private readonly deps: ChatThreadsDeps) {
    const limits = { ...CHAT_LIMITS, ...deps.limits };
    this.kept = new KeptChats(deps.clock, limits, deps.config.requestedExpiry * 1000);
    this.purchasesPerChat = limits.purchasesPerChat;
  }

  /** How many chats the app keeps. */
  get size(): number {
    return this.kept.size;
  }

  /** `block` or `interrupt`: whether a chat request waits for the person's answer. */
  get mode(): AgentConfig["mode"] {
    return this.deps.config.mode;
  }

  /** `<hash of sub>.<chat id>`: within THREAD_ID_PATTERN, and unique to the person. */
  threadIdOf(sub: string, chatId: string): string {
    return `${createHash("sha256").update(sub).digest("hex").slice(0, 16)}.${chatId}`;
  }

  /**
   * What became of tool call `toolCallId`'s purchase in the person's chat, as the purchase tool
   * reports it: its result once decided, PENDING while it waits; undefined if the chat has no
   * such purchase. Read from the journal, without the thread's lease.
   */
  async purchase(
    sub: string,
    chatId: string,
    toolCallId: string,
  ): Promise<PurchaseResult | undefined> {
    return resultOf(await this.deps.journal.findPurchase(this.threadIdOf(sub, chatId), toolCallId));
  }

  /**
   * Resolves once no order is out at the shop, or after `maxMs`: what a stopping web app waits
   * for. A purchase still waiting for the person is not waited for: it lives in this process's
   * memory and goes with it (an approval given after orders nothing, and its page says the app
   * forgot the chat); an order already sent is let finish, so the shop's answer is not cut.
   * Resolves with the orders still unanswered then, each with its purchase as the chat's record
   * keeps it: the shop may have placed them.
   */
  async ordersSettled(maxMs: number): Promise<UnconfirmedOrder[]> {
    const out = await this.orders.settled(maxMs);
    return Promise.all(
      out.map(async (order) => {
        const record = await this.deps.journal.findPurchase(order.threadId, order.toolCallId);
        return {
          ...order,
          ...(record === undefined ? {} : { purchase: record.purchase }),
          ...(record?.orderSentAt === undefined ? {} : { sentAt: record.orderSentAt }),
        };
      }),
    );
  }

  /**
   * Every purchase of the person's chat, in the order they were asked, and whether a chat
   * request still runs on it (in block mode it may yet ask for another item of the person's
   * message); undefined if the person has no such chat. Read from the journal, without the
   * thread's lease. Once no request runs, `reply` is what the model said last in the chat's
   * last request, if it ended with words: what a page that did not see it end reads, as the page
   * that asked did (it may say more than the purchases' outcomes, such as that the rest of the
   * person's message was not tried).
   */
  async purchases(
    sub: string,
    chatId: string,
  ): Promise<
    | { running: boolean; purchases: ChatPurchase[]; reply?: string; lastMessageId?: string }
    | undefined
  > {
    const threadId = this.threadIdOf(sub, chatId);
    const thread = await this.deps.journal.get(threadId);
    if (thread === undefined) return undefined;
    const running = this.kept.isRunning(threadId);
    const reply = running ? undefined : this.replies.get(threadId);
    const problems = this.pollProblems.get(threadId);
    const lastMessageId = this.lastMessages.get(threadId);
    return {
      ...(reply === undefined ? {} : { reply }),
      ...(lastMessageId === undefined ? {} : { lastMessageId }),
      running,
      purchases: thread.purchases.map((record) => {
        const result = resultOf(record);
        const problem =
          result.outcome === "PENDING" && record.request !== undefined
            ? problems?.get(record.request.id)
            : undefined;
        // Approved with no result, and no request running: none is ordering it (the one that
        // took the approval stopped), and the next to run it says what became of it.
        const ordering = running && record.result === undefined && record.approvedAt !== undefined;
        return {
          toolCallId: record.toolCallId,
          toolName: PURCHASE_TOOL_NAME,
          result,
          ...(record.request === undefined ? {} : { interval: record.request.interval }),
          ...(problem === undefined ? {} : { problem }),
          ...(ordering ? { ordering: true as const } : {}),
        };
      }),
    };
  }

  /**
   * The thread, created with the person's first message (its beginning, `keptRequest`);
   * undefined while another request holds it. A new chat is first admitted (see KeptChats): it
   * may make the app forget chats nobody needs any more, or be refused with NewChatRefused.
   * Its tool tries no purchase past `purchasesPerChat` (`withinPurchasesPerChat`).
   * `messageId`: the id of the person's last message in the request, which `purchases` names.
   */
  async open(
    sub: string,
    chatId: string,
    request: string,
    messageId?: string,
  ): Promise<OpenThread | undefined> {
    const { store, journal, clock, config } = this.deps;
    const threadId = this.threadIdOf(sub, chatId);
    const key = leaseKey(threadId);
    const claim = await store.claim(key, this.leaseRequest(), clock.now());
    if (!claim.granted) return undefined;
    const { lease } = claim;
    const writer = journal.heldBy(threadId, lease);
    /** The chat's purchases when the request took it, by tool call. */
    let recorded: Set<string>;
    try {
      const held = await journal.get(threadId);
      recorded = new Set(held?.purchases.map((record) => record.toolCallId));
      if (held === undefined) {
        await this.admit(sub);
        await writer.put({
          threadId,
          request: keptRequest(request),
          userId: sub,
          createdAt: clock.now(),
          purchases: [],
        });
      }
    } catch (error) {
      await store.release(key, lease);
      // A chat refused before it began leaves nothing behind, not even its lease's record.
      if (error instanceof NewChatRefused) await store.forgetLease?.(key);
      throw error;
    }
    this.kept.opened(threadId, sub, lease.expiresAt);
    // What the model said in an earlier request answers nothing of this one.
    this.replies.delete(threadId);
    if (messageId !== undefined)
      keepLatest(this.lastMessages, threadId, messageId, this.keptReplies);

    let listener: (event: AgentEvent) => void = () => undefined;
    const purchase = createPurchaseTool({
      config: { ...config, userId: sub },
      fetch: this.deps.fetch,
      clock,
      monotonicMs: this.deps.monotonicMs ?? (() => clock.now()),
      sentRequests: this.sentRequests,
      store,
      journal: writer,
      authorizer: this.deps.authorizer,
      emit: (event) => {
        this.orders.note(event, { threadId, sub });
        this.notePollProblem(threadId, event);
        listener(event);
      },
      threadId,
      wait: config.mode === "block",
      fence: async () => {
        if (!(await store.holds(key, lease))) throw leaseLost(threadId);
      },
      beforeOrder: () => undefined,
      beforeApprovalRequest: () => undefined,
    });
    const shop = withinPurchasesPerChat(
      config.mode === "block" ? purchase.tool : interrupting(purchase.tool, journal, threadId),
      recorded,
      this.purchasesPerChat,
    );
    return {
      threadId,
      tools: { [PURCHASE_TOOL_NAME]: shop },
      full: recorded.size >= this.purchasesPerChat,
      onEvent: (next) => {
        listener = next;
      },
      purchaseResult: async (toolCallId) =>
        resultOf(await journal.findPurchase(threadId, toolCallId)),
      orders: async () =>
        ((await journal.get(threadId))?.purchases ?? []).flatMap(({ toolCallId, result }) =>
          result?.outcome === "ORDERED"
            ? [{ toolCallId, purchase: result.purchase, order: result.order }]
            : [],
        ),
      replied: (reply) => {
        if (reply === undefined || reply.trim() === "") this.replies.delete(threadId);
        else keepLatest(this.replies, threadId, reply, this.keptReplies);
      },
      release: async () => {
        // Read before the lease goes: until a request takes the chat again, nothing changes it.
        const left = await this.readForKeeping(threadId);
        if (left === "missing") this.kept.forgot(threadId);
        else this.kept.released(threadId, left);
        // Nothing polls the chat's requests any more: what the last poll met is no news.
        this.pollProblems.delete(threadId);
        await store.release(key, lease);
      },
    };
  }

  private get keptReplies(): number {
    return this.deps.keptReplies ?? 1_000;
  }

  /** Keeps, or drops, why the last poll of a purchase of thread `threadId` got no answer. */
  private notePollProblem(threadId: string, event: AgentEvent): void {
    const id =
      event.type === "approval-waiting"
        ? event.authReqId
        : event.type === "purchase-finished"
          ? event.result.authReqId
          : undefined;
    if (id === undefined) return;
    const problems = this.pollProblems.get(threadId) ?? new Map<string, string>();
    if (event.type === "approval-waiting" && event.problem !== undefined) {
      problems.set(id, event.problem);
    } else problems.delete(id);
    if (problems.size === 0) this.pollProblems.delete(threadId);
    else this.pollProblems.set(threadId, problems);
  }

  /**
   * Makes room for a new chat of `sub`, or throws NewChatRefused: see KeptChats. Called under
   * the new chat's lease.
   */
  private async admit(sub: string): Promise<void> {
    const admission = this.kept.admit(sub);
    if ("refusal" in admission) throw admission.refusal;
    for (const threadId of admission.forget) await this.forget(threadId);
  }

  /**
   * Forgets a chat no one needs any more: its journal entry, what the Auth0 SDK kept for its
   * purchases (a request that expired unanswered leaves one), its lease's record and its last
   * reply. Under its lease, as every writer of a thread: a request that took the chat since it
   * was picked keeps it, and the chat with it.
   */
  private async forget(threadId: string): Promise<void> {
    const { store, clock } = this.deps;
    const key = leaseKey(threadId);
    const claim = await store.claim(key, this.leaseRequest(), clock.now());
    if (!claim.granted) return;
    try {
      const thread = await this.readForKeeping(threadId);
      if (thread === undefined) {
        // Kept, as a request keeps it (thread_unreadable): its purchases may be in it.
        this.kept.released(threadId, undefined);
        return;
      }
      if (thread !== "missing") {
        for (const { toolCallId } of thread.purchases) {
          await discardAuthorization(store, threadId, toolCallId);
        }
      }
      await store.delete(threadKey(threadId));
    } finally {
      await store.release(key, claim.lease);
    }
    await store.forgetLease?.(key);
    this.kept.forgot(threadId);
    this.replies.delete(threadId);
  }

  /** A claim of a chat's lease by this process, long enough for a block-mode wait. */
  private leaseRequest(): LeaseRequest {
    const { clock, config } = this.deps;
    return {
      owner: randomUUID(),
      host: hostname(),
      pid: process.pid,
      expiresAt: clock.now() + (config.requestedExpiry + LEASE_MARGIN_S) * 1000,
    };
  }

  /**
   * The chat's journal entry, "missing" when there is none, undefined when it cannot be read (a
   * failed read included: such a chat is kept, never forgotten on a guess).
   */
  private async readForKeeping(threadId: string): Promise<ThreadRecord | undefined | "missing"> {
    try {
      return (await this.deps.journal.get(threadId)) ?? "missing";
    } catch {
      return undefined;
    }
  }
}

/** What the purchase tool reports for a journaled purchase: its result, PENDING while it waits. */
function resultOf(record: PurchaseRecord): PurchaseResult;
function resultOf(record: PurchaseRecord | undefined): PurchaseResult | undefined;
function resultOf(record: PurchaseRecord | undefined): PurchaseResult | undefined {
  return record === undefined ? undefined : (record.result ?? pendingResult(record));
}

/**
 * The chat's tool, trying no purchase that would make the chat keep more than `most`: a call
 * the chat does not hold already (`recorded`, its purchases when the request took it, or one of
 * this request's calls let through) gets a NO_PURCHASE result, `chat_full`, once `most` calls
 * are held, before anything is looked up, journaled, asked or sent; the turn ends there, as at
 * any purchase that did not go through. Counted as each call comes, before the tool runs it, so
 * calls of one step (OpenAI's parallel calls) cannot pass the bound together. A request's first
 * message past it is refused before the model runs (chat-route's `chat_full`): this is for the
 * calls of a turn that began below it, and for those after a resume.
 */
function withinPurchasesPerChat(
  base: Tool<PurchaseRequest, PurchaseResult>,
  recorded: ReadonlySet<string>,
  most: number,
): Tool<PurchaseRequest, PurchaseResult> {
  const execute = base.execute;
  if (execute === undefined) throw new Error("The purchase tool has no execute");
  const held = new Set(recorded);
  return {
    ...base,
    execute: (input: PurchaseRequest, options: ToolCallOptions) => {
      if (!held.has(options.toolCallId)) {
        if (held.size >= most) return Promise.resolve(chatFullResult(input, most));
        held.add(options.toolCallId);
      }
      return execute(input, options);
    },
  };
}

/** Sets `key` in `map` as its latest entry, and drops the oldest past `most` entries. */
function keepLatest(map: Map<string, string>, key: string, value: string, most: number): void {
  map.delete(key);
  map.set(key, value);
  // A Map iterates in insertion order: its first key is the oldest.
  const [oldest] = map.keys();
  if (map.size > most && oldest !== undefined) map.delete(oldest);
}

/** The result of a call past the purchases one chat keeps: not tried. */
function chatFullResult(input: PurchaseRequest, most: number): PurchaseResult {
  return {
    outcome: "NO_PURCHASE",
    purchase: input,
    error: "chat_full",
    description: `this chat holds ${String(most)} purchases, the most one chat keeps, so nobody was asked to approve it and nothing was ordered. Start a new chat and ask for it there.`,
  };
}

/**
 * Interrupt mode as `@auth0/ai-vercel` hands it to a web client: a purchase still waiting for
 * the person ends the tool call with the SDK's own AuthorizationPendingInterrupt (its request's
 * id, interval and expiry), which `errorSerializer` turns into the stream's interrupt part.
 * The purchase tool itself returns PENDING: it keeps the journal that makes a resume poll the
 * same request instead of sending a second push.
 */
function interrupting(
  base: Tool<PurchaseRequest, PurchaseResult>,
  journal: ThreadJournal,
  threadId: string,
): Tool<PurchaseRequest, PurchaseResult> {
  const execute = base.execute;
  if (execute === undefined) throw new Error("The purchase tool has no execute");
  return {
    ...base,
    execute: async (input: PurchaseRequest, options: ToolCallOptions) => {
      const result = (await execute(input, options)) as PurchaseResult;
      if (result.outcome !== "PENDING") return result;
      const request = (await journal.findPurchase(threadId, options.toolCallId))?.request;
      if (request === undefined) return result;
      throw new AuthorizationPendingInterrupt(pendingInterruptText(result.bindingMessage), {
        id: request.id,
        requestedAt: request.sentAt / 1000,
        expiresIn: request.expiresIn,
        interval: request.interval,
      });
    },
  };
}
