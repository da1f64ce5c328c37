import { ManualClock } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import type { ApproverOutcome } from "../approver/outcome.js";
import { loadTenant } from "../tenant/load-tenant.js";
import type { CibaSettings } from "../tenant/tenant-model.js";
import type { BackchannelRequest } from "./backchannel-request.js";
import { ADVANCE_BUDGET, BackchannelStore } from "./backchannel-store.js";

function storeWith(overrides: Partial<CibaSettings> = {}) {
  const clock = new ManualClock();
  const store = new BackchannelStore({ ...loadTenant().ciba, ...overrides }, clock);
  let n = 0;
  const create = (
    outcome: ApproverOutcome = { action: "manual" },
    expiresInSeconds = 300,
  ): BackchannelRequest => {
    const result = store.create(
      {
        authReqId: `req-${(n += 1)}`,
        clientId: "c",
        userId: "u",
        scope: ["openid"],
        audience: undefined,
        bindingMessage: "hi",
        authorizationDetails: undefined,
        requestedExpiry: undefined,
        channel: "guardian-push",
        userEmail: "buyer@example.com",
        approverOutcome: outcome,
        expiresInSeconds,
      },
      clock.now(),
    );
    if (!result.ok) throw new Error(`store full: retry after ${result.retryAfterSeconds} s`);
    return result.request;
  };
  /** Moves time and lets the store catch up, as the server's timer does. */
  const tick = (ms: number) => {
    clock.advance(ms);
    while (store.advance(clock.now()).backlog);
  };
  const poll = (id: string) => store.poll(id, "c", clock.now()).answer;
  return { clock, store, create, tick, poll };
}

describe("BackchannelStore", () => {
  it("applies a scheduled decision at its time, once time advances", () => {
    const { clock, store, create, tick } = storeWith();
    const { authReqId } = create({ action: "deny", afterMs: 1_500 });
    tick(1_499);
    expect(store.get(authReqId)?.status).toBe("pending");
    tick(1);
    expect(store.get(authReqId)).toMatchObject({
      status: "denied",
      decision: { decision: "deny", by: "rule", at: clock.now() },
    });
  });

  it("never applies a decision scheduled after expiry: the person answered too late", () => {
    const { store, create, tick } = storeWith();
    const { authReqId } = create({ action: "approve", afterMs: 5_000 }, 3);
    tick(10_000);
    expect(store.get(authReqId)?.status).toBe("expired");
    expect(store.get(authReqId)?.decision).toBeUndefined();
  });

  it("decides immediately for an outcome without delay", () => {
    const { create } = storeWith();
    expect(create({ action: "approve", afterMs: 0 }).status).toBe("approved");
  });

  it("leaves ignored and manual requests pending until expiry", () => {
    const { store, create, tick } = storeWith();
    const ignored = create({ action: "ignore" }, 60);
    const manual = create({ action: "manual" }, 60);
    tick(59_999);
    expect(store.get(ignored.authReqId)?.status).toBe("pending");
    expect(store.get(manual.authReqId)?.status).toBe("pending");
    tick(1);
    expect(store.count(["expired"])).toBe(2);
  });

  it("purges finished requests after the retention window and keeps pending ones", () => {
    const { store, create, tick, poll } = storeWith({ retentionSeconds: 60 });
    const consumed = create({ action: "approve", afterMs: 0 });
    expect(poll(consumed.authReqId)).toBe("token");
    const expired = create({ action: "manual" }, 10);
    const pending = create({ action: "manual" }, 300);
    tick(59_000);
    expect(store.size).toBe(3);
    tick(11_000);
    expect(store.get(consumed.authReqId)).toBeUndefined();
    expect(store.get(expired.authReqId)).toBeUndefined();
    expect(store.get(pending.authReqId)?.status).toBe("pending");
  });

  it("stays bounded over many flows: the oldest finished requests go first past the cap", () => {
    const { store, create, tick, poll } = storeWith({
      maxStoredRequests: 100,
      retentionSeconds: 3600,
    });
    for (let i = 0; i < 1_000; i += 1) {
      expect(poll(create({ action: "approve", afterMs: 0 }).authReqId)).toBe("token");
      tick(10);
    }
    expect(store.size).toBe(100);
    expect(store.get("req-1")).toBeUndefined();
    expect(store.get("req-1000")?.status).toBe("consumed");
  });

  it("emits a change for creation, decisions, expiry and consumption", () => {
    const { clock, store, create, tick, poll } = storeWith();
    const seen: string[] = [];
    store.on("change", (request) => seen.push(request.status));
    const request = create({ action: "manual" }, 5);
    store.decide(request.authReqId, "approve", "approver-page", clock.now());
    expect(poll(request.authReqId)).toBe("token");
    create({ action: "manual" }, 5);
    tick(5_000);
    expect(seen).toEqual(["pending", "approved", "consumed", "pending", "expired"]);
  });

  it("keeps the timeline bounded while counting every poll", () => {
    const { store, create, tick, poll } = storeWith({ intervalSeconds: 1 });
    const { authReqId } = create({ action: "manual" }, 3_000);
    for (let i = 0; i < 1_000; i += 1) {
      expect(poll(authReqId)).toBe("authorization_pending");
      tick(1_000);
    }
    const request = store.get(authReqId);
    expect(request?.polls).toBe(1_000);
    expect(request?.timeline.length).toBeLessThanOrEqual(200);
    expect(request?.timeline[0]?.type).toBe("created");
  });
});

