import { EventEmitter } from "node:events";

import type { Clock } from "@ciba-testbed/shared";

import type { CibaSettings } from "../tenant/tenant-model.js";
import { BACKCHANNEL_STATUSES, OPEN_STATUSES } from "./backchannel-request.js";
import type {
  BackchannelRequest,
  BackchannelStatus,
  Decision,
  DecisionSource,
  TimelineEvent,
} from "./backchannel-request.js";
import { SequenceIndex } from "./sequence-index.js";
import { Timer, TimerQueue } from "./timer-queue.js";

export type NewBackchannelRequest = Pick<
  BackchannelRequest,
  | "authReqId"
  | "clientId"
  | "userId"
  | "scope"
  | "audience"
  | "bindingMessage"
  | "authorizationDetails"
  | "requestedExpiry"
  | "channel"
  | "userEmail"
  | "approverOutcome"
> & { expiresInSeconds: number };

export type DecideResult =
  | { ok: true; request: BackchannelRequest }
  | { ok: false; reason: "unknown" }
  | { ok: false; reason: "not_pending"; request: BackchannelRequest };

/** The answer to one poll of the token endpoint, decided in CIBA Core 1.0's order. */
export type PollResult =
  | { answer: "invalid_grant" }
  | { answer: "expired"; request: BackchannelRequest }
  | { answer: "slow_down"; request: BackchannelRequest; intervalMs: number }
  | { answer: "authorization_pending"; request: BackchannelRequest }
  | { answer: "access_denied"; request: BackchannelRequest }
  | { answer: "token"; request: BackchannelRequest };

export interface ListQuery {
  /** Only these statuses; all when undefined or empty. */
  statuses?: readonly BackchannelStatus[] | undefined;
  limit: number;
  /** A `nextCursor` from the previous page: requests created before that one. */
  cursor?: number | undefined;
}

export interface ListPage {
  /** Newest first. */
  requests: BackchannelRequest[];
  /** Where the next page starts; undefined on the last page. */
  nextCursor: number | undefined;
  /** How many requests match the statuses, on every page. */
  total: number;
}

/** Timers handled by one `advance` call, so that a backlog never blocks the event loop long. */
export const ADVANCE_BUDGET = 1_000;
/** Poll events kept per request; the count in `polls` stays exact. */
const MAX_TIMELINE_EVENTS = 200;
/**
 * A poll may arrive this much earlier than the interval and still count as on time: timers
 * and the network make gaps a little uneven.
 */
const POLL_TOLERANCE = 0.1;
/** Open requests past their expiry that a creation settles before it judges the store full. */
const MAX_EXPIRIES_PER_CREATE = 16;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type StoredRequest = Mutable<Omit<BackchannelRequest, "timeline">> & { timeline: TimelineEvent[] };

class Entry {
  /** The request's next timed transition: a scheduled decision, its expiry or its purge. */
  readonly next = new Timer<Entry>(this);
  /** Queued while the request is open, at its expiry: when a slot frees at the latest. */
  readonly expiry = new Timer<Entry>(this);
  /**
   * Queued while the request is denied or expired and its client has not been told so, at its
   * purge: when it leaves a full store at the latest.
   */
  readonly unheardPurge = new Timer<Entry>(this);
  /** Whether its client has had its final answer: the tokens, `access_denied` or the expiry. */
  heard = false;
  /** The pacing clock's reading at the last poll (see `PacingClock`). */
  lastPollPace: number | undefined;

  constructor(
    readonly request: StoredRequest,
    /** Creation order: the key of the status indexes and of list cursors. */
    readonly seq: number,
  ) {}
}

export type CreateResult =
  | { ok: true; request: BackchannelRequest }
  | {
      ok: false;
      retryAfterSeconds: number;
      /** The requests open now, and the setting that capped them. */
      open: number;
      limit: "maxOpenRequests" | "maxStoredRequests";
    };

interface StoreEvents {
  /** The request's status or decision changed, or it was created. */
  change: [request: BackchannelRequest];
  /** The client polled the request (`lastPollAt` moved); not emitted for `invalid_grant`. */
  poll: [request: BackchannelRequest];
}

const isOpen = (status: BackchannelStatus) => OPEN_STATUSES.includes(status);

