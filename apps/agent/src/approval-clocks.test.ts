import { ManualClock, type Clock } from "@ciba-testbed/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { createMemoryStore, type AgentStore } from "./agent-store.js";
import type { BootClock, BootReading } from "./boot-clock.js";
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
 * moves only with the waits; by `earlyMs` less than each wait longer than that, when timers
 * fire early by it (as Node's may, by a millisecond).
 */
function steppingClock(stepMs: number, earlyMs = 0) {
  const wall = new ManualClock();
  let monotonic = 0;
  const clock: Clock & { sleeps: number[] } = {
    sleeps: [],
    now: () => wall.now(),
    sleep: async (ms) => {
      clock.sleeps.push(ms);
      if (clock.sleeps.length === 1) wall.advance(stepMs);
      monotonic += ms > earlyMs ? ms - earlyMs : ms;
      await wall.sleep(ms);
    },
  };
  return { clock, monotonicMs: () => monotonic };
}

/**
 * An agent over the shared store with its own clock: a process on a host of its own, or on the
 * boot `bootClock` reads.
 */
const onHost = (clock: ManualClock, bootClock?: BootClock) =>
  setup({
    config: testConfig({ mode: "interrupt" }),
    store: shared,
    clock,
    ...(bootClock === undefined ? {} : { bootClock }),
  });

/** One boot of a machine: its monotonic clock, which tests move, and how long it has slept. */
function machineBoot(bootId = "8c1f3e0a-boot-1") {
  const state = { monotonicMs: 7_200_000, suspendedMs: 0 };
  return {
    clock: (): BootReading => ({ bootId, ...state }),
    /** Time passes, the machine awake. */
    run: (ms: number) => {
      state.monotonicMs += ms;
    },
    /** The machine is suspended for `ms`: its monotonic clock stands still. */
    suspend: (ms: number) => {
      state.suspendedMs += ms;
    },
  };
}

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
    expect(report.message).toMatch(
      /was denied, or its approval request expired before the agent collected an answer/,
    );
  });

  it("calls access_denied before the expiry's margin on its monotonic clock DENIED, though its wall clock stepped past the expiry", async () => {
    stubShop().catalog();
    stubAuth0()
      .bcAuthorize({ expires_in: 18, interval: 5 })
      .pending(3)
      .token(400, DENIED_OR_EXPIRED);
    const { clock, monotonicMs } = steppingClock(300_000);
    const { agent } = setup({ config: testConfig({ mode: "block" }), clock, monotonicMs });

    // Polls at 0, 5, 10 and 16.5 s: the last one's answer comes before the margin.
    expect(await agent.run("Buy an XYZ phone")).toMatchObject({
      outcome: "DENIED",
      exitCode: 3,
      error: "access_denied",
    });
    expect(clock.sleeps).toEqual([5_000, 5_000, 6_500]);
  });
});

