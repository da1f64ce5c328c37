import { ManualClock } from "@ciba-testbed/shared";
import { afterEach, describe, expect, it } from "vitest";

import { ORDER_RETRY, orderPurchase, type OrderRetry } from "./order-step.js";
import { expectAllStubsUsed, isolateNetwork, nock, SHOP } from "./test-support/stubs.js";

isolateNetwork();
afterEach(expectAllStubsUsed);

const ORDER = { id: "ord_1", status: "confirmed" };

/** A fetch that answers each call with the next step: a response, or an error to throw. */
function fetchSequence(...steps: (Response | Error)[]): typeof fetch & { calls: number } {
  const stub = Object.assign(
    (_input: unknown, init?: RequestInit) => {
      stub.calls += 1;
      expect(new Headers(init?.headers).get("idempotency-key")).toBe("call_1");
      const step = steps.shift();
      if (step === undefined) throw new Error("no step left");
      return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
    },
    { calls: 0 },
  );
  return stub;
}

/** What Node's fetch throws for a socket error. */
const socketError = (code: string) =>
  new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) });

const created = () => Response.json(ORDER, { status: 201 });

function order(
  clock = new ManualClock(),
  fetchImpl: typeof fetch = fetch,
  retry: OrderRetry = { attempts: 4, answerTimeoutMs: 200, maxPauseMs: 5_000 },
) {
  return orderPurchase({
    fetch: fetchImpl,
    clock,
    shopApiUrl: `${SHOP}/api/purchases`,
    accessToken: "at",
    idempotencyKey: "call_1",
    purchase: { product: "XYZ phone", qty: 1 },
    retry,
  });
}

/** Every request the stub saw carried the tool call's Idempotency-Key. */
const withKey = { reqheaders: { "idempotency-key": "call_1" } };

