import { TokenBuckets, type Clock } from "@ciba-testbed/shared";

import { expiresAt } from "../approval-request.js";
import { threadKeepUntil } from "../retention.js";
import type { ThreadRecord } from "../thread-journal.js";

/** How many chats the web app keeps, and how fast one person may start new ones. */
export interface ChatLimits {
  /** Chats kept at most, everyone's. */
  chats: number;
  /** Chats one person keeps at most: no one fills the app alone. */
  chatsPerPerson: number;
  /** New chats one person may start a minute: as many at once, then one every 60/n s. */
  newChatsPerPersonPerMinute: number;
  /**
   * Purchases one chat keeps at most: a new message in a chat that holds as many is refused
   * (`chat_full`), and a call past it within a turn is not tried.
   */
  purchasesPerChat: number;
}

/**
 * A chat's journal entry costs about 3 KB with no purchase (with at most
 * MAX_KEPT_REQUEST_CHARACTERS of the person's message) and about 1.4 KB more for each purchase
 * it keeps (an ordered one, measured as the heap after GC; a denied one is smaller), so a chat
 * at `purchasesPerChat` holds about 30 KB, and 10,000 of them, as many as the login sessions
 * kept, about 300 MB. Each purchase is an approval on the person's phone: 20 is more than one
 * conversation asks for, and New chat goes on past it. A person uses one chat at a time, and the
 * page follows at most the few that wait for them.
 */
export const CHAT_LIMITS: ChatLimits = {
  chats: 10_000,
  chatsPerPerson: 100,
  newChatsPerPersonPerMinute: 10,
  purchasesPerChat: 20,
};

/** Why a new chat was not started: the app's JSON error, its status and Retry-After. */
export class NewChatRefused extends Error {
  constructor(
    readonly status: 429 | 503,
    readonly code: "too_many_new_chats" | "too_many_waiting_chats" | "too_many_chats",
    description: string,
    readonly retryAfterSeconds: number,
  ) {
    super(description);
    this.name = "NewChatRefused";
  }

  get body(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.message };
  }
}

interface KeptChat {
  sub: string;
  /** A chat request holds the chat (its lease). */
  running: boolean;
  /**
   * Until when the chat is kept whatever the bounds (epoch ms): while a purchase of it may wait
   * for the person or its order may be out (see `busyUntil`); while a request runs, until its
   * lease ends.
   */
  busyUntil: number;
  /** Until when it is kept though nothing needs it: `threadKeepUntil`, as Redis keeps threads. */
  keepUntil: number;
}

/** What may be done for a person's new chat: the chats to forget first, or the refusal. */
export type Admission = { forget: string[] } | { refusal: NewChatRefused };

/**
 * The chats the web app keeps in memory, by thread id: which one a request runs on, which ones
 * a person may still need, and which ones go when a new chat needs room. Before a person's new
 * chat is started, `admit` picks the chats to forget: those past their retention (seven days
 * after their last event, THREAD_RETENTION_MS, as the Redis store keeps threads), then, past
 * the person's bound, their own least recently used, and past the app's bound, anyone's least
 * recently used. A chat is never picked while a request runs on it, while a purchase of it waits
 * for the person, or while its approval was spent and its order has no result: forgetting it
 * would lose the approval (an answer given after orders nothing, and the page could only ask
 * again, a second push) or the only record that the order may have gone out. When only such
 * chats are left, the new chat is refused instead, with when to try again.
 *
 * A Map iterates in insertion order and every use moves its chat to the end, so the least
 * recently used chats come first, the app's in `chats` and each person's in `bySub`.
 */
export class KeptChats {
  private readonly chats = new Map<string, KeptChat>();
  private readonly bySub = new Map<string, Set<string>>();
  private readonly newChats: TokenBuckets;

  /**
   * `requestedExpiryMs`: how long an approval request the app sends may wait for the person
   * (AGENT_REQUESTED_EXPIRY), for a purchase whose request the journal has not learnt yet.
   */
  constructor(
    private readonly clock: Pick<Clock, "now">,
    private readonly limits: ChatLimits,
    private readonly requestedExpiryMs: number,
  ) {
    const n = limits.newChatsPerPersonPerMinute;
    this.newChats = new TokenBuckets({ burst: n, sustained: n, per: "minute" });
  }

  get size(): number {
    return this.chats.size;
  }

  isRunning(threadId: string): boolean {
    return this.chats.get(threadId)?.running ?? false;
  }

  /** A request took the chat, until `leaseEnd` at the latest; `released` says what is left. */
  opened(threadId: string, sub: string, leaseEnd: number): void {
    this.use(threadId, {
      sub,
      running: true,
      busyUntil: leaseEnd,
      keepUntil: Number.POSITIVE_INFINITY,
    });
  }

  /**
   * The request let the chat go; `thread` is its journal entry as the request left it, which
   * nothing changes until the next request takes the chat (only a holder of its lease writes
   * it). Undefined when it cannot be read: the chat is then never forgotten, since its purchase
   * records are what stop a second push or order (see chat-route's `thread_unreadable`).
   */
  released(threadId: string, thread: ThreadRecord | undefined): void {
    const chat = this.chats.get(threadId);
    if (chat === undefined) return;
    this.use(threadId, {
      sub: chat.sub,
      running: false,
      busyUntil:
        thread === undefined ? Number.POSITIVE_INFINITY : busyUntil(thread, this.requestedExpiryMs),
      keepUntil: thread === undefined ? Number.POSITIVE_INFINITY : threadKeepUntil(thread),
    });
  }

