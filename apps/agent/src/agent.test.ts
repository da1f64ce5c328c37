import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import type { LanguageModelV2 } from "@ai-sdk/provider";
import { ManualClock } from "@ciba-testbed/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { createAgent } from "./agent.js";
import { toAgentReportJson } from "./agent-report.js";
import { createFileStore } from "./file-store.js";
import { createOfflineModel } from "./offline-model.js";
import { PURCHASE_TOOL_NAME } from "./purchase-tool.js";
import { filesIn, resetToolCalls, setup } from "./test-support/agent-setup.js";
import { callOf, scriptedModel, type ModelStep } from "./test-support/scripted-model.js";
import {
  expectAllStubsUsed,
  isolateNetwork,
  nock,
  SHOP,
  stubAuth0,
  stubShop,
  testConfig,
} from "./test-support/stubs.js";

isolateNetwork();
beforeEach(resetToolCalls);
afterEach(expectAllStubsUsed);

const DENIED = {
  error: "access_denied",
  error_description: "The end-user denied the authorization request or it has been expired",
};

/** The report of a model that ordered 1 XYZ phone, then asked for it again to the step limit. */
const ONE_ORDER_THEN_LOOPED =
  "Ordered 1 x XYZ phone: order ord_1. Another 1 x XYZ phone (19 times), asked for again in this turn, was not tried: the same purchase is not asked for twice in one turn, so nobody was asked again and nothing more was ordered; ask again for another. The turn ended at the agent's limit of 20 model steps, with the model still calling shop_online; it was not asked again.";

