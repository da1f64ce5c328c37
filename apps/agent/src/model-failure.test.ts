import type { LanguageModelV2, LanguageModelV2StreamPart } from "@ai-sdk/provider";
import { APICallError } from "ai";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { createMemoryStore } from "./agent-store.js";
import { MODEL_IDLE_TIMEOUT_MS } from "./model-deadline.js";
import { PURCHASE_TOOL_NAME } from "./purchase-tool.js";
import { resetToolCalls, setup } from "./test-support/agent-setup.js";
import { MAX_STEPS } from "./turn-end.js";
import { responsesCall, serverModel } from "./test-support/model-server.js";
import {
  expectAllStubsUsed,
  isolateNetwork,
  nock,
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
      outcome: "PARTIAL",
      exitCode: 10,
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
      outcome: "PARTIAL",
      exitCode: 10,
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

/**
 * A model whose call `hangAt` (counted from 1) never answers, or whose stream stops after
 * `parts`; it records the abort signal of each call.
 */
function hangingModel(steps: Step[], hang: { parts?: LanguageModelV2StreamPart[] }) {
  const scripted = modelOf(steps);
  const signals: (AbortSignal | undefined)[] = [];
  const model: LanguageModelV2 = {
    ...scripted,
    doStream: (options) => {
      signals.push(options.abortSignal);
      if (signals.length <= steps.length) return scripted.doStream(options);
      const { parts } = hang;
      if (parts === undefined) return new Promise(() => undefined);
      return Promise.resolve({
        stream: new ReadableStream<LanguageModelV2StreamPart>({
          start(controller) {
            controller.enqueue({ type: "stream-start", warnings: [] });
            for (const part of parts) controller.enqueue(part);
          },
        }),
      });
    },
  };
  return { model, signals };
}

describe("a model that does not answer", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("gives up on a request with no answer after the timeout, aborting it", async () => {
    const { model, signals } = hangingModel([], {});
    const { agent } = setup({ model });
    let report: Awaited<ReturnType<typeof agent.run>> | undefined;
    const running = agent.run("Buy an XYZ phone").then((done) => (report = done));

    await vi.advanceTimersByTimeAsync(MODEL_IDLE_TIMEOUT_MS - 1);
    expect(report).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await running;

    expect(report).toMatchObject({
      outcome: "ERROR",
      exitCode: 1,
      error: "model_timeout",
      message: "The model did not answer within 120 s; its request was abandoned.",
      purchases: [],
    });
    expect(report?.fix).toContain("OPENAI_BASE_URL");
    // One request, not tried again, and its connection let go.
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it("gives up on a stream that stops mid-answer, after the order it placed", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    stubShop().order(201, { id: "ord_1" });
    const { model, signals } = hangingModel([buyCall()], { parts: words("Your XYZ phone is ord") });
    const { agent } = setup({ model });
    const running = agent.run("Buy an XYZ phone");
    // The order is placed (its requests on real time), and the model is asked for its answer.
    while (signals.length < 2) await new Promise((resolve) => setImmediate(resolve));

    await vi.advanceTimersByTimeAsync(MODEL_IDLE_TIMEOUT_MS);
    const report = await running;

    expect(report).toMatchObject({
      outcome: "PARTIAL",
      exitCode: 10,
      error: "model_timeout",
      purchases: [{ outcome: "ORDERED", order: { id: "ord_1" } }],
    });
    expect(report.message).toMatch(
      /^Ordered 1 x XYZ phone: order ord_1\b.* The model's answer stopped: no part of it came for 120 s; its request was abandoned\.$/,
    );
    expect(signals.at(-1)?.aborted).toBe(true);
  });

  it("says when a model server that answers 429 takes requests again, and the fix", async () => {
    const limited = () =>
      new APICallError({
        message: "Rate limit reached for requests",
        url: "https://api.openai.com/v1/responses",
        requestBodyValues: {},
        statusCode: 429,
        responseHeaders: { "retry-after": "3600" },
        isRetryable: true,
      });
    const model: LanguageModelV2 = {
      ...modelOf([]),
      doStream: () => Promise.reject(limited()),
    };
    const { agent, clock } = setup({ model });
    const running = agent.run("Buy an XYZ phone");
    // The AI SDK's own two tries again (2 s, then 4 s: it waits out no Retry-After over 60 s).
    await vi.advanceTimersByTimeAsync(6000);
    const report = await running;

    const at = new Date(clock.now() + 3_600_000).toISOString();
    expect(report).toMatchObject({ outcome: "ERROR", error: "model_rate_limited" });
    expect(report.message).toBe(
      `The model failed: Rate limit reached for requests (rate limited, 429): it takes requests again at ${at}.`,
    );
    expect(report.fix).toBe(
      `Ask again after ${at}, or check the plan and quota of OPENAI_API_KEY.`,
    );
  });
});

describe("a model whose answer is not complete", () => {
  const ending = (finishReason: "length" | "content-filter" | "unknown", text: string): Step => ({
    parts: [...(text === "" ? [] : words(text)), { type: "finish", finishReason, usage }],
  });

  it.each([
    [
      "cut at its output token limit",
      ending("length", "I would be happy to buy it, but first let me"),
      'The model\'s answer was cut off at its output token limit (finish reason length), after "I would be happy to buy it, but first let me".',
    ],
    [
      "withheld by a content filter",
      ending("content-filter", ""),
      "The model's answer was withheld by its server's content filter (finish reason content-filter).",
    ],
    [
      "ended without a finish reason",
      ending("unknown", "I will now buy the XY"),
      'The model\'s answer ended without saying it was complete (finish reason unknown), after "I will now buy the XY": its server stopped streaming mid-answer, and nothing in it was run.',
    ],
  ])(
    "reports an answer %s as the model's failure, not as nothing to buy",
    async (_, step, message) => {
      const { agent } = setup({ model: modelOf([step]) });

      const report = await agent.run("Buy an XYZ phone");

      expect(report).toMatchObject({
        outcome: "ERROR",
        exitCode: 1,
        error: "model_incomplete",
        message,
      });
      expect(report.fix).toMatch(/\S/);
    },
  );

  it.each([
    [
      "was cut off",
      '{"product":"XYZ phone","qty":',
      "is not whole JSON (cut off by the model's output token limit, or its server)",
    ],
    [
      "is JSON with a key the SDK refuses",
      '{"__proto__":{"admin":true},"product":"XYZ phone","qty":1}',
      "holds a __proto__ or constructor.prototype key, which the AI SDK refuses to read",
    ],
  ])("reports a tool call whose input %s, which the provider dropped", async (_, input, why) => {
    const { agent } = setup({
      model: modelOf([
        {
          parts: [
            { type: "tool-input-start", id: "call_1", toolName: PURCHASE_TOOL_NAME },
            { type: "tool-input-delta", id: "call_1", delta: input },
            { type: "finish", finishReason: "tool-calls", usage },
          ],
        },
      ]),
    });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "ERROR", error: "invalid_tool_call", purchases: [] });
    expect(report.message).toBe(
      `The model's last call of shop_online could not run: its input ${JSON.stringify(input)} ${why}; nobody was asked to approve anything for it, and nothing was ordered for it.`,
    );
    expect(report.fix).toMatch(/^Ask again, naming the product and a whole quantity/);
  });
});