  forgot(threadId: string): void {
    const chat = this.chats.get(threadId);
    if (chat === undefined) return;
    this.chats.delete(threadId);
    const own = this.bySub.get(chat.sub);
    own?.delete(threadId);
    if (own?.size === 0) this.bySub.delete(chat.sub);
  }

  /**
   * Whether `sub` may start a new chat now, and the chats to forget first (see the class). The
   * new chat counts against the person's per-minute limit only when it is admitted.
   */
  admit(sub: string): Admission {
    const now = this.clock.now();
    const { limits } = this;
    const rate = this.newChats.peek(sub, now);
    if (!rate.ok) {
      const wait = rate.retryAfterSeconds;
      return refusal(
        429,
        "too_many_new_chats",
        `You have started ${String(limits.newChatsPerPersonPerMinute)} new chats within a minute, the most one person may: send this again in ${seconds(wait)}. Nothing was asked or ordered.`,
        wait,
      );
    }
    const idle = (chat: KeptChat) => !chat.running && chat.busyUntil <= now;
    const forget = new Set<string>();
    for (const [threadId, chat] of this.chats) {
      if (idle(chat) && chat.keepUntil <= now) forget.add(threadId);
    }
    // The person's own chats first: one person's new chats push out their own, not others'.
    const own = [...(this.bySub.get(sub) ?? [])];
    const ownLeft = this.makeRoom(own, forget, limits.chatsPerPerson, idle);
    if (ownLeft >= limits.chatsPerPerson) {
      const wait = this.soonestEnd(own, now);
      return refusal(
        429,
        "too_many_waiting_chats",
        `You have ${String(ownLeft)} chats whose purchase waits for your approval or that are still running, the most one person may keep: approve or deny one on your phone, or send this again once one has ended (in ${seconds(wait)} at the latest). Nothing was asked or ordered.`,
        wait,
      );
    }
    const all = [...this.chats.keys()];
    if (this.makeRoom(all, forget, limits.chats, idle) >= limits.chats) {
      const wait = this.soonestEnd(all, now);
      return refusal(
        503,
        "too_many_chats",
        `The agent's web app keeps ${String(limits.chats)} chats, its most, and each of them waits for a person's approval or is running: it starts no new chat until one has ended. Send this again in ${seconds(wait)}. Nothing was asked or ordered.`,
        wait,
      );
    }
    this.newChats.take(sub, now);
    return { forget: [...forget] };
  }

  /** Moves the chat to the end of both orders: the most recently used. */
  private use(threadId: string, chat: KeptChat): void {
    this.chats.delete(threadId);
    this.chats.set(threadId, chat);
    const own = this.bySub.get(chat.sub) ?? new Set<string>();
    own.delete(threadId);
    own.add(threadId);
    this.bySub.set(chat.sub, own);
  }

  /**
   * Adds to `forget` the least recently used idle chats of `threadIds` (oldest first) until
   * fewer than `most` of them are left; returns how many are left.
   */
  private makeRoom(
    threadIds: string[],
    forget: Set<string>,
    most: number,
    idle: (chat: KeptChat) => boolean,
  ): number {
    let left = threadIds.filter((threadId) => !forget.has(threadId)).length;
    for (const threadId of threadIds) {
      if (left < most) break;
      const chat = this.chats.get(threadId);
      if (chat === undefined || forget.has(threadId) || !idle(chat)) continue;
      forget.add(threadId);
      left -= 1;
    }
    return left;
  }

  /**
   * Seconds until the first of `threadIds` may be forgotten: its purchase's request expires,
   * or its request's lease ends. A minute when none of them can tell.
   */
  private soonestEnd(threadIds: string[], now: number): number {
    const ends = threadIds
      .map((threadId) => this.chats.get(threadId)?.busyUntil ?? Number.POSITIVE_INFINITY)
      .filter((end) => Number.isFinite(end));
    const soonest = ends.length === 0 ? now + 60_000 : Math.min(...ends);
    return Math.max(1, Math.ceil((soonest - now) / 1000));
  }
}

/**
 * Until when a person may still need the chat (epoch ms): while a purchase of it waits for
 * their answer, until its approval request expires (the tenant's `expires_in` for it; one whose
 * request the journal never learnt, as long as a request sent then may last); for ever once its
 * approval was spent with no result recorded, since its order may have gone out. A purchase with
 * a result (ordered, refused, denied, expired) needs nothing more.
 */
export function busyUntil(thread: ThreadRecord, requestedExpiryMs: number): number {
  let until = Number.NEGATIVE_INFINITY;
  for (const purchase of thread.purchases) {
    if (purchase.result !== undefined) continue;
    const end =
      purchase.approvedAt !== undefined
        ? Number.POSITIVE_INFINITY
        : purchase.request !== undefined
          ? expiresAt(purchase.request)
          : purchase.startedAt + requestedExpiryMs;
    until = Math.max(until, end);
  }
  return until;
}

function refusal(
  status: 429 | 503,
  code: NewChatRefused["code"],
  description: string,
  retryAfterSeconds: number,
): Admission {
  return { refusal: new NewChatRefused(status, code, description, retryAfterSeconds) };
}

function seconds(n: number): string {
  return `${String(n)} s`;
}
