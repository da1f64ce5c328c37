import type { LanguageModelV2, LanguageModelV2StreamPart } from "@ai-sdk/provider";
import { APICallError } from "ai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { createMemoryStore } from "./agent-store.js";
import { PURCHASE_TOOL_NAME } from "./purchase-tool.js";
import { resetToolCalls, setup } from "./test-support/agent-setup.js";
import {
  expectAllStubsUsed,
  isolateNetwork,
  stubAuth0,
  stubShop,
  testConfig,
} from "./test-support/stubs.js";

isolateNetwork();
beforeEach(resetToolCalls);
afterEach(expectAllStubsUsed);

const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };
const BUY = { product: "XYZ phone", qty: 1 };

/** One model call: the parts it streams, then, when `error` is set, its stream breaks with it. */
interface Step {
  parts: LanguageModelV2StreamPart[];
  error?: unknown;
}

const buyCall = (id = "call_1"): Step => ({
  parts: [
    { type: "tool-call", toolCallId: id, toolName: PURCHASE_TOOL_NAME, input: JSON.stringify(BUY) },
    { type: "finish", finishReason: "tool-calls", usage },
  ],
});

const words = (text: string): LanguageModelV2StreamPart[] => [
  { type: "text-start", id: "t" },
  { type: "text-delta", id: "t", delta: text },
  { type: "text-end", id: "t" },
];

/** A model that answers its calls with `steps` in turn. */
function modelOf(steps: Step[]): LanguageModelV2 & { calls: number } {
  const model = {
    specificationVersion: "v2" as const,
    provider: "test",
    modelId: "scripted",
    supportedUrls: {},
    calls: 0,
    doGenerate: () => Promise.reject(new Error("streams only")),
    doStream: () => {
      const step = steps[model.calls++] ?? { parts: [] };
      const stream = new ReadableStream<LanguageModelV2StreamPart>({
        start(controller) {
          controller.enqueue({ type: "stream-start", warnings: [] });
          for (const part of step.parts) controller.enqueue(part);
          if (step.error === undefined) controller.close();
          else controller.error(step.error);
        },
      });
      return Promise.resolve({ stream });
    },
  };
  return model;
}

/** What the OpenAI provider throws when a server's stream breaks after its 200. */
const cutOff = () =>
  new APICallError({
    message: "Failed to process successful response",
    url: "http://localhost:11434/v1/chat/completions",
    requestBodyValues: {},
    statusCode: 200,
    cause: new TypeError("terminated"),
  });

describe("a model whose stream breaks", () => {
  it("reports the order placed before the model's answer broke off", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    stubShop().order(201, { id: "ord_1" });
    const { agent } = setup({
      model: modelOf([buyCall(), { parts: words("Your XYZ phone is ord"), error: cutOff() }]),
    });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({
      threadId: "thread-1",
      order: { id: "ord_1" },
      purchases: [{ outcome: "ORDERED", order: { id: "ord_1" } }],
    });
    expect(report.message).toMatch(
      /^Ordered 1 x XYZ phone: order ord_1\b.* The model failed: Failed to process successful response \(terminated\)/,
    );
    expect(report.fix).toContain("OPENAI_BASE_URL");
  });

  it("reports it the same way on a resume in interrupt mode", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().pending().approve();
    stubShop().order(201, { id: "ord_1" });
    const store = createMemoryStore();
    const config = { ...testConfig(), mode: "interrupt" as const };
    const model = modelOf([buyCall(), { parts: words("Your XYZ phone is ord"), error: cutOff() }]);
    const sent = await setup({ config, store, model }).agent.run("Buy an XYZ phone");
    expect(sent.outcome).toBe("PENDING");

    const report = await setup({ config, store, model }).agent.resume(sent.threadId);

    expect(report).toMatchObject({
      threadId: "thread-1",
      purchases: [{ outcome: "ORDERED", order: { id: "ord_1" } }],
    });
    expect(report.message).toMatch(/^Ordered 1 x XYZ phone: order ord_1\b.* The model failed: /);
  });

  it("reports a model whose first answer breaks off as a failed model call", async () => {
    const { agent } = setup({
      model: modelOf([{ parts: words("I will buy the XY"), error: cutOff() }]),
    });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({
      outcome: "ERROR",
      exitCode: 1,
      threadId: "thread-1",
      purchases: [],
    });
    expect(report.message).toBe(
      "The model failed: Failed to process successful response (terminated)",
    );
  });
});
