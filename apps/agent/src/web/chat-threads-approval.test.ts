import { AuthorizationPendingInterrupt } from "@auth0/ai/interrupts";
import { Auth0AI, setAIContext } from "@auth0/ai-vercel";
import { ManualClock, type Clock, type PurchaseRequest } from "@ciba-testbed/shared";
import { afterEach, describe, expect, it, vi } from "vitest";

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
  return { buy, threads };
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

  it("tells the pages that follow a block-mode chat why its polls get no answer from Auth0, and stops once one is answered", async () => {
    // A reloaded page, or a second tab, follows the chat from its purchases, not the stream:
    // it said "Waiting for approval" for the whole outage while the page that asked said why.
    stubShop().catalog().order();
    stubAuth0()
      .bcAuthorize({ expires_in: 300, interval: 5 })
      .token(503, { error: "temporarily_unavailable", error_description: "Try again later" })
      .pending()
      .approve();
    const wall = new ManualClock();
    const sleeping: (() => void)[] = [];
    const clock: Clock = {
      now: () => wall.now(),
      sleep: (ms) => {
        wall.advance(ms);
        return new Promise((resolve) => sleeping.push(resolve));
      },
    };
    const { buy, threads } = webApp("block", clock);
    const bought = buy("call_1");
    const listed = async () => (await threads.purchases(BUYER, "chat-1"))?.purchases[0];
    /** Lets the purchase tool's `n`th wait end, once it has begun. */
    const wake = async (n: number) => {
      await vi.waitFor(() => {
        expect(sleeping.length).toBeGreaterThanOrEqual(n);
      });
      sleeping[n - 1]?.();
    };

    // The first poll, at once, got 503: the tool waits an interval to ask again.
    await vi.waitFor(() => {
      expect(sleeping).toHaveLength(1);
    });
    const waiting = await listed();
    expect(waiting?.result.outcome).toBe("PENDING");
    expect(waiting?.problem).toBe("503 temporarily_unavailable");
    // Answered "pending": the tenant is back, and the card no longer says otherwise.
    await wake(1);
    await vi.waitFor(() => {
      expect(sleeping).toHaveLength(2);
    });
    expect(await listed()).not.toHaveProperty("problem");
    await wake(2);
    expect((await bought).outcome).toBe("ORDERED");
    expect(await listed()).not.toHaveProperty("problem");
  });
});

describe("an order out at the shop when the web app stops", () => {
  it("is named by ordersSettled, with its purchase, person, chat and send time, until the shop answers", async () => {
    let orderAtShop!: () => void;
    const atShop = new Promise<void>((resolve) => (orderAtShop = resolve));
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    stubShop()
      .catalog()
      .order(201, { id: "ord_1", total: 499, currency: "USD" }, async () => {
        orderAtShop();
        await answered;
      });
    stubAuth0().bcAuthorize({ interval: 0 }).approve();
    const clock = new ManualClock();
    const { buy, threads } = webApp("block", clock);
    const bought = buy("call_1");
    await atShop;

    // The grace is over at once: the shop has not answered.
    const unconfirmed = await threads.ordersSettled(0);

    expect(unconfirmed).toEqual([
      {
        toolCallId: "call_1",
        threadId: threads.threadIdOf(BUYER, "chat-1"),
        sub: BUYER,
        purchase: { product: "XYZ phone", qty: 1 },
        sentAt: clock.now(),
      },
    ]);
    answer();
    expect((await bought).outcome).toBe("ORDERED");
    await expect(threads.ordersSettled(0)).resolves.toEqual([]);
  });
});
