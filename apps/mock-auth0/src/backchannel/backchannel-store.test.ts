import { describe, expect, it } from "vitest";

import type { ApproverOutcome } from "../approver/outcome.js";
import { ManualClock } from "../clock.js";
import { loadTenant } from "../tenant/load-tenant.js";
import type { CibaSettings } from "../tenant/tenant-schema.js";
import { BackchannelStore } from "./backchannel-store.js";

function storeWith(overrides: Partial<CibaSettings> = {}) {
  const clock = new ManualClock();
  const store = new BackchannelStore({ ...loadTenant().ciba, ...overrides }, clock);
  let n = 0;
  const create = (outcome: ApproverOutcome = { action: "manual" }, expiresInSeconds = 300) =>
    store.create({
      authReqId: `req-${(n += 1)}`,
      clientId: "c",
      userId: "u",
      scope: ["openid"],
      audience: undefined,
      bindingMessage: "hi",
      authorizationDetails: undefined,
      requestedExpiry: undefined,
      channel: "push",
      approverOutcome: outcome,
      expiresInSeconds,
    });
  return { clock, store, create };
}

describe("BackchannelStore", () => {
  it("applies a scheduled decision at its time, on the injected clock", () => {
    const { clock, store, create } = storeWith();
    const { authReqId } = create({ action: "deny", afterMs: 1_500 });
    clock.advance(1_499);
    expect(store.get(authReqId)?.status).toBe("pending");
    clock.advance(1);
    expect(store.get(authReqId)).toMatchObject({
      status: "denied",
      decision: { decision: "deny", by: "rule", at: clock.now() },
    });
  });

  it("never applies a decision scheduled after expiry: the person answered too late", () => {
    const { clock, store, create } = storeWith();
    const { authReqId } = create({ action: "approve", afterMs: 5_000 }, 3);
    clock.advance(10_000);
    expect(store.get(authReqId)?.status).toBe("expired");
    expect(store.get(authReqId)?.decision).toBeUndefined();
  });

  it("decides immediately for an outcome without delay", () => {
    const { create } = storeWith();
    expect(create({ action: "approve", afterMs: 0 }).status).toBe("approved");
  });

  it("leaves ignored and manual requests pending until expiry", () => {
    const { clock, store, create } = storeWith();
    const ignored = create({ action: "ignore" }, 60);
    const manual = create({ action: "manual" }, 60);
    clock.advance(59_999);
    expect(store.get(ignored.authReqId)?.status).toBe("pending");
    expect(store.get(manual.authReqId)?.status).toBe("pending");
    clock.advance(1);
    expect(store.list("expired")).toHaveLength(2);
  });

  it("purges finished requests after the retention window and keeps pending ones", () => {
    const { clock, store, create } = storeWith({ retentionSeconds: 60 });
    const consumed = create({ action: "approve", afterMs: 0 });
    store.consume(consumed);
    const expired = create({ action: "manual" }, 10);
    const pending = create({ action: "manual" }, 300);
    clock.advance(59_000);
    expect(store.size).toBe(3);
    clock.advance(11_000);
    expect(store.get(consumed.authReqId)).toBeUndefined();
    expect(store.get(expired.authReqId)).toBeUndefined();
    expect(store.get(pending.authReqId)?.status).toBe("pending");
  });

  it("stays bounded over many flows: the oldest finished requests go first past the cap", () => {
    const { clock, store, create } = storeWith({ maxStoredRequests: 100, retentionSeconds: 3600 });
    for (let i = 0; i < 1_000; i += 1) {
      const request = create({ action: "approve", afterMs: 0 });
      store.consume(request);
      clock.advance(10);
    }
    expect(store.size).toBeLessThanOrEqual(101);
    expect(store.get("req-1")).toBeUndefined();
    expect(store.get("req-1000")?.status).toBe("consumed");
  });

  it("emits a change for creation, decisions, expiry and consumption", () => {
    const { clock, store, create } = storeWith();
    const seen: string[] = [];
    store.on("change", (request) => seen.push(request.status));
    const request = create({ action: "manual" }, 5);
    store.decide(request.authReqId, "approve", "approver-page");
    store.consume(request);
    const other = create({ action: "manual" }, 5);
    clock.advance(5_000);
    store.get(other.authReqId);
    expect(seen).toEqual(["pending", "approved", "consumed", "pending", "expired"]);
  });

  it("keeps the timeline bounded while counting every poll", () => {
    const { store, create } = storeWith();
    const request = create();
    for (let i = 0; i < 1_000; i += 1) store.recordPoll(request, "authorization_pending");
    expect(request.polls).toBe(1_000);
    expect(request.timeline.length).toBeLessThanOrEqual(200);
    expect(request.timeline[0]?.type).toBe("created");
  });
});