describe("a resume on the boot that sent the request", () => {
  const HOUR = 3_600_000;
  const wallSteps = [
    ["right", 0],
    ["an hour behind", -HOUR],
    ["an hour ahead", HOUR],
  ] as const;

  /**
   * Sends the request (expires_in 60 s) on `boot`; `resume` runs the thread `afterMs` later by
   * the wall clock (plus `stepMs`, a step of it), on `resumedOn`.
   */
  async function sendOn(boot: ReturnType<typeof machineBoot>) {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 60 }).pending();
    const sender = new ManualClock();
    const sent = await onHost(sender, boot.clock).agent.run("Buy an XYZ phone");
    expect(sent.outcome).toBe("PENDING");
    const resume = (afterMs: number, stepMs = 0, resumedOn = boot) =>
      onHost(new ManualClock(sender.now() + afterMs + stepMs), resumedOn.clock).agent.resume(
        "thread-1",
      );
    return { auth0, resume };
  }

  // Nobody answered in the 60 s, or the person said no at 10 s: Auth0 answers both alike.
  it.each(
    wallSteps.flatMap(([wall, stepMs]) => [
      { afterMs: 61_000, wall, stepMs, outcome: "EXPIRED", exitCode: 4 },
      { afterMs: 10_000, wall, stepMs, outcome: "DENIED", exitCode: 3 },
    ]),
  )(
    "calls access_denied $afterMs ms after the send $outcome, its wall clock $wall",
    async ({ afterMs, stepMs, outcome, exitCode }) => {
      const boot = machineBoot();
      const { auth0, resume } = await sendOn(boot);

      boot.run(afterMs);
      auth0.token(400, DENIED_OR_EXPIRED);

      expect(await resume(afterMs, stepMs)).toMatchObject({
        outcome,
        exitCode,
        error: "access_denied",
      });
    },
  );

  it("cannot tell on another boot: denied_or_expired, with what to do", async () => {
    const { auth0, resume } = await sendOn(machineBoot("8c1f3e0a-boot-1"));

    // The machine restarted: its new boot's clock began again.
    auth0.token(400, DENIED_OR_EXPIRED);

    expect(await resume(61_000, 0, machineBoot("5d27b9c4-boot-2"))).toMatchObject({
      outcome: "DENIED",
      exitCode: 3,
      error: "denied_or_expired",
      fix: 'Ask again if the purchase is still wanted, and have auth0|testbed-user approve it in time. To tell a denial from an expiry, set "ciba": { "expiredError": "expired_token" } in the local tenant\'s mock-auth0.json (or the file MOCK_AUTH0_SETTINGS names) and restart it: it then answers an expired request with expired_token.',
    });
  });

  // Its monotonic clock stood still while the machine was suspended: it tells an expiry it
  // proves, never a denial.
  it.each([
    [10_000, "DENIED", "denied_or_expired"],
    [61_000, "EXPIRED", "access_denied"],
  ])(
    "after %i ms awake and 10 minutes suspended since the send, says %s (%s)",
    async (awakeMs, outcome, error) => {
      const boot = machineBoot();
      const { auth0, resume } = await sendOn(boot);

      boot.run(awakeMs);
      boot.suspend(600_000);
      auth0.token(400, DENIED_OR_EXPIRED);

      expect(await resume(awakeMs + 600_000)).toMatchObject({ outcome, error });
    },
  );
});

describe("the request's last interval", () => {
  it("polls once more before the expiry's margin, so an approval given then is collected", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 12, interval: 5 }).pending(2).approve();
    stubShop().order();
    const { agent, clock } = setup({ config: testConfig({ mode: "block" }) });

    expect(await agent.run("Buy an XYZ phone")).toMatchObject({ outcome: "ORDERED" });
    // Polls at 0, 5 and 10.5 s: never two closer than the interval, the last answered before
    // the second in which Auth0 may end the request.
    expect(clock.sleeps).toEqual([5_000, 5_500]);
    expect(auth0.count("/oauth/token")).toBe(3);
  });

  it("calls a denial given in the last interval DENIED, not an expiry", async () => {
    stubShop().catalog();
    stubAuth0()
      .bcAuthorize({ expires_in: 12, interval: 5 })
      .pending(2)
      .token(400, DENIED_OR_EXPIRED);
    const { agent, clock } = setup({ config: testConfig({ mode: "block" }) });

    expect(await agent.run("Buy an XYZ phone")).toMatchObject({
      outcome: "DENIED",
      exitCode: 3,
      error: "access_denied",
    });
    expect(clock.sleeps).toEqual([5_000, 5_500]);
  });

  it("says denied or expired when the interval leaves only a poll within the margin", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize({ expires_in: 6, interval: 5 }).pending().token(400, DENIED_OR_EXPIRED);
    const { agent, clock } = setup({ config: testConfig({ mode: "block" }) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "DENIED", exitCode: 3, error: "denied_or_expired" });
    expect(report.purchases[0]?.description).toContain("within a second of the request's expiry");
    expect(clock.sleeps).toEqual([5_000]);
  });

  // Expiry 6 s: polls at 0 and 5 s, then none (the next the interval allows is past the expiry).
  // Expiry 3 s, shorter than the interval: the first poll only.
  it.each([
    { expiresIn: 6, polls: 2, sleeps: [5_000, 1_001] },
    { expiresIn: 3, polls: 1, sleeps: [3_000] },
  ])(
    "never polls sooner than the interval at the expiry ($expiresIn s)",
    async ({ expiresIn, polls, sleeps }) => {
      stubShop().catalog();
      const auth0 = stubAuth0().bcAuthorize({ expires_in: expiresIn, interval: 5 }).pending(polls);
      // Timers that fire a millisecond early: a wait to the expiry ends just before it.
      const { clock, monotonicMs } = steppingClock(0, 1);
      const { agent } = setup({ config: testConfig({ mode: "block" }), clock, monotonicMs });

      expect(await agent.run("Buy an XYZ phone")).toMatchObject({
        outcome: "EXPIRED",
        exitCode: 4,
      });
      expect(clock.sleeps).toEqual(sleeps);
      expect(auth0.count("/oauth/token")).toBe(polls);
    },
  );

  it("collects an approval with the one poll the interval allows before the expiry", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize({ expires_in: 6, interval: 5 }).pending().approve();
    stubShop().order();
    const { agent, clock } = setup({ config: testConfig({ mode: "block" }) });

    expect(await agent.run("Buy an XYZ phone")).toMatchObject({ outcome: "ORDERED" });
    expect(clock.sleeps).toEqual([5_000]);
  });
});