describe("BackchannelStore reads", () => {
  it("do not write: time takes effect only through advance or a transition", () => {
    const { clock, store, create } = storeWith();
    const { authReqId } = create({ action: "approve", afterMs: 1_000 }, 5);
    const changes: string[] = [];
    store.on("change", (request) => changes.push(request.status));

    clock.advance(10_000);
    expect(store.get(authReqId)?.status).toBe("pending");
    expect(store.list({ limit: 10 }).requests.map((r) => r.status)).toEqual(["pending"]);
    expect(store.count(["pending"])).toBe(1);
    expect(changes).toEqual([]);

    expect(store.advance(clock.now())).toEqual({ processed: 1, backlog: false });
    expect(store.get(authReqId)?.status).toBe("expired");
    expect(changes).toEqual(["approved", "expired"]);
  });

  it("page newest first with a cursor, filtered by status, with the total on every page", () => {
    const { clock, store, create } = storeWith();
    for (let i = 0; i < 7; i += 1) create();
    store.decide("req-2", "deny", "control-api", clock.now());
    store.decide("req-5", "approve", "control-api", clock.now());

    const first = store.list({ limit: 3 });
    expect(first.requests.map((r) => r.authReqId)).toEqual(["req-7", "req-6", "req-5"]);
    expect(first.total).toBe(7);
    const second = store.list({ limit: 3, cursor: first.nextCursor });
    expect(second.requests.map((r) => r.authReqId)).toEqual(["req-4", "req-3", "req-2"]);
    const third = store.list({ limit: 3, cursor: second.nextCursor });
    expect(third.requests.map((r) => r.authReqId)).toEqual(["req-1"]);
    expect(third.nextCursor).toBeUndefined();

    const pending = store.list({ statuses: ["pending"], limit: 4 });
    expect(pending.requests.map((r) => r.authReqId)).toEqual(["req-7", "req-6", "req-4", "req-3"]);
    expect(pending.total).toBe(5);
    expect(
      store.list({ statuses: ["pending"], limit: 4, cursor: pending.nextCursor }).requests,
    ).toHaveLength(1);
    expect(
      store.list({ statuses: ["approved", "denied"], limit: 10 }).requests.map((r) => r.authReqId),
    ).toEqual(["req-5", "req-2"]);
  });

  it("keep a cursor valid while requests change status or go", () => {
    const { clock, store, create } = storeWith();
    for (let i = 0; i < 6; i += 1) create();
    const first = store.list({ statuses: ["pending"], limit: 2 });
    expect(first.requests.map((r) => r.authReqId)).toEqual(["req-6", "req-5"]);
    // The last request of the page is decided, the next one too: the cursor still holds.
    store.decide("req-5", "deny", "control-api", clock.now());
    store.decide("req-4", "deny", "control-api", clock.now());
    const next = store.list({ statuses: ["pending"], limit: 2, cursor: first.nextCursor });
    expect(next.requests.map((r) => r.authReqId)).toEqual(["req-3", "req-2"]);
  });
});

