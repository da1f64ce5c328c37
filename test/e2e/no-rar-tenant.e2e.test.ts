import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { NO_AUTHORIZATION_DETAILS_FIX } from "../../apps/agent/src/order-step.js";
import { BUYER, Scenario } from "../support/scenario.js";

// A tenant without Rich Authorization Requests (or the Auth0 Guardian app) refuses a
// /bc-authorize that carries authorization_details: the README's real-tenant steps 3 and 5 run
// the agent with AGENT_AUTHORIZATION_DETAILS=false and the shop with
// SHOP_API_REQUIRE_AUTHORIZATION_DETAILS=false. Both here, across real processes.
describe("the agent and the shop for a tenant without RAR", () => {
  let s: Scenario;

  beforeAll(async () => {
    s = await Scenario.start("test/fixtures/e2e-tenant.mock-auth0.json", {
      shopApiEnv: { SHOP_API_REQUIRE_AUTHORIZATION_DETAILS: "false" },
    });
    await s.policy("approve-after:300");
  });
  afterAll(() => s.stop());

  it("asks with the binding message and the scope alone, and the approval's token orders", async () => {
    const run = await s.agent(["Buy 2 XYZ phones"], { AGENT_AUTHORIZATION_DETAILS: "false" });

    expect(run.json).toMatchObject({ outcome: "ORDERED", error: null });
    expect(run.exitCode).toBe(0);
    // The tenant's record of the one request: the binding message and the scope, no details.
    expect(await s.consentRequests()).toMatchObject([
      {
        auth_req_id: run.json.authReqId,
        status: "consumed",
        scope: "openid product:buy",
        binding_message: run.json.bindingMessage,
        authorization_details: null,
      },
    ]);
    expect(run.json.bindingMessage).toMatch(/^Do you want to buy 2 XYZ phones/);
    const orders = await s.ordersOf(BUYER);
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ id: run.json.order?.id, qty: 2 });
    expect(orders[0]?.authorization).toMatchObject({
      sub: BUYER,
      authorization_details_matched: false,
    });
  });
});

// Only one side of the pairing: the agent asks without authorization_details, and the shop
// requires them as it does by default. The person approves a purchase that can never buy.
describe("the agent without authorization_details and a shop that requires them", () => {
  let s: Scenario;

  beforeAll(async () => {
    s = await Scenario.start("test/fixtures/e2e-tenant.mock-auth0.json");
    await s.policy("approve-after:300");
  });
  afterAll(() => s.stop());

  it("names the pairing in the fix of the shop's refusal", async () => {
    const run = await s.agent(["Buy 2 XYZ phones"], { AGENT_AUTHORIZATION_DETAILS: "false" });

    expect(run.json).toMatchObject({
      outcome: "SHOP_REFUSED",
      error: "insufficient_authorization_details",
      fix: NO_AUTHORIZATION_DETAILS_FIX,
    });
    expect(run.exitCode).toBe(6);
    expect(await s.ordersOf(BUYER)).toEqual([]);
  });
});
