import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { BUYER, Scenario } from "../support/scenario.js";

// A tenant that enforces a longer gap between polls than it announces (1 s against 0.2 s), so
// an agent polling at the announced pace meets 429 slow_down and must honour Retry-After.
describe("slow_down", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await Scenario.start("test/fixtures/strict-tenant.mock-auth0.json");
  });
  afterAll(async () => {
    await s.stop();
  });

  it("is honoured: the agent waits as told and then gets its tokens and the order", async () => {
    await s.policy("approve-after:1000");
    const run = await s.agent(["Buy an XYZ phone"]);

    expect(run.json.outcome).toBe("ORDERED");
    const consent = await s.stack.control.request(String(run.json.authReqId));
    const answers = (consent.timeline ?? []).filter((e) => e.type === "poll").map((e) => e.answer);
    expect(answers).toContain("slow_down");
    expect(answers.at(-1)).toBe("token");
    // After a slow_down the agent never polls too fast again.
    const afterSlowDown = answers.slice(answers.indexOf("slow_down") + 1);
    expect(afterSlowDown).not.toContain("slow_down");
    expect((await s.ordersOf(BUYER)).map((o) => o.id)).toContain(run.json.order?.id);
  });
});