describe("a model that cannot call the tool as it should", () => {
  it("is not asked again after a call cut at its output token limit (Responses API)", async () => {
    // A server that is cut off the same way at every request it gets.
    const cut = responsesCall('{"product": "XYZ phone", "qty"', "max_output_tokens");
    const { model, requests } = await serverModel("responses", Array<string>(MAX_STEPS).fill(cut));
    const { agent } = setup({ model });

    const report = await agent.run("Buy 1 XYZ phone");
    nock.cleanAll();

    expect(requests).toHaveLength(1);
    expect(report).toMatchObject({ outcome: "ERROR", error: "model_incomplete", purchases: [] });
    expect(report.message).toMatch(/^The model's answer was cut off at its output token limit/);
  });

  it("ends the turn at its second call that cannot run: one correction, not one per step", async () => {
    const invalid = (id: string): Step => ({
      parts: [
        {
          type: "tool-call",
          toolCallId: id,
          toolName: PURCHASE_TOOL_NAME,
          input: JSON.stringify({ product: "XYZ phone", qty: "2" }),
        },
        { type: "finish", finishReason: "tool-calls", usage },
      ],
    });
    const model = modelOf(
      Array.from({ length: MAX_STEPS }, (_, i) => invalid(`call_${String(i)}`)),
    );
    const { agent } = setup({ model });

    const report = await agent.run("Buy 2 XYZ phones");

    expect(model.calls).toBe(2);
    expect(report).toMatchObject({ outcome: "ERROR", error: "invalid_tool_call", purchases: [] });
    expect(report.message).toBe(
      'The model\'s last call of shop_online could not run, with the input {"product":"XYZ phone","qty":"2"} (input the tool refuses: qty must be a number); nobody was asked to approve anything for it, and nothing was ordered for it.',
    );
  });
});
