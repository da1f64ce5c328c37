import { ManualClock } from "@ciba-testbed/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { createMemoryStore } from "./agent-store.js";
import { resetToolCalls, setup } from "./test-support/agent-setup.js";
import {
  expectAllStubsUsed,
  isolateNetwork,
  stubAuth0,
  stubShop,
  testConfig,
} from "./test-support/stubs.js";

// Auth0's answers as its docs and recorded responses give them, through the real `@auth0/ai`
// and `auth0` SDK code (nock stands in for the tenant).

isolateNetwork();
beforeEach(resetToolCalls);
afterEach(expectAllStubsUsed);

/** Auth0's one answer for a denial and for an expired request alike. */
const DENIED_OR_EXPIRED = {
  error: "access_denied",
  error_description: "The end-user denied the authorization request or it has been expired",
};

describe("access_denied, which Auth0 also sends for an expired request", () => {
  // expires_in 3 s, interval 1 s: the SDK polls at 0 s, then the agent at 1.5 s (the last poll
  // answered before the second in which Auth0 may end the request) and 2.5 s.
  const shortRequest = { expires_in: 3, interval: 1 };

  it("is DENIED when it arrives well before the expiry", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize(shortRequest).pending().token(400, DENIED_OR_EXPIRED);
    const { agent, clock } = setup();

    const report = await agent.run("Buy an XYZ phone");

    expect(clock.sleeps).toEqual([1500]);
    expect(report).toMatchObject({ outcome: "DENIED", exitCode: 3, error: "access_denied" });
  });

  it("is denied or expired when it arrives after the expiry, for a poll sent before it", async () => {
    stubShop().catalog();
    const clock = new ManualClock();
    const auth0 = stubAuth0()
      .bcAuthorize(shortRequest)
      .pending(2)
      // The last poll leaves at 2.5 s; Auth0's answer takes until 4 s.
      .tokenAfter(
        () => {
          clock.advance(1500);
        },
        400,
        DENIED_OR_EXPIRED,
      );
    const { agent } = setup({ clock });

    const report = await agent.run("Buy an XYZ phone");

    expect(auth0.count("/oauth/token")).toBe(3);
    expect(report).toMatchObject({ outcome: "DENIED", exitCode: 3, error: "denied_or_expired" });
    expect(report.purchases[0]?.description).toContain("this run cannot tell which");
  });

  it("is denied or expired within a second before the expiry, where Auth0's whole seconds may end it", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize(shortRequest).pending(2).token(400, DENIED_OR_EXPIRED);
    const { agent, clock } = setup();

    const report = await agent.run("Buy an XYZ phone");

    expect(clock.sleeps).toEqual([1500, 1000]);
    expect(report).toMatchObject({ outcome: "DENIED", error: "denied_or_expired" });
    expect(report.purchases[0]?.description).toContain("within a second of the request's expiry");
  });
});