describe("orderPurchase: an answer that does not settle the order is asked again, with the same key", () => {
  it("orders after a 503, waiting the shop's Retry-After", async () => {
    const clock = new ManualClock();
    nock(SHOP, withKey)
      .post("/api/purchases")
      .reply(
        503,
        { error: "temporarily_unavailable", error_description: "db" },
        {
          "retry-after": "3",
        },
      )
      .post("/api/purchases")
      .reply(201, ORDER);
    await expect(order(clock)).resolves.toMatchObject({ outcome: "ORDERED", order: ORDER });
    expect(clock.sleeps).toEqual([3_000]);
  });

  it("orders after a connection broken once the request left (the shop may have it)", async () => {
    const clock = new ManualClock();
    const shop = fetchSequence(socketError("ECONNRESET"), created());
    await expect(order(clock, shop)).resolves.toMatchObject({ outcome: "ORDERED" });
    expect([shop.calls, clock.sleeps]).toEqual([2, [500]]);
  });

  it("orders after an answer that did not come in time", async () => {
    const timedOut = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const shop = fetchSequence(timedOut, created());
    await expect(order(new ManualClock(), shop)).resolves.toMatchObject({ outcome: "ORDERED" });
    expect(shop.calls).toBe(2);
  });

  it("says order_unconfirmed, naming the key, when 5xx answers go on: never SHOP_REFUSED", async () => {
    const clock = new ManualClock();
    nock(SHOP, withKey).post("/api/purchases").times(4).reply(504, "<html>Gateway Timeout</html>");
    const verdict = await order(clock);
    expect(verdict).toMatchObject({ outcome: "ERROR", error: "order_unconfirmed" });
    expect(verdict.description).toMatch(/may have it.*Idempotency-Key is call_1/);
    // The token to send it again with lives only in this process: nobody can.
    expect(verdict.description).not.toMatch(/sent again/);
    expect(verdict.fix).toMatch(/Check the person's orders/);
    expect(clock.sleeps).toEqual([500, 1_000, 2_000]);
  });

  it("says the shop could not be reached, and nothing was ordered, when no request got there", async () => {
    const refused = () => socketError("ECONNREFUSED");
    const shop = fetchSequence(refused(), refused(), refused(), refused());
    await expect(order(new ManualClock(), shop)).resolves.toMatchObject({
      outcome: "ERROR",
      error: "shop_unreachable",
      description: expect.stringMatching(/ECONNREFUSED\); nothing was ordered/) as unknown,
      fix: expect.stringMatching(/pnpm shop-api/) as unknown,
    });
    expect(shop.calls).toBe(4);
  });

  it("asks a shop that refuses connections again for 30 s (a restart), then says nothing was ordered", async () => {
    const refused = () => socketError("ECONNREFUSED");
    const retry = { ...ORDER_RETRY, answerTimeoutMs: 200 };
    // A shop that takes 5 s to start again: the fifth attempt, 5.5 s after the first, orders.
    const restarting = new ManualClock();
    const back = fetchSequence(refused(), refused(), refused(), refused(), created());
    await expect(order(restarting, back, retry)).resolves.toMatchObject({
      outcome: "ORDERED",
      order: ORDER,
    });
    expect(restarting.sleeps).toEqual([500, 1_000, 2_000, 2_000]);

    const clock = new ManualClock();
    const down = fetchSequence(...Array.from({ length: 17 }, refused));
    const verdict = await order(clock, down, retry);
    expect(verdict).toMatchObject({
      outcome: "ERROR",
      error: "shop_unreachable",
      description: `Cannot reach the shop at ${SHOP}/api/purchases (ECONNREFUSED, for 30 s); nothing was ordered.`,
    });
    expect(clock.sleeps.reduce((sum, ms) => sum + ms, 0)).toBe(30_000);
    expect(down.calls).toBe(17);
  });

  it("shows SHOP_API_URL with its credentials hidden", async () => {
    const refused = () => socketError("ECONNREFUSED");
    const notFound = Response.json({ error: "not_found" }, { status: 404 });
    for (const shop of [
      fetchSequence(refused(), refused(), refused(), refused()),
      fetchSequence(notFound),
    ]) {
      const verdict = await orderPurchase({
        fetch: shop,
        clock: new ManualClock(),
        shopApiUrl: `http://:pw@localhost:4020/api/purchases?api_key=s3cret`,
        accessToken: "at",
        idempotencyKey: "call_1",
        purchase: { product: "XYZ phone", qty: 1 },
        retry: { attempts: 4, answerTimeoutMs: 200, maxPauseMs: 5_000 },
      });
      expect(verdict.description).toContain("http://***@localhost:4020/api/purchases?api_key=***");
      expect(JSON.stringify(verdict)).not.toMatch(/s3cret|pw@/);
    }
  });

  it("counts an order as maybe placed once any attempt may have reached the shop", async () => {
    const shop = fetchSequence(
      socketError("ECONNRESET"),
      socketError("ECONNREFUSED"),
      socketError("ECONNREFUSED"),
      socketError("ECONNREFUSED"),
    );
    await expect(order(new ManualClock(), shop)).resolves.toMatchObject({
      error: "order_unconfirmed",
    });
  });

  it("takes a 4xx as the shop's answer at once", async () => {
    const clock = new ManualClock();
    nock(SHOP)
      .post("/api/purchases")
      .reply(409, { error: "insufficient_stock", error_description: "Only 1 left" });
    await expect(order(clock)).resolves.toEqual({
      outcome: "SHOP_REFUSED",
      error: "insufficient_stock",
      description: "Only 1 left",
      fix: "Ask for what is in stock, or restock the testbed's shop: stop it (or pnpm dev) and start it with pnpm shop-api --reset, which also forgets its orders and refuses every approval given before it.",
    });
    expect(clock.sleeps).toEqual([]);
  });

  it("calls a purchase URL that takes no orders a configuration error", async () => {
    nock(SHOP)
      .post("/api/purchases")
      .reply(404, { error: "not_found", error_description: "No route" });
    await expect(order()).resolves.toMatchObject({
      outcome: "CONFIG_ERROR",
      fix: expect.stringMatching(/SHOP_API_URL/) as unknown,
    });
  });

  it("names the clocks when the shop refuses the token's time claims, the tenant otherwise", async () => {
    nock(SHOP)
      .post("/api/purchases")
      .reply(401, {
        error: "invalid_token",
        error_description: "'exp' claim timestamp check failed",
      })
      .post("/api/purchases")
      .reply(401, {
        error: "invalid_token",
        error_description: '"nbf" claim timestamp check failed',
      })
      .post("/api/purchases")
      .reply(401, { error: "invalid_token", error_description: "signature verification failed" });
    const clocks = expect.stringMatching(
      /expired or not yet valid.*clocks of the shop and the tenant \(NTP\)/,
    ) as unknown;
    await expect(order()).resolves.toMatchObject({ outcome: "ERROR", fix: clocks });
    await expect(order()).resolves.toMatchObject({ outcome: "ERROR", fix: clocks });
    await expect(order()).resolves.toMatchObject({
      outcome: "ERROR",
      fix: expect.stringMatching(/trusts this tenant/) as unknown,
    });
  });
});
