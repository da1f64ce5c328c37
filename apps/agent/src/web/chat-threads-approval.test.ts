import { AuthorizationPendingInterrupt } from "@auth0/ai/interrupts";
import { Auth0AI, setAIContext } from "@auth0/ai-vercel";
import { ManualClock, type Clock, type PurchaseRequest } from "@ciba-testbed/shared";
import { afterEach, describe, expect, it } from "vitest";

import { createMemoryStore } from "../agent-store.js";
import { auth0Store } from "../auth0-store.js";
import type { PurchaseResult } from "../purchase-result.js";
import { PURCHASE_TOOL_NAME } from "../purchase-tool.js";
import * as stubs from "../test-support/stubs.js";
import { ThreadJournal } from "../thread-journal.js";
import { ChatThreads } from "./chat-threads.js";

const { stubAuth0, stubShop, testConfig } = stubs;
stubs.isolateNetwork();
afterEach(stubs.expectAllStubsUsed);

const BUYER = "auth0|testbed-user";
const DENIED_OR_EXPIRED = {
  error: "access_denied",
  error_description: "The end-user denied the authorization request or it has been expired",
};

/** Interrupt mode ends a request whose purchase waits with the SDK's interrupt: nothing else. */
function pendingOnly(error: unknown): void {
  if (!(error instanceof AuthorizationPendingInterrupt)) throw error;
}

/** The web app's chats with the real Auth0 SDK against stubs, on clocks the test gives. */
function webApp(mode: "interrupt" | "block", clock: Clock, monotonicMs?: () => number) {
  const config = testConfig({ mode });
  const store = createMemoryStore();
  const threads = new ChatThreads({
    config,
    store,
    journal: new ThreadJournal(store),
    authorizer: new Auth0AI({ auth0: { ...config.auth0 }, store: auth0Store(store) }),
    fetch: globalThis.fetch,
    clock,
    ...(monotonicMs === undefined ? {} : { monotonicMs }),
  });
  /** One chat request that calls the purchase tool, as the chat route does. */
  const buy = async (toolCallId: string): Promise<PurchaseResult> => {
    const thread = await threads.open(BUYER, "chat-1", "Buy an XYZ phone");
    if (thread === undefined) throw new Error("the chat is busy");
    try {
      setAIContext({ threadID: thread.threadId });
      const execute = thread.tools[PURCHASE_TOOL_NAME].execute;
      if (execute === undefined) throw new Error("the purchase tool has no execute");
      const input: PurchaseRequest = { product: "XYZ phone", qty: 1 };
      try {
        await execute(input, { toolCallId, messages: [] });
      } catch (error) {
        pendingOnly(error);
      }
      const result = await thread.purchaseResult(toolCallId);
      if (result === undefined) throw new Error("no purchase");
      return result;
    } finally {
      await thread.release();
    }
  };
  return { buy };
}

describe("a purchase the web app asked approval for", () => {
  it("is DENIED when the page's next request gets access_denied well before the expiry: the app sent it", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 300, interval: 5 }).pending();
    const clock = new ManualClock();
    const { buy } = webApp("interrupt", clock);
    expect((await buy("call_1")).outcome).toBe("PENDING");

    clock.advance(5_000);
    auth0.token(400, DENIED_OR_EXPIRED);
    const result = await buy("call_1");

    expect(result).toMatchObject({ outcome: "DENIED", error: "access_denied" });
    expect(auth0.count("/bc-authorize")).toBe(1);
  });

  it("is EXPIRED when access_denied comes at the expiry on its monotonic clock, though the wall clock stepped back", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 60, interval: 5 }).pending();
    const wall = new ManualClock();
    let monotonic = 0;
    const { buy } = webApp("interrupt", wall, () => monotonic);
    expect((await buy("call_1")).outcome).toBe("PENDING");

    // 60 s later on the monotonic clock; NTP stepped the wall clock back an hour meanwhile.
    monotonic += 60_000;
    wall.advance(-3_600_000);
    auth0.token(400, DENIED_OR_EXPIRED);
    const result = await buy("call_1");

    expect(result).toMatchObject({ outcome: "EXPIRED", error: "access_denied" });
  });

  it("ends a block-mode wait at the expiry measured on the monotonic clock, though NTP stepped the wall clock forward", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize({ expires_in: 12, interval: 5 }).pending(3);
    const wall = new ManualClock();
    let monotonic = 0;
    const sleeps: number[] = [];
    const clock: Clock = {
      now: () => wall.now(),
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 1) wall.advance(300_000);
        monotonic += ms;
        await wall.sleep(ms);
      },
    };
    const { buy } = webApp("block", clock, () => monotonic);

    expect(await buy("call_1")).toMatchObject({ outcome: "EXPIRED" });
    // Polls at 0, 5 and 10.5 s, then the expiry at 12 s.
    expect(sleeps).toEqual([5_000, 5_500, 1_500]);
  });
});
