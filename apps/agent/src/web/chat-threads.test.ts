import { ManualClock } from "@ciba-testbed/shared";
import { describe, expect, it, vi } from "vitest";

import { createMemoryStore } from "../agent-store.js";
import type { ApprovalRequest } from "../approval-request.js";
import { authRequestKey, restoreAuthRequest } from "../auth0-store.js";
import { loadConfig } from "../config.js";
import type { PurchaseRecord } from "../purchase-record.js";
import { THREAD_RETENTION_MS } from "../retention.js";
import { ThreadJournal } from "../thread-journal.js";
import {
  ChatThreads,
  keptRequest,
  MAX_KEPT_REQUEST_CHARACTERS,
  type OpenThread,
} from "./chat-threads.js";
import { NewChatRefused, type ChatLimits } from "./kept-chats.js";

const ANN = "auth0|ann";
const BOB = "auth0|bob";
/** AGENT_REQUESTED_EXPIRY: how long a purchase's approval request waits for the person. */
const EXPIRY_S = 300;

/** The web app's chats in the memory store, on a clock the test moves. */
function chats(limits: Partial<ChatLimits> = {}) {
  const clock = new ManualClock();
  const store = createMemoryStore();
  const journal = new ThreadJournal(store);
  const threads = new ChatThreads({
    config: loadConfig({ AGENT_MODE: "interrupt", AGENT_REQUESTED_EXPIRY: String(EXPIRY_S) }),
    store,
    journal,
    authorizer: { withAsyncAuthorization: () => ({}) } as never,
    fetch: () => Promise.reject(new Error("no network in this test")),
    clock,
    limits,
  });
  /** A request on the chat that ends at once, after writing `purchases` (as the tool would). */
  const turn = async (sub: string, chatId: string, ...purchases: PurchaseRecord[]) => {
    const thread = await threads.open(sub, chatId, "Buy 2 XYZ phones");
    if (thread === undefined) throw new Error(`chat ${chatId} is busy`);
    for (const purchase of purchases) await journal.putPurchase(thread.threadId, purchase);
    await thread.release();
    return thread.threadId;
  };
  /** Every key the store holds for the thread: its entry, the SDK's, its lease's record. */
  const keysOf = (threadId: string) =>
    [...store.keys(), ...store.leaseKeys()].filter((key) => key.includes(threadId));
  return { clock, store, journal, threads, turn, keysOf };
}

/** The approval request of a purchase, sent at `at` and out until `at` + 300 s. */
function requestOf(at: number, toolCallId: string): ApprovalRequest {
  return { id: `req-${toolCallId}`, expiresIn: EXPIRY_S, interval: 5, sentAt: at };
}

/** A purchase of a chat, asked for at `at`, whose request waits for the person. */
function asked(at: number, toolCallId = "call_1"): PurchaseRecord {
  return {
    toolCallId,
    purchase: { product: "XYZ phone", qty: 2 },
    bindingMessage: "Do you want to buy 2 XYZ phone",
    startedAt: at,
    request: requestOf(at, toolCallId),
  };
}

function decided(record: PurchaseRecord, at: number): PurchaseRecord {
  return {
    ...record,
    finishedAt: at,
    result: { outcome: "DENIED", purchase: record.purchase, description: "Denied." },
  };
}

describe("what a chat keeps of the person's message", () => {
  it("keeps the first 2,000 characters of a huge message, so a chat costs a few KB whatever is sent", async () => {
    const { threads, journal, turn } = chats();
    const huge = `hello ${"a".repeat(900_000)}`;
    const opened = await threads.open(ANN, "huge", huge);
    await opened?.release();
    const thread = await journal.get(threads.threadIdOf(ANN, "huge"));
    expect(thread?.request).toBe(`${huge.slice(0, MAX_KEPT_REQUEST_CHARACTERS - 1)}…`);
    expect(JSON.stringify(thread).length).toBeLessThan(3_000);
    // A message within the bound is kept whole.
    const short = await turn(ANN, "short");
    expect((await journal.get(short))?.request).toBe("Buy 2 XYZ phones");
  });

  it("cuts between two characters, never inside one beyond U+FFFF", () => {
    const text = `${"a".repeat(MAX_KEPT_REQUEST_CHARACTERS - 2)}${"😀".repeat(10)}`;
    const kept = keptRequest(text);
    expect(kept).toBe(`${"a".repeat(MAX_KEPT_REQUEST_CHARACTERS - 2)}…`);
    const halfOfOne = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    for (
      let length = MAX_KEPT_REQUEST_CHARACTERS - 3;
      length < MAX_KEPT_REQUEST_CHARACTERS + 3;
      length++
    ) {
      const cut = keptRequest(`${"a".repeat(length)}${"😀".repeat(10)}`);
      expect(cut.length).toBeLessThanOrEqual(MAX_KEPT_REQUEST_CHARACTERS);
      expect(cut).not.toMatch(halfOfOne);
    }
  });
});