describe("block mode", () => {
  it("asks once, waits for approval and orders with the token", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ interval: 2 }).pending(2).approve("at-1");
    const shop = stubShop().order();
    const { agent, clock, events } = setup();

    const report = await agent.run("Buy 2 XYZ phones under $2500");

    expect(report).toMatchObject({
      outcome: "ORDERED",
      exitCode: 0,
      threadId: "thread-1",
      authReqId: "req-1",
      bindingMessage: "Do you want to buy 2 XYZ phones for max 2500 USD",
      order: { id: "ord_1", total: 1998, currency: "USD" },
      timings: { approvalMs: 4000, orderMs: 0 },
    });
    expect(auth0.count("/bc-authorize")).toBe(1);
    const authorize = auth0.calls[0]!.body;
    expect(authorize).toMatchObject({
      binding_message: "Do you want to buy 2 XYZ phones for max 2500 USD",
      scope: "openid product:buy",
      audience: "sample-shop-api",
      requested_expiry: "300",
    });
    expect(JSON.parse(authorize.login_hint!)).toMatchObject({ sub: "auth0|testbed-user" });
    expect(JSON.parse(authorize.authorization_details!)).toEqual([
      {
        type: "product_purchase",
        product: "XYZ phone",
        quantity: 2,
        maximum_amount: 2500,
        currency: "USD",
        // The agent's own id for the purchase, not the model's tool call id (call_1).
        purchase_id: "pur_1",
      },
    ]);
    expect(clock.sleeps).toEqual([2000, 2000]);
    expect(shop.calls).toHaveLength(1);
    expect(shop.calls[0]!.headers.get("authorization")).toBe("Bearer at-1");
    expect(shop.calls[0]!.headers.get("idempotency-key")).toBe("pur_1");
    expect(shop.calls[0]!.body).toEqual({ product: "XYZ phone", qty: 2, priceLimit: 2500 });
    expect(events.filter((e) => e.type === "approval-requested")).toHaveLength(1);
  });

  it("sends no authorization_details with AGENT_AUTHORIZATION_DETAILS=false, and orders as before", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().approve("at-1");
    const shop = stubShop().order();
    const { agent } = setup({ config: testConfig({ authorizationDetails: false }) });

    const report = await agent.run("Buy 2 XYZ phones under $2500");

    expect(report).toMatchObject({ outcome: "ORDERED", order: { id: "ord_1" } });
    const authorize = auth0.calls[0]!.body;
    expect(authorize).toMatchObject({
      binding_message: "Do you want to buy 2 XYZ phones for max 2500 USD",
      scope: "openid product:buy",
    });
    expect(authorize).not.toHaveProperty("authorization_details");
    expect(shop.calls[0]!.headers.get("authorization")).toBe("Bearer at-1");
  });

  it("reports a denial and orders nothing", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().pending().token(400, DENIED);
    const { agent } = setup();

    const report = await agent.run("Buy 2 XYZ phones");

    expect(report).toMatchObject({ outcome: "DENIED", exitCode: 3, authReqId: "req-1" });
    expect(auth0.count("/bc-authorize")).toBe(1);
  });

  it("gives each purchase an id of its own, whatever tool call ids the model gives", async () => {
    // A model server that numbers tool calls per answer gives every thread call_0: as the
    // approval's purchase_id and the order's Idempotency-Key, which the shop keeps per person
    // across threads, the second thread's approved order was refused as a reused key.
    const auth0 = stubAuth0().bcAuthorize().approve("at-1").bcAuthorize().approve("at-2");
    stubShop().catalog();
    const shop = stubShop().order(201, { id: "ord_1" }).order(201, { id: "ord_2" });
    const agent = createAgent(testConfig(), {
      model: createOfflineModel({ generateId: () => "call_0" }),
      clock: new ManualClock(),
    });

    const first = await agent.run("Buy 1 USB-C cable", { threadId: "thread-a" });
    const second = await agent.run("Buy 1 USB-C cable", { threadId: "thread-b" });

    expect([first, second]).toMatchObject([{ outcome: "ORDERED" }, { outcome: "ORDERED" }]);
    const keys = shop.calls.map((call) => call.headers.get("idempotency-key"));
    expect(keys).toEqual([expect.stringMatching(/^pur_[0-9a-f-]{36}$/), expect.anything()]);
    expect(keys[1]).not.toBe(keys[0]);
    const approved = auth0.calls
      .filter((call) => call.path === "/bc-authorize")
      .map(
        (call) => (JSON.parse(call.body.authorization_details!) as [{ purchase_id: string }])[0],
      );
    expect(approved.map((detail) => detail.purchase_id)).toEqual(keys);
  });

  it("puts the catalog total in the consent when the person set no limit", async () => {
    const auth0 = stubAuth0().bcAuthorize().approve();
    const shop = stubShop().catalog().order();
    const { agent } = setup();

    const report = await agent.run("Buy 3 USB-C cables");

    expect(report.bindingMessage).toBe("Do you want to buy 3 USB-C cables for max 29.97 USD");
    expect(JSON.parse(auth0.calls[0]!.body.authorization_details!)).toEqual([
      {
        type: "product_purchase",
        product: "USB-C cable",
        quantity: 3,
        maximum_amount: 29.97,
        currency: "USD",
        purchase_id: shop.calls[0]!.headers.get("idempotency-key"),
      },
    ]);
    // The order itself carries no limit the person did not give.
    expect(shop.calls[0]!.body).toEqual({ product: "USB-C cable", qty: 3 });
  });

  it.each([
    ["Buy 2 XYZ phones under $500", "price_limit_exceeded"],
    ["Buy 60 XYZ phones", "insufficient_stock"],
    // The offline model knows the shop's default catalog; this shop no longer sells laptops.
    ["Buy 2 ABC laptops", "unknown_product"],
  ])("does not ask the person for what the shop would refuse: %j", async (request, error) => {
    stubShop().catalog();
    const { agent } = setup();

    const report = await agent.run(request);

    expect(report).toMatchObject({ outcome: "SHOP_REFUSED", exitCode: 6 });
    expect(report.purchases[0]).toMatchObject({ error });
    // Nobody was sent a consent: none is named, in the purchase or the report.
    expect(report.purchases[0]).not.toHaveProperty("bindingMessage");
    expect(toAgentReportJson(report).bindingMessage).toBeNull();
  });

  it.each([
    ["is down", () => undefined, /ECONNREFUSED|Nock: Disallowed net connect/],
    ["answers 503", () => stubShop().catalog(503), /it answered 503/],
    [
      "lists the product without a price",
      () => stubShop().catalog(200, [{ id: "xyz-phone", name: "XYZ phone", stock: 5 }]),
      /lists XYZ phone without a price/,
    ],
  ])("asks no one when the shop's catalog %s", async (_, stubCatalog, problem) => {
    stubCatalog();
    // No Auth0 stub: a /bc-authorize would fail the test (no connection is allowed).
    const auth0 = stubAuth0();
    const { agent } = setup();

    const report = await agent.run("Buy 2 XYZ phones");

    expect(auth0.count("/bc-authorize")).toBe(0);
    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "catalog_unavailable" });
    expect(report.message).toMatch(problem);
    expect(report.message).toContain("the person was not asked");
    expect(report.fix).toBe(
      "Start the local stack with pnpm dev (the shop alone: pnpm shop-api, with pnpm mock-auth0 running), or point SHOP_API_URL (or SHOP_CATALOG_URL) at the shop.",
    );
  });

  it.each([404, 405])(
    "asks no one when SHOP_API_URL takes no orders (%i), and says so as a configuration error",
    async (status) => {
      // The catalog (next to it by default, or SHOP_CATALOG_URL) reads fine: only the order
      // would have failed, after the person approved.
      stubShop().catalog(200, undefined, status);
      const auth0 = stubAuth0();
      const { agent } = setup();

      const report = await agent.run("Buy 2 XYZ phones");

      expect(auth0.count("/bc-authorize")).toBe(0);
      expect(report).toMatchObject({
        outcome: "CONFIG_ERROR",
        exitCode: 2,
        error: "no_purchase_endpoint",
        fix: "Set SHOP_API_URL to the shop's purchase endpoint, e.g. http://localhost:4020/api/purchases.",
      });
      expect(report.message).toContain(
        `http://localhost:4020/api/purchases takes no orders: it answered ${status} to a POST`,
      );
      expect(report.message).toContain("the person was not asked");
    },
  );

  it.each([401, 403, 503])(
    "asks when the purchase URL answers %i without a token, as a protected or busy shop does",
    async (status) => {
      stubShop().catalog(200, undefined, status);
      const auth0 = stubAuth0().bcAuthorize().approve();
      const shop = stubShop().order();
      const { agent } = setup();

      expect((await agent.run("Buy 2 XYZ phones")).outcome).toBe("ORDERED");
      expect(auth0.count("/bc-authorize")).toBe(1);
      expect(shop.calls).toHaveLength(1);
    },
  );

  it("asks no one when no request reaches the purchase URL", async () => {
    const config = testConfig({
      shopApiUrl: "http://orders.localhost:4030/api/purchases",
      catalogUrl: "http://localhost:4020/api/products",
    });
    stubShop().catalog();
    nock("http://orders.localhost:4030")
      .post("/api/purchases")
      .replyWithError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    const auth0 = stubAuth0();
    const { agent } = setup({ config });

    const report = await agent.run("Buy 2 XYZ phones");

    expect(auth0.count("/bc-authorize")).toBe(0);
    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "shop_unreachable" });
    expect(report.message).toContain("the person was not asked");
  });

  it("checks the purchase URL once a turn, with no token and no body", async () => {
    const probes: { authorization: string | null; body: string }[] = [];
    // Before the catalog's stub, so that it answers every check.
    nock(SHOP, { badheaders: ["authorization"] })
      .post("/api/purchases")
      .reply(async (request: Request) => {
        const authorization = request.headers.get("authorization");
        probes.push({ authorization, body: await request.text() });
        return [401, { error: "invalid_request" }];
      })
      .persist();
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve().bcAuthorize().approve();
    stubShop().order().order();
    const { agent } = setup();

    expect((await agent.run("Buy 2 XYZ phones and a USB-C cable")).outcome).toBe("ORDERED");
    expect(probes).toEqual([{ authorization: null, body: "" }]);
  });

  it("keeps the auth_req_id of a request denied at the first poll", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize({}, "req-quick").token(400, DENIED);
    const { agent } = setup();

    const report = await agent.run("Buy 2 XYZ phones");

    expect(report).toMatchObject({ outcome: "DENIED", authReqId: "req-quick" });
  });

  it("reports expiry by its own clock and stops polling, its last poll just before the expiry", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 3, interval: 1 }).pending(3);
    const { agent, clock } = setup();

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "EXPIRED", exitCode: 4 });
    // --json's fix says what to do, with how long the tenant gave the person.
    expect(toAgentReportJson(report).fix).toBe(
      "Ask again if the purchase is still wanted, and have auth0|testbed-user approve it on their device before it expires (this one allowed 3 s; --expiry or AGENT_REQUESTED_EXPIRY, now 300 s, sets how long, up to 300 s for a push).",
    );
    // Polls at 0 s, 1.5 s (the last whose denial can be told from the expiry, before its
    // margin) and 2.5 s (an interval later, still before it), then the expiry at 3 s.
    expect(clock.sleeps).toEqual([1500, 1000, 500]);
    expect(auth0.count("/oauth/token")).toBe(3);
    expect(auth0.count("/bc-authorize")).toBe(1);
  });

  it("maps the server's expired_token to EXPIRED", async () => {
    stubShop().catalog();
    stubAuth0()
      .bcAuthorize()
      .token(400, { error: "expired_token", error_description: "The auth_req_id has expired" });
    const { agent } = setup();

    const report = await agent.run("Buy an XYZ phone");

    expect(report.outcome).toBe("EXPIRED");
    expect(report.purchases[0]).toMatchObject({ outcome: "EXPIRED", error: "expired_token" });
    expect(toAgentReportJson(report).fix).toMatch(/^Ask again if the purchase is still wanted/);
  });

  it("honours slow_down: waits Retry-After and keeps the longer interval", async () => {
    stubShop().catalog();
    stubAuth0()
      .bcAuthorize({ interval: 1 })
      .token(429, { error: "slow_down", error_description: "Slow down" }, { "retry-after": "7" })
      .pending()
      .approve();
    stubShop().order();
    const { agent, clock, events } = setup();

    const report = await agent.run("Buy an XYZ phone");

    expect(report.outcome).toBe("ORDERED");
    expect(clock.sleeps).toEqual([7000, 7000]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: "approval-waiting", slowDown: true }),
    );
  });

  it("uses CIBA's 5 s default when /bc-authorize omits interval", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize({ interval: undefined }).pending().approve();
    stubShop().order();
    const { agent, clock } = setup();

    expect((await agent.run("Buy an XYZ phone")).outcome).toBe("ORDERED");
    expect(clock.sleeps).toEqual([5000]);
  });

  it("passes on Auth0's real reason when a user has no push enrolment", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorizeError(
      400,
      "invalid_request",
      "The user is not enrolled in push notifications",
    );
    const { agent } = setup({ config: testConfig({ userId: "auth0|no-push-user" }) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "REQUEST_REFUSED", exitCode: 7 });
    expect(report.purchases[0]).toMatchObject({
      error: "invalid_request",
      description: "The user is not enrolled in push notifications",
    });
    expect(toAgentReportJson(report).fix).toBe(
      "Enroll auth0|no-push-user in Guardian push notifications on the tenant (or enable the email channel for the application and verify their email address), or act for another user with --user or AGENT_USER_ID.",
    );
    expect(auth0.count("/oauth/token")).toBe(0);
  });

  it("does not call a refused binding message a missing enrolment", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorizeError(400, "invalid_request", "binding_message is too long");
    const { agent } = setup();

    const report = await agent.run("Buy an XYZ phone");

    expect(report.outcome).toBe("REQUEST_REFUSED");
    expect(report.purchases[0]).toMatchObject({
      error: "invalid_request",
      description: "binding_message is too long",
    });
    expect(toAgentReportJson(report).fix).toContain("binding message");
  });

  it("turns a wrong client secret into a configuration error with its fix", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorizeError(401, "invalid_client", "Client authentication failed");
    const { agent } = setup();

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "CONFIG_ERROR", exitCode: 2 });
    expect(report.fix).toContain("AUTH0_CLIENT_SECRET");
  });

  it("reports the shop's refusal with its error code", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    stubShop().order(409, { error: "insufficient_stock", error_description: "Only 1 left" });
    const { agent } = setup();

    const report = await agent.run("Buy 2 XYZ phones");

    expect(report).toMatchObject({ outcome: "SHOP_REFUSED", exitCode: 6 });
    expect(report.purchases[0]).toMatchObject({ error: "insufficient_stock" });
  });

  it("reports an order beyond the approved authorization_details as the shop's refusal", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    stubShop().order(403, {
      error: "insufficient_authorization_details",
      error_description: "approved quantity 1, ordered 2",
    });
    const { agent } = setup();

    const report = await agent.run("Buy 2 XYZ phones");

    expect(report).toMatchObject({ outcome: "SHOP_REFUSED", exitCode: 6 });
    expect(report.purchases[0]).toMatchObject({ error: "insufficient_authorization_details" });
  });

  it("treats a refused token as an error, not as the shop judging the purchase", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    stubShop().order(401, { error: "invalid_token", error_description: "jwt expired" });
    const { agent } = setup();

    const report = await agent.run("Buy 2 XYZ phones");

    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1 });
    expect(report.fix).toContain("SHOP_API_AUDIENCE");
  });

  it("buys several items in sequence, each with its own consent", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().approve("at-1").bcAuthorize().approve("at-2");
    const shop = stubShop().order(201, { id: "ord_1" }).order(201, { id: "ord_2" });
    const { agent } = setup();

    const report = await agent.run("Buy 2 XYZ phones and a USB-C cable");

    expect(report.outcome).toBe("ORDERED");
    expect(auth0.calls.map((call) => call.body.binding_message).filter(Boolean)).toEqual([
      "Do you want to buy 2 XYZ phones for max 998 USD",
      "Do you want to buy 1 USB-C cable for max 9.99 USD",
    ]);
    expect(shop.calls.map((call) => call.headers.get("authorization"))).toEqual([
      "Bearer at-1",
      "Bearer at-2",
    ]);
    expect(shop.calls.map((call) => call.headers.get("idempotency-key"))).toEqual([
      "pur_1",
      "pur_2",
    ]);
    expect(report.purchases.map((p) => p.order)).toEqual([{ id: "ord_1" }, { id: "ord_2" }]);
  });

  it("stops after the first denial of several items", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().token(400, DENIED);
    const { agent } = setup();

    const report = await agent.run("Buy 2 XYZ phones and a USB-C cable");

    expect(report.outcome).toBe("DENIED");
    expect(auth0.count("/bc-authorize")).toBe(1);
  });

  it("answers without any request when it cannot understand", async () => {
    const { agent } = setup();

    const report = await agent.run("What's the weather like?");

    expect(report).toMatchObject({ outcome: "NO_PURCHASE", exitCode: 8, purchases: [] });
    expect(report.message).toContain("What would you like to buy?");
  });

  it("asks which product a word means, and asks no one for approval", async () => {
    const { agent } = setup();

    const report = await agent.run("Buy 2 XYZ phones and a case");

    expect(report).toMatchObject({ outcome: "NO_PURCHASE", purchases: [] });
    expect(report.message).toBe(
      'I understood: 2 x XYZ phone. By "case", do you mean XYZ phone case? I did not buy anything this time.',
    );
  });

  it("is PARTIAL when an item was ordered and a later one did not go through", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().approve("at-1");
    const shop = stubShop().order(201, { id: "ord_1", total: 998, currency: "USD" });
    const { agent } = setup();

    // The second item is out of stock: refused before anyone is asked.
    const report = await agent.run("Buy 2 XYZ phones and 600 USB-C cables");

    expect(report).toMatchObject({ outcome: "PARTIAL", exitCode: 10, error: "insufficient_stock" });
    expect(report.purchases.map((p) => [p.purchase.product, p.outcome])).toEqual([
      ["XYZ phone", "ORDERED"],
      ["USB-C cable", "SHOP_REFUSED"],
    ]);
    // Nothing was asked for after the cable, so nothing is said to be left untried.
    expect(report.message).toBe(
      "Ordered 2 x XYZ phone: order ord_1, total 998.00 USD. Could not buy 600 x USB-C cable: " +
        "Only 500 x USB-C cable in stock, 600 wanted; the person was not asked.",
    );
    expect(toAgentReportJson(report).notTried).toEqual([]);
    expect(auth0.count("/bc-authorize")).toBe(1);
    expect(shop.calls).toHaveLength(1);
  });

  it("tries no item after one that did not go through", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().approve("at-1");
    stubShop().order(201, { id: "ord_1" });
    const { agent } = setup();

    const report = await agent.run("Buy an XYZ phone, 2 XYZ phones under $100 and a USB-C cable");

    expect(report.outcome).toBe("PARTIAL");
    expect(report.purchases.map((p) => p.outcome)).toEqual(["ORDERED", "SHOP_REFUSED"]);
    expect(report.notTried).toEqual([{ product: "USB-C cable", qty: 1 }]);
    expect(report.message).toMatch(
      / 1 x USB-C cable was not tried: nobody was asked to approve it, and nothing was ordered\.$/,
    );
    expect(auth0.count("/bc-authorize")).toBe(1);
  });

  it.each([
    ["denied", () => stubAuth0().bcAuthorize().deny(), "DENIED", "was denied"],
    [
      "expired",
      () => stubAuth0().bcAuthorize({ expires_in: 2, interval: 1 }).pending(2),
      "EXPIRED",
      "expired before the agent collected an answer",
    ],
  ])(
    "names the purchases it did not try when the first one is %s, in the message and --json",
    async (_, tenant, outcome, said) => {
      stubShop().catalog();
      const auth0 = tenant();
      const { agent } = setup();

      const report = await agent.run(
        "Buy 2 XYZ phones, an ABC laptop under $2000 and 1 USB-C cable",
      );

      expect(report.outcome).toBe(outcome);
      expect(report.purchases).toHaveLength(1);
      expect(report.message).toBe(
        `The ${outcome === "DENIED" ? "purchase of" : "approval request for"} 2 x XYZ phone ${said}; nothing was ordered. ` +
          "1 x ABC laptop (at most 2000 USD) and 1 x USB-C cable were not tried: nobody was asked to approve them, and nothing was ordered.",
      );
      expect(toAgentReportJson(report).notTried).toEqual([
        { product: "ABC laptop", qty: 1, priceLimit: 2000 },
        { product: "USB-C cable", qty: 1 },
      ]);
      expect(auth0.count("/bc-authorize")).toBe(1);
    },
  );

  it("says only that the rest was not tried when the model's reading of the request is not known", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().deny();
    const model = createOfflineModel({ generateId: () => "call_x" });
    // A model with no reading of its own, as OpenAI's.
    const { agent } = setup({ model: { ...model, readItems: undefined } as LanguageModelV2 });

    const report = await agent.run("Buy 2 XYZ phones and 1 USB-C cable");

    expect(report.message).toBe(
      "The purchase of 2 x XYZ phone was denied; nothing was ordered. Anything asked for after it was not tried.",
    );
    expect(toAgentReportJson(report).notTried).toBeNull();
  });
});

