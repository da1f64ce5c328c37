import type { LanguageModelV2, LanguageModelV2StreamPart } from "@ai-sdk/provider";
import { APICallError, InvalidResponseDataError } from "ai";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { createMemoryStore } from "./agent-store.js";
import { MODEL_IDLE_TIMEOUT_MS } from "./model-deadline.js";
import { classifyModelError } from "./model-error.js";
import { PURCHASE_TOOL_NAME } from "./purchase-tool.js";
import { resetToolCalls, setup } from "./test-support/agent-setup.js";
import { MAX_STEPS } from "./turn-end.js";
import { responsesCall, serverModel, stubbedAnswers } from "./test-support/model-server.js";
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
  /** The response's headers, as a provider passes them on. */
  headers?: Record<string, string>;
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
      // One part a read, then the break: an error at once would drop the parts still queued.
      const parts: LanguageModelV2StreamPart[] = [
        { type: "stream-start", warnings: [] },
        ...step.parts,
      ];
      const stream = new ReadableStream<LanguageModelV2StreamPart>({
        pull(controller) {
          const part = parts.shift();
          if (part !== undefined) controller.enqueue(part);
          else if (step.error === undefined) controller.close();
          else controller.error(step.error);
        },
      });
      return Promise.resolve({
        stream,
        ...(step.headers === undefined ? {} : { response: { headers: step.headers } }),
      });
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
      /^Ordered 1 x XYZ phone: order ord_1\b.* The model's answer broke off: its server closed the connection before the answer was complete \(Failed to process successful response \(terminated\)\)\.$/,
    );
    expect(report.error).toBe("model_incomplete");
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
    expect(report.message).toMatch(
      /^Ordered 1 x XYZ phone: order ord_1\b.* The model's answer broke off: /,
    );
  });

  it("reports a model whose first answer breaks off as a failed model call", async () => {
    const { agent } = setup({
      model: modelOf([{ parts: words("I will buy the XY"), error: cutOff() }]),
    });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({
      outcome: "ERROR",
      exitCode: 1,
      error: "model_incomplete",
      threadId: "thread-1",
      purchases: [],
    });
    expect(report.message).toBe(
      "The model's answer broke off: its server closed the connection before the answer was complete (Failed to process successful response (terminated)).",
    );
  });

  it("counts a call whose stream broke in the model's time", async () => {
    let now = 0;
    const { agent } = setup({
      model: modelOf([{ parts: words("I will buy the XY"), error: cutOff() }]),
      monotonicMs: () => (now += 100),
    });

    const report = await agent.run("Buy an XYZ phone");

    expect(report.error).toBe("model_incomplete");
    expect(report.timings.modelMs).toBeGreaterThan(0);
  });

  it("says that a tool call the break cut was not run", async () => {
    const { agent } = setup({
      model: modelOf([
        {
          parts: [
            { type: "tool-input-start", id: "call_1", toolName: PURCHASE_TOOL_NAME },
            { type: "tool-input-delta", id: "call_1", delta: '{"product":"XYZ' },
          ],
          error: cutOff(),
        },
      ]),
    });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "ERROR", error: "model_incomplete", purchases: [] });
    expect(report.message).toMatch(
      /\. Its call of shop_online, cut at the input "\{\\"product\\":\\"XYZ", was not run: nobody was asked to approve anything for it, and nothing was ordered for it\.$/,
    );
  });

  it("reads a tool call its server sent without an id as an invalid call", async () => {
    // What OpenAI's chat provider throws for a streamed tool call with no id.
    const noId = new InvalidResponseDataError({
      data: { index: 0, type: "function", function: { name: "shop_online", arguments: "{}" } },
      message: "Expected 'id' to be a string.",
    });
    const { agent } = setup({ model: modelOf([{ parts: [], error: noId }]) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "invalid_tool_call",
      message:
        "The model's server sent a tool call that could not run: Expected 'id' to be a string (OpenAI's API gives every call an id and a function name); nobody was asked to approve anything for it, and nothing was ordered for it.",
      fix: expect.stringContaining("OPENAI_BASE_URL"),
    });
  });
});

/** What the AI SDK makes of a connection that fails: `code` is the network error's. */
const connectionError = (message: string, code: string) =>
  new APICallError({
    message: `Cannot connect to API: ${message}`,
    url: "http://127.0.0.1:6801/v1/chat/completions",
    requestBodyValues: {},
    cause: Object.assign(new Error(message), { code }),
    isRetryable: true,
  });

