import type { BootReading } from "./boot-clock.js";
import { INTERRUPT, type RequestInterrupt } from "./sdk-interrupt.js";

/** CIBA Core 1.0, section 7.3: a missing `interval` means 5 seconds. */
export const DEFAULT_INTERVAL_S = 5;
/** CIBA Core 1.0, section 11: `slow_down` adds at least 5 seconds to every later poll. */
export const SLOW_DOWN_STEP_S = 5;

/**
 * An approval request Auth0 accepted, as the journal keeps it. `sentAt` (epoch ms, the agent's
 * clock) is taken before the request is sent, so expiry errs early; the rest is Auth0's answer.
 */
export interface ApprovalRequest {
  id: string;
  /** Seconds from `sentAt`. */
  expiresIn: number;
  /** Seconds between polls, lengthened by every `slow_down`. */
  interval: number;
  sentAt: number;
  /**
   * The boot clock's reading when the request was sent (taken before it was, as `sentAt` is):
   * a process that resumes the request on the same boot measures the time since the send on
   * the sender's own monotonic clock. Absent where the boot has no name (not Linux), and in
   * journals written before it was kept.
   */
  sentOn?: BootReading;
  /**
   * When the last poll was sent (epoch ms, the agent's clock; journaled before it is sent), so
   * that a later process resuming the thread waits an interval from it too.
   */
  polledAt?: number;
  /**
   * When the answer to the poll sent at `polledAt` arrived, journaled when it was "no decision
   * yet" (pending, slow_down), or `polledAt` itself when that poll never reached the tenant (a
   * refused connection): either way it took no token. Earlier than `polledAt`, or absent, once
   * a later poll was sent.
   */
  answeredAt?: number;
  /**
   * When the first poll was sent whose answer never came back or was never journaled (it
   * failed on its way, or its process stopped), since the last "no decision yet". Auth0 issues
   * the token once, to the first poll after the approval: such a poll may have taken it.
   */
  unansweredSince?: number;
  /**
   * When the first poll was sent, since the last "no decision yet", that failed without an
   * answer (a refused connection, a reset, a 5xx): journaled once it failed.
   */
  failedSince?: number;
  /**
   * What the last of those failed polls met (`PollFailure`'s code and description): a resume
   * that finds the request expired while the polls failed says so, as the process that polled
   * through to the expiry would have.
   */
  lastFailure?: { code: string; description: string };
}

/** The instant (epoch ms) the request expires. */
export function expiresAt(request: ApprovalRequest): number {
  return request.sentAt + request.expiresIn * 1000;
}

export function isExpired(request: ApprovalRequest, now: number): boolean {
  return now >= expiresAt(request);
}

/**
 * How much sooner than the agent reckons Auth0 may end a request: Auth0 counts `expires_in`
 * in whole seconds from when it created the request. (`sentAt` is taken before sending, so
 * otherwise the agent's reckoning ends first.)
 */
export const EXPIRY_MARGIN_MS = 1000;

/**
 * How long the last poll that can tell a denial from the expiry leaves for its answer to come
 * back before the margin: an answer any later may be either.
 */
export const ANSWER_TIME_MS = 500;

/**
 * How long before the expiry a wait sends the last poll whose `access_denied` it can still tell
 * from Auth0's expiry: the margin, and the time its answer takes.
 */
export const LAST_CLEAR_POLL_LEAD_MS = EXPIRY_MARGIN_MS + ANSWER_TIME_MS;

/**
 * Where an answer falls against the request's expiry, `end` (`polledAt` when its poll was sent,
 * `answeredAt` when it arrived; all three on one clock). Auth0 answers an expired request with
 * the `access_denied` of a denial, so the two are told apart by time alone: `"after"` when the
 * poll was sent at or after the expiry (the request was over); `"before"` when the answer
 * arrived more than the margin before it (the request was open); `"near"` in between, where
 * Auth0 may or may not have ended the request when it answered.
 */
export function answerTiming(
  polledAt: number,
  answeredAt: number,
  end: number,
): "before" | "near" | "after" {
  if (polledAt >= end) return "after";
  return answeredAt < end - EXPIRY_MARGIN_MS ? "before" : "near";
}

