import { afterEach, describe, expect, it, vi } from "vitest";

import { OrdersInFlight, type OrderOut } from "./orders-in-flight.js";

const ANN = { threadId: "ann.chat1", sub: "auth0|ann" };
const BOB = { threadId: "bob.chat1", sub: "auth0|bob" };

describe("OrdersInFlight", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** What `settling` resolved with by now, or "waiting". */
  const settledYet = async (settling: Promise<OrderOut[]>) => {
    let done: OrderOut[] | "waiting" = "waiting";
    void settling.then((out) => (done = out));
    await vi.advanceTimersByTimeAsync(0);
    return done;
  };

  it("settles at once with no order out, else once every order sent has its answer", async () => {
    vi.useFakeTimers();
    const orders = new OrdersInFlight();
    await expect(settledYet(orders.settled(15_000))).resolves.toEqual([]);

    orders.note({ type: "order-sending", toolCallId: "a" }, ANN);
    orders.note({ type: "order-sending", toolCallId: "b" }, ANN);
    // Other events change nothing.
    orders.note({ type: "text", text: "hi" }, ANN);
    const settling = orders.settled(15_000);
    orders.note({ type: "order-answered", toolCallId: "a", outcome: "ORDERED" }, ANN);
    await expect(settledYet(settling)).resolves.toBe("waiting");
    orders.note({ type: "order-answered", toolCallId: "b", outcome: "ERROR" }, ANN);
    await expect(settledYet(settling)).resolves.toEqual([]);
    expect(orders.size).toBe(0);
  });

  it("stops waiting after maxMs for an order whose answer never comes, and names it with its chat and person", async () => {
    vi.useFakeTimers();
    const orders = new OrdersInFlight();
    orders.note({ type: "order-sending", toolCallId: "a" }, ANN);
    const settling = orders.settled(15_000);
    await vi.advanceTimersByTimeAsync(14_999);
    await expect(settledYet(settling)).resolves.toBe("waiting");
    await vi.advanceTimersByTimeAsync(1);
    await expect(settledYet(settling)).resolves.toEqual([{ toolCallId: "a", ...ANN }]);
    expect(orders.size).toBe(1);
  });

  it("keeps the same tool call id of two chats apart: one answered leaves the other out", async () => {
    vi.useFakeTimers();
    const orders = new OrdersInFlight();
    orders.note({ type: "order-sending", toolCallId: "call_1" }, ANN);
    orders.note({ type: "order-sending", toolCallId: "call_1" }, BOB);
    orders.note({ type: "order-answered", toolCallId: "call_1", outcome: "ORDERED" }, ANN);

    const settling = orders.settled(15_000);
    await vi.advanceTimersByTimeAsync(15_000);
    await expect(settledYet(settling)).resolves.toEqual([{ toolCallId: "call_1", ...BOB }]);
  });
});
