import { describe, expect, it } from "vitest";

import {
  closingMessage,
  haltReport,
  threadOutcome,
  threadReport,
  toAgentReportJson,
} from "./agent-report.js";
import { AgentHalt, StoreEntryError } from "./halt.js";
import type { PurchaseRecord } from "./purchase-record.js";
import { describeResult, type PurchaseResult } from "./purchase-result.js";
import type { ThreadRecord } from "./thread-journal.js";

const phone = { product: "XYZ phone", qty: 1 };

function purchase(id: string, result?: Partial<PurchaseResult>): PurchaseRecord {
  return {
    toolCallId: id,
    purchase: phone,
    bindingMessage: "Do you want to buy 1 XYZ phone",
    startedAt: 0,
    request: { id: `req-${id}`, expiresIn: 300, interval: 5, sentAt: 0 },
    ...(result === undefined
      ? {}
      : {
          result: {
            outcome: "ORDERED",
            description: "Ordered.",
            purchase: phone,
            authReqId: `req-${id}`,
            ...result,
          },
        }),
  };
}

const thread = (...purchases: PurchaseRecord[]): ThreadRecord => ({
  threadId: "thr-1",
  request: "Buy an XYZ phone",
  userId: "auth0|testbed-user",
  createdAt: 0,
  purchases,
});

describe("threadOutcome", () => {
  it("is PENDING while a purchase waits, PARTIAL after an order and a failure, else the first failure, else ORDERED", () => {
    expect(threadOutcome(thread(purchase("a", {}), purchase("b")))).toBe("PENDING");
    const denied = purchase("b", { outcome: "DENIED", error: "access_denied" });
    const turnEnded = purchase("c", { outcome: "NO_PURCHASE", error: "turn_ended" });
    expect(threadOutcome(thread(purchase("a", {}), denied, turnEnded))).toBe("PARTIAL");
    expect(threadOutcome(thread(denied, turnEnded))).toBe("DENIED");
    expect(threadOutcome(thread(purchase("a", {}), turnEnded))).toBe("ORDERED");
    expect(threadOutcome(thread())).toBe("NO_PURCHASE");
  });
});

describe("threadReport", () => {
  it("is about the waiting purchase while there is one", () => {
    const report = threadReport(thread(purchase("a", {}), purchase("b")), 42);
    expect(report).toMatchObject({
      outcome: "PENDING",
      exitCode: 5,
      authReqId: "req-b",
      bindingMessage: "Do you want to buy 1 XYZ phone",
      timings: { totalMs: 42 },
    });
    expect(report.purchases.map((p) => p.outcome)).toEqual(["ORDERED", "PENDING"]);
    expect(report.purchases[1]).toMatchObject({ expiresAt: "1970-01-01T00:05:00.000Z" });
    // What was ordered before it is said, and the waiting one alone is not ordered.
    expect(report.message).toBe(
      "Ordered 1 x XYZ phone: order placed. Waiting for approval of 1 x XYZ phone until 1970-01-01T00:05:00.000Z; it is not ordered yet.",
    );
    expect(threadReport(thread(purchase("b")), 1).message).toBe(
      "Waiting for approval of 1 x XYZ phone until 1970-01-01T00:05:00.000Z; nothing is ordered yet.",
    );
  });

  it("is about the first failure, with its error and fix; an order has no error", () => {
    const failed = purchase("b", { outcome: "CONFIG_ERROR", error: "invalid_client", fix: "F." });
    expect(threadReport(thread(failed), 1)).toMatchObject({
      outcome: "CONFIG_ERROR",
      exitCode: 2,
      error: "invalid_client",
      fix: "F.",
      authReqId: "req-b",
    });
    // After an order, the failure is still what the report is about, and the outcome PARTIAL.
    const partial = threadReport(thread(purchase("a", {}), failed), 1);
    expect(partial).toMatchObject({ outcome: "PARTIAL", exitCode: 10, error: "invalid_client" });
    expect(partial.purchases.map((p) => p.outcome)).toEqual(["ORDERED", "CONFIG_ERROR"]);
    const ordered = threadReport(thread(purchase("a", { error: "odd" })), 1);
    expect(ordered).not.toHaveProperty("error");
  });
});

