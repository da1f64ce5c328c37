import { startModelServer } from "@ciba-testbed/model-server";
import type { OrderJson } from "@ciba-testbed/shop-api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { BUYER, Scenario } from "../support/scenario.js";

// The scenarios and the shop's guards below run on the end-to-end tenant's stack that this
// worker's files share (`Scenario.shared`): each test sets the approver policy it needs and
// counts only the orders and consent requests it made itself.
const E2E_TENANT = "test/fixtures/e2e-tenant.mock-auth0.json";

// Each scenario runs the real agent CLI against real mock-auth0 and shop-api processes and
// checks three witnesses: the agent's outcome, the shop's orders and the tenant's record.
describe("CIBA scenarios across real processes", () => {
  let s: Scenario;
  let ordersBefore: OrderJson[];
  let requestsBefore: Set<string>;

  beforeAll(async () => {
    s = await Scenario.shared(E2E_TENANT);
    await s.policy("manual");
  });
  beforeEach(async () => {
    ordersBefore = await s.ordersOf(BUYER);
    requestsBefore = new Set((await s.consentRequests()).map((c) => c.auth_req_id));
  });

  const newOrders = async () => (await s.ordersOf(BUYER)).slice(ordersBefore.length);
  const newRequests = async () =>
    (await s.consentRequests()).filter((c) => !requestsBefore.has(c.auth_req_id));

  it("approve: one consent request, tokens, one order", async () => {
    await s.policy("approve-after:300");
    const run = await s.agent(["Buy 2 XYZ phones"]);

    expect(run.json.outcome).toBe("ORDERED");
    expect(run.exitCode).toBe(0);
    const orders = await newOrders();
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      id: run.json.order?.id,
      qty: 2,
      total: 998,
      authorization: { sub: BUYER, azp: "ciba-testbed-agent", authorization_details_matched: true },
    });
    const [consent, ...more] = await newRequests();
    expect(more).toEqual([]);
    expect(consent).toMatchObject({
      auth_req_id: run.json.authReqId,
      status: "consumed",
      user: BUYER,
      audience: "sample-shop-api",
      scope: "openid product:buy",
      // The consent the person saw is the one the agent reported.
      binding_message: run.json.bindingMessage,
      authorization_details: [
        {
          type: "product_purchase",
          product: "XYZ phone",
          quantity: 2,
          maximum_amount: 998,
          currency: "USD",
        },
      ],
    });
    expect(run.json.bindingMessage).toMatch(/^Do you want to buy 2 XYZ phone/);
  });

  it("deny: the agent reports the denial and nothing is ordered", async () => {
    await s.policy("deny-after:300");
    const run = await s.agent(["Buy 2 XYZ phones"]);

    expect(run.json.outcome).toBe("DENIED");
    expect(run.exitCode).toBe(3);
    expect(await newOrders()).toEqual([]);
    const consents = await newRequests();
    expect(consents.map((c) => c.status)).toEqual(["denied"]);
  });

  it("deny the first of two items: the second is named as not tried, and nobody is asked for it", async () => {
    await s.policy("deny-after:300");
    const run = await s.agent(["Buy 2 XYZ phones and 1 USB-C cable"]);

    expect(run.json).toMatchObject({
      outcome: "DENIED",
      message:
        "The purchase of 2 x XYZ phone was denied; nothing was ordered. 1 x USB-C cable was not tried: nobody was asked to approve it, and nothing was ordered.",
      notTried: [{ product: "USB-C cable", qty: 1 }],
    });
    expect(await newOrders()).toEqual([]);
    expect((await newRequests()).map((c) => c.status)).toEqual(["denied"]);
  });

  it("never answered: the agent gives up at the expiry it asked for", async () => {
    await s.policy("ignore");
    const run = await s.agent(["Buy an XYZ phone", "--expiry", "2"]);

    expect(run.json.outcome).toBe("EXPIRED");
    expect(run.exitCode).toBe(4);
    expect(run.json.fix).toBe(
      "Ask again if the purchase is still wanted, and have auth0|testbed-user approve it on their device before it expires (this one allowed 2 s; --expiry or AGENT_REQUESTED_EXPIRY, now 2 s, sets how long, up to 300 s for a push).",
    );
    expect(run.wallMs).toBeGreaterThanOrEqual(2_000);
    expect(await newOrders()).toEqual([]);
    expect((await newRequests()).map((c) => c.polls > 0)).toEqual([true]);
  });

  it("answered after expiry: the late approval buys nothing", async () => {
    // Due a second after the expiry the agent asked for.
    await s.policy("approve-after:2000");
    const run = await s.agent(["Buy an XYZ phone", "--expiry", "1"]);

    expect(run.json.outcome).toBe("EXPIRED");
    const [sent, ...more] = await newRequests();
    expect(more).toEqual([]);
    // Expired is final: the expiry ended the request undecided. That the approval scheduled
    // for later never applies is shown with injected time by the store's unit test ("never
    // applies a decision scheduled after expiry"), without waiting here for the second to pass.
    const consent = await s.stack.control.waitForStatus(sent!.auth_req_id, "expired");
    expect(consent).toMatchObject({ decision: null });
    expect(await newOrders()).toEqual([]);
  });

  it("a user not enrolled in push: the tenant's own reason, no consent request", async () => {
    await s.policy("approve");
    const run = await s.agent(["Buy an XYZ phone", "--user", "auth0|no-push-user"]);

    expect(run.json.outcome).toBe("REQUEST_REFUSED");
    expect(run.exitCode).toBe(7);
    expect(run.json.message).toContain("not enrolled in push notifications");
    expect(run.json.fix).toMatch(/^Enroll auth0\|no-push-user in Guardian push notifications/);
    expect(await newRequests()).toEqual([]);
  });

  it("the wrong audience: a clear failure and no order", async () => {
    await s.policy("approve");
    const run = await s.agent(["Buy an XYZ phone"], { SHOP_API_AUDIENCE: "sample-shop-apii" });

    expect(run.json.outcome).toBe("CONFIG_ERROR");
    expect(run.exitCode).toBe(2);
    expect(run.json.message).toContain("Service not found: sample-shop-apii");
    expect(run.json.fix).toContain("SHOP_API_AUDIENCE");
    expect(await newOrders()).toEqual([]);
  });

  it("an OpenAI-compatible model that refuses the key or the URL: the fix, nobody asked", async () => {
    // The built CLI read every model error as "Cannot read properties of undefined (reading
    // 'isInstance')", exit 1: `ai` checks @ai-sdk/gateway's errors, which the bundle lost.
    const model = await startModelServer({ apiKey: "the-right-key" });
    try {
      for (const [env, fix] of [
        [
          { OPENAI_API_KEY: "a-wrong-key", OPENAI_BASE_URL: model.baseURL },
          "Check OPENAI_API_KEY.",
        ],
        [
          { OPENAI_API_KEY: "the-right-key", OPENAI_BASE_URL: model.url, OPENAI_API: "chat" },
          "Check AGENT_MODEL (or --model) and OPENAI_BASE_URL.",
        ],
      ] as const) {
        const run = await s.agent(["Buy an XYZ phone"], env);
        expect(run.json, JSON.stringify(env)).toMatchObject({ outcome: "CONFIG_ERROR", fix });
        expect(run.json.message).toMatch(/^The model failed: /);
        expect(run.exitCode).toBe(2);
      }
    } finally {
      await model.close();
    }
    expect(await newRequests()).toEqual([]);
    expect(await newOrders()).toEqual([]);
  });

  it("a SHOP_API_URL the shop takes no orders at: refused before any consent request", async () => {
    await s.policy("approve");
    // Its catalog (`products` next to it) is the shop's own: only the order would fail.
    const run = await s.agent(["Buy an XYZ phone"], {
      SHOP_API_URL: `${s.stack.shopApiUrl}/api/purchase`,
    });

    expect(run.json).toMatchObject({ outcome: "CONFIG_ERROR", error: "no_purchase_endpoint" });
    expect(run.exitCode).toBe(2);
    expect(run.json.message).toContain("it answered 404 to a POST");
    expect(await newRequests()).toEqual([]);
    expect(await newOrders()).toEqual([]);
  });

  it("a price limit below the price: no order", async () => {
    await s.policy("approve");
    const run = await s.agent(["Buy 2 XYZ phones under $500"]);

    expect(run.exitCode).not.toBe(0);
    expect(run.json.message).toMatch(/500/);
    expect(await newOrders()).toEqual([]);
  });
});