/**
 * What the pacing check (`slow_down`) measures the gap between two polls with: a monotonic
 * clock in milliseconds with a fraction (`performance.now()`), so that wall-clock steps do not
 * count and two polls within one millisecond are told apart by how far apart they really are.
 */
export interface PacingClock {
  now(): number;
}

/** The process's monotonic clock, in milliseconds with microseconds as the fraction. */
export const monotonicPacingClock: PacingClock = { now: () => performance.now() };

/**
 * Every backchannel authentication request the tenant knows, and the only place their state
 * changes. Reads (`get`, `list`, `count`) never write. Transitions take the time (`now`, by
 * default the store's clock): `create`, `poll` and `decide` act for a caller, and
 * `advance(now)` applies the scheduled decisions, expiries and purges that fell due, a bounded
 * number per call, driven by a timer (`keepStoreCurrent`).
 *
 * Every operation is O(log n) or better: a map by id, a skip list per status in creation order
 * (pages newest first), one timer heap for the next transition of each request and one for the
 * expiry of open requests. Open requests are capped (`maxOpenRequests`), the whole store too
 * (`maxStoredRequests`), so memory stays bounded. Past `maxStoredRequests` only a request whose
 * client has had its final answer (its tokens, `access_denied` or the expiry) makes room, the
 * oldest first: one denied or expired that its client has not polled since is kept as an
 * uncollected approval is, and when none can go a new request is refused.
 */
export class BackchannelStore extends EventEmitter<StoreEvents> {
  private readonly entries = new Map<string, Entry>();
  private readonly byStatus = new Map<BackchannelStatus, SequenceIndex<Entry>>(
    BACKCHANNEL_STATUSES.map((status) => [status, new SequenceIndex<Entry>()]),
  );
  private readonly timers = new TimerQueue<Entry>();
  private readonly openExpiries = new TimerQueue<Entry>();
  /** Requests whose client has had its final answer, in creation order: they may make room. */
  private readonly heard = new SequenceIndex<Entry>();
  /** The purges of denied and expired requests whose clients have not been told. */
  private readonly unheardPurges = new TimerQueue<Entry>();
  private nextSeq = 1;

