import { describe, expect, it } from "vitest";

import {
  answerTiming,
  firstPollAt,
  EXPIRY_MARGIN_MS,
  expiresAt,
  LAST_CLEAR_POLL_LEAD_MS,
  isExpired,
  mayHaveBeenIssued,
  nextPollAt,
  requestFromInterrupt,
  withPollSent,
} from "./approval-request.js";
import { INTERRUPT, type RequestInterrupt } from "./sdk-interrupt.js";

const request = { id: "req-1", expiresIn: 60, interval: 5, sentAt: 1_000 };

const interrupt = (
  code: string,
  sdkRequest: RequestInterrupt["request"] = { id: "req-1", expiresIn: 60 },
  retryAfter?: number,
): RequestInterrupt => ({
  code,
  request: sdkRequest,
  ...(retryAfter === undefined ? {} : { retryAfter }),
});

describe("an approval request", () => {
  it("expires expiresIn seconds after it was sent, at that instant", () => {
    expect(expiresAt(request)).toBe(61_000);
    expect(isExpired(request, 60_999)).toBe(false);
    expect(isExpired(request, 61_000)).toBe(true);
  });

  it("tells an answer from Auth0's expiry by time, and says when it cannot", () => {
    expect(EXPIRY_MARGIN_MS).toBe(1000);
    // Arrived more than the margin before the expiry: the request was open.
    expect(answerTiming(58_000, 59_999, 61_000)).toBe("before");
    // Sent before the expiry, arrived within the margin or after it: either.
    expect(answerTiming(58_000, 60_000, 61_000)).toBe("near");
    expect(answerTiming(60_900, 61_500, 61_000)).toBe("near");
    // Sent at or after the expiry: the request was over.
    expect(answerTiming(61_000, 61_050, 61_000)).toBe("after");
    expect(answerTiming(3_600_000, 3_600_000, 61_000)).toBe("after");
  });

  it("is polled as the interval allows, the last clear poll just before the margin", () => {
    expect(LAST_CLEAR_POLL_LEAD_MS).toBe(1500);
    // Expiry 12 s, interval 5 s: polls at 0, 5 and 10.5 s, then none.
    expect(nextPollAt(5_000, 5_000, 12_000)).toBe(5_000);
    expect(nextPollAt(10_000, 5_000, 12_000)).toBe(10_500);
    expect(nextPollAt(15_500, 5_000, 12_000)).toBeUndefined();
    // Expiry 6 s, interval 5 s: the interval leaves no clear poll, one before the expiry still goes.
    expect(nextPollAt(5_000, 5_000, 6_000)).toBe(5_000);
    expect(nextPollAt(10_000, 5_000, 6_000)).toBeUndefined();
    // Expiry 3 s, interval 5 s: none after the first.
    expect(nextPollAt(5_000, 5_000, 3_000)).toBeUndefined();
    // Expiry 12 s, interval 1 s: 10.5 s, then 11.5 s, an interval later and before the expiry.
    expect(nextPollAt(10_000, 1_000, 12_000)).toBe(10_500);
    expect(nextPollAt(11_500, 1_000, 12_000)).toBe(11_500);
    expect(nextPollAt(12_500, 1_000, 12_000)).toBeUndefined();
  });

  it("is polled first by a resuming process an interval after the last poll, or at once", () => {
    expect(firstPollAt(request)).toBe(0);
    expect(firstPollAt({ ...request, polledAt: 10_000 })).toBe(15_000);
    // Never sooner, the expiry notwithstanding: the tenant would answer slow_down.
    expect(firstPollAt({ ...request, polledAt: 58_000 })).toBe(63_000);
  });
});

