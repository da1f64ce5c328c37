import { ManualClock, type Clock } from "@ciba-testbed/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { createMemoryStore, type AgentStore } from "./agent-store.js";
import { AgentHalt } from "./halt.js";
import { resetToolCalls, setup } from "./test-support/agent-setup.js";
import * as stubs from "./test-support/stubs.js";

const { stubAuth0, stubShop, testConfig } = stubs;
stubs.isolateNetwork();
/** One store that every agent of a test shares: processes on several hosts. */
let shared: AgentStore;
beforeEach(() => {
  resetToolCalls();
  shared = createMemoryStore();
});
afterEach(stubs.expectAllStubsUsed);

const DENIED_OR_EXPIRED = {
  error: "access_denied",
  error_description: "The end-user denied the authorization request or it has been expired",
};

/**
 * A wall clock that NTP steps by `stepMs` during the first wait, beside a monotonic clock that
 * moves only with the waits.
 */
function steppingClock(stepMs: number) {
  const wall = new ManualClock();
  let monotonic = 0;
  const clock: Clock & { sleeps: number[] } = {
    sleeps: [],
    now: () => wall.now(),
    sleep: async (ms) => {
      clock.sleeps.push(ms);
      if (clock.sleeps.length === 1) wall.advance(stepMs);
      monotonic += ms;
      await wall.sleep(ms);
    },
  };
  return { clock, monotonicMs: () => monotonic };
}

/** An agent over the shared store with its own clock: a process on a host of its own. */
const onHost = (clock: ManualClock) =>
  setup({ config: testConfig({ mode: "interrupt" }), store: shared, clock });

describe("a clock ahead", () => {
  it("resumes an approved request its clock says expired, and orders: the tenant decides", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 300 }).pending();
    const sender = new ManualClock();
    expect((await onHost(sender).agent.run("Buy an XYZ phone")).outcome).toBe("PENDING");

    // A host 5 minutes ahead resumes 10 s later, with 290 s left at the tenant.
    auth0.approve();
    stubShop().order();
    const ahead = new ManualClock(sender.now() + 310_000);
    const report = await onHost(ahead).agent.resume("thread-1");

    expect(report).toMatchObject({ outcome: "ORDERED", exitCode: 0 });
    expect(auth0.count("/oauth/token")).toBe(2);
  });

  it("keeps waiting when its wall clock steps forward during a block-mode wait", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize({ expires_in: 300, interval: 5 }).pending().approve();
    stubShop().order();
    const { clock, monotonicMs } = steppingClock(300_000);
    const { agent } = setup({ config: testConfig({ mode: "block" }), clock, monotonicMs });

    expect(await agent.run("Buy an XYZ phone")).toMatchObject({ outcome: "ORDERED" });
    expect(clock.sleeps).toEqual([5_000]);
  });
});

describe("a clock behind", () => {
  it("polls a resumed request within one interval, whatever the last poll's time says", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 300, interval: 5 }).pending();
    const sender = new ManualClock();
    expect((await onHost(sender).agent.run("Buy an XYZ phone")).outcome).toBe("PENDING");

    auth0.pending();
    const behind = new ManualClock(sender.now() - 60_000);
    expect((await onHost(behind).agent.resume("thread-1")).outcome).toBe("PENDING");
    expect(behind.sleeps).toEqual([5_000]);
  });

  it("says which request is out before a resume's first wait, so a run stopped then names it", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize({ expires_in: 300, interval: 5 }).pending();
    const sender = new ManualClock();
    expect((await onHost(sender).agent.run("Buy an XYZ phone")).outcome).toBe("PENDING");

    // SIGTERM during the wait before the first poll: the CLI halts the run there.
    const stopped: Clock = {
      now: () => sender.now() - 60_000,
      sleep: () => Promise.reject(new AgentHalt("signal", "Stopped by SIGTERM")),
    };
    const resumer = setup({
      config: testConfig({ mode: "interrupt" }),
      store: shared,
      clock: stopped,
    });
    const report = await resumer.agent.resume("thread-1");

    expect(report).toMatchObject({ outcome: "ERROR", error: "signal" });
    expect(resumer.events).toContainEqual(
      expect.objectContaining({ type: "approval-requested", resumed: true, authReqId: "req-1" }),
    );
  });

  it("says denied or expired when a resume gets access_denied and cannot tell which", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 60 }).pending();
    const sender = new ManualClock();
    expect((await onHost(sender).agent.run("Buy an XYZ phone")).outcome).toBe("PENDING");

    // The request expired at the tenant; this host's clock, an hour behind, says 59 s are left.
    auth0.token(400, DENIED_OR_EXPIRED);
    const report = await onHost(new ManualClock(sender.now() - 3_600_000)).agent.resume("thread-1");

    expect(report).toMatchObject({ outcome: "DENIED", error: "denied_or_expired" });
    expect(report.message).toMatch(/was denied, or its approval request expired unanswered/);
  });

  it("calls access_denied at the expiry measured on its monotonic clock EXPIRED, though its wall clock stepped back", async () => {
    stubShop().catalog();
    stubAuth0()
      .bcAuthorize({ expires_in: 18, interval: 5 })
      .pending(3)
      .token(400, DENIED_OR_EXPIRED);
    const { clock, monotonicMs } = steppingClock(-300_000);
    const { agent } = setup({ config: testConfig({ mode: "block" }), clock, monotonicMs });

    expect(await agent.run("Buy an XYZ phone")).toMatchObject({ outcome: "EXPIRED", exitCode: 4 });
  });
});

describe("the request's last interval", () => {
  it("polls once more just before the expiry, so an approval given then is collected", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 12, interval: 5 }).pending(2).approve();
    stubShop().order();
    const { agent, clock } = setup({ config: testConfig({ mode: "block" }) });

    expect(await agent.run("Buy an XYZ phone")).toMatchObject({ outcome: "ORDERED" });
    // Polls at 0, 5 and 11.5 s: never two closer than the interval, the last before the expiry.
    expect(clock.sleeps).toEqual([5_000, 6_500]);
    expect(auth0.count("/oauth/token")).toBe(3);
  });
});
