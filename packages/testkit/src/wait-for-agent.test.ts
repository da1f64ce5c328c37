import { describe, expect, it } from "vitest";

import { describePolling, waitForAgent } from "./wait-for-agent.js";
import type { AgentWaitDeps } from "./wait-for-agent.js";
import type { ConsentEvent, ConsentRequest } from "./wire.js";

type Tracked = ConsentRequest & { timeline: ConsentEvent[] };

const CREATED = Date.parse("2030-01-01T12:00:00Z");
const at = (ms: number) => new Date(CREATED + ms).toISOString();

/** A request approved at once, and its polls: `[ms after creation, answer]`. */
function polledRequest(polls: [number, string][], interval = 5): Tracked {
  const last = polls.at(-1);
  return {
    auth_req_id: "req-1",
    status: "approved",
    user: "auth0|testbed-user",
    user_name: "Test Buyer",
    client_id: "agent",
    client_name: "Shopping agent",
    binding_message: "Buy 1 XYZ phone",
    scope: "openid product:buy",
    audience: "sample-shop-api",
    authorization_details: null,
    message_mismatch: null,
    channel: "guardian-push",
    user_email: "buyer@example.com",
    approver_outcome: "manual",
    created_at: at(0),
    expires_at: at(300_000),
    interval,
    polls: polls.length,
    last_polled_at: last === undefined ? null : at(last[0]),
    agent_polling: null,
    email: null,
    decision: { decision: "approve", at: at(10), by: "control-api" },
    timeline: [
      { at: at(0), type: "created" },
      { at: at(10), type: "approved", by: "control-api" },
      ...polls.map(([ms, answer]) => ({ at: at(ms), type: "poll", answer })),
    ],
  };
}

/** Deps whose clock each wait between two looks moves on. */
function fakeTime(request: Tracked): AgentWaitDeps {
  let time = 0;
  return {
    request: () => Promise.resolve(request),
    now: () => time,
    delay: (ms) => {
      time += ms;
      return Promise.resolve();
    },
  };
}

const never = new Promise<never>(() => undefined);

describe("waitForAgent", () => {
  it("fails an agent that polls on a timer of its own, naming slow_down and the interval", async () => {
    const request = polledRequest(
      [
        [1000, "authorization_pending"],
        [2000, "slow_down"],
        [3000, "slow_down"],
        [4000, "slow_down"],
      ],
      20,
    );
    await expect(
      waitForAgent(fakeTime(request), never, "req-1", { timeoutMs: 500 }),
    ).rejects.toMatchObject({ name: "TestbedError", code: "TESTBED_AGENT_TIMEOUT" });
    await expect(
      waitForAgent(fakeTime(request), never, "req-1", { timeoutMs: 500 }),
    ).rejects.toThrow(
      "The agent did not finish within 500 ms: request req-1 is approved; the agent polled " +
        "/oauth/token 4 times (1 authorization_pending, 3 slow_down), 1.0 s, 1.0 s, 1.0 s " +
        "apart, last at 2030-01-01T12:00:04.000Z: 3 polls came sooner than the tenant's " +
        "interval, which is now 20 s",
    );
  });

  it("says so when the person answered and the agent has not polled since", async () => {
    const request = polledRequest([[0, "authorization_pending"]]);
    await expect(waitForAgent(fakeTime(request), never, "req-1")).rejects.toThrow(
      "the agent polled /oauth/token 1 times (1 authorization_pending), last at " +
        "2030-01-01T12:00:00.000Z: the person answered, and the agent has not polled since to " +
        "learn it: its poll loop ended (an answer it took for the end, an error it swallowed) " +
        "or waits longer than `interval` between polls",
    );
  });

  it("resolves and rejects as the agent does", async () => {
    const deps = fakeTime(polledRequest([]));
    await expect(waitForAgent(deps, Promise.resolve({ status: 201 }), "req-1")).resolves.toEqual({
      status: 201,
    });
    const failed = new Error("agent crashed");
    await expect(waitForAgent(deps, Promise.reject(failed), "req-1")).rejects.toBe(failed);
  });
});

describe("describePolling", () => {
  it("says when the agent never polled", () => {
    expect(describePolling(polledRequest([]))).toBe(
      "request req-1 is approved, and the agent never polled /oauth/token for it: it sent " +
        "/bc-authorize and then waited on something else or ended its loop (an error it took " +
        "for the end, a hook that never returned); poll from /bc-authorize's answer on, every " +
        "`interval` seconds",
    );
  });

  it("says where to look when the agent got its token and did not finish", () => {
    const request = {
      ...polledRequest([
        [0, "authorization_pending"],
        [5000, "token"],
      ]),
      status: "consumed" as const,
    };
    expect(describePolling(request)).toBe(
      "request req-1 is consumed; the agent polled /oauth/token 2 times (1 " +
        "authorization_pending, 1 token), 5.0 s apart, last at 2030-01-01T12:00:05.000Z: the " +
        "agent got its token and has not finished since: what it does with the token hangs " +
        "(its order to the shop, the model's next step); shop.orders() shows whether the order " +
        "came",
    );
  });
});