describe("a model server that fails its requests", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A model whose every request fails with `error()`, run past the AI SDK's retries. */
  async function runFailing(error: () => Error, steps: Step[] = [], monotonicMs?: () => number) {
    const scripted = modelOf(steps);
    let calls = 0;
    const model: LanguageModelV2 = {
      ...scripted,
      doStream: (options) =>
        ++calls <= steps.length ? scripted.doStream(options) : Promise.reject(error()),
    };
    const { agent } = setup({ model, ...(monotonicMs === undefined ? {} : { monotonicMs }) });
    const running = agent.run("Buy an XYZ phone");
    while (calls <= steps.length) await new Promise((resolve) => setImmediate(resolve));
    // The AI SDK's own two tries again, 2 s and then 4 s later.
    await vi.advanceTimersByTimeAsync(6000);
    return { report: await running, calls: calls - steps.length };
  }

  const serverError = (statusCode: number, message: string) => () =>
    new APICallError({
      message,
      url: "http://127.0.0.1:6801/v1/chat/completions",
      requestBodyValues: {},
      statusCode,
      isRetryable: true,
    });

  it.each([
    [500, "The server had an error"],
    [502, "Bad Gateway"],
    [503, "Service Unavailable"],
  ])(
    "gives a %s after the retries its code, how often it was tried, and a fix",
    async (status, text) => {
      const { report, calls } = await runFailing(serverError(status, text));

      expect(calls).toBe(3);
      expect(report).toMatchObject({
        outcome: "ERROR",
        error: "model_unavailable",
        message: `The model failed: ${text} (the model server answered ${String(status)} to each of 3 attempts).`,
      });
      expect(report.fix).toMatch(
        /^Ask again later; if it recurs, check the model server \(OPENAI_BASE_URL/,
      );
    },
  );

  it("counts each failed request in the model's time, to its failure", async () => {
    // Each reading of the clock is 100 ms after the one before: a request's own two are 100 apart.
    let now = 0;
    const { report } = await runFailing(
      serverError(503, "Service Unavailable"),
      [],
      () => (now += 100),
    );

    expect(report.error).toBe("model_unavailable");
    expect(report.timings.modelMs).toBe(300);
  });

  it("gives a 5xx after an order its code and fix too, with the order first", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    stubShop().order(201, { id: "ord_1" });

    const { report } = await runFailing(serverError(500, "The server had an error"), [buyCall()]);

    expect(report).toMatchObject({
      outcome: "PARTIAL",
      error: "model_unavailable",
      purchases: [{ outcome: "ORDERED", order: { id: "ord_1" } }],
    });
    expect(report.message).toMatch(/^Ordered 1 x XYZ phone: order ord_1\b.* The model failed: /);
    expect(report.fix).toContain("OPENAI_BASE_URL");
  });

  it("reads a connection its server closed as a cut answer, not one never made", async () => {
    const { report } = await runFailing(() =>
      connectionError("other side closed", "UND_ERR_SOCKET"),
    );

    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "model_incomplete",
      message:
        "The model's answer broke off: its server closed the connection before the answer was complete (other side closed), on each of 3 attempts.",
    });
  });

  it("says a server it cannot connect to is unreachable", async () => {
    const { report } = await runFailing(() =>
      connectionError("connect ECONNREFUSED 127.0.0.1:6801", "ECONNREFUSED"),
    );

    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "model_unreachable",
      message:
        "The model failed: Cannot connect to API: connect ECONNREFUSED 127.0.0.1:6801, on each of 3 attempts.",
      fix: "Check OPENAI_BASE_URL (its host and port) and the network.",
    });
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

  /** A step whose one call's input, as streamed, the provider could not read. */
  const unreadCall = (input: string, finishReason: "length" | "tool-calls"): Step => ({
    parts: [
      { type: "tool-input-start", id: "call_1", toolName: PURCHASE_TOOL_NAME },
      { type: "tool-input-delta", id: "call_1", delta: input },
      { type: "finish", finishReason, usage },
    ],
  });

  it.each([
    [
      "cut off at the output token limit",
      unreadCall('{"product":"XYZ phone","qty":', "length"),
      "is not whole JSON: the model's output token limit cut it off (finish reason length)",
    ],
    [
      "complete, but not valid JSON",
      unreadCall('{"product": "XYZ phone", qty: 2}', "tool-calls"),
      "is not valid JSON",
    ],
    [
      "JSON with a __proto__ key",
      unreadCall('{"__proto__":{"x":1},"product":"XYZ phone","qty":2}', "tool-calls"),
      'is JSON the AI SDK refuses as unsafe (a "__proto__" key, or a "constructor" with a "prototype")',
    ],
  ])("reports a tool call whose input was %s, which the provider dropped", async (_, step, why) => {
    const { agent } = setup({ model: modelOf([step]) });

    const report = await agent.run("Buy an XYZ phone");

    const input = (step.parts[1] as { delta: string }).delta;
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

  it("reads a web page where the stream should be as output that is not OpenAI's API", async () => {
    // A captive portal's page, or a base URL at a web page: the provider finds no event in it.
    const page: Step = {
      parts: [{ type: "finish", finishReason: "unknown", usage }],
      headers: { "content-type": "text/html; charset=utf-8" },
    };
    const { agent } = setup({ model: modelOf([page]) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "model_unreadable",
      message:
        "The model's server answered with text/html, not the stream of events OpenAI's API sends: it never streamed an answer, and nothing was run (a base URL at a web page, or a network's login page, answers so).",
      fix: expect.stringContaining("speaks OpenAI's API"),
    });
  });

  it("says that a Responses API end without its usage lacked what OpenAI's API sends", async () => {
    // The provider passes over a response.completed without usage: the finish stays unknown.
    const ended: Step = {
      parts: [
        ...words("Which XYZ phone do you mean?"),
        { type: "raw", rawValue: { type: "response.completed", response: { id: "resp_1" } } },
        { type: "finish", finishReason: "unknown", usage },
      ],
    };
    const { agent } = setup({ model: modelOf([ended]) });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "model_unreadable",
      message:
        "The model's server ended its answer with response.completed but without what OpenAI's API sends in it (its usage), so the agent cannot tell how the answer ended; what it wrote (\"Which XYZ phone do you mean?\") is not taken as the answer, and nothing in it was run.",
    });
  });
});