describe("requestFromInterrupt", () => {
  it("takes the SDK's request, sent when the purchase started, 5 s apart by default", () => {
    expect(requestFromInterrupt(interrupt(INTERRUPT.pending), undefined, 500)).toEqual({
      id: "req-1",
      expiresIn: 60,
      interval: 5,
      sentAt: 500,
    });
    const withInterval = interrupt(INTERRUPT.pending, { id: "req-1", expiresIn: 60, interval: 2 });
    expect(requestFromInterrupt(withInterval, undefined, 500).interval).toBe(2);
  });

  it("records when the poll was sent, or keeps when the journal says it was", () => {
    expect(
      requestFromInterrupt(interrupt(INTERRUPT.pending), request, 500, { polledAt: 9_000 }),
    ).toEqual({
      ...request,
      polledAt: 9_000,
    });
    const journaled = { ...request, polledAt: 8_000 };
    expect(requestFromInterrupt(interrupt(INTERRUPT.pending), journaled, 500)).toEqual(journaled);
  });

  it("keeps what the journal knew of the same request, and only of the same request", () => {
    const known = { ...request, interval: 12 };
    expect(requestFromInterrupt(interrupt(INTERRUPT.pending), known, 500)).toEqual(known);
    const other = interrupt(INTERRUPT.pending, { id: "req-2", expiresIn: 60, interval: 1 });
    expect(requestFromInterrupt(other, known, 500)).toMatchObject({ interval: 1, sentAt: 500 });
  });

  it("records the boot clock's reading at the send once, and keeps the journal's", () => {
    const sentOn = { bootId: "boot-1", monotonicMs: 5_000, suspendedMs: 0 };
    const sent = requestFromInterrupt(interrupt(INTERRUPT.pending), undefined, 500, { sentOn });
    expect(sent).toEqual({ id: "req-1", expiresIn: 60, interval: 5, sentAt: 500, sentOn });
    expect(requestFromInterrupt(interrupt(INTERRUPT.slowDown), sent, 900)).toMatchObject({
      sentOn,
    });
    // A request journaled before the reading was kept stays without one.
    expect(requestFromInterrupt(interrupt(INTERRUPT.pending), request, 500)).not.toHaveProperty(
      "sentOn",
    );
  });

  it("slows down to Retry-After, or by CIBA's 5 s without it, and never speeds up", () => {
    const slowDown = (retryAfter?: number) =>
      requestFromInterrupt(interrupt(INTERRUPT.slowDown, undefined, retryAfter), request, 0)
        .interval;
    expect(slowDown(7)).toBe(7);
    expect(slowDown()).toBe(10);
    expect(slowDown(0)).toBe(10);
    expect(slowDown(2)).toBe(5);
  });
});

describe("which polls were answered", () => {
  it("counts a poll as unanswered once the next one leaves without its answer journaled", () => {
    const answered = { ...request, polledAt: 5_000, answeredAt: 5_000 };
    expect(withPollSent(answered, 10_000)).toEqual({ ...answered, polledAt: 10_000 });
    expect(mayHaveBeenIssued(withPollSent(answered, 10_000))).toBe(false);

    const lost = { ...request, polledAt: 5_000 };
    expect(withPollSent(lost, 10_000)).toEqual({
      ...request,
      polledAt: 10_000,
      unansweredSince: 5_000,
    });
    const stale = { ...request, polledAt: 5_000, answeredAt: 4_000 };
    expect(mayHaveBeenIssued(withPollSent(stale, 10_000))).toBe(true);
  });

  it("keeps the earliest unanswered poll until an answer of no decision arrives", () => {
    const twice = withPollSent(withPollSent({ ...request, polledAt: 5_000 }, 10_000), 15_000);
    expect(twice).toMatchObject({ polledAt: 15_000, unansweredSince: 5_000 });

    const pending = requestFromInterrupt(interrupt(INTERRUPT.pending), twice, 0, {
      answeredAt: 15_200,
    });
    expect(pending).toEqual({ ...request, polledAt: 15_000, answeredAt: 15_200 });
    const failed = { ...twice, failedSince: 10_000 };
    expect(
      requestFromInterrupt(interrupt(INTERRUPT.pending), failed, 0, { answeredAt: 15_200 }),
    ).not.toHaveProperty("failedSince");
    expect(requestFromInterrupt(interrupt(INTERRUPT.pending), failed, 0)).toMatchObject({
      failedSince: 10_000,
      unansweredSince: 5_000,
    });
    expect(mayHaveBeenIssued(pending)).toBe(false);
  });

  it("has no unanswered poll before the first", () => {
    expect(mayHaveBeenIssued(withPollSent(request, 1_000))).toBe(false);
  });
});
