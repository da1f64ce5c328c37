import { createOpenAI } from "@ai-sdk/openai";
import { APICallError, generateText, stepCountIs, streamText } from "ai";
import type { LanguageModel } from "ai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { startModelServer } from "./server.js";
import type { RunningModelServer } from "./server.js";
import { fakePurchaseTool } from "./test-support/purchase-tool.js";

let server: RunningModelServer;
let provider: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  server = await startModelServer({ port: 0 });
  provider = createOpenAI({ baseURL: server.baseURL, apiKey: "test-key" });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.deps.script.clear();
  server.deps.requests.clear();
});

const SYSTEM =
  "You are an assistant. Invoke the tool if needed, then respond with a past-tense confirmation.";

// `openai('model')` speaks the Responses API in @ai-sdk/openai 2.x; `openai.chat` Chat Completions.
const apis: [string, () => LanguageModel][] = [
  ["Responses (openai(model))", () => provider("gpt-4o-mini")],
  ["Chat Completions (openai.chat(model))", () => provider.chat("gpt-4o-mini")],
];

describe.each(apis)("@ai-sdk/openai 2.0 through %s", (_name, model) => {
  it.each([
    ["Buy 2 XYZ phones", { product: "XYZ phone", qty: 2, priceLimit: undefined }],
    [
      "Could you order three XYZ phones for me? Keep it under 5000 dollars.",
      { product: "XYZ phone", qty: 3, priceLimit: 5000 },
    ],
    ["Please purchase a USB-C cable", { product: "USB-C cable", qty: 1, priceLimit: undefined }],
    [
      "I'd like to buy 4 XYZ phones under $3,000",
      { product: "XYZ phone", qty: 4, priceLimit: 3000 },
    ],
    ["get me a dozen AA batteries for $20", { product: "AA battery", qty: 12, priceLimit: 20 }],
    ["Order one XYZ phone, max 600 USD", { product: "XYZ phone", qty: 1, priceLimit: 600 }],
  ])(
    "generateText: %j calls the tool with the right arguments, then confirms",
    async (prompt, expected) => {
      const shop = fakePurchaseTool();
      const result = await generateText({
        model: model(),
        system: SYSTEM,
        prompt,
        tools: { shop_online: shop.purchase },
        stopWhen: stepCountIs(5),
      });
      expect(shop.calls).toEqual([expected]);
      expect(result.steps).toHaveLength(2);
      expect(result.steps[0]?.finishReason).toBe("tool-calls");
      expect(result.finishReason).toBe("stop");
      const limit =
        expected.priceLimit === undefined ? "" : ` (at most ${expected.priceLimit} USD)`;
      expect(result.text).toBe(
        `Ordered ${expected.qty} x ${expected.product}${limit}: order order-1, total ${(499 * expected.qty).toFixed(2)} USD.`,
      );
    },
  );

  it("streamText: streams the tool call, then the confirmation word by word", async () => {
    const shop = fakePurchaseTool();
    const result = streamText({
      model: model(),
      prompt: "Buy 2 XYZ phones",
      tools: { shop_online: shop.purchase },
      stopWhen: stepCountIs(5),
    });
    const deltas: string[] = [];
    const kinds = new Set<string>();
    for await (const part of result.fullStream) {
      kinds.add(part.type);
      if (part.type === "text-delta") deltas.push(part.text);
    }
    expect(shop.calls).toEqual([{ product: "XYZ phone", qty: 2, priceLimit: undefined }]);
    expect(kinds).toContain("tool-call");
    expect(kinds).toContain("tool-result");
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join("")).toBe("Ordered 2 x XYZ phone: order order-1, total 998.00 USD.");
    expect(await result.text).toBe("Ordered 2 x XYZ phone: order order-1, total 998.00 USD.");
  });

  it("buys several products one call at a time, and stops after a denial", async () => {
    const shop = fakePurchaseTool((input, index) =>
      index === 0
        ? { id: "order-1", status: "confirmed" }
        : "The end-user denied the authorization request or it has been expired",
    );
    const result = await generateText({
      model: model(),
      prompt: "Buy 2 XYZ phones, a USB-C cable and 3 AA batteries",
      tools: { shop_online: shop.purchase },
      stopWhen: stepCountIs(10),
    });
    expect(shop.calls.map((call) => call.product)).toEqual(["XYZ phone", "USB-C cable"]);
    expect(result.text).toBe(
      "Ordered 2 x XYZ phone: order order-1. The purchase of 1 x USB-C cable was denied; " +
        "nothing was ordered. I did not try the rest (3 x AA battery).",
    );
  });

  it.each([
    [
      "The user has denied the request",
      "The purchase of 2 x XYZ phone was denied; nothing was ordered.",
    ],
    [
      "The authorization request has expired.",
      "The approval request for 2 x XYZ phone expired before the agent collected an answer; nothing was ordered.",
    ],
    ["Created", "Ordered 2 x XYZ phone: order placed."],
    ["Unprocessable Entity", "Could not buy 2 x XYZ phone: Unprocessable Entity"],
  ])("confirms from a tool result of %j", async (answer, confirmation) => {
    const shop = fakePurchaseTool(() => answer);
    const result = await generateText({
      model: model(),
      prompt: "Buy 2 XYZ phones",
      tools: { shop_online: shop.purchase },
      stopWhen: stepCountIs(5),
    });
    expect(result.text).toBe(confirmation);
  });

  it("reports a tool that throws as a refusal, from the error's message", async () => {
    const shop = fakePurchaseTool(() => {
      throw new Error("SHOP_API error 409: insufficient_stock");
    });
    const result = await generateText({
      model: model(),
      prompt: "Buy 2 XYZ phones",
      tools: { shop_online: shop.purchase },
      stopWhen: stepCountIs(5),
    });
    expect(result.text).toBe("Could not buy 2 x XYZ phone: SHOP_API error 409: insufficient_stock");
  });

  it("asks instead of guessing when no purchase is understood", async () => {
    const shop = fakePurchaseTool();
    const result = await generateText({
      model: model(),
      prompt: "Buy some phones",
      tools: { shop_online: shop.purchase },
      stopWhen: stepCountIs(5),
    });
    expect(shop.calls).toEqual([]);
    expect(result.text).toBe(
      "I could not find a purchase in your request. I need the number of phones to buy. Nothing was bought.",
    );
  });

  it("answers with the scripted replies first, in order", async () => {
    const queued = await fetch(`${server.baseURL}/testing/script`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        replies: [
          { toolCalls: [{ name: "shop_online", arguments: { product: "Gadget", qty: 7 } }] },
          { text: "Scripted confirmation." },
        ],
      }),
    });
    expect(queued.status).toBe(201);
    const shop = fakePurchaseTool();
    const result = await generateText({
      model: model(),
      prompt: "Buy 2 XYZ phones",
      tools: { shop_online: shop.purchase },
      stopWhen: stepCountIs(5),
    });
    expect(shop.calls).toEqual([{ product: "Gadget", qty: 7, priceLimit: undefined }]);
    expect(result.text).toBe("Scripted confirmation.");
    expect(server.deps.requests.entries().map((r) => r.answer.source)).toEqual([
      "script",
      "script",
    ]);
  });

  it("fails with the server's message when the tool cannot be filled", async () => {
    const { tool } = await import("ai");
    const { z } = await import("zod");
    const catalogTool = tool({
      description: "Place an order",
      inputSchema: z.object({ productId: z.string(), qty: z.number(), unitPrice: z.number() }),
      execute: () => Promise.resolve("never"),
    });
    const failure = await generateText({
      model: model(),
      prompt: "Buy 2 XYZ phones",
      tools: { order: catalogTool },
      maxRetries: 0,
    }).catch((error: unknown) => error);
    expect(APICallError.isInstance(failure)).toBe(true);
    const error = failure as APICallError;
    expect(error.statusCode).toBe(400);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/none of the offered tools \(order\) looks like a purchase tool/);
  });
});

