import { describe, expect, it } from "vitest";

import { StoreEntryError } from "./halt.js";
import { describeStoreEntryError } from "./store-entry-report.js";

const FILE = "/s/threads%2Fthr-1.json";
const REMOVAL = `rm -- '${FILE}'`;
const purchase = (product: string, qty: number, more: Record<string, unknown> = {}) => ({
  toolCallId: `call_${product}`,
  purchase: { product, qty },
  ...more,
});
const corruptThread = (content?: unknown) =>
  describeStoreEntryError(
    new StoreEntryError("threads/thr-1", FILE, "it is not what the agent wrote", REMOVAL, content),
    "thr-1",
    true,
  );

describe("a thread record that cannot be read", () => {
  it("is forgotten only after the person's orders were checked: the record was what said whether it ordered", () => {
    expect(corruptThread().fix).toBe(
      `Check the person's orders at the shop before asking again (thread thr-1 may have placed some, and they stay there); then run ${REMOVAL} to forget the thread.`,
    );
  });

  it("names the orders its readable members show, placed or perhaps placed", () => {
    const { message } = corruptThread({
      threadId: "thr-1",
      createdAt: "yesterday",
      purchases: [
        purchase("XYZ phone", 2, { result: { outcome: "ORDERED", order: { id: "ord_1" } } }),
        purchase("USB-C cable", 1, { orderSentAt: 5 }),
        purchase("ABC laptop", 1, { result: { outcome: "ERROR", error: "order_unconfirmed" } }),
        purchase("XYZ phone case", 1, { result: { outcome: "DENIED" } }),
        "x",
      ],
    });
    expect(message).toBe(
      `The record of thread thr-1 (${FILE}) cannot be read: it is not what the agent wrote. Nothing was changed. What can still be read of it: order ord_1 placed for 2 x XYZ phone; an order for 1 x USB-C cable that the shop may have; an order for 1 x ABC laptop that the shop may have.`,
    );
  });

  it("says when what can be read names no order", () => {
    expect(corruptThread({ threadId: "thr-1", purchases: [] }).message).toMatch(
      / What can still be read of it names no order placed or sent\.$/,
    );
  });

  it.each([
    ["JSON that did not parse", undefined],
    ["another thread's record", { threadId: "thr-2", purchases: [] }],
    ["no purchases", { threadId: "thr-1", purchases: "x" }],
  ])("reads nothing into %s", (_, content) => {
    expect(corruptThread(content).message).not.toContain("What can still be read");
  });
});