/** A model that calls the tool again whatever happened: the loop must not let it. */
function stubbornModel(callsPerStep = 1): LanguageModelV2 & { calls: number } {
  let step = 0;
  const model = {
    specificationVersion: "v2" as const,
    provider: "test",
    modelId: "stubborn",
    supportedUrls: {},
    calls: 0,
    doGenerate: () => Promise.reject(new Error("streams only")),
    doStream: () => {
      model.calls++;
      step++;
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue({ type: "stream-start", warnings: [] });
          for (let i = 0; i < callsPerStep; i++) {
            controller.enqueue({
              type: "tool-call",
              toolCallId: `retry_${step}_${i}`,
              toolName: PURCHASE_TOOL_NAME,
              input: JSON.stringify({ product: "XYZ phone", qty: 1 }),
            });
          }
          controller.enqueue({
            type: "finish",
            finishReason: "tool-calls",
            usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
          });
          controller.close();
        },
      });
      return Promise.resolve({ stream });
    },
  };
  return model;
}

describe("what the model claims", () => {
  it("reports what the shop recorded, not the model's account of it", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().approve();
    stubShop().order(201, { id: "ord_7", total: 3493, currency: "USD" });
    const model = scriptedModel([
      callOf({ product: "XYZ phone", qty: 7 }),
      { text: "Ordered 1 XYZ phone as asked." },
    ]);
    const { agent } = setup({ model });

    const report = await agent.run("Buy 1 XYZ phone");

    expect(auth0.calls.map((call) => call.body.binding_message).filter(Boolean)).toEqual([
      "Do you want to buy 7 XYZ phones for max 3493 USD",
    ]);
    expect(report).toMatchObject({
      outcome: "ORDERED",
      message: "Ordered 7 x XYZ phone: order ord_7, total 3493.00 USD.",
      purchases: [{ purchase: { product: "XYZ phone", qty: 7 } }],
    });
  });

  it("says nothing was ordered before an order the model made up, with no call", async () => {
    const claim = "I have ordered 2 XYZ phones for you (order #A1234). They arrive Monday.";
    const { agent } = setup({ model: scriptedModel([{ text: claim }]) });

    const report = await agent.run("Buy 2 XYZ phones");

    expect(report).toMatchObject({
      outcome: "NO_PURCHASE",
      exitCode: 8,
      purchases: [],
      message: `Nothing was ordered, and nobody was asked to approve anything. The model wrote: ${JSON.stringify(claim)}`,
    });
  });
});