describe("@ai-sdk/openai's Responses state", () => {
  it("resolves the item_reference ids the SDK sends for earlier calls (store on, its default)", async () => {
    const sent: unknown[] = [];
    // Observes what the SDK sends; the request still goes to the real server.
    const observing = createOpenAI({
      baseURL: server.baseURL,
      apiKey: "test-key",
      fetch: (input, init) => {
        sent.push(JSON.parse(init?.body as string));
        return fetch(input, init);
      },
    });
    const shop = fakePurchaseTool();
    const result = await generateText({
      model: observing("gpt-4o-mini"),
      prompt: "Buy 2 XYZ phones",
      tools: { shop_online: shop.purchase },
      stopWhen: stepCountIs(5),
    });
    expect(sent[1]).toMatchObject({
      input: [
        { role: "user" },
        { type: "item_reference", id: expect.stringMatching(/^fc_/) },
        { type: "function_call_output", call_id: expect.stringMatching(/^call_/) },
      ],
    });
    expect(result.text).toBe("Ordered 2 x XYZ phone: order order-1, total 998.00 USD.");
  });

  it("works with store off, when the SDK sends the calls themselves", async () => {
    const shop = fakePurchaseTool();
    const result = await generateText({
      model: provider("gpt-4o-mini"),
      prompt: "Buy 2 XYZ phones",
      tools: { shop_online: shop.purchase },
      stopWhen: stepCountIs(5),
      providerOptions: { openai: { store: false } },
    });
    expect(result.text).toBe("Ordered 2 x XYZ phone: order order-1, total 998.00 USD.");
  });
});