describe("the chats the web app forgets", () => {
  it("forgets an ended chat seven days after its last event, with the Auth0 SDK's entries and its lease", async () => {
    const { clock, store, journal, threads, turn, keysOf } = chats();
    // A purchase whose request expired unanswered while no page resumed it: the SDK's entry stays.
    const start = clock.now();
    const old = await turn(ANN, "old", asked(start));
    await restoreAuthRequest(store, old, "call_1", requestOf(start, "call_1"), 0);
    expect(keysOf(old)).toEqual([`threads/${old}`, authRequestKey(old, "call_1"), `leases/${old}`]);

    // Kept until seven days after the request expired (its last event)...
    clock.advance(EXPIRY_S * 1000 + THREAD_RETENTION_MS - 1);
    await turn(BOB, "new1");
    expect(await journal.get(old)).toBeDefined();
    // ... and forgotten whole once a new chat comes after that.
    clock.advance(1);
    await turn(BOB, "new2");
    expect(await journal.get(old)).toBeUndefined();
    expect(keysOf(old)).toEqual([]);
    expect(threads.size).toBe(2);
    expect(await threads.purchases(ANN, "old")).toBeUndefined();
  });

  it("keeps at most the bound, forgetting the least recently used ended chat first", async () => {
    const { journal, threads, turn } = chats({ chats: 3 });
    const first = await turn(ANN, "c1");
    const second = await turn(BOB, "c2");
    const third = await turn(ANN, "c3");
    // A new request on the first makes the second the least recently used.
    await turn(ANN, "c1");
    await turn(BOB, "c4");
    expect(threads.size).toBe(3);
    expect(await journal.get(second)).toBeUndefined();
    for (const kept of [first, third]) expect(await journal.get(kept)).toBeDefined();
  });

  it("never forgets a chat whose purchase waits for the person, or whose order may be out, even at the bound: it refuses a new chat with 503", async () => {
    const { clock, journal, threads, turn, keysOf } = chats({ chats: 3 });
    const now = clock.now();
    const waiting = await turn(ANN, "waiting", asked(now));
    const ordering = await turn(ANN, "ordering", { ...asked(now), approvedAt: now });
    // A chat a request runs on right now.
    const running = await threads.open(BOB, "running", "Buy 1 ABC laptop");
    clock.advance(60_000);

    const refused = await threads.open(BOB, "new", "hi").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(NewChatRefused);
    expect(refused).toMatchObject({
      status: 503,
      code: "too_many_chats",
      // The waiting purchase's request expires first, 240 s from now.
      retryAfterSeconds: 240,
      body: {
        error: "too_many_chats",
        error_description:
          "The agent's web app keeps 3 chats, its most, and each of them waits for a person's approval or is running: it starts no new chat until one has ended. Send this again in 240 s. Nothing was asked or ordered.",
      },
    });
    // Nothing was forgotten, and the refused chat left nothing behind.
    for (const kept of [waiting, ordering]) expect(await journal.get(kept)).toBeDefined();
    expect(threads.size).toBe(3);
    expect(keysOf(threads.threadIdOf(BOB, "new"))).toEqual([]);

    // Once the waiting request expired unanswered, that chat is no longer needed: it makes room.
    clock.advance(240_000);
    await turn(BOB, "new");
    expect(await journal.get(waiting)).toBeUndefined();
    expect(await journal.get(ordering)).toBeDefined();
    expect(await journal.get(running!.threadId)).toBeDefined();
    // The spent approval without a result is kept however long: its order may be out.
    clock.advance(365 * 24 * 60 * 60 * 1000);
    await running?.release();
    await turn(BOB, "later");
    expect(await journal.get(ordering)).toBeDefined();
  });
});