describe("tool calls the purchase tool cannot take as they are", () => {
  it("hands a call the tool's schema refuses back to the model, which may call again", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    const shop = stubShop().order();
    const model = scriptedModel([
      { calls: [{ id: "call_a", input: { product: "USB-C cable", qty: 0 } }] },
      { calls: [{ id: "call_b", input: { product: "USB-C cable", qty: 1 } }] },
      { text: "Ordered one USB-C cable." },
    ]);
    const { agent } = setup({ model });

    const report = await agent.run("Buy a USB-C cable");

    // The agent's account of the order, not the model's.
    expect(report.outcome).toBe("ORDERED");
    expect(report.message).toMatch(/^Ordered 1 x USB-C cable: order\b[^"]*\.$/);
    expect(shop.calls.map((call) => call.body)).toEqual([{ product: "USB-C cable", qty: 1 }]);
    // The second call's prompt holds the first call's error, as the model's tool result.
    expect(JSON.stringify(model.prompts[1])).toMatch(
      /"call_a".*Invalid input for tool shop_online/,
    );
  });

  it("says what the model's last, invalid call was when the turn ends on it", async () => {
    const model = scriptedModel([
      { calls: [{ id: "call_a", input: { product: "USB-C cable", qty: -1 } }] },
      { calls: [{ id: "call_b", input: { product: "USB-C cable" }, tool: "buy_now" }] },
    ]);
    const { agent } = setup({ model });

    const report = await agent.run("Buy a USB-C cable");

    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "invalid_tool_call" });
    expect(report.message).toMatch(
      /^The model's last call of buy_now could not run, with the input \{"product":"USB-C cable"\} \(.*buy_now.*\); nobody was asked to approve anything for it, and nothing was ordered for it\.$/,
    );
    expect(report.purchases).toEqual([]);
  });

  it.each([
    [{ product: "XYZ phone", qty: "2" }, "qty must be a number"],
    [{ product: "XYZ phone", qty: "two" }, "qty must be a number"],
    [{ product: "XYZ phone", qty: 0 }, "qty must be at least 1"],
    [{ product: "XYZ phone", qty: -2 }, "qty must be at least 1"],
    [{ product: "XYZ phone", qty: 1e12 }, "qty must be at most 1000"],
    [{ product: "XYZ phone", qty: 2, color: "black" }, "Unrecognized key(s) in object: 'color'"],
    [{ product: "XYZ phone" }, "qty is required"],
    [{ product: "XYZ phone", qty: 2, priceLimit: "500" }, "priceLimit must be a number"],
  ])(
    "reports a refused call %j as such, not the model's claim written after it",
    async (input, why) => {
      const claim = "I have ordered 2 XYZ phones for you.";
      const { agent } = setup({ model: scriptedModel([callOf(input), { text: claim }]) });

      const report = await agent.run("Buy 2 XYZ phones");

      expect(report).toMatchObject({
        outcome: "ERROR",
        exitCode: 1,
        error: "invalid_tool_call",
        fix: expect.stringMatching(/^Ask again, naming the product and a whole quantity/),
        purchases: [],
      });
      expect(report.message).toBe(
        `The model's last call of shop_online could not run, with the input ${JSON.stringify(input)} (input the tool refuses: ${why}); nobody was asked to approve anything for it, and nothing was ordered for it. The model then wrote: ${JSON.stringify(claim)}`,
      );
    },
  );

  it("takes a call under an ordered call's id for a new purchase, with its own consent", async () => {
    // A server that numbers calls per response sends call_0 in every step: taken for the first
    // call, the second got the first's ORDERED (or, with other input, tool_call_id_reused).
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().approve().bcAuthorize().approve();
    const shop = stubShop().order(201, { id: "ord_1" }).order(201, { id: "ord_2" });
    const model = scriptedModel([
      { calls: [{ id: "call_0", input: { product: "XYZ phone", qty: 1 } }] },
      { calls: [{ id: "call_0", input: { product: "USB-C cable", qty: 3 } }] },
      { text: "Bought a phone and 3 cables." },
    ]);
    const { agent } = setup({ model });

    const report = await agent.run("Buy an XYZ phone, then 3 USB-C cables");

    expect(report.outcome).toBe("ORDERED");
    expect(report.message).toMatch(
      /^Ordered 1 x XYZ phone: order ord_1\b[^"]*\. Ordered 3 x USB-C cable: order ord_2\b[^"]*\.$/,
    );
    expect(auth0.count("/bc-authorize")).toBe(2);
    expect(auth0.calls.map((call) => call.body.binding_message).filter(Boolean)).toEqual([
      "Do you want to buy 1 XYZ phone for max 499 USD",
      "Do you want to buy 3 USB-C cables for max 29.97 USD",
    ]);
    expect(shop.calls.map((call) => call.body)).toEqual([
      { product: "XYZ phone", qty: 1 },
      { product: "USB-C cable", qty: 3 },
    ]);
    expect(report.purchases.map((purchase) => purchase.order?.id)).toEqual(["ord_1", "ord_2"]);
    // The model reads the second call under its new id, with its own result.
    expect(JSON.stringify(model.prompts[2])).toMatch(/"call_0-2".*"call_0-2".*"ord_2"/);
  });

  it("ends PARTIAL on an invalid last call after an order, whatever the model said before it", async () => {
    // The words before the first call were taken for the answer, and the turn ended ORDERED.
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    stubShop().order(201, { id: "ord_1" });
    const model = scriptedModel([
      {
        said: "Sure, ordering it now.",
        calls: [{ id: "call_a", input: { product: "XYZ phone", qty: 1 } }],
      },
      { calls: [{ id: "call_b", input: { product: "ABC laptop", qty: 0 } }] },
    ]);
    const { agent } = setup({ model });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "PARTIAL", exitCode: 10, error: "invalid_tool_call" });
    expect(report.message).toMatch(/^Ordered 1 x XYZ phone: order ord_1\b/);
    expect(report.message).not.toContain("Sure, ordering it now.");
  });

  it.each([
    [
      "in a later step, under a reused id",
      [
        { calls: [{ id: "call_0", input: { product: "XYZ phone", qty: 1 } }] },
        { calls: [{ id: "call_0", input: { product: "XYZ phone", qty: 1 } }] },
      ],
    ],
    [
      "twice in one step",
      [
        {
          calls: [
            { id: "call_a", input: { product: "XYZ phone", qty: 1 } },
            { id: "call_b", input: { product: "XYZ phone", qty: 1 } },
          ],
        },
      ],
    ],
  ])(
    "asks for the same purchase once in a turn, and says the repeat was not tried: %s",
    async (_, calls: ModelStep[]) => {
      // Two pushes both read 'Do you want to buy 1 XYZ phone for max 499 USD', and two orders.
      stubShop().catalog();
      const auth0 = stubAuth0().bcAuthorize().approve();
      const shop = stubShop().order(201, { id: "ord_1" });
      const model = scriptedModel([...calls, { text: "Bought two phones." }]);
      const { agent } = setup({ model });

      const report = await agent.run("Buy 2 XYZ phones, one at a time");

      expect(auth0.count("/bc-authorize")).toBe(1);
      expect(shop.calls).toHaveLength(1);
      expect(report).toMatchObject({
        outcome: "PARTIAL",
        exitCode: 10,
        message:
          "Ordered 1 x XYZ phone: order ord_1. Another 1 x XYZ phone, asked for again in this turn, was not tried: the same purchase is not asked for twice in one turn, so nobody was asked again and nothing more was ordered; ask again for another.",
        notTried: [{ product: "XYZ phone", qty: 1 }],
      });
      // The model heard why, and that the person can ask again.
      expect(JSON.stringify(model.prompts.at(-1))).toContain(
        "Not tried: 1 x XYZ phone was already asked for in this turn",
      );
    },
  );

  it("says a model that calls the same purchase at every step once, and that the step limit ended the turn, with its code", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().approve();
    const shop = stubShop().order(201, { id: "ord_1" });
    const loop = Array.from({ length: 25 }, (_, step) =>
      callOf({ product: "XYZ phone", qty: 1 }, `call_${String(step)}`),
    );
    const model = scriptedModel(loop);
    const { agent } = setup({ model });

    const report = await agent.run("Buy an XYZ phone");

    expect(model.prompts).toHaveLength(20);
    expect(auth0.count("/bc-authorize")).toBe(1);
    expect(shop.calls).toHaveLength(1);
    expect(report).toMatchObject({
      outcome: "PARTIAL",
      exitCode: 10,
      error: "model_step_limit",
      fix: "Ask again; if it recurs, choose another model (AGENT_MODEL, --model).",
    });
    expect(report.message).toBe(ONE_ORDER_THEN_LOOPED);
  });

  it("counts the model's spellings of one purchase asked again as one, by the catalog's name", async () => {
    // The turn's guard takes each for the same purchase: the report counted them apart.
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    stubShop().order(201, { id: "ord_1" });
    const spellings = ["XYZ phone", "xyz-phone", "XYZ Phone", "xyz phone"];
    const model = scriptedModel(
      Array.from({ length: 25 }, (_, step) =>
        callOf({ product: spellings[step % 4], qty: 1 }, `call_${String(step)}`),
      ),
    );

    const report = await setup({ model }).agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "PARTIAL", error: "model_step_limit" });
    expect(report.message).toBe(ONE_ORDER_THEN_LOOPED);
  });

  it("keeps repeats that ask another consent apart, each by the catalog's name", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve().bcAuthorize().approve();
    stubShop().order(201, { id: "ord_1" }).order(201, { id: "ord_2" });
    const calls = [
      { product: "XYZ phone", qty: 1 },
      { product: "usb-c-cable", qty: 2 },
      { product: "xyz-phone", qty: 1 },
      { product: "USB-C cables", qty: 2 },
      { product: "xyz phone", qty: 1 },
    ];
    const model = scriptedModel([
      ...calls.map((input, step) => callOf(input, `call_${String(step)}`)),
      { text: "Done." },
    ]);

    const report = await setup({ model }).agent.run("Buy an XYZ phone and 2 USB-C cables");

    expect(report.message).toBe(
      "Ordered 1 x XYZ phone: order ord_1. Ordered 2 x USB-C cable: order ord_2. Another 1 x XYZ phone (2 times) and 2 x USB-C cable, asked for again in this turn, were not tried: the same purchase is not asked for twice in one turn, so nobody was asked again and nothing more was ordered; ask again for another.",
    );
  });

  it("names a product in the report's lines as the shop resolved it, not in the model's spelling", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    stubShop().order(201, { id: "ord_1" });
    const model = scriptedModel([callOf({ product: "xyz-phone", qty: 1 }), { text: "Done." }]);
    const { agent } = setup({ model });

    const report = await agent.run("Buy an XYZ phone");

    expect(report.message).toBe("Ordered 1 x XYZ phone: order ord_1.");
    expect(report.purchases[0]).toMatchObject({
      purchase: { product: "xyz-phone", qty: 1 },
      productName: "XYZ phone",
    });
  });

  it("names a product by the shop's order when it says it, and quotes the model's words where nothing was resolved", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().deny();
    const model = scriptedModel([callOf({ product: "usb-c cable", qty: 3 })]);
    const denied = await setup({ model }).agent.run("Buy 3 USB-C cables");
    expect(denied.message).toBe(
      "The purchase of 3 x USB-C cable was denied; nothing was ordered. Anything asked for after it was not tried.",
    );

    stubAuth0().bcAuthorize().approve();
    stubShop().order(201, { id: "ord_2", product: { id: "xyz-phone", name: "XYZ Phone (2026)" } });
    const ordered = await setup({
      model: scriptedModel([callOf({ product: "XYZ phones", qty: 1 }), { text: "Done." }]),
    }).agent.run("Buy an XYZ phone");
    expect(ordered.message).toBe("Ordered 1 x XYZ Phone (2026): order ord_2.");

    const unknown = await setup({
      model: scriptedModel([callOf({ product: "xyz fone", qty: 1 })]),
    }).agent.run("Buy an xyz fone");
    expect(unknown.message).toBe(
      'Could not buy 1 x "xyz fone" as the model named it: The shop\'s catalog has no product matching "xyz fone"; the person was not asked. Anything asked for after it was not tried.',
    );
    expect(unknown.purchases[0]).toMatchObject({ productName: null });
  });

  it("reports a model that orders anew at every step until the step limit as PARTIAL, model_step_limit: it never said it was done", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0();
    const shop = stubShop();
    for (let step = 1; step <= 20; step++) {
      auth0.bcAuthorize().approve();
      shop.order(201, { id: `ord_${String(step)}` });
    }
    const model = scriptedModel(
      Array.from({ length: 25 }, (_, step) =>
        callOf({ product: "USB-C cable", qty: step + 1 }, `call_${String(step)}`),
      ),
    );
    const { agent } = setup({ model });

    const report = await agent.run("Buy USB-C cables");

    expect(shop.calls).toHaveLength(20);
    expect(report).toMatchObject({ outcome: "PARTIAL", exitCode: 10, error: "model_step_limit" });
    expect(report.message).toMatch(
      /^Ordered 1 x USB-C cable: order ord_1\. .* The turn ended at the agent's limit of 20 model steps, with the model still calling shop_online; it was not asked again\.$/,
    );
  });

  // The person is asked for the catalog's product, the quantity and the most it may cost: two
  // calls that ask the same read alike, however the model wrote them.
  it.each([
    [
      "its limit spelled out as the catalog's total",
      { product: "XYZ phone", qty: 1, priceLimit: 499 },
    ],
    ["its product in other letters", { product: "xyz Phone", qty: 1 }],
    ["its product by the catalog's id", { product: "xyz-phone", qty: 1 }],
    ["its limit a fraction of a cent more", { product: "XYZ phone", qty: 1, priceLimit: 499.004 }],
  ])(
    "takes a second call that asks the same consent for a repeat: %s",
    async (_, second: Record<string, unknown>) => {
      // Both pushes read 'Do you want to buy 1 XYZ phone for max 499 USD', and two orders.
      stubShop().catalog();
      const auth0 = stubAuth0().bcAuthorize().approve();
      const shop = stubShop().order(201, { id: "ord_1" });
      const model = scriptedModel([
        {
          calls: [
            { id: "call_a", input: { product: "XYZ phone", qty: 1 } },
            { id: "call_b", input: second },
          ],
        },
        { text: "Bought one phone." },
      ]);
      const { agent } = setup({ model });

      const report = await agent.run("Buy an XYZ phone");

      expect(auth0.count("/bc-authorize")).toBe(1);
      expect(shop.calls).toHaveLength(1);
      expect(report).toMatchObject({ outcome: "PARTIAL", notTried: [second] });
      // Said as the same purchase asked again, not as one of which "nothing was ordered".
      expect(report.message).toMatch(
        /^Ordered 1 x XYZ phone: order ord_1\. Another 1 x .+, asked for again in this turn, was not tried: /,
      );
      expect(report.message).not.toContain("nothing was ordered");
      expect(JSON.stringify(model.prompts.at(-1))).toContain("repeated_purchase");
    },
  );

  it.each([
    ["another limit", { product: "XYZ phone", qty: 1, priceLimit: 600 }],
    ["another quantity with the same limit", { product: "XYZ phone", qty: 2, priceLimit: 998 }],
  ])(
    "asks for a second call that asks another consent: %s",
    async (_, second: Record<string, unknown>) => {
      stubShop().catalog();
      const auth0 = stubAuth0().bcAuthorize().approve().bcAuthorize().approve();
      const shop = stubShop().order(201, { id: "ord_1" }).order(201, { id: "ord_2" });
      const model = scriptedModel([
        {
          calls: [
            { id: "call_a", input: { product: "XYZ phone", qty: 1, priceLimit: 998 } },
            { id: "call_b", input: second },
          ],
        },
        { text: "Bought them." },
      ]);
      const { agent } = setup({ model });

      const report = await agent.run("Buy an XYZ phone, then another");

      expect(auth0.count("/bc-authorize")).toBe(2);
      expect(shop.calls.map((call) => call.body)).toEqual([
        { product: "XYZ phone", qty: 1, priceLimit: 998 },
        second,
      ]);
      expect(report.outcome).toBe("ORDERED");
      expect(report.notTried).toBeUndefined();
    },
  );

  it("goes on with the turn's other purchases after a repeat", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve().bcAuthorize().approve();
    const shop = stubShop().order(201, { id: "ord_1" }).order(201, { id: "ord_2" });
    const model = scriptedModel([
      { calls: [{ id: "call_a", input: { product: "XYZ phone", qty: 1 } }] },
      { calls: [{ id: "call_b", input: { product: "XYZ phone", qty: 1 } }] },
      { calls: [{ id: "call_c", input: { product: "XYZ phone", qty: 2 } }] },
      { text: "Done." },
    ]);
    const { agent } = setup({ model });

    const report = await agent.run("Buy an XYZ phone, then 2 more");

    expect(shop.calls.map((call) => call.body)).toEqual([
      { product: "XYZ phone", qty: 1 },
      { product: "XYZ phone", qty: 2 },
    ]);
    expect(report).toMatchObject({
      outcome: "PARTIAL",
      notTried: [{ product: "XYZ phone", qty: 1 }],
    });
  });

  it("asks nobody for a purchase whose approval the shop would refuse as unreadable", async () => {
    // The shop's own name for it holds a zero-width no-break space, which the binding message
    // leaves out: the person would approve "1 XYZ phone", and the shop refuse the approval.
    stubShop().catalog(200, [{ id: "xyz-phone", name: "XYZ\uFEFFphone", price: 499, stock: 5 }]);
    const auth0 = stubAuth0();
    const { agent } = setup({
      model: scriptedModel([
        { calls: [{ id: "call_a", input: { product: "xyz-phone", qty: 1 } }] },
      ]),
    });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "ERROR", error: "invalid_tool_call" });
    expect(report.message).toMatch(
      /: The model asked for 1 x "xyz-phone", which the shop's catalog names "XYZ\\u\{FEFF\}phone", which the shop would refuse to sell on any approval \(product holds characters a person cannot see .*\); the person was not asked\./,
    );
    expect(auth0.calls).toEqual([]);
  });

  it.each([
    ["its id", "xyz-phone", 1, "Do you want to buy 1 XYZ phone"],
    ["a plural for one", "XYZ phones", 1, "Do you want to buy 1 XYZ phone"],
    ["other letters and spacing", "xyz\uFEFFPHONE", 2, "Do you want to buy 2 XYZ phones"],
  ])(
    "asks for a product the model named by %s with the catalog's name, in the message and the details alike",
    async (_, product, qty, message) => {
      stubShop().catalog();
      const auth0 = stubAuth0().bcAuthorize().approve();
      const shop = stubShop().order(201, { id: "ord_1" });
      const model = scriptedModel([callOf({ product, qty }), { text: "Done." }]);

      const report = await setup({ model }).agent.run("Buy an XYZ phone");

      const asked = auth0.calls[0]!.body;
      expect(asked.binding_message).toBe(`${message} for max ${String(499 * qty)} USD`);
      expect(JSON.parse(asked.authorization_details!)).toMatchObject([
        { product: "XYZ phone", quantity: qty },
      ]);
      // The order is the call as the model made it: the shop resolves it as the catalog did.
      expect(shop.calls.map((call) => call.body)).toEqual([{ product, qty }]);
      expect(report).toMatchObject({ outcome: "ORDERED", bindingMessage: asked.binding_message });
    },
  );

  // Written in Auth0's characters, "½ dozen eggs" read "3 1 2 dozen eggs" and "Телефон XYZ"
  // read "XYZ": the person approves the message, which named something else.
  it.each([
    ["½ dozen eggs", '"½" it would read "1 2 dozen eggs"'],
    ["Телефон XYZ", '"Т", "е", "л", "ф", "о", "н" it would read "XYZ"'],
    ["Phone ٢٤", '"٢", "٤" it would read "Phone"'],
  ])(
    "asks nobody for a product whose name a binding message cannot carry: %s",
    async (product, read) => {
      stubShop().catalog(200, [{ id: "p-1", name: product, price: 3, stock: 10 }]);
      const auth0 = stubAuth0();
      const { agent } = setup({
        model: scriptedModel([{ calls: [{ id: "call_a", input: { product, qty: 3 } }] }]),
      });

      const report = await agent.run(`Buy 3 ${product}`);

      expect(report).toMatchObject({ outcome: "CONFIG_ERROR", error: "unwritable_product_name" });
      expect(report.message).toContain(
        `A binding message cannot name ${JSON.stringify(product)}: Auth0 allows only A-Z, a-z, 0-9, spaces and +-_.,:# in it, and without ${read}, which names another product; the person was not asked.`,
      );
      expect(report.fix).toMatch(/^Name the product in the shop's catalog in Latin letters/);
      expect(auth0.calls).toEqual([]);
    },
  );

  it("asks with the limit the shop applies, whole cents rounded down, in the details as in the message", async () => {
    // 19.989 went into maximum_amount as it was, which a consent screen shows as $19.99.
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().deny();
    const model = scriptedModel([
      {
        calls: [{ id: "call_a", input: { product: "USB-C cable", qty: 2, priceLimit: 19.989 } }],
      },
    ]);
    const { agent } = setup({ model });

    await agent.run("Buy 2 USB-C cables, at most 19.989 dollars");

    const asked = auth0.calls[0]!.body;
    expect(asked.binding_message).toBe("Do you want to buy 2 USB-C cables for max 19.98 USD");
    expect(JSON.parse(asked.authorization_details!)).toMatchObject([{ maximum_amount: 19.98 }]);
  });

  it("asks nobody for a call without an id, and says so", async () => {
    const { agent } = setup({
      model: scriptedModel([{ calls: [{ id: "", input: { product: "USB-C cable", qty: 1 } }] }]),
    });

    const report = await agent.run("Buy a USB-C cable");

    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "invalid_tool_call",
      message:
        "The model asked for 1 x USB-C cable in a tool call without an id, which the agent cannot keep track of: nobody was asked to approve it, and nothing was ordered.",
    });
  });
});