describe("a Chat Completions server's failures, as it answers them", () => {
  const JSON_TYPE = { "content-type": "application/json" };
  const openAiError = (message: string) => JSON.stringify({ error: { message, type: "x" } });

  it("says the error a server sends in the stream of its answer, in its words", async () => {
    // How OpenAI reports an error once its stream has begun: an event of its own, after the 200.
    const { model } = await stubbedAnswers([
      {
        status: 200,
        body: 'data: {"error":{"message":"upstream overloaded","type":"server_error","param":null,"code":null}}\n\n',
        headers: { "content-type": "text/event-stream" },
      },
    ]);

    const report = await setup({ model }).agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "model_failed",
      message:
        "The model failed: its server sent an error in place of its answer, in the stream it had begun: upstream overloaded (server_error).",
      fix: "Ask again; if it recurs, check the model server (OPENAI_BASE_URL, or OpenAI's status) and the network.",
    });
  });

  it.each([
    ['data: {"error":"upstream overloaded"}\n\n', "upstream overloaded"],
    [
      'event: error\ndata: {"message":"upstream overloaded","type":"server_error"}\n\n',
      "upstream overloaded (server_error)",
    ],
    [
      'data: {"error":{"type":"server_error","code":"overloaded"}}\n\n',
      "no message (server_error)",
    ],
  ])("says an error the stream sends in another shape, in its words: %j", async (body, said) => {
    const { model } = await stubbedAnswers([
      { status: 200, body, headers: { "content-type": "text/event-stream" } },
    ]);

    const report = await setup({ model }).agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "model_failed",
      message: `The model failed: its server sent an error in place of its answer, in the stream it had begun: ${said}.`,
    });
  });

  it.each([
    ["its body's words", "Overloaded", "The model failed: Overloaded"],
    ["none at all", "", "The model failed, its server giving no reason"],
  ])("gives a status with no reason phrase, answered each time, %s", async (_, body, said) => {
    const { model, answered } = await stubbedAnswers(
      Array.from({ length: 3 }, () => ({ status: 529, body })),
    );

    const report = await setup({ model }).agent.run("Buy an XYZ phone");

    expect(answered()).toBe(3);
    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "model_unavailable",
      message: `${said} (the model server answered 529 to each of 3 attempts).`,
      fix: "Ask again later; if it recurs, check the model server (OPENAI_BASE_URL, or OpenAI's status) and the network: it answered with a server error each time.",
    });
  });

  it("says what each attempt got when not all were server errors", async () => {
    const { model, answered } = await stubbedAnswers([
      { status: 503, body: openAiError("Service unavailable"), headers: JSON_TYPE },
      { status: 429, body: openAiError("Rate limit reached"), headers: JSON_TYPE },
      { status: 500, body: openAiError("The server had an error"), headers: JSON_TYPE },
    ]);

    const report = await setup({ model }).agent.run("Buy an XYZ phone");

    expect(answered()).toBe(3);
    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "model_unavailable",
      message:
        "The model failed: The server had an error (the model server answered 503, 429 and 500 to its 3 attempts).",
      fix: "Ask again later; if it recurs, check the model server (OPENAI_BASE_URL, or OpenAI's status) and the network: each of its 3 attempts got a server error or a rate limit (429).",
    });
  });

  it.each([
    [
      openAiError("model 'llama3.2' not found, try pulling it first"),
      "application/json",
      "model 'llama3.2' not found, try pulling it first (x)",
    ],
    [
      JSON.stringify({ error: "upstream overloaded\n\u001b[2J" }),
      "application/json; charset=utf-8",
      "upstream overloaded\\u{000A}\\u{001B}[2J",
    ],
    [
      JSON.stringify({ message: "rate limited", type: "rate_limit_error" }),
      "application/problem+json",
      "rate limited (rate_limit_error)",
    ],
  ])(
    "says an error a server answered 200 with in place of a stream, in its words: %s",
    async (body, type, said) => {
      const { model, answered } = await stubbedAnswers([
        { status: 200, body, headers: { "content-type": type } },
      ]);

      const report = await setup({ model }).agent.run("Buy an XYZ phone");

      // An error is not tried again: the AI SDK retries none of a server's 200s.
      expect(answered()).toBe(1);
      expect(report).toMatchObject({
        outcome: "ERROR",
        error: "model_failed",
        message: `The model failed: its server answered 200 with an error in place of its answer, one ${type.split(";")[0] ?? ""} body where OpenAI's API streams: ${said}.`,
        fix: "Ask again; if it recurs, check the model server (OPENAI_BASE_URL, or OpenAI's status) and the network.",
      });
    },
  );

  it("says a server that answered without streaming did so, not that it is a web page", async () => {
    // A server that ignored stream: true: one whole chat completion, as JSON.
    const completion = {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1767225600,
      model: "llama3.2",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Which XYZ phone?" },
          finish_reason: "stop",
        },
      ],
    };
    const { model } = await stubbedAnswers([
      { status: 200, body: JSON.stringify(completion), headers: JSON_TYPE },
    ]);

    const report = await setup({ model }).agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "model_unreadable",
      message:
        "The model's server answered without streaming: it sent one application/json body, not the stream of events OpenAI's API sends when asked to stream (stream: true), as a server that ignores stream: true does; the agent reads only a stream, so nothing in it was run.",
      fix: "Point OPENAI_BASE_URL at a server that streams its answers as OpenAI's API does (stream: true), or turn streaming on in the one it names.",
    });
    expect(report.message).not.toContain("web page");
  });
});

