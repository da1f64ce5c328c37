import { afterEach, describe, expect, it, vi } from "vitest";

import { OrdersInFlight } from "./orders-in-flight.js";

describe("OrdersInFlight", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const settledYet = async (settling: Promise<void>) => {
    let done = false;
    void settling.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    return done;
  };

  it("settles at once with no order out, else once every order sent has its answer", async () => {
    vi.useFakeTimers();
    const orders = new OrdersInFlight();
    await expect(settledYet(orders.settled(15_000))).resolves.toBe(true);

    orders.note({ type: "order-sending", toolCallId: "a" });
    orders.note({ type: "order-sending", toolCallId: "b" });
    // Other events change nothing.
    orders.note({ type: "text", text: "hi" });
    const settling = orders.settled(15_000);
    orders.note({ type: "order-answered", toolCallId: "a", outcome: "ORDERED" });
    await expect(settledYet(settling)).resolves.toBe(false);
    orders.note({ type: "order-answered", toolCallId: "b", outcome: "ERROR" });
    await expect(settledYet(settling)).resolves.toBe(true);
    expect(orders.size).toBe(0);
  });

  it("stops waiting after maxMs for an order whose answer never comes", async () => {
    vi.useFakeTimers();
    const orders = new OrdersInFlight();
    orders.note({ type: "order-sending", toolCallId: "a" });
    const settling = orders.settled(15_000);
    await vi.advanceTimersByTimeAsync(14_999);
    await expect(settledYet(settling)).resolves.toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(settledYet(settling)).resolves.toBe(true);
    expect(orders.size).toBe(1);
  });
});