describe("BackchannelStore polls", () => {
  it("answer in CIBA Core 1.0's order: foreign id, expired, too fast, pending, denied, token", () => {
    // The CIBA spec's expired_token, so that the timeline tells expiry from the denial.
    const { clock, store, create, poll } = storeWith({
      intervalSeconds: 5,
      expiredError: "expired_token",
    });
    const { authReqId } = create({ action: "manual" }, 60);
    expect(store.poll(authReqId, "another-client", clock.now())).toEqual({
      answer: "invalid_grant",
    });
    expect(store.get(authReqId)?.polls).toBe(0);

    expect(poll(authReqId)).toBe("authorization_pending");
    clock.advance(1_000);
    // Too fast outranks pending and denied alike.
    expect(poll(authReqId)).toBe("slow_down");
    store.decide(authReqId, "deny", "control-api", clock.now());
    clock.advance(1_000);
    expect(poll(authReqId)).toBe("slow_down");
    clock.advance(15_000);
    expect(poll(authReqId)).toBe("access_denied");
    // Past the expiry, expired outranks everything else, even a poll that comes too fast.
    clock.advance(60_000);
    expect(poll(authReqId)).toBe("expired");
    expect(poll(authReqId)).toBe("expired");
    expect(store.get(authReqId)?.timeline.map((e) => ("answer" in e ? e.answer : e.type))).toEqual([
      "created",
      "authorization_pending",
      "slow_down",
      "denied",
      "slow_down",
      "access_denied",
      "expired_token",
      "expired_token",
    ]);
  });

  it("raise the interval on each slow_down, for every later poll (CIBA Core 1.0 section 11)", () => {
    const { clock, store, create } = storeWith({ intervalSeconds: 2, slowDownIncrementSeconds: 5 });
    const { authReqId } = create();
    store.poll(authReqId, "c", clock.now());
    clock.advance(500);
    expect(store.poll(authReqId, "c", clock.now())).toMatchObject({
      answer: "slow_down",
      intervalMs: 7_000,
    });
    clock.advance(2_000);
    expect(store.poll(authReqId, "c", clock.now())).toMatchObject({ intervalMs: 12_000 });
  });

  it("pace polls on the pacing clock, to the fraction of a millisecond, not on the wall clock", () => {
    // An interval of 1 ms: a poll 0.95 ms after the last is on time (within the 10% tolerance)
    // although the wall clock still shows the same millisecond; one 0.5 ms after is too fast.
    const clock = new ManualClock();
    let pace = 1_000.25;
    const store = new BackchannelStore(
      { ...loadTenant().ciba, intervalSeconds: 0.001, slowDownIncrementSeconds: 0 },
      clock,
      { now: () => pace },
    );
    const created = store.create(
      {
        authReqId: "paced",
        clientId: "c",
        userId: "u",
        scope: ["openid"],
        audience: undefined,
        bindingMessage: "hi",
        authorizationDetails: undefined,
        requestedExpiry: undefined,
        channel: "guardian-push",
        userEmail: "buyer@example.com",
        approverOutcome: { action: "manual" },
        expiresInSeconds: 300,
      },
      clock.now(),
    );
    expect(created.ok).toBe(true);
    const answers: string[] = [];
    for (const gap of [0, 0.95, 0.5, 1.2]) {
      pace += gap;
      answers.push(store.poll("paced", "c", clock.now()).answer);
    }
    expect(answers).toEqual([
      "authorization_pending",
      "authorization_pending",
      "slow_down",
      "authorization_pending",
    ]);
    // The wall clock never moved; the request still shows when it was polled on it.
    expect(store.get("paced")?.lastPollAt).toBe(clock.now());
  });

  it("issue once: the poll that gets the tokens consumes the request", () => {
    const { create, poll } = storeWith();
    const { authReqId } = create({ action: "approve", afterMs: 0 });
    expect(poll(authReqId)).toBe("token");
    expect(poll(authReqId)).toBe("invalid_grant");
  });
});