describe("a model that gives no answer", () => {
  it.each([
    ["whitespace", { text: " \n " }],
    [
      "reasoning and no text",
      {
        parts: [
          { type: "reasoning-start", id: "r" },
          { type: "reasoning-delta", id: "r", delta: "The person wants a phone." },
          { type: "reasoning-end", id: "r" },
        ],
      },
    ],
    // A refusal, once OpenAI's provider has dropped its text: nothing but the finish.
    ["a refusal", { parts: [] }],
  ] as const)("says so with a fix after %s, rather than an empty message", async (_, step) => {
    const { agent } = setup({ model: scriptedModel([step as ModelStep]) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({
      outcome: "NO_PURCHASE",
      exitCode: 8,
      error: "model_no_answer",
      message: expect.stringMatching(/^The model gave no answer: .*nothing was ordered\.$/),
      fix: expect.stringMatching(/^Ask again in other words/),
    });
  });
});

describe("loop control", () => {
  it.each([
    ["a denial", () => stubAuth0().bcAuthorize().token(400, DENIED), "DENIED"],
    [
      "an expiry",
      () =>
        stubAuth0()
          .bcAuthorize()
          .token(400, { error: "expired_token", error_description: "expired" }),
      "EXPIRED",
    ],
    [
      "a refused request",
      () => stubAuth0().bcAuthorizeError(400, "unknown_user_id", "User ID is malformed or unknown"),
      "REQUEST_REFUSED",
    ],
  ] as const)("ends the turn after %s: one push, no retry", async (_, stub, outcome) => {
    stubShop().catalog();
    const auth0 = stub();
    const model = stubbornModel();
    const { agent } = setup({ model });

    const report = await agent.run("Buy an XYZ phone");

    expect(report.outcome).toBe(outcome);
    expect(auth0.count("/bc-authorize")).toBe(1);
    expect(model.calls).toBe(1);
  });

  it("sends no second request for a parallel duplicate call", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().token(400, DENIED);
    const { agent } = setup({ model: stubbornModel(2) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report.outcome).toBe("DENIED");
    expect(auth0.count("/bc-authorize")).toBe(1);
    expect(report.purchases).toHaveLength(1);
  });
});

describe("interrupt mode", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "agent-store-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const interrupt = () => testConfig({ mode: "interrupt", store: { kind: "file", dir } });
  /** A fresh agent over the same directory: what a new process sees. */
  const restart = (clock: ManualClock) =>
    setup({ config: interrupt(), store: createFileStore(dir), clock });

  it("says that a second call of the step was not tried, on the run and on its resume, and tells the model", async () => {
    // A server that ignores parallel_tool_calls: false. The cables were dropped without a word,
    // and the resume said ORDERED with the model's "Ordered the phone and 3 cables."
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().pending().approve();
    const shop = stubShop().order(201, { id: "ord_1" });
    const model = scriptedModel([
      {
        calls: [
          { id: "call_a", input: { product: "XYZ phone", qty: 1 } },
          { id: "call_b", input: { product: "USB-C cable", qty: 3 } },
        ],
      },
      { text: "Ordered the phone and 3 cables." },
    ]);
    const clock = new ManualClock();
    const agent = () =>
      setup({ config: interrupt(), store: createFileStore(dir), clock, model }).agent;
    const cables = { product: "USB-C cable", qty: 3 };
    const notTried =
      "3 x USB-C cable was not tried: nobody was asked to approve it, and nothing was ordered.";

    const sent = await agent().run("Buy an XYZ phone and 3 USB-C cables");

    expect(sent).toMatchObject({ outcome: "PENDING", notTried: [cables] });
    expect(sent.message).toMatch(
      /^Waiting for approval of 1 x XYZ phone .* 3 x USB-C cable was not tried/,
    );
    expect(sent.message.endsWith(notTried)).toBe(true);
    expect(toAgentReportJson(sent).notTried).toEqual([cables]);

    const resumed = await agent().resume("thread-1");

    expect(resumed).toMatchObject({
      outcome: "PARTIAL",
      exitCode: 10,
      message: `Ordered 1 x XYZ phone: order ord_1. ${notTried}`,
      notTried: [cables],
    });
    expect(resumed.purchases.map((purchase) => purchase.outcome)).toEqual(["ORDERED"]);
    expect(auth0.count("/bc-authorize")).toBe(1);
    expect(shop.calls).toHaveLength(1);
    // The resumed model reads what became of both calls.
    expect(JSON.stringify(model.prompts[1])).toMatch(/"call_b".*"NO_PURCHASE".*"turn_ended"/);
    // Resumed again, the thread says the same.
    expect((await agent().resume("thread-1")).message).toContain(notTried);
  });

  it.each([
    ["as it was written", { product: "USB-C cable", qty: 3 }],
    [
      "written otherwise, with the limit the person was asked",
      { product: "usb-c cables", qty: 3, priceLimit: 29.97 },
    ],
  ])(
    "says a call not tried was ordered once the model asks for it again on the resume: %s",
    async (_, again: Record<string, unknown>) => {
      // The cables, ordered on the resume, were still reported as not tried: PARTIAL, exit 10.
      stubShop().catalog();
      const auth0 = stubAuth0().bcAuthorize().pending().approve().bcAuthorize().approve();
      const shop = stubShop().order(201, { id: "ord_1" }).order(201, { id: "ord_2" });
      const model = scriptedModel([
        {
          calls: [
            { id: "call_a", input: { product: "XYZ phone", qty: 1 } },
            { id: "call_b", input: { product: "USB-C cable", qty: 3 } },
          ],
        },
        { calls: [{ id: "call_c", input: again }] },
        { text: "Ordered the phone and 3 cables." },
      ]);
      const clock = new ManualClock();
      const agent = () =>
        setup({ config: interrupt(), store: createFileStore(dir), clock, model }).agent;

      const sent = await agent().run("Buy an XYZ phone and 3 USB-C cables");
      expect(sent).toMatchObject({
        outcome: "PENDING",
        notTried: [{ product: "USB-C cable", qty: 3 }],
      });

      const resumed = await agent().resume("thread-1");

      expect(resumed).toMatchObject({ outcome: "ORDERED", exitCode: 0 });
      expect(resumed.notTried).toBeUndefined();
      expect(resumed.message).not.toContain("not tried");
      expect(resumed.purchases.map((purchase) => purchase.outcome)).toEqual(["ORDERED", "ORDERED"]);
      expect(auth0.count("/bc-authorize")).toBe(2);
      expect(shop.calls).toHaveLength(2);
      // Resumed again, the thread says the same.
      expect(await agent().resume("thread-1")).toMatchObject({ outcome: "ORDERED", exitCode: 0 });
    },
  );

  it("says before the approval request leaves, once a purchase, and not on a resume", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().pending().pending();
    const clock = new ManualClock();
    const sending: { bindingMessage: string; threadId: string; sentBefore: number }[] = [];
    const announce = (config: ReturnType<typeof interrupt>) =>
      setup({
        config,
        store: createFileStore(dir),
        clock,
        beforeApprovalRequest: ({ bindingMessage, threadId }) =>
          sending.push({ bindingMessage, threadId, sentBefore: auth0.count("/bc-authorize") }),
      });

    const first = await announce(interrupt()).agent.run("Buy 2 XYZ phones");
    expect(first).toMatchObject({ outcome: "PENDING", authReqId: "req-1" });
    expect(sending).toEqual([
      {
        bindingMessage: "Do you want to buy 2 XYZ phones for max 998 USD",
        threadId: "thread-1",
        sentBefore: 0,
      },
    ]);

    clock.advance(10_000);
    expect((await announce(interrupt()).agent.resume("thread-1")).outcome).toBe("PENDING");
    expect(sending).toHaveLength(1);
    expect(auth0.count("/bc-authorize")).toBe(1);
  });

  it("sends, survives a restart, and orders exactly once", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().pending().pending().approve("at-secret");
    const shop = stubShop().order();
    const clock = new ManualClock();

    const first = await restart(clock).agent.run("Buy 2 XYZ phones");
    expect(first).toMatchObject({ outcome: "PENDING", exitCode: 5, authReqId: "req-1" });

    clock.advance(10_000);
    const second = restart(clock);
    const stillPending = await second.agent.resume("thread-1");
    expect(stillPending.outcome).toBe("PENDING");
    expect(second.events).toContainEqual(
      expect.objectContaining({ type: "approval-requested", authReqId: "req-1", resumed: true }),
    );

    clock.advance(10_000);
    const ordered = await restart(clock).agent.resume("thread-1");
    expect(ordered).toMatchObject({ outcome: "ORDERED", order: { id: "ord_1" } });
    expect(toAgentReportJson(ordered).finishedEarlier).toBeNull();
    const orderedAt = new Date(clock.now()).toISOString();

    // A script that counts exit 0 as "bought" can tell the order was this earlier run's.
    clock.advance(60_000);
    const again = await restart(clock).agent.resume("thread-1");
    expect(again).toMatchObject({ outcome: "ORDERED", exitCode: 0, order: { id: "ord_1" } });
    expect(toAgentReportJson(again).finishedEarlier).toBe(orderedAt);
    expect(again.message).toBe(
      `Thread thread-1 had already finished, at ${orderedAt} with order ord_1; this run ordered nothing and asked nobody. It reported then: ${ordered.message}`,
    );

    expect(auth0.count("/bc-authorize")).toBe(1);
    expect(shop.calls).toHaveLength(1);
    // The journal, and the lease (released); no request, token or temporary file.
    const files = await filesIn(dir);
    expect(Object.keys(files)).toEqual([
      path.join("leases%2Fthread-1.lease", "8"),
      "threads%2Fthread-1.json",
    ]);
    expect(Object.values(files).join("\n")).not.toContain("at-secret");
  });

  it("asks the tenant about a request its clock says expired, and never sends it again", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 60 }).pending();
    const clock = new ManualClock();

    expect((await restart(clock).agent.run("Buy an XYZ phone")).outcome).toBe("PENDING");
    clock.advance(61_000);
    auth0.token(400, { error: "expired_token", error_description: "The request has expired" });
    const report = await restart(clock).agent.resume("thread-1");

    expect(report).toMatchObject({ outcome: "EXPIRED", exitCode: 4 });
    expect(auth0.count("/bc-authorize")).toBe(1);
    expect(auth0.count("/oauth/token")).toBe(2);
  });

  it("refuses to send again when the request it was sending was never stored", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().pending();
    const clock = new ManualClock();
    await restart(clock).agent.run("Buy an XYZ phone");
    // What a process killed during /bc-authorize leaves: a purchase, no request id anywhere.
    const thread = JSON.parse(await readFile(path.join(dir, "threads%2Fthread-1.json"), "utf8"));
    delete thread.purchases[0].request;
    await writeFile(path.join(dir, "threads%2Fthread-1.json"), JSON.stringify(thread));
    await rm(
      path.join(
        dir,
        `${encodeURIComponent("ciba/AuthResponses/thread-1/call_1/authResponse")}.json`,
      ),
    );

    const report = await restart(clock).agent.resume("thread-1");

    expect(report).toMatchObject({ outcome: "ERROR", error: "request_lost" });
    // The first push may still be on the person's phone; asking again sends a second beside it.
    expect(report.message).toContain(
      "the person may still be asked to approve it, and approving it orders nothing",
    );
    expect(report.fix).toBe(
      "Ask again if the purchase is still wanted, and approve the new request: approving the earlier one orders nothing.",
    );
    expect(auth0.count("/bc-authorize")).toBe(1);
  });

  it("asks for each item of a resumed thread in turn", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0()
      .bcAuthorize({}, "req-a")
      .pending()
      .approve()
      .bcAuthorize({}, "req-b")
      .pending();
    stubShop().order();
    const clock = new ManualClock();

    await restart(clock).agent.run("Buy 2 XYZ phones and a USB-C cable");
    const second = await restart(clock).agent.resume("thread-1");

    expect(second).toMatchObject({ outcome: "PENDING", authReqId: "req-b" });
    expect(second.bindingMessage).toBe("Do you want to buy 1 USB-C cable for max 9.99 USD");
    expect(auth0.count("/bc-authorize")).toBe(2);
  });

  it("lets two concurrent resumes of one thread place one order", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().pending().approve();
    const shop = stubShop().order();
    const clock = new ManualClock();
    await restart(clock).agent.run("Buy an XYZ phone");

    const reports = await Promise.all([
      restart(clock).agent.resume("thread-1"),
      restart(clock).agent.resume("thread-1"),
    ]);
    const later = await restart(clock).agent.resume("thread-1");

    expect(reports.map((r) => r.outcome).sort()).toEqual(["IN_PROGRESS", "ORDERED"]);
    expect(reports.find((r) => r.outcome === "IN_PROGRESS")).toMatchObject({
      exitCode: 9,
      error: "thread_busy",
    });
    expect(later).toMatchObject({ outcome: "ORDERED", order: { id: "ord_1" } });
    expect(shop.calls).toHaveLength(1);
    expect(auth0.count("/bc-authorize")).toBe(1);
  });

  it("refuses a thread sent for another person, changing and showing nothing", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().pending().approve();
    const shop = stubShop().order();
    const clock = new ManualClock();
    const other = () =>
      setup({
        config: { ...interrupt(), userId: "auth0|second-user" },
        store: createFileStore(dir),
        clock,
      }).agent;
    await restart(clock).agent.run("Buy an XYZ phone");
    clock.advance(10_000);
    const before = await filesIn(dir);

    const approved = await other().resume("thread-1");

    const refusal = {
      outcome: "CONFIG_ERROR",
      exitCode: 2,
      error: "thread_other_user",
      fix: expect.stringContaining("--user"),
      purchases: [],
    };
    expect(approved).toMatchObject(refusal);
    expect(approved.message).toContain("another person than auth0|second-user");
    expect(auth0.count("/oauth/token")).toBe(1);
    expect(shop.calls).toHaveLength(0);
    expect(await filesIn(dir)).toEqual(before);

    expect(await restart(clock).agent.resume("thread-1")).toMatchObject({ outcome: "ORDERED" });
    const ordered = await filesIn(dir);
    const shown = await other().resume("thread-1");
    expect(shown).toMatchObject(refusal);
    expect(shown).not.toHaveProperty("order");
    expect(JSON.stringify(shown)).not.toContain("ord_1");
    expect(await filesIn(dir)).toEqual(ordered);
  });

  it("names an unknown thread, the store it looked in and the fix, and takes no lease", async () => {
    const clock = new ManualClock();
    const unknown = {
      outcome: "CONFIG_ERROR",
      exitCode: 2,
      error: "thread_unknown",
      fix: expect.stringContaining("AGENT_STORE"),
    };

    const reports = await Promise.all(
      [1, 2, 3].map(() => restart(clock).agent.resume("no-such-thread")),
    );

    for (const report of reports) {
      expect(report).toMatchObject({
        ...unknown,
        message: `No thread no-such-thread in the agent's store. The agent's store is the folder ${dir} (AGENT_STORE).`,
      });
    }
    expect(await filesIn(dir)).toEqual({});
    expect(await restart(clock).agent.resume("no/such")).toMatchObject(unknown);
    // An id that is none is quoted, so a line feed in it cannot break the one-line message.
    expect(await restart(clock).agent.resume("th\nread")).toMatchObject({
      ...unknown,
      message: expect.stringMatching(
        /^No thread "th\\u\{000A\}read" in the agent's store: a thread id is 1-100 letters, digits, \. _ or -\./,
      ),
    });

    const elsewhere = path.join(dir, "elsewhere");
    const lost = setup({
      config: testConfig({ mode: "interrupt", store: { kind: "file", dir: elsewhere } }),
      store: createFileStore(elsewhere),
      clock,
    });
    expect((await lost.agent.resume("no-such-thread")).message).toBe(
      `No thread no-such-thread in the agent's store. The agent's store is the folder ${elsewhere} (AGENT_STORE), which does not exist: no thread was kept there.`,
    );
  });

  it("has the id and AGENT_STORE checked first when the store holds no threads at all (a Redis that lost its data)", async () => {
    // In a store with no threads a mistyped id misses as a lost thread does: nothing tells them apart.
    const emptied = {
      ...createFileStore(dir),
      explainMissing: () => Promise.resolve({ lost: true, message: "It holds no threads." }),
    };
    const { agent } = setup({ config: interrupt(), store: emptied, clock: new ManualClock() });

    const report = await agent.resume("thr-mistyped");

    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "thread_lost",
      message: "No thread thr-mistyped in the agent's store. It holds no threads.",
      fix: "Check the thread id and that AGENT_STORE names the store it was sent with; if both are right, the thread is lost: check the shop's orders, then ask again. This run ordered nothing and sent no approval request, and no agent can use an approval the person gives for a lost thread.",
    });
    expect(await filesIn(dir)).toEqual({});
  });

  it("names a --thread it cannot start as a usage error with its fix", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().pending();
    const clock = new ManualClock();
    await restart(clock).agent.run("Buy an XYZ phone");

    const usage = { outcome: "CONFIG_ERROR", exitCode: 2, error: "usage" };
    expect(
      await restart(clock).agent.run("Buy an XYZ phone", { threadId: "thread-1" }),
    ).toMatchObject({
      ...usage,
      fix: "Run pnpm agent resume thread-1, or give --thread another id.",
    });
    expect(await restart(clock).agent.run("Buy an XYZ phone", { threadId: "a b" })).toMatchObject({
      ...usage,
      fix: expect.stringContaining("--thread"),
    });
  });
});

