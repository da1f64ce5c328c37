import type { BackchannelRequest } from "./backchannel-request.js";
import { Timer, TimerQueue } from "./timer-queue.js";

/** A pending request nobody has polled for more than this many intervals: its agent stopped. */
export const STALE_AFTER_INTERVALS = 3;

/**
 * When a pending request's agent counts as gone if no poll comes first: three of its intervals
 * (which grow with every `slow_down`) after its last poll, or after its creation when it was
 * never polled.
 */
export function pollingDeadline(request: BackchannelRequest): number {
  return (request.lastPollAt ?? request.createdAt) + STALE_AFTER_INTERVALS * request.intervalMs;
}

/** Whether someone still polls a pending request; undefined for any other status. */
export function agentPolling(request: BackchannelRequest, now: number): boolean | undefined {
  if (request.status !== "pending") return undefined;
  return now <= pollingDeadline(request);
}

/**
 * Follows whether the pending requests' agents still poll, while someone watches (the approver
 * page's event stream): which requests were polled, and which went quiet, since the last
 * `take`. A timer heap holds each pending request's deadline, so a poll costs O(log n).
 */
export class PollingWatch {
  private readonly timers = new Map<string, Timer<BackchannelRequest>>();
  private readonly deadlines = new TimerQueue<BackchannelRequest>();
  private readonly polled = new Map<string, BackchannelRequest>();

  /**
   * Starts from the pending requests the tenant holds at `now`. Those already quiet are not
   * watched until they are polled again: the snapshot a watcher starts from says so of them
   * (`agent_polling: false`), and reporting each as just gone quiet would send a page opened
   * beside thousands of abandoned requests all of them again.
   */
  constructor(pending: Iterable<BackchannelRequest>, now: number) {
    for (const request of pending) {
      if (agentPolling(request, now) === true) this.track(request);
    }
  }

  /** A request was created or changed status. */
  changed(request: BackchannelRequest): void {
    if (request.status === "pending") {
      this.track(request);
      return;
    }
    const timer = this.timers.get(request.authReqId);
    if (timer) this.deadlines.delete(timer);
    this.timers.delete(request.authReqId);
    this.polled.delete(request.authReqId);
  }

  /** A request was polled: its deadline moves on. */
  polledNow(request: BackchannelRequest): void {
    if (request.status !== "pending") return;
    this.track(request);
    this.polled.set(request.authReqId, request);
  }

  /**
   * The pending requests polled since the last call, and those whose deadline passed by `now`,
   * at most `limit` of them (the rest come with the next call).
   */
  take(now: number, limit: number): BackchannelRequest[] {
    const out = new Map<string, BackchannelRequest>();
    for (let due = this.deadlines.peek(); due !== undefined && due.dueAt < now;) {
      if (out.size >= limit) break;
      out.set(due.item.authReqId, due.item);
      // Quiet now: tracked again when it is polled again.
      this.deadlines.delete(due);
      this.timers.delete(due.item.authReqId);
      due = this.deadlines.peek();
    }
    for (const [id, request] of this.polled) {
      if (out.size >= limit) break;
      out.set(id, request);
      this.polled.delete(id);
    }
    return [...out.values()];
  }

  private track(request: BackchannelRequest): void {
    let timer = this.timers.get(request.authReqId);
    if (!timer) {
      timer = new Timer(request);
      this.timers.set(request.authReqId, timer);
    }
    this.deadlines.set(timer, pollingDeadline(request));
  }
}