describe("a 429 from /bc-authorize (Auth0: at most 5 requests a minute for one user)", () => {
  const start = Date.parse("2026-01-01T00:00:00Z");
  const limited = {
    error: "too_many_requests",
    error_description: "Too many requests for this user",
  };

  it("is REQUEST_REFUSED naming the per-user limit and when to try again (Retry-After)", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorizeReply(429, limited, {
      "Retry-After": "30",
      "X-RateLimit-Limit": "5",
      "X-RateLimit-Remaining": "0",
    });
    const { agent } = setup({ clock: new ManualClock(start) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({
      outcome: "REQUEST_REFUSED",
      exitCode: 7,
      error: "too_many_requests",
    });
    expect(report.purchases[0]).toMatchObject({ retryAt: "2026-01-01T00:00:30.000Z" });
    expect(report.message).toContain(
      "most likely for its per-user limit of 5 backchannel authentication requests a minute for auth0|testbed-user; try again in 30 s (at 2026-01-01T00:00:30.000Z).",
    );
    expect(report.message).toContain('"Too many requests for this user"');
    expect(auth0.count("/bc-authorize")).toBe(1);
    expect(auth0.count("/oauth/token")).toBe(0);
  });

  it("computes the time from X-RateLimit-Reset when there is no Retry-After", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorizeReply(429, limited, {
      "X-RateLimit-Reset": String(start / 1000 + 45),
    });
    const { agent } = setup({ clock: new ManualClock(start) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report.outcome).toBe("REQUEST_REFUSED");
    expect(report.purchases[0]).toMatchObject({ retryAt: "2026-01-01T00:00:45.000Z" });
    expect(report.message).toContain("try again in 45 s");
  });

  it("is read the same when the 429 has no JSON body", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorizeReply(429, "Too Many Requests", { "Retry-After": "60" });
    const { agent } = setup({ clock: new ManualClock(start) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "REQUEST_REFUSED", error: "too_many_requests" });
    expect(report.message).toContain("per-user limit of 5 backchannel authentication requests");
    expect(report.message).toContain("try again in 60 s");
  });

  it("is waited out, not blamed on the per-user limit, when it answers a poll of an accepted request", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().token(429, limited, { "Retry-After": "10" }).pending().approve();
    stubShop().order();
    const { agent, clock } = setup({ clock: new ManualClock(start) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "ORDERED" });
    // Retry-After, then the request's interval (1 s).
    expect(clock.sleeps).toEqual([10_000, 1_000]);
  });

  it("stops the turn: the next item of the request is not asked for", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorizeReply(429, limited, { "Retry-After": "30" });
    const { agent } = setup();

    const report = await agent.run("Buy 2 XYZ phones and a USB-C cable");

    expect(report.outcome).toBe("REQUEST_REFUSED");
    expect(auth0.count("/bc-authorize")).toBe(1);
  });
});