describe("timings", () => {
  it("times the model, the shop's checks, /bc-authorize, the decision and the order", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize({ interval: 2 }).pending(2).approve("at-1");
    stubShop().order();
    const clock = new ManualClock();
    // Each step takes a known time on the agent's clock.
    const offline = createOfflineModel({ generateId: () => "call_1" });
    const model: LanguageModelV2 = {
      ...offline,
      doStream: (options) => {
        clock.advance(100);
        return offline.doStream(options);
      },
    };
    const shopFetch: typeof fetch = (input, init) => {
      const withToken = new Headers(init?.headers).has("authorization");
      // The catalog read, the purchase URL's check (no token), the order.
      clock.advance(urlOf(input).endsWith("/api/products") ? 30 : withToken ? 40 : 10);
      return globalThis.fetch(input, init);
    };
    const tenantFetch = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      if (urlOf(input).endsWith("/bc-authorize")) clock.advance(200);
      return tenantFetch(input, init);
    };
    try {
      const { agent } = setup({ clock, model, fetch: shopFetch });
      const report = await agent.run("Buy 2 XYZ phones under $2500");

      expect(report.outcome).toBe("ORDERED");
      expect(report.timings).toEqual({
        // Two model calls: the tool call, then the answer.
        modelMs: 200,
        catalogMs: 30 + 10,
        bcAuthorizeMs: 200,
        // From the purchase priced to the decision; the decision from /bc-authorize's answer.
        approvalMs: 200 + 4000,
        decisionMs: 4000,
        orderMs: 40,
        totalMs: 100 + 30 + 10 + 200 + 4000 + 40 + 100,
      });
      expect(report.purchases[0]!.timings).toEqual({
        catalogMs: 40,
        bcAuthorizeMs: 200,
        approvalMs: 4200,
        decisionMs: 4000,
        orderMs: 40,
      });
    } finally {
      globalThis.fetch = tenantFetch;
    }
  });
});

