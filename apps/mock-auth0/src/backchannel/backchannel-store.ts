import { EventEmitter } from "node:events";

import type { Clock } from "../clock.js";
import type { CibaSettings } from "../tenant/tenant-schema.js";
import type {
  BackchannelRequest,
  BackchannelStatus,
  Decision,
  DecisionSource,
} from "./backchannel-request.js";

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
  | "approverOutcome"
> & { expiresInSeconds: number };

export type DecideResult =
  | { ok: true; request: BackchannelRequest }
  | { ok: false; reason: "unknown" }
  | { ok: false; reason: "not_pending"; request: BackchannelRequest };

/** Poll events kept per request; the count in `polls` stays exact. */
const MAX_TIMELINE_EVENTS = 200;
const SWEEP_EVERY_MS = 1_000;

interface StoreEvents {
  change: [request: BackchannelRequest];
}

/**
 * Every backchannel authentication request the tenant knows. State follows the injected
 * clock: a scheduled decision or an expiry takes effect on the next read at or after its
 * time, so tests move time instead of sleeping. Finished requests stay readable for the
 * retention window, then go; memory stays bounded over any number of flows.
 */
export class BackchannelStore extends EventEmitter<StoreEvents> {
  private readonly requests = new Map<string, BackchannelRequest>();
  private lastSweep = 0;

  constructor(
    private readonly settings: CibaSettings,
    private readonly clock: Clock,
  ) {
    super();
  }

  get size(): number {
    return this.requests.size;
  }

  create(input: NewBackchannelRequest): BackchannelRequest {
    const now = this.clock.now();
    this.sweep(now);
    const { expiresInSeconds, approverOutcome, ...rest } = input;
    const announcedExpiry = now + expiresInSeconds * 1000;
    const request: BackchannelRequest = {
      ...rest,
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
      scheduledDecision: undefined,
      decision: undefined,
      consumedAt: undefined,
      timeline: [{ at: now, type: "created" }],
    };
    this.requests.set(request.authReqId, request);
    if (approverOutcome.action === "approve" || approverOutcome.action === "deny") {
      request.scheduledDecision = {
        decision: approverOutcome.action,
        at: now + approverOutcome.afterMs,
      };
    }
    this.refresh(request, now);
    this.emit("change", request);
    return request;
  }

  get(authReqId: string): BackchannelRequest | undefined {
    const now = this.clock.now();
    this.sweep(now);
    const request = this.requests.get(authReqId);
    if (request) this.refresh(request, now);
    return request;
  }

  list(status?: BackchannelStatus): BackchannelRequest[] {
    const now = this.clock.now();
    this.sweep(now);
    const all = [...this.requests.values()];
    for (const request of all) this.refresh(request, now);
    return status === undefined ? all : all.filter((request) => request.status === status);
  }

  /** Approve or deny a pending request; anything already decided or expired is left alone. */
  decide(authReqId: string, decision: Decision, by: DecisionSource): DecideResult {
    const request = this.get(authReqId);
    if (!request) return { ok: false, reason: "unknown" };
    if (request.status !== "pending") return { ok: false, reason: "not_pending", request };
    this.applyDecision(request, decision, this.clock.now(), by);
    return { ok: true, request };
  }

  recordPoll(request: BackchannelRequest, answer: string): void {
    const now = this.clock.now();
    request.polls += 1;
    request.lastPollAt = now;
    this.addEvent(request, { at: now, type: "poll", answer });
  }

  /** CIBA Core 1.0, section 11: `slow_down` raises the interval for this and every later poll. */
  slowDown(request: BackchannelRequest): number {
    request.intervalMs += this.settings.slowDownIncrementSeconds * 1000;
    return request.intervalMs;
  }

  consume(request: BackchannelRequest): void {
    const now = this.clock.now();
    request.status = "consumed";
    request.consumedAt = now;
    this.addEvent(request, { at: now, type: "token_issued" });
    this.emit("change", request);
  }

  private applyDecision(
    request: BackchannelRequest,
    decision: Decision,
    at: number,
    by: DecisionSource,
  ): void {
    request.status = decision === "approve" ? "approved" : "denied";
    request.decision = { decision, at, by };
    request.scheduledDecision = undefined;
    this.addEvent(request, { at, type: decision === "approve" ? "approved" : "denied", by });
    this.emit("change", request);
  }

  private refresh(request: BackchannelRequest, now: number): void {
    const scheduled = request.scheduledDecision;
    if (
      request.status === "pending" &&
      scheduled !== undefined &&
      scheduled.at <= now &&
      scheduled.at < request.expiresAt
    ) {
      this.applyDecision(request, scheduled.decision, scheduled.at, "rule");
    }
    if (
      (request.status === "pending" || request.status === "approved") &&
      now >= request.expiresAt
    ) {
      request.status = "expired";
      request.scheduledDecision = undefined;
      this.addEvent(request, { at: request.expiresAt, type: "expired" });
      this.emit("change", request);
    }
  }

  private addEvent(
    request: BackchannelRequest,
    event: BackchannelRequest["timeline"][number],
  ): void {
    if (request.timeline.length >= MAX_TIMELINE_EVENTS) {
      const firstPoll = request.timeline.findIndex((e) => e.type === "poll");
      request.timeline.splice(firstPoll === -1 ? 1 : firstPoll, 1);
    }
    request.timeline.push(event);
  }

  private finishedAt(request: BackchannelRequest): number | undefined {
    if (request.status === "consumed") return request.consumedAt;
    if (request.status === "expired" || request.status === "denied") return request.expiresAt;
    return undefined;
  }

  private sweep(now: number): void {
    if (
      now - this.lastSweep < SWEEP_EVERY_MS &&
      this.requests.size <= this.settings.maxStoredRequests
    ) {
      return;
    }
    this.lastSweep = now;
    const retentionMs = this.settings.retentionSeconds * 1000;
    for (const [id, request] of this.requests) {
      this.refresh(request, now);
      const finished = this.finishedAt(request);
      if (finished !== undefined && now - finished >= retentionMs) this.requests.delete(id);
    }
    // Over the cap, drop the oldest finished requests first (the map keeps creation order).
    for (const [id, request] of this.requests) {
      if (this.requests.size <= this.settings.maxStoredRequests) break;
      if (this.finishedAt(request) !== undefined) {
        this.requests.delete(id);
      }
    }
  }
}