describe("a model failure's fix with OPENAI_BASE_URL unset", () => {
  const call = (statusCode?: number) =>
    new APICallError({
      message:
        statusCode === undefined ? "Cannot connect to API: getaddrinfo ENOTFOUND" : "Not found",
      url: "https://api.openai.com/v1/responses",
      requestBodyValues: {},
      ...(statusCode === undefined ? {} : { statusCode }),
    });

  it.each([
    [
      undefined,
      "Check that this machine reaches OpenAI's API, api.openai.com (the network, a proxy, a firewall).",
      "Check OPENAI_BASE_URL (its host and port) and the network.",
    ],
    [
      404,
      "Check AGENT_MODEL (or --model): OpenAI's API has no model of that name for this key.",
      "Check AGENT_MODEL (or --model) and OPENAI_BASE_URL.",
    ],
    [
      503,
      "Ask again later; if it recurs, check OpenAI's status (status.openai.com) and the network: it answered with a server error.",
      "Ask again later; if it recurs, check the model server (OPENAI_BASE_URL, or OpenAI's status) and the network: it answered with a server error.",
    ],
  ])("names OpenAI's API, not the unset variable (status %s)", (status, unset, set) => {
    expect(classifyModelError(call(status), 0, "openai").fix).toBe(unset);
    expect(classifyModelError(call(status), 0, "base-url").fix).toBe(set);
  });
});