describe("an approval at the request's first poll", () => {
  it("names the request and times /bc-authorize and the decision, in the journal too", async () => {
    // An approver that answers at once: the poll that follows /bc-authorize takes the token.
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve("at-1");
    stubShop().order();
    const clock = new ManualClock();
    const tenantFetch = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      const url = urlOf(input);
      if (url.endsWith("/bc-authorize")) clock.advance(200);
      if (url.endsWith("/oauth/token")) clock.advance(30);
      return tenantFetch(input, init);
    };
    const dir = await mkdtemp(path.join(tmpdir(), "agent-first-poll-"));
    try {
      const { agent, events } = setup({ clock, store: createFileStore(dir) });
      const report = await agent.run("Buy a USB-C cable");

      expect(report).toMatchObject({ outcome: "ORDERED", authReqId: "req-1" });
      const timings = { bcAuthorizeMs: 230, approvalMs: 230, decisionMs: 0, orderMs: 0 };
      expect(report.timings).toMatchObject(timings);
      expect(report.purchases[0]).toMatchObject({ authReqId: "req-1", timings });
      expect(toAgentReportJson(report)).toMatchObject({ authReqId: "req-1" });
      const requested = events.filter((event) => event.type === "approval-requested");
      expect(requested).toMatchObject([{ authReqId: "req-1", resumed: false }]);
      // The journal keeps the request with the purchase, and a resume reports it again.
      const files = Object.values(await filesIn(dir));
      const journal = files.find((file) => file.includes('"purchases"'));
      expect(journal).toContain('"id":"req-1"');
      expect(journal).toContain('"bcAuthorizeMs":230');
      const again = await setup({ clock, store: createFileStore(dir) }).agent.resume("thread-1");
      expect(again).toMatchObject({ outcome: "ORDERED", authReqId: "req-1" });
      expect(again.purchases[0]).toMatchObject({ authReqId: "req-1", timings });
    } finally {
      globalThis.fetch = tenantFetch;
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function urlOf(input: Parameters<typeof fetch>[0]): string {
  return input instanceof Request ? input.url : input.toString();
}