describe("closingMessage", () => {
  const denied = thread(purchase("a", { outcome: "DENIED", error: "access_denied" }));

  const said = (text: string) => ({ text, builtIn: false });
  const none = said("");

  it("is the agent's account after an order, never the model's, and the results after a failure", () => {
    const ordered = thread(
      purchase("a", { order: { id: "ord_1", total: 3493 } as PurchaseResult["order"] & object }),
    );
    expect(closingMessage(ordered, "ORDERED", said("Ordered 1 XYZ phone as asked."))).toBe(
      "Ordered 1 x XYZ phone: order ord_1, total 3493.00 USD.",
    );
    expect(closingMessage(ordered, "ORDERED", { text: "Done!", builtIn: true })).toBe(
      "Ordered 1 x XYZ phone: order ord_1, total 3493.00 USD.",
    );
    expect(closingMessage(denied, "DENIED", said("Sorry!"), undefined, [])).toBe(
      "The purchase of 1 x XYZ phone was denied; nothing was ordered.",
    );
    expect(
      closingMessage(denied, "DENIED", said("Sorry!"), undefined, [
        { product: "USB-C cable", qty: 2 },
      ]),
    ).toBe(
      "The purchase of 1 x XYZ phone was denied; nothing was ordered. 2 x USB-C cable was not " +
        "tried: nobody was asked to approve it, and nothing was ordered.",
    );
    expect(
      closingMessage(denied, "ERROR", none, { outcome: "ERROR", message: "The model failed" }),
    ).toBe("The model failed");
  });

  it("names what was ordered before a failure, and that the rest was not tried", () => {
    const partial = thread(
      purchase("a", { order: { id: "ord_1" } as PurchaseResult["order"] & object }),
      purchase("b", { outcome: "DENIED", error: "access_denied" }),
    );
    expect(closingMessage(partial, "PARTIAL", none)).toBe(
      "Ordered 1 x XYZ phone: order ord_1. The purchase of 1 x XYZ phone was denied; nothing " +
        "was ordered. Anything asked for after it was not tried.",
    );
    expect(
      closingMessage(partial, "ERROR", none, { outcome: "ERROR", message: "The model failed." }),
    ).toBe("Ordered 1 x XYZ phone: order ord_1. The model failed.");
  });

  it("says nothing was ordered before what another model wrote with no purchase, and quotes it", () => {
    const claim = "I have ordered 2 XYZ phones for you (order #A1234). They arrive Monday.";
    expect(closingMessage(thread(), "NO_PURCHASE", said(claim))).toBe(
      `Nothing was ordered, and nobody was asked to approve anything. The model wrote: ${JSON.stringify(claim)}`,
    );
    // The built-in model's answer is the agent's own: its question, as it wrote it.
    const question = "What would you like to buy?";
    expect(closingMessage(thread(), "NO_PURCHASE", { text: question, builtIn: true })).toBe(
      question,
    );
  });
});

describe("describeResult", () => {
  it("says a price limit as the person was asked it, in whole cents", () => {
    const ordered = (priceLimit: number): PurchaseResult => ({
      outcome: "ORDERED",
      purchase: { product: "XYZ phone", qty: 1, priceLimit },
      description: "Ordered.",
      order: { id: "ord_1" } as PurchaseResult["order"] & object,
    });
    // The consent read "for max 499 USD" and "for max 19.98 USD".
    expect(describeResult(ordered(499.004))).toBe(
      "Ordered 1 x XYZ phone (at most 499 USD): order ord_1.",
    );
    expect(describeResult(ordered(19.989))).toBe(
      "Ordered 1 x XYZ phone (at most 19.98 USD): order ord_1.",
    );
  });

  it("ends a refusal in a sentence, whatever its description ends with", () => {
    // The shop's words end without a stop, and the report goes on after them.
    const refused = (description: string): PurchaseResult => ({
      outcome: "SHOP_REFUSED",
      purchase: { product: "ABC laptop", qty: 4 },
      description,
    });
    expect(describeResult(refused("Only 3 x ABC laptop left in stock; 4 requested"))).toBe(
      "Could not buy 4 x ABC laptop: Only 3 x ABC laptop left in stock; 4 requested.",
    );
    expect(describeResult(refused("It is sold out."))).toBe(
      "Could not buy 4 x ABC laptop: It is sold out.",
    );
  });
});

describe("haltReport and its JSON", () => {
  it("reports a corrupt entry as a configuration error, any other halt as an error", () => {
    const corrupt = new StoreEntryError(
      "threads/thr-1",
      "/s/t.json",
      "bad JSON",
      "rm -- /s/t.json",
    );
    expect(haltReport("thr-1", corrupt, true, 3)).toMatchObject({
      outcome: "CONFIG_ERROR",
      exitCode: 2,
      error: "store_corrupt",
      purchases: [],
    });
    const lost = haltReport(
      "thr-1",
      new AgentHalt("lease_lost", "Taken over.", "Resume."),
      false,
      3,
    );
    expect(toAgentReportJson(lost)).toEqual({
      outcome: "ERROR",
      exitCode: 1,
      message: "Taken over.",
      threadId: "thr-1",
      error: "lease_lost",
      authReqId: null,
      bindingMessage: null,
      order: null,
      fix: "Resume.",
      warnings: [],
      finishedEarlier: null,
      purchases: [],
      notTried: null,
      timings: { totalMs: 3 },
    });
  });
});