/**
 * When a wait polls next, or undefined when no poll the interval allows can reach the request
 * open any more: `earliest` is the first instant the interval (and any Retry-After) allows,
 * `end` the expiry, on one clock. A poll goes as the interval allows, except that the last one
 * whose `access_denied` can still be told from the expiry waits until just before the margin
 * (`LAST_CLEAR_POLL_LEAD_MS` before the expiry) when the interval would leave it earlier: an
 * answer given in the request's last interval is then collected or told apart. A poll the
 * interval allows after that one, before the expiry, still goes: it collects an approval.
 */
export function nextPollAt(earliest: number, intervalMs: number, end: number): number | undefined {
  const lastClear = end - LAST_CLEAR_POLL_LEAD_MS;
  if (earliest <= lastClear && earliest + intervalMs > lastClear) return lastClear;
  return earliest < end ? earliest : undefined;
}

/**
 * When a process resuming the thread may poll first: an interval after the last poll an
 * earlier process made (CIBA Core 1.0, section 7.3: the client waits at least `interval`
 * between polls, whichever process sends them; sooner earns a `slow_down`, which lengthens
 * every later wait). At once when no poll was journaled.
 */
export function firstPollAt(request: ApprovalRequest): number {
  return request.polledAt === undefined ? 0 : request.polledAt + request.interval * 1000;
}

/**
 * The request as journaled right before a poll leaves at `at`. When the poll before it has no
 * journaled answer, that poll is the earliest unanswered one (unless an earlier one already is).
 */
export function withPollSent(request: ApprovalRequest, at: number): ApprovalRequest {
  const { polledAt, answeredAt } = request;
  const lost = polledAt !== undefined && (answeredAt === undefined || answeredAt < polledAt);
  const since = request.unansweredSince ?? (lost ? polledAt : undefined);
  return { ...request, polledAt: at, ...(since === undefined ? {} : { unansweredSince: since }) };
}

/**
 * Whether a poll of the request may have been answered with the token by the tenant without
 * the journal learning of it. False when every poll sent before the last one was answered "no
 * decision yet": the tenant had then issued no token for the request, to anyone.
 */
export function mayHaveBeenIssued(request: ApprovalRequest): boolean {
  return request.unansweredSince !== undefined;
}

/**
 * The request an SDK interrupt names, merged with what the journal already knew of the same
 * request (its send time and boot clock reading, interval and last poll win over the SDK's
 * copy). A `slow_down` lengthens the interval for this and every later poll: to Auth0's
 * Retry-After, else by CIBA's 5 s.
 */
export function requestFromInterrupt(
  interrupt: RequestInterrupt,
  known: ApprovalRequest | undefined,
  startedAt: number,
  poll: {
    /** When the poll this interrupt answers was sent, if the journal does not know it yet. */
    polledAt?: number;
    /** When its "no decision yet" arrived: every poll sent so far has its answer. */
    answeredAt?: number;
    /** The boot clock's reading when the request was sent, if the journal does not know it yet. */
    sentOn?: BootReading | undefined;
  } = {},
): ApprovalRequest {
  const same = known?.id === interrupt.request.id ? known : undefined;
  const interval = same?.interval ?? interrupt.request.interval ?? DEFAULT_INTERVAL_S;
  const lastPoll = poll.polledAt ?? same?.polledAt;
  const answeredAt = poll.answeredAt ?? same?.answeredAt;
  const unansweredSince = poll.answeredAt === undefined ? same?.unansweredSince : undefined;
  const failedSince = poll.answeredAt === undefined ? same?.failedSince : undefined;
  const lastFailure = poll.answeredAt === undefined ? same?.lastFailure : undefined;
  const sentOn = same?.sentOn ?? poll.sentOn;
  return {
    id: interrupt.request.id,
    expiresIn: interrupt.request.expiresIn,
    interval:
      interrupt.code === INTERRUPT.slowDown ? slowedDown(interval, interrupt.retryAfter) : interval,
    sentAt: same?.sentAt ?? startedAt,
    ...(sentOn === undefined ? {} : { sentOn }),
    ...(lastPoll === undefined ? {} : { polledAt: lastPoll }),
    ...(answeredAt === undefined ? {} : { answeredAt }),
    ...(unansweredSince === undefined ? {} : { unansweredSince }),
    ...(failedSince === undefined ? {} : { failedSince }),
    ...(lastFailure === undefined ? {} : { lastFailure }),
  };
}

function slowedDown(interval: number, retryAfter = 0): number {
  return retryAfter > 0 ? Math.max(interval, retryAfter) : interval + SLOW_DOWN_STEP_S;
}