describe("a long --expiry", () => {
  it("is sent as asked, with a warning that Auth0 emails instead of pushing", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 3600 }).approve();
    stubShop().order();
    const { agent, events } = setup({ config: testConfig({ requestedExpiry: 3600 }) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report.outcome).toBe("ORDERED");
    expect(auth0.calls[0]?.body.requested_expiry).toBe("3600");
    const warning = {
      code: "email_channel",
      message:
        "The expiry of 3600 s (--expiry, AGENT_REQUESTED_EXPIRY) is over 300 s, so Auth0 sends the person an email instead of a push (it does for 301 to 259200 s). That needs the email channel enabled on the application and a verified email address for the user; without them the tenant refuses the request.",
    };
    expect(report.warnings).toEqual([warning]);
    // Said before anything is sent.
    expect(events[0]).toEqual({ type: "warning", warning });
  });

  it("is not warned about by a resume that sends nothing: the waiting request keeps its expiry", async () => {
    // A queue worker's setup: sent with --expiry 60, resumed with AGENT_REQUESTED_EXPIRY=259200.
    stubShop().catalog();
    stubAuth0().bcAuthorize({ expires_in: 60 }).pending().pending().approve();
    stubShop().order();
    const store = createMemoryStore();
    const clock = new ManualClock();
    const interrupt = (requestedExpiry: number) =>
      setup({ config: testConfig({ mode: "interrupt", requestedExpiry }), store, clock });
    await interrupt(60).agent.run("Buy a USB-C cable");

    for (const expected of ["PENDING", "ORDERED"]) {
      const { agent, events } = interrupt(259_200);
      const report = await agent.resume("thread-1");

      expect(report.outcome).toBe(expected);
      expect(report.warnings).toBeUndefined();
      expect(events.filter((event) => event.type === "warning")).toEqual([]);
    }
  });

  it("is not warned about by a run that asks nobody", async () => {
    stubShop().catalog();
    const { agent, events } = setup({ config: testConfig({ requestedExpiry: 3600 }) });

    const report = await agent.run("Buy 2 XYZ phones under $5");

    expect(report.outcome).toBe("SHOP_REFUSED");
    expect(report.warnings).toBeUndefined();
    expect(events.filter((event) => event.type === "warning")).toEqual([]);
  });

  it("is warned about by a resume right before it sends a request with it", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0()
      .bcAuthorize({ expires_in: 60 }, "req-a")
      .pending()
      .approve()
      .bcAuthorize({ expires_in: 3600 }, "req-b")
      .pending();
    stubShop().order();
    const store = createMemoryStore();
    const clock = new ManualClock();
    const config = (requestedExpiry: number) => testConfig({ mode: "interrupt", requestedExpiry });
    // The phone is asked for with 60 s and waits; the resume orders it, then asks for the cable.
    const first = setup({ config: config(60), store, clock });
    const sent = await first.agent.run("Buy an XYZ phone and a USB-C cable");
    expect(sent.warnings).toBeUndefined();

    const { agent, events } = setup({ config: config(3600), store, clock });
    const report = await agent.resume("thread-1");

    expect(report).toMatchObject({
      outcome: "PENDING",
      authReqId: "req-b",
      warnings: [{ code: "email_channel", message: expect.stringContaining("3600 s") }],
    });
    expect(auth0.calls.filter((call) => call.path === "/bc-authorize")[1]?.body).toMatchObject({
      requested_expiry: "3600",
    });
    const warning = events.findIndex((event) => event.type === "warning");
    const requested = events.findIndex(
      (event) => event.type === "approval-requested" && event.authReqId === "req-b",
    );
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(warning).toBeLessThan(requested);
  });

  it("is not refused by the agent when the tenant refuses it: Auth0's answer is reported", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorizeError(400, "invalid_request", "Email notifications are not enabled");
    const { agent } = setup({ config: testConfig({ requestedExpiry: 301 }) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({
      outcome: "REQUEST_REFUSED",
      warnings: [{ code: "email_channel" }],
    });
    expect(report.purchases[0]?.description).toBe("Email notifications are not enabled");
  });

  it("joins the store's warnings (a Redis that evicts), said before anything is sent", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize({ expires_in: 3600 }).approve();
    stubShop().order();
    const evicting = { code: "redis_eviction", message: "Redis drops keys." };
    const store = { ...createMemoryStore(), warnings: () => Promise.resolve([evicting]) };
    const { agent, events } = setup({ config: testConfig({ requestedExpiry: 3600 }), store });

    const report = await agent.run("Buy an XYZ phone");

    // The store's at once, the expiry's right before the request leaves.
    expect(report.warnings?.map((warning) => warning.code)).toEqual([
      "redis_eviction",
      "email_channel",
    ]);
    expect(events.slice(0, 2).map((event) => event.type)).toEqual(["warning", "warning"]);
    expect(events[0]).toEqual({ type: "warning", warning: evicting });
  });

  it("warns that OPENAI_BASE_URL without OPENAI_API_KEY is not used: the offline model answers", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    stubShop().order();
    const model = { kind: "offline" as const, unusedBaseURL: "http://127.0.0.1:4030/v1?key=sk-1" };
    const { agent, events } = setup({ config: testConfig({ model }) });

    const report = await agent.run("Buy an XYZ phone");

    const warning = {
      code: "model_server_unused",
      message:
        "OPENAI_BASE_URL is set (http://127.0.0.1:4030/v1?key=***) but OPENAI_API_KEY is not, so the built-in offline model answers and that server is not asked. Set OPENAI_API_KEY too (any value for a local server that checks none) to use it.",
    };
    expect(report).toMatchObject({ outcome: "ORDERED", warnings: [warning] });
    expect(events[0]).toEqual({ type: "warning", warning });
  });

  it.each([1, 300])("gives no warning at %i s, where Auth0 pushes", async (requestedExpiry) => {
    stubShop().catalog();
    stubAuth0().bcAuthorize({ expires_in: requestedExpiry }).approve();
    stubShop().order();
    const { agent, events } = setup({ config: testConfig({ requestedExpiry }) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).not.toHaveProperty("warnings");
    expect(events.some((event) => event.type === "warning")).toBe(false);
  });
});