describe("a purchase's timings", () => {
  it.each([3_600_000, -3_600_000])(
    "are measured on the monotonic clock, though the wall clock stepped %i ms during the wait",
    async (stepMs) => {
      stubShop().catalog();
      stubAuth0().bcAuthorize({ expires_in: 300, interval: 2 }).pending(2).approve();
      stubShop().order();
      const { clock, monotonicMs } = steppingClock(stepMs);
      // A clock of fractional milliseconds (performance.now()): whole ones are reported.
      const fractional = () => monotonicMs() * 1.0001;
      const config = testConfig({ mode: "block" });
      const { agent } = setup({ config, clock, monotonicMs: fractional });

      const report = await agent.run("Buy an XYZ phone");

      expect(report.outcome).toBe("ORDERED");
      expect(report.timings).toEqual({
        modelMs: 0,
        catalogMs: 0,
        bcAuthorizeMs: 0,
        approvalMs: 4_000,
        decisionMs: 4_000,
        orderMs: 0,
        totalMs: 4_000,
      });
    },
  );

  it("measure the catalog's lookup on the monotonic clock, though the wall clock stepped during it", async () => {
    const wall = new ManualClock();
    let monotonic = 0;
    // The shop answers the catalog 250 ms later, while NTP steps the wall clock back an hour.
    stubs
      .nock(stubs.SHOP)
      .get("/api/products")
      .reply(() => {
        monotonic += 250;
        wall.advance(-3_600_000);
        return [200, { products: stubs.CATALOG }];
      });
    stubShop().purchaseUrl(401);
    stubAuth0().bcAuthorize({ expires_in: 300, interval: 2 }).approve();
    stubShop().order();
    const config = testConfig({ mode: "block" });
    const { agent } = setup({ config, clock: wall, monotonicMs: () => monotonic });

    const report = await agent.run("Buy an XYZ phone");

    expect(report.outcome).toBe("ORDERED");
    expect(report.timings).toMatchObject({ catalogMs: 250 });
  });

  it("are measured across processes of the boot that sent the request", async () => {
    const boot = machineBoot();
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 60 }).pending();
    const sender = new ManualClock();
    expect((await onHost(sender, boot.clock).agent.run("Buy an XYZ phone")).outcome).toBe(
      "PENDING",
    );

    boot.run(10_000);
    auth0.approve();
    stubShop().order();
    const resumer = new ManualClock(sender.now() + 10_000 + 3_600_000);
    const report = await onHost(resumer, boot.clock).agent.resume("thread-1");

    expect(report.outcome).toBe("ORDERED");
    expect(report.timings).toMatchObject({ approvalMs: 10_000, decisionMs: 10_000, orderMs: 0 });
  });

  it("leave out what a resume on another boot cannot measure, rather than guess it", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 60 }).pending();
    const sender = new ManualClock();
    expect((await onHost(sender).agent.run("Buy an XYZ phone")).outcome).toBe("PENDING");

    auth0.approve();
    stubShop().order();
    const report = await onHost(new ManualClock(sender.now() - 3_600_000)).agent.resume("thread-1");

    expect(report.outcome).toBe("ORDERED");
    expect(report.timings).not.toHaveProperty("approvalMs");
    expect(report.timings).not.toHaveProperty("decisionMs");
    expect(report.timings).toMatchObject({ orderMs: 0 });
  });
});
