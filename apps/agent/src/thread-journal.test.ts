import { describe, expect, it } from "vitest";

import { createMemoryStore } from "./agent-store.js";
import type { PurchaseRecord } from "./purchase-record.js";
import type { Order } from "./purchase-result.js";
import { JOURNAL_FORMAT, ThreadJournal } from "./thread-journal.js";

async function journalWithPurchase() {
  const journal = new ThreadJournal(createMemoryStore());
  await journal.put({
    threadId: "thr-1",
    request: "Buy an XYZ phone",
    userId: "auth0|testbed-user",
    createdAt: 0,
    purchases: [],
  });
  const record: PurchaseRecord = {
    toolCallId: "call_1",
    purchase: { product: "XYZ phone", qty: 1 },
    bindingMessage: "Do you want to buy 1 XYZ phone",
    startedAt: 1_000,
    request: { id: "req-1", expiresIn: 300, interval: 5, sentAt: 1_000 },
  };
  await journal.putPurchase("thr-1", record);
  return { journal, record };
}

describe("ThreadJournal", () => {
  it("writes the oldest format that holds the record: 2 once it names a call not tried", async () => {
    const store = createMemoryStore();
    const journal = new ThreadJournal(store);
    await journal.put({
      threadId: "thr-1",
      request: "r",
      userId: "u",
      createdAt: 0,
      purchases: [],
    });
    expect(await journal.get("thr-1")).toMatchObject({ formatVersion: 1 });
    const call = { product: "USB-C cable", qty: 3 };
    const untried = {
      toolCallId: "call_b",
      purchase: call,
      error: "turn_ended",
      description: "Not",
    };

    await journal.noteUntried("thr-1", untried);
    await journal.noteUntried("thr-1", untried);

    expect(await journal.get("thr-1")).toMatchObject({
      formatVersion: 2,
      untried: [{ ...untried, afterPurchases: 0 }],
    });
    expect(JOURNAL_FORMAT).toBe(2);
  });

  it("marks each step from approval to order once, keeping the first instant", async () => {
    const { journal } = await journalWithPurchase();

    await journal.markApproved("thr-1", "call_1", 5_000);
    await journal.markApproved("thr-1", "call_1", 9_000);
    await journal.markOrderSent("thr-1", "call_1", 6_000);
    await journal.markApproved("thr-1", "call_unknown", 1);

    expect(await journal.findPurchase("thr-1", "call_1")).toMatchObject({
      approvedAt: 5_000,
      orderSentAt: 6_000,
    });
    expect(await journal.findPurchase("thr-1", "call_unknown")).toBeUndefined();
    expect((await journal.get("thr-1"))?.purchases).toHaveLength(1);
  });

  it("keeps the boot clock's reading of a request's send, and reads requests without one", async () => {
    const { journal, record } = await journalWithPurchase();
    expect((await journal.findPurchase("thr-1", "call_1"))?.request).toEqual(record.request);

    const sentOn = { bootId: "7c57302c-398e-415a", monotonicMs: 2_079_878.1, suspendedMs: 12.5 };
    const request = { id: "req-1", expiresIn: 300, interval: 5, sentAt: 1_000, sentOn };
    await journal.putPurchase("thr-1", { ...record, request });
    expect((await journal.findPurchase("thr-1", "call_1"))?.request).toEqual(request);
  });

  it("finishes a purchase with its result and timings", async () => {
    const { journal } = await journalWithPurchase();
    await journal.markApproved("thr-1", "call_1", 5_000);
    const approved = await journal.findPurchase("thr-1", "call_1");

    const result = await journal.finishPurchase(
      "thr-1",
      approved!,
      { outcome: "ORDERED", description: "Ordered.", order: { id: "ord_1" } as Order },
      5_250,
      { approvalMs: 4_000, decisionMs: 3_800, orderMs: 250 },
    );

    expect(result).toEqual({
      outcome: "ORDERED",
      description: "Ordered.",
      order: { id: "ord_1" },
      purchase: { product: "XYZ phone", qty: 1 },
      bindingMessage: "Do you want to buy 1 XYZ phone",
      authReqId: "req-1",
      timings: { approvalMs: 4_000, decisionMs: 3_800, orderMs: 250 },
    });
    expect(await journal.findPurchase("thr-1", "call_1")).toMatchObject({
      finishedAt: 5_250,
      result,
    });
  });

  it("never times a step by the wall times it keeps: only by what the finishing process measured", async () => {
    const { journal, record } = await journalWithPurchase();
    const result = await journal.finishPurchase(
      "thr-1",
      { ...record, acceptedAt: 1_500 },
      { outcome: "DENIED", error: "access_denied", description: "Denied." },
      3_000,
    );
    expect(result.timings).toEqual({});
  });
});
