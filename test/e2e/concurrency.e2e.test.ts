import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { BUYER, SECOND_BUYER, Scenario } from "../support/scenario.js";

const AGENTS_PER_PERSON = 10;

// 20 agent processes at once, for two people: one approves everything, the other denies.
describe("20 agents at once", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await Scenario.start("test/fixtures/e2e-tenant.json");
    await s.policy("ignore", [
      { when: { user: BUYER }, outcome: "approve-after:500" },
      { when: { user: SECOND_BUYER }, outcome: "deny-after:500" },
    ]);
  });
  afterAll(async () => {
    await s.stop();
  });

  it(
    "creates exactly one order per approval and none per denial",
    { timeout: 120_000 },
    async () => {
      const runs = await Promise.all(
        Array.from({ length: AGENTS_PER_PERSON * 2 }, (_, i) =>
          s.agent(["Buy a USB-C cable", "--user", i % 2 === 0 ? BUYER : SECOND_BUYER]),
        ),
      );
      const approved = runs.filter((_, i) => i % 2 === 0);
      const denied = runs.filter((_, i) => i % 2 === 1);

      expect(approved.map((r) => r.json.outcome)).toEqual(Array(AGENTS_PER_PERSON).fill("ORDERED"));
      expect(denied.map((r) => r.json.outcome)).toEqual(Array(AGENTS_PER_PERSON).fill("DENIED"));

      const orderIds = approved.map((r) => r.json.order?.id);
      expect(new Set(orderIds).size).toBe(AGENTS_PER_PERSON);
      const shopOrders = await s.ordersOf(BUYER);
      expect(shopOrders.map((o) => o.id).sort()).toEqual([...orderIds].sort());
      expect(await s.ordersOf(SECOND_BUYER)).toEqual([]);

      const consents = await s.consentRequests();
      expect(consents).toHaveLength(AGENTS_PER_PERSON * 2);
      expect(consents.filter((c) => c.status === "consumed")).toHaveLength(AGENTS_PER_PERSON);
      expect(consents.filter((c) => c.status === "denied")).toHaveLength(AGENTS_PER_PERSON);
    },
  );
});