describe("BackchannelStore under flood (30,000 requests)", () => {
  const FLOOD = 30_000;

  function flooded() {
    const setup = storeWith({
      maxOpenRequests: FLOOD,
      maxStoredRequests: FLOOD + 1_000,
      intervalSeconds: 1,
    });
    // Expiries spread over 60 to 299 s, as clients asking for different requested_expiry.
    for (let i = 0; i < FLOOD; i += 1) setup.create({ action: "manual" }, 60 + (i % 240));
    return setup;
  }

  it("refuses a new request at once past the cap, with the wait until a slot frees", () => {
    const { clock, store } = flooded();
    expect(store.count(["pending"])).toBe(FLOOD);
    const refused = store.create(
      {
        authReqId: "one-too-many",
        clientId: "c",
        userId: "u",
        scope: ["openid"],
        audience: undefined,
        bindingMessage: "hi",
        authorizationDetails: undefined,
        requestedExpiry: undefined,
        channel: "guardian-push",
        userEmail: "buyer@example.com",
        approverOutcome: { action: "manual" },
        expiresInSeconds: 300,
      },
      clock.now(),
    );
    expect(refused).toEqual({
      ok: false,
      retryAfterSeconds: 60,
      open: FLOOD,
      limit: "maxOpenRequests",
    });
    expect(store.get("one-too-many")).toBeUndefined();
    expect(store.size).toBe(FLOOD);
  });

  it("keeps serving the requests it holds: the oldest and the newest poll and get tokens", () => {
    const { clock, store, poll } = flooded();
    expect(poll("req-1")).toBe("authorization_pending");
    expect(poll(`req-${FLOOD}`)).toBe("authorization_pending");
    store.decide("req-1", "approve", "control-api", clock.now());
    clock.advance(1_000);
    expect(poll("req-1")).toBe("token");
    // Collecting the tokens freed a slot.
    expect(store.count(["pending", "approved"])).toBe(FLOOD - 1);
  });

  it("pages through all of them, newest first, without a gap or a repeat", () => {
    const { store } = flooded();
    const seen = new Set<string>();
    let cursor: number | undefined;
    let previous = Number.POSITIVE_INFINITY;
    let pages = 0;
    do {
      const page = store.list({ limit: 1_000, cursor });
      expect(page.total).toBe(FLOOD);
      for (const request of page.requests) {
        const n = Number(request.authReqId.slice(4));
        expect(n).toBeLessThan(previous);
        previous = n;
        seen.add(request.authReqId);
      }
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined);
    expect(pages).toBe(30);
    expect(seen.size).toBe(FLOOD);
  });

  it("expires them in bounded steps: no advance does more than its budget", () => {
    const { clock, store } = flooded();
    clock.advance(300_000);
    const steps: number[] = [];
    for (;;) {
      const { processed, backlog } = store.advance(clock.now());
      steps.push(processed);
      if (!backlog) break;
    }
    expect(Math.max(...steps)).toBeLessThanOrEqual(ADVANCE_BUDGET);
    expect(steps.reduce((a, b) => a + b, 0)).toBe(FLOOD);
    expect(steps).toHaveLength(FLOOD / ADVANCE_BUDGET);
    expect(store.count(["expired"])).toBe(FLOOD);
    expect(store.count(["pending"])).toBe(0);

    // A small budget is honoured as well.
    clock.advance(600_000);
    expect(store.advance(clock.now(), 10)).toEqual({ processed: 10, backlog: true });
    expect(store.size).toBe(FLOOD - 10);
  });
});