// Auth0 answers a poll after expiry with access_denied, which an agent can tell from a denial
// only by its own clock. The CIBA spec's expired_token says so outright: a tenant set to it.
describe("a tenant that answers expiry with the CIBA spec's expired_token", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await Scenario.start("test/fixtures/spec-expiry.mock-auth0.json");
  });
  afterAll(async () => {
    await s.stop();
  });

  it("server-side expiry first: the tenant's expired_token ends the turn as expired", async () => {
    await s.policy("expire-after:800");
    const ordersBefore = await s.ordersOf(BUYER);
    const run = await s.agent(["Buy an XYZ phone", "--expiry", "30"]);

    expect(run.json.outcome).toBe("EXPIRED");
    expect(run.exitCode).toBe(4);
    expect(await s.ordersOf(BUYER)).toHaveLength(ordersBefore.length);
    // The tenant's answer ended it, long before the agent's own 30 s: its first expired_token
    // was its last poll.
    const consent = await s.stack.control.request(String(run.json.authReqId));
    const answers = (consent.timeline ?? []).filter((e) => e.type === "poll").map((e) => e.answer);
    expect(answers.at(-1)).toBe("expired_token");
    expect(answers.filter((answer) => answer === "expired_token")).toHaveLength(1);
  });
});

describe("the shop API's guards with real tenant tokens", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await Scenario.shared(E2E_TENANT);
    await s.policy("approve");
  });

  const purchase = (token: string, body: object, key?: string) =>
    fetch(s.stack.purchasesUrl, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${token}`,
        "Content-Type": "application/json",
        ...(key ? { "Idempotency-Key": key } : {}),
      },
      body: JSON.stringify(body),
    });

  it("carries authorization_details into the token, and refuses a purchase beyond them", async () => {
    const token = await s.tenant.userToken({
      user: BUYER,
      scope: "openid product:buy",
      bindingMessage: "Do you want to buy 1 XYZ phone",
      authorizationDetails: [
        { type: "product_purchase", product: "XYZ phone", quantity: 1, currency: "USD" },
      ],
    });
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<
      string,
      unknown
    >;
    expect(claims.authorization_details).toEqual([
      { type: "product_purchase", product: "XYZ phone", quantity: 1, currency: "USD" },
    ]);
    const before = (await s.ordersOf(BUYER)).length;
    const refused = await purchase(token, { product: "XYZ phone", qty: 2 });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("www-authenticate")).toContain(
      'error="insufficient_authorization_details"',
    );
    expect(await s.ordersOf(BUYER)).toHaveLength(before);
  });

  it("refuses a token without product:buy with 403 insufficient_scope", async () => {
    const token = await s.tenant.userToken({
      user: BUYER,
      scope: "openid",
      bindingMessage: "Sign in",
    });
    const refused = await purchase(token, { product: "XYZ phone", qty: 1 });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("www-authenticate")).toMatch(
      /^Bearer realm="api", error="insufficient_scope"/,
    );
  });

  it("refuses a token without authorization_details by default: product:buy says who may buy, not what", async () => {
    const token = await s.tenant.userToken({
      user: BUYER,
      scope: "openid product:buy",
      bindingMessage: "Do you want to buy 1 USB-C cable",
    });
    const before = (await s.ordersOf(BUYER)).length;
    const refused = await purchase(token, { product: "USB-C cable", qty: 1 });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("www-authenticate")).toContain(
      'error="insufficient_authorization_details"',
    );
    expect(await s.ordersOf(BUYER)).toHaveLength(before);
  });

  it("answers an idempotent retry with the first order, creating one", async () => {
    const token = await s.tenant.userToken({
      user: BUYER,
      scope: "openid product:buy",
      bindingMessage: "Do you want to buy 1 USB-C cable",
      authorizationDetails: [
        { type: "product_purchase", product: "USB-C cable", quantity: 1, currency: "USD" },
      ],
    });
    const before = (await s.ordersOf(BUYER)).length;
    const first = await purchase(token, { product: "USB-C cable", qty: 1 }, "tool-call-1");
    const retry = await purchase(token, { product: "USB-C cable", qty: 1 }, "tool-call-1");
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(((await retry.json()) as { id: string }).id).toBe(
      ((await first.json()) as { id: string }).id,
    );
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);
  });
});