  /**
   * `clock` gives `now` to a transition called without one. `pacingClock` times the gap
   * between polls for `slow_down`; without one, the `now` each poll is given does (a manual
   * clock in tests, so they decide the gaps).
   */
  constructor(
    private readonly settings: CibaSettings,
    private readonly clock: Clock,
    private readonly pacingClock?: PacingClock,
  ) {
    super();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Requests in these statuses (all when none are given). O(1). */
  count(statuses: readonly BackchannelStatus[] = BACKCHANNEL_STATUSES): number {
    let total = 0;
    for (const status of new Set(statuses)) total += this.index(status).size;
    return total;
  }

  get(authReqId: string): BackchannelRequest | undefined {
    return this.entries.get(authReqId)?.request;
  }

  /** One page of requests, newest first. O(log n + limit) per status asked for. */
  list(query: ListQuery): ListPage {
    const statuses = query.statuses?.length ? [...new Set(query.statuses)] : BACKCHANNEL_STATUSES;
    // The newest `limit + 1` of each status hold the page and tell whether another follows.
    const candidates: Entry[] = [];
    for (const status of statuses) {
      let taken = 0;
      for (const { value } of this.index(status).descending(query.cursor)) {
        candidates.push(value);
        taken += 1;
        if (taken > query.limit) break;
      }
    }
    candidates.sort((a, b) => b.seq - a.seq);
    const page = candidates.slice(0, query.limit);
    return {
      requests: page.map((entry) => entry.request),
      nextCursor: candidates.length > query.limit ? page[page.length - 1]?.seq : undefined,
      total: this.count(statuses),
    };
  }

  /** Which limit keeps a new request out now, as of the last transition; none when it fits. */
  private fullAt(): "maxOpenRequests" | "maxStoredRequests" | undefined {
    if (this.count(OPEN_STATUSES) >= this.settings.maxOpenRequests) return "maxOpenRequests";
    if (this.size >= this.settings.maxStoredRequests && this.heard.size === 0) {
      return "maxStoredRequests";
    }
    return undefined;
  }

  /**
   * 0 when a new request fits, as of the last transition; otherwise the seconds until the
   * tenant makes room by itself, for `Retry-After`. Full means `maxOpenRequests` open (room
   * comes when the soonest open request expires), or `maxStoredRequests` stored with none whose
   * client has had its final answer (room comes when the soonest denied or expired request is
   * purged, one that expires included; sooner if a client polls one).
   */
  retryAfterSeconds(now: number): number {
    const full = this.fullAt();
    if (full === undefined) return 0;
    const openExpiry = this.openExpiries.peek()?.dueAt;
    const soonest =
      full === "maxOpenRequests"
        ? (openExpiry ?? now)
        : Math.min(
            this.unheardPurges.peek()?.dueAt ?? Number.POSITIVE_INFINITY,
            openExpiry === undefined
              ? Number.POSITIVE_INFINITY
              : openExpiry + this.settings.retentionSeconds * 1000,
          );
    return Math.max(1, Math.ceil(((Number.isFinite(soonest) ? soonest : now) - now) / 1000));
  }

  /** A new pending request, or how long to wait when the tenant holds too many already. */
  create(input: NewBackchannelRequest, now = this.clock.now()): CreateResult {
    // Expiries that fell due since the last `advance` free their slots first.
    this.settleDueExpiries(now, MAX_EXPIRIES_PER_CREATE);
    const limit = this.fullAt();
    if (limit !== undefined) {
      const retryAfterSeconds = this.retryAfterSeconds(now);
      return { ok: false, retryAfterSeconds, open: this.count(OPEN_STATUSES), limit };
    }
    if (this.entries.has(input.authReqId)) {
      throw new Error("BackchannelStore: auth_req_id already in use");
    }
    const { expiresInSeconds, approverOutcome } = input;
    const announcedExpiry = now + expiresInSeconds * 1000;
    // Field by field, not `{ ...rest }` of a rest-destructured input: V8 builds that one as a
    // dictionary and grows it at each property added after the spread, about 7 KB of garbage
    // per request (and a slower stored request) against 0.4 KB.
    const request: StoredRequest = {
      authReqId: input.authReqId,
      clientId: input.clientId,
      userId: input.userId,
      scope: input.scope,
      audience: input.audience,
      bindingMessage: input.bindingMessage,
      authorizationDetails: input.authorizationDetails,
      requestedExpiry: input.requestedExpiry,
      channel: input.channel,
      userEmail: input.userEmail,
      approverOutcome,
      createdAt: now,
      expiresAt:
        approverOutcome.action === "expire"
          ? Math.min(announcedExpiry, now + approverOutcome.afterMs)
          : announcedExpiry,
      intervalMs: (this.settings.enforcedIntervalSeconds ?? this.settings.intervalSeconds) * 1000,
      lastPollAt: undefined,
      polls: 0,
      status: "pending",
      scheduledDecision:
        approverOutcome.action === "approve" || approverOutcome.action === "deny"
          ? { decision: approverOutcome.action, at: now + approverOutcome.afterMs }
          : undefined,
      decision: undefined,
      consumedAt: undefined,
      timeline: [{ at: now, type: "created" }],
    };
    const entry = new Entry(request, this.nextSeq++);
    this.entries.set(request.authReqId, entry);
    this.index("pending").insert(entry.seq, entry);
    this.openExpiries.set(entry.expiry, request.expiresAt);
    this.emit("change", request);
    this.settle(entry, now);
    // Each creation adds one request and evicts up to two, so the store converges to its cap.
    this.evictOverflow(2);
    return { ok: true, request };
  }

  /**
   * One poll of the token endpoint, as one transition. CIBA Core 1.0 sections 10-11, in the
   * spec's order: unknown (or another client's, or used) id -> expired -> polled too fast ->
   * pending -> denied -> issue once and consume.
   */
  poll(authReqId: string, clientId: string, now = this.clock.now()): PollResult {
    const result = this.answerPoll(authReqId, clientId, now);
    if (result.answer !== "invalid_grant") this.emit("poll", result.request);
    return result;
  }

  private answerPoll(authReqId: string, clientId: string, now: number): PollResult {
    const entry = this.entries.get(authReqId);
    // A foreign id is answered exactly like an unknown one, so ids cannot be probed.
    if (entry?.request.clientId !== clientId || entry.request.status === "consumed") {
      return { answer: "invalid_grant" };
    }
    this.settle(entry, now);
    const { request } = entry;
    if (!this.entries.has(authReqId)) return { answer: "invalid_grant" };

    if (request.status === "expired" || now >= request.expiresAt) {
      this.recordPoll(request, now, this.settings.expiredError);
      this.markHeard(entry);
      return { answer: "expired", request };
    }
    const pace = this.pacingClock?.now() ?? now;
    const lastPace = entry.lastPollPace;
    entry.lastPollPace = pace;
    if (lastPace !== undefined && pace - lastPace < request.intervalMs * (1 - POLL_TOLERANCE)) {
      // CIBA Core 1.0 section 11: slow_down raises the interval for this and every later poll.
      request.intervalMs += this.settings.slowDownIncrementSeconds * 1000;
      this.recordPoll(request, now, "slow_down");
      return { answer: "slow_down", request, intervalMs: request.intervalMs };
    }
    if (request.status === "pending") {
      this.recordPoll(request, now, "authorization_pending");
      return { answer: "authorization_pending", request };
    }
    if (request.status === "denied") {
      this.recordPoll(request, now, "access_denied");
      this.markHeard(entry);
      return { answer: "access_denied", request };
    }
    this.recordPoll(request, now, "token");
    request.consumedAt = now;
    this.addEvent(request, { at: now, type: "token_issued" });
    this.setStatus(entry, "consumed");
    this.markHeard(entry);
    this.reschedule(entry);
    this.emit("change", request);
    return { answer: "token", request };
  }

  /** Approve or deny a pending request; anything already decided or expired is left alone. */
  decide(
    authReqId: string,
    decision: Decision,
    by: DecisionSource,
    now = this.clock.now(),
  ): DecideResult {
    return this.changePending(authReqId, now, (entry) => {
      this.applyDecision(entry, decision, now, by);
      this.reschedule(entry);
    });
  }

  /**
   * Ends a pending request now, as if its expiry had come: what a person who never answers
   * leads to, without waiting for `expires_in` (the control API's `expire`). Later polls get
   * the tenant's expiry answer; anything already decided or expired is left alone.
   */
  expire(authReqId: string, now = this.clock.now()): DecideResult {
    return this.changePending(authReqId, now, (entry) => {
      entry.request.expiresAt = now;
      this.settle(entry, now);
    });
  }

  /** Applies `change` to a request still pending once its expiry is settled, or says why not. */
  private changePending(
    authReqId: string,
    now: number,
    change: (entry: Entry) => void,
  ): DecideResult {
    const entry = this.entries.get(authReqId);
    if (!entry) return { ok: false, reason: "unknown" };
    this.settle(entry, now);
    if (!this.entries.has(authReqId)) return { ok: false, reason: "unknown" };
    if (entry.request.status !== "pending") {
      return { ok: false, reason: "not_pending", request: entry.request };
    }
    change(entry);
    return { ok: true, request: entry.request };
  }

  /**
   * Applies what fell due by `now`: scheduled decisions, expiries, purges after the retention
   * window. At most `budget` requests per call; `backlog` says whether more are due.
   */
  advance(
    now = this.clock.now(),
    budget = ADVANCE_BUDGET,
  ): { processed: number; backlog: boolean } {
    let processed = 0;
    for (let due = this.timers.peek(); due !== undefined && due.dueAt <= now;) {
      if (processed >= budget) return { processed, backlog: true };
      this.settle(due.item, now);
      processed += 1;
      due = this.timers.peek();
    }
    return { processed, backlog: false };
  }

  private settleDueExpiries(now: number, limit: number): void {
    for (let i = 0; i < limit; i++) {
      const due = this.openExpiries.peek();
      if (due === undefined || due.dueAt > now) return;
      this.settle(due.item, now);
    }
  }

  /** Brings one request up to `now`; afterwards its next timer is later than `now`, or it is gone. */
  private settle(entry: Entry, now: number): void {
    const { request } = entry;
    const scheduled = request.scheduledDecision;
    if (
      request.status === "pending" &&
      scheduled !== undefined &&
      scheduled.at <= now &&
      scheduled.at < request.expiresAt
    ) {
      this.applyDecision(entry, scheduled.decision, scheduled.at, "rule");
    }
    if (isOpen(request.status) && now >= request.expiresAt) {
      request.scheduledDecision = undefined;
      this.addEvent(request, { at: request.expiresAt, type: "expired" });
      this.setStatus(entry, "expired");
      this.emit("change", request);
    }
    const purgeAt = this.purgeAt(request);
    if (purgeAt !== undefined && now >= purgeAt) {
      this.remove(entry);
      return;
    }
    this.reschedule(entry);
  }

  private applyDecision(entry: Entry, decision: Decision, at: number, by: DecisionSource): void {
    const { request } = entry;
    request.decision = { decision, at, by };
    request.scheduledDecision = undefined;
    this.addEvent(request, { at, type: decision === "approve" ? "approved" : "denied", by });
    this.setStatus(entry, decision === "approve" ? "approved" : "denied");
    this.emit("change", request);
  }

  private recordPoll(request: StoredRequest, now: number, answer: string): void {
    request.polls += 1;
    request.lastPollAt = now;
    this.addEvent(request, { at: now, type: "poll", answer });
  }

  private addEvent(request: StoredRequest, event: TimelineEvent): void {
    // Bounded by MAX_TIMELINE_EVENTS, so this scan is O(1) in the size of the store.
    if (request.timeline.length >= MAX_TIMELINE_EVENTS) {
      const firstPoll = request.timeline.findIndex((e) => e.type === "poll");
      request.timeline.splice(firstPoll === -1 ? 1 : firstPoll, 1);
    }
    request.timeline.push(event);
  }

  /** Finished requests stay readable for the retention window; denied ones until expiry too. */
  private purgeAt(request: StoredRequest): number | undefined {
    const retentionMs = this.settings.retentionSeconds * 1000;
    if (request.status === "consumed")
      return (request.consumedAt ?? request.createdAt) + retentionMs;
    if (request.status === "expired" || request.status === "denied") {
      return request.expiresAt + retentionMs;
    }
    return undefined;
  }

  private nextDue(request: StoredRequest): number {
    const scheduled = request.scheduledDecision;
    if (request.status === "pending" && scheduled && scheduled.at < request.expiresAt) {
      return scheduled.at;
    }
    return this.purgeAt(request) ?? request.expiresAt;
  }

  private reschedule(entry: Entry): void {
    this.timers.set(entry.next, this.nextDue(entry.request));
  }

  private setStatus(entry: Entry, status: BackchannelStatus): void {
    const { request } = entry;
    if (request.status === status) return;
    this.index(request.status).delete(entry.seq);
    this.index(status).insert(entry.seq, entry);
    request.status = status;
    if (!isOpen(status)) this.openExpiries.delete(entry.expiry);
    const purgeAt = this.purgeAt(request);
    if (!entry.heard && purgeAt !== undefined) this.unheardPurges.set(entry.unheardPurge, purgeAt);
  }

  /** The client has had the request's final answer: the request may now make room. */
  private markHeard(entry: Entry): void {
    if (entry.heard) return;
    entry.heard = true;
    this.heard.insert(entry.seq, entry);
    this.unheardPurges.delete(entry.unheardPurge);
  }

  private remove(entry: Entry): void {
    this.entries.delete(entry.request.authReqId);
    this.index(entry.request.status).delete(entry.seq);
    this.timers.delete(entry.next);
    this.openExpiries.delete(entry.expiry);
    this.unheardPurges.delete(entry.unheardPurge);
    if (entry.heard) this.heard.delete(entry.seq);
  }

  /**
   * Past `maxStoredRequests`, the oldest requests whose clients have had their final answer go
   * first: at most `limit` of them, and none other.
   */
  private evictOverflow(limit: number): void {
    for (let i = 0; i < limit && this.size > this.settings.maxStoredRequests; i++) {
      const oldest = this.heard.first();
      if (!oldest) return;
      this.remove(oldest);
    }
  }

  private index(status: BackchannelStatus): SequenceIndex<Entry> {
    const index = this.byStatus.get(status);
    if (!index) throw new Error(`BackchannelStore: unknown status ${status}`);
    return index;
  }
}
