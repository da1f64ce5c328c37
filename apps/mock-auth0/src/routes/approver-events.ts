import type { Clock } from "@ciba-testbed/shared";
import type { RequestHandler, Response } from "express";

import { PollingWatch, agentPolling } from "../backchannel/agent-polling.js";
import type { BackchannelRequest } from "../backchannel/backchannel-request.js";
import { FINISHED_STATUSES } from "../backchannel/backchannel-request.js";
import type { BackchannelStore } from "../backchannel/backchannel-store.js";
import type { ConsentEmails } from "../email/consent-emails.js";
import { tooManyRequests } from "../errors.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import type { Ticker } from "../ticker.js";
import { serializeRequest, serializeTimeline } from "./control-api.js";

export interface EventStreamLimits {
  /** Event streams open at once; past it a new one gets 429. */
  maxWatchers: number;
  /** Bytes queued for one watcher, at most; past it the watcher is dropped. */
  maxBufferedBytes: number;
  /** A watcher whose socket has not drained for this long is dropped. */
  stallMs: number;
}

export const DEFAULT_EVENT_STREAM_LIMITS: EventStreamLimits = {
  maxWatchers: 100,
  // One `advance` step can change 1,000 requests at once: room for a burst of that size.
  maxBufferedBytes: 8 * 1024 * 1024,
  stallMs: 30_000,
};

/** Pending requests in a snapshot; the page asks the control API for older ones. */
const SNAPSHOT_PENDING = 50;
/** Finished or approved requests in a snapshot: the page's "Recent" list. */
const SNAPSHOT_RECENT = 25;
const HEARTBEAT_MS = 15_000;
/** How often polls and agents that went quiet are reported: well within any interval. */
const POLLING_EVERY_MS = 500;
/** Requests in one `polling` event, at most; the rest follow with the next one. */
const POLLING_BATCH = 1_000;
const RETRY_AFTER_SECONDS = 5;

export interface ApproverEventsDeps {
  directory: TenantDirectory;
  store: BackchannelStore;
  clock: Clock;
  /** Drives the heartbeat, which also finds stalled watchers. */
  ticker: Ticker;
  limits: EventStreamLimits;
  emails: ConsentEmails;
}

interface Watcher {
  res: Response;
  /** Since when its socket has refused more data without draining; undefined when it keeps up. */
  behindSince: number | undefined;
}

/**
 * `GET /approver/api/events`: server-sent events that keep the approver page live. One store
 * listener serves every watcher and serializes each change once. Polls are reported in
 * batches (`polling` events), with the requests whose agent stopped polling, so the page tells
 * live requests from stale ones on the tenant's clock. Watchers are capped, and one whose socket
 * stops draining is dropped rather than buffered without end.
 */
export function approverEvents(deps: ApproverEventsDeps): RequestHandler {
  const { directory, store, clock, ticker, limits, emails } = deps;
  const watchers = new Set<Watcher>();
  let stopTimers: (() => void) | undefined;
  let polling: PollingWatch | undefined;

  const withTimeline = (request: BackchannelRequest, now: number) => ({
    ...serializeRequest(request, { directory, now, emails }),
    timeline: serializeTimeline(request),
  });
  const frame = (event: string, data: unknown) =>
    `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

  /** One listener per store event and one set of timers while anyone watches, none otherwise. */
  const listenWhileWatched = () => {
    if (watchers.size > 0 && !stopTimers) {
      const pending = store.count(["pending"]);
      polling = new PollingWatch(
        pending === 0 ? [] : store.list({ statuses: ["pending"], limit: pending }).requests,
        clock.now(),
      );
      store.on("change", onChange);
      store.on("poll", onPoll);
      const stopBeat = ticker.every(HEARTBEAT_MS, beat);
      const stopPolling = ticker.every(POLLING_EVERY_MS, reportPolling);
      stopTimers = () => {
        stopBeat();
        stopPolling();
      };
    } else if (watchers.size === 0 && stopTimers) {
      store.off("change", onChange);
      store.off("poll", onPoll);
      stopTimers();
      stopTimers = undefined;
      polling = undefined;
    }
  };
  const leave = (watcher: Watcher) => {
    watchers.delete(watcher);
    listenWhileWatched();
  };
  const drop = (watcher: Watcher) => {
    leave(watcher);
    watcher.res.destroy();
  };
  const send = (watcher: Watcher, text: string) => {
    // Ended by a stopping tenant (`startMockAuth0`), before its connection closes.
    if (watcher.res.writableEnded) return;
    if (watcher.res.write(text)) return;
    watcher.behindSince ??= clock.now();
    if (watcher.res.writableLength > limits.maxBufferedBytes) drop(watcher);
  };
  const onChange = (request: BackchannelRequest) => {
    polling?.changed(request);
    const now = clock.now();
    const text = frame("request", {
      now: new Date(now).toISOString(),
      pending: store.count(["pending"]),
      request: withTimeline(request, now),
    });
    for (const watcher of watchers) send(watcher, text);
  };
  const onPoll = (request: BackchannelRequest) => {
    polling?.polledNow(request);
  };
  /** The requests polled since the last report, and those whose agent went quiet. */
  const reportPolling = () => {
    const now = clock.now();
    const requests = polling?.take(now, POLLING_BATCH) ?? [];
    if (requests.length === 0) return;
    const text = frame("polling", {
      now: new Date(now).toISOString(),
      requests: requests.map((request) => ({
        auth_req_id: request.authReqId,
        polls: request.polls,
        interval: request.intervalMs / 1000,
        last_polled_at:
          request.lastPollAt === undefined ? null : new Date(request.lastPollAt).toISOString(),
        agent_polling: agentPolling(request, now) ?? null,
      })),
    });
    for (const watcher of watchers) send(watcher, text);
  };
  const beat = () => {
    const now = clock.now();
    for (const watcher of watchers) {
      if (watcher.behindSince !== undefined && now - watcher.behindSince >= limits.stallMs) {
        drop(watcher);
      } else {
        send(watcher, ": keep-alive\n\n");
      }
    }
  };

  return (req, res) => {
    if (watchers.size >= limits.maxWatchers) {
      throw tooManyRequests(
        RETRY_AFTER_SECONDS,
        `${limits.maxWatchers} event streams are open already, the most this tenant serves: close another approver page or retry later`,
      );
    }
    res.set({
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      "X-Accel-Buffering": "no",
    });
    // HEAD has no body: its answer is the stream's headers, ended at once, and no watcher. Kept
    // open, it would hold one of the streams (the stall rule never fires, as nothing is written).
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    res.set("Connection", "keep-alive");
    res.flushHeaders();
    const watcher: Watcher = { res, behindSince: undefined };
    res.on("drain", () => {
      watcher.behindSince = undefined;
    });
    const now = clock.now();
    const pending = store.list({ statuses: ["pending"], limit: SNAPSHOT_PENDING });
    const recent = store.list({
      statuses: ["approved", ...FINISHED_STATUSES],
      limit: SNAPSHOT_RECENT,
    });
    watchers.add(watcher);
    listenWhileWatched();
    send(
      watcher,
      frame("snapshot", {
        now: new Date(now).toISOString(),
        pending: {
          requests: pending.requests.map((request) => withTimeline(request, now)),
          next_cursor: pending.nextCursor === undefined ? null : String(pending.nextCursor),
          total: pending.total,
        },
        recent: recent.requests.map((request) => withTimeline(request, now)),
      }),
    );
    req.on("close", () => {
      leave(watcher);
    });
  };
}