describe("one person's new chats", () => {
  it("are limited to a burst a minute, then one every 60/n s, without slowing anyone else or their open chats", async () => {
    const { clock, threads, turn, keysOf } = chats({ newChatsPerPersonPerMinute: 2 });
    await turn(ANN, "a1");
    await turn(ANN, "a2");
    const refused = await threads.open(ANN, "a3", "hi").catch((error: unknown) => error);
    expect(refused).toMatchObject({
      status: 429,
      code: "too_many_new_chats",
      retryAfterSeconds: 30,
      message:
        "You have started 2 new chats within a minute, the most one person may: send this again in 30 s. Nothing was asked or ordered.",
    });
    expect(keysOf(threads.threadIdOf(ANN, "a3"))).toEqual([]);
    // Someone else starts theirs, and Ann goes on in the chats she has.
    await turn(BOB, "b1");
    await turn(ANN, "a1");
    // One more fits every 30 s.
    clock.advance(30_000);
    await turn(ANN, "a3");
    await expect(threads.open(ANN, "a4", "hi")).rejects.toBeInstanceOf(NewChatRefused);
  });

  it("keep at most the person's bound: their own ended chats go first, and when all of theirs wait, 429", async () => {
    const { clock, journal, threads, turn } = chats({ chatsPerPerson: 2 });
    const start = clock.now();
    const bobs = await turn(BOB, "b1");
    const ended = await turn(ANN, "a1");
    const waiting = await turn(ANN, "a2", asked(start));
    await turn(ANN, "a3", asked(start, "call_2"));
    // Ann's ended chat made room, not Bob's older one.
    expect(await journal.get(ended)).toBeUndefined();
    expect(await journal.get(bobs)).toBeDefined();
    clock.advance(100_000);
    const refused = await threads.open(ANN, "a4", "hi").catch((error: unknown) => error);
    expect(refused).toMatchObject({
      status: 429,
      code: "too_many_waiting_chats",
      retryAfterSeconds: 200,
      message:
        "You have 2 chats whose purchase waits for your approval or that are still running, the most one person may keep: approve or deny one on your phone, or send this again once one has ended (in 200 s at the latest). Nothing was asked or ordered.",
    });
    await turn(BOB, "b2");
    // Decided, the purchase no longer holds its chat.
    const thread = await threads.open(ANN, "a2", "hi");
    await journal.putPurchase(waiting, decided(asked(start), clock.now()));
    await thread?.release();
    await turn(ANN, "a4");
    expect(await journal.get(waiting)).toBeUndefined();
  });
});

describe("the purchases one chat keeps", () => {
  /** Chat `chatId` of Ann's, holding `n` decided purchases (call_1 ... call_n). */
  const holding = async (chat: ReturnType<typeof chats>, chatId: string, n: number) => {
    const start = chat.clock.now();
    const records = Array.from({ length: n }, (_, i) =>
      decided(asked(start, `call_${String(i + 1)}`), start),
    );
    return chat.turn(ANN, chatId, ...records);
  };
  const execute = (thread: OpenThread, toolCallId: string, product = "XYZ phone") =>
    thread.tools.shop_online.execute?.({ product, qty: 2 }, { toolCallId, messages: [] });

  it("are 20 at most: past them a call is not tried, nothing journaled, asked or sent", async () => {
    const chat = chats();
    const authorizer = vi.fn(() => ({}));
    const fetch = vi.fn(() => Promise.reject(new Error("no network in this test")));
    const threads = new ChatThreads({
      config: loadConfig({ AGENT_MODE: "block" }),
      store: chat.store,
      journal: chat.journal,
      authorizer: { withAsyncAuthorization: authorizer } as never,
      fetch,
      clock: chat.clock,
    });
    const threadId = await holding(chat, "full", 20);
    const kept = await chat.journal.get(threadId);

    const thread = await threads.open(ANN, "full", "Buy 2 XYZ phones");
    if (thread === undefined) throw new Error("chat full is busy");
    expect(thread.full).toBe(true);
    expect(threads.purchasesPerChat).toBe(20);
    await expect(execute(thread, "call_21")).resolves.toEqual({
      outcome: "NO_PURCHASE",
      purchase: { product: "XYZ phone", qty: 2 },
      error: "chat_full",
      description:
        "this chat holds 20 purchases, the most one chat keeps, so nobody was asked to approve it and nothing was ordered. Start a new chat and ask for it there.",
    });
    // A purchase the chat holds is the tool's to answer, as before: its recorded result.
    await expect(execute(thread, "call_20")).resolves.toMatchObject({ outcome: "DENIED" });
    await thread.release();
    expect(await chat.journal.get(threadId)).toEqual(kept);
    expect([authorizer.mock.calls, fetch.mock.calls]).toEqual([[], []]);
  });

  it("cannot be passed by calls of one step together: one more is tried, the rest are not", async () => {
    const chat = chats({ purchasesPerChat: 3 });
    const threadId = await holding(chat, "almost", 2);
    const thread = await chat.threads.open(ANN, "almost", "Buy 2 XYZ phones");
    if (thread === undefined) throw new Error("chat almost is busy");
    expect(thread.full).toBe(false);

    const results = await Promise.all([
      execute(thread, "call_a", "USB-C cable"),
      execute(thread, "call_b"),
      execute(thread, "call_c"),
    ]);
    await thread.release();
    expect(results.map((result) => (result as { error?: string }).error)).toEqual([
      expect.not.stringMatching(/^chat_full$/),
      "chat_full",
      "chat_full",
    ]);
    const purchases = (await chat.journal.get(threadId))?.purchases ?? [];
    expect(purchases.map((record) => record.toolCallId)).toEqual(["call_1", "call_2", "call_a"]);
  });
});
