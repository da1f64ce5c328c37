import { ManualClock } from "@ciba-testbed/shared";
import { afterEach, describe, expect, it } from "vitest";

import { createAgent } from "./agent.js";
import { createMemoryStore } from "./agent-store.js";
import { loadConfig } from "./config.js";
import { createModel } from "./model.js";
import {
  expectAllStubsUsed,
  isolateNetwork,
  nock,
  stubAuth0,
  stubShop,
} from "./test-support/stubs.js";
import { sse, stubModelServer } from "./test-support/model-server.js";

isolateNetwork();
afterEach(expectAllStubsUsed);

const created = (id: string) => ({
  type: "response.created",
  response: { id, created_at: 1767225600, model: "gpt-4o-mini" },
});
const completed = {
  type: "response.completed",
  response: { usage: { input_tokens: 10, output_tokens: 5 } },
};

const functionCall = {
  type: "function_call",
  id: "fc_1",
  call_id: "call_openai_1",
  name: "shop_online",
  arguments: JSON.stringify({ product: "XYZ phone", qty: 2 }),
};

const toolCallEvents = [
  created("resp_1"),
  { type: "response.output_item.added", output_index: 0, item: { ...functionCall, arguments: "" } },
  {
    type: "response.function_call_arguments.delta",
    item_id: "fc_1",
    output_index: 0,
    delta: functionCall.arguments,
  },
  {
    type: "response.output_item.done",
    output_index: 0,
    item: { ...functionCall, status: "completed" },
  },
  completed,
];

const message = { type: "message", id: "msg_1" };
const answerEvents = [
  created("resp_2"),
  { type: "response.output_item.added", output_index: 0, item: message },
  { type: "response.output_text.delta", item_id: "msg_1", delta: "Your 2 XYZ phones " },
  { type: "response.output_text.delta", item_id: "msg_1", delta: "are ordered (ord_1)." },
  { type: "response.output_item.done", output_index: 0, item: message },
  completed,
];

const SSE = { "content-type": "text/event-stream" };

describe("OpenAI model", () => {
  const config = loadConfig({ OPENAI_API_KEY: "sk-test", AGENT_STORE: "/nonexistent" });
  /** An OpenAI-compatible server, spoken to in Chat Completions. */
  const local = loadConfig({
    OPENAI_API_KEY: "sk-local",
    OPENAI_BASE_URL: "http://localhost:11434/v1",
    AGENT_MODEL: "llama3.2",
    AGENT_STORE: "/nonexistent",
  });

  it("uses the Responses API: a tool call, then the final answer", async () => {
    stubShop().catalog();
    const requests: Record<string, unknown>[] = [];
    const openai = nock("https://api.openai.com")
      .post("/v1/responses")
      .times(2)
      .reply(async (request: Request) => {
        expect(request.headers.get("authorization")).toBe("Bearer sk-test");
        requests.push((await request.json()) as Record<string, unknown>);
        return [200, sse(requests.length === 1 ? toolCallEvents : answerEvents), SSE];
      });
    const auth0 = stubAuth0().bcAuthorize().approve();
    const shop = stubShop().order();
    const texts: string[] = [];

    const agent = createAgent(config, {
      model: await createModel(config),
      clock: new ManualClock(),
      output: (event) => {
        if (event.type === "text") texts.push(event.text);
      },
    });
    const report = await agent.run("Buy 2 XYZ phones");

    expect(openai.isDone()).toBe(true);
    // The model's words went to the output as it wrote them; the report says what the shop did.
    expect(report.outcome).toBe("ORDERED");
    expect(report.message).toMatch(/^Ordered 2 x XYZ phone: order ord_1\b[^"]*\.$/);
    expect(texts).toEqual(["Your 2 XYZ phones ", "are ordered (ord_1)."]);
    expect(auth0.count("/bc-authorize")).toBe(1);
    // The agent's own id for the purchase (pur_<uuid>), not the model's tool call id.
    expect(shop.calls[0]!.headers.get("idempotency-key")).toMatch(/^pur_[0-9a-f-]{36}$/);
    expect(JSON.parse(auth0.calls[0]!.body.authorization_details!)).toMatchObject([
      { purchase_id: shop.calls[0]!.headers.get("idempotency-key") },
    ]);

    expect(requests[0]).toMatchObject({
      model: "gpt-4o-mini",
      stream: true,
      parallel_tool_calls: false,
    });
    expect(requests[0]!.tools).toEqual([
      expect.objectContaining({ type: "function", name: "shop_online" }),
    ]);
    const output = (requests[1]!.input as Record<string, unknown>[]).find(
      (item) => item.type === "function_call_output",
    );
    expect(output).toMatchObject({ call_id: "call_openai_1" });
    expect(JSON.parse(output!.output as string)).toMatchObject({ outcome: "ORDERED" });
  });

  it("continues an interrupted thread in a new agent from the stored conversation", async () => {
    stubShop().catalog();
    const requests = stubModelServer("https://api.openai.com", "/v1/responses", [
      sse(toolCallEvents),
      sse(answerEvents),
    ]);
    const auth0 = stubAuth0().bcAuthorize().pending().approve();
    stubShop().order();
    const interrupt = { ...config, mode: "interrupt" as const };
    const store = createMemoryStore();
    const model = await createModel(interrupt);
    const agent = () => createAgent(interrupt, { model, clock: new ManualClock(), store });

    const sent = await agent().run("Buy 2 XYZ phones");
    expect(sent.outcome).toBe("PENDING");
    expect(requests).toHaveLength(1);

    const resumed = await agent().resume(sent.threadId);

    expect(resumed.outcome).toBe("ORDERED");
    expect(resumed.message).toMatch(/^Ordered 2 x XYZ phone: order ord_1\b[^"]*\.$/);
    expect(auth0.count("/bc-authorize")).toBe(1);
    const input = requests[1]!.input as Record<string, unknown>[];
    expect(input).toContainEqual(
      expect.objectContaining({
        type: "function_call",
        call_id: "call_openai_1",
        name: "shop_online",
      }),
    );
    const output = input.find((item) => item.type === "function_call_output");
    expect(JSON.parse(output!.output as string)).toMatchObject({ outcome: "ORDERED" });
  });

  it("takes two calls of one response under one call_id for two purchases (Responses API)", async () => {
    // A server that numbers calls per response: the second call was taken for the first, and
    // got its result, ORDERED, with nobody asked and nothing ordered.
    stubShop().catalog();
    const item = (id: string, args: Record<string, unknown>, index: number) => {
      const call = { ...functionCall, id, call_id: "call_0", arguments: JSON.stringify(args) };
      return [
        {
          type: "response.output_item.added",
          output_index: index,
          item: { ...call, arguments: "" },
        },
        {
          type: "response.function_call_arguments.delta",
          item_id: id,
          output_index: index,
          delta: call.arguments,
        },
        {
          type: "response.output_item.done",
          output_index: index,
          item: { ...call, status: "completed" },
        },
      ];
    };
    const twoCalls = [
      created("resp_1"),
      ...item("fc_1", { product: "XYZ phone", qty: 1 }, 0),
      ...item("fc_2", { product: "USB-C cable", qty: 3 }, 1),
      completed,
    ];
    const requests = stubModelServer("https://api.openai.com", "/v1/responses", [
      sse(twoCalls),
      sse(answerEvents),
    ]);
    const auth0 = stubAuth0().bcAuthorize().approve().bcAuthorize().approve();
    const shop = stubShop().order(201, { id: "ord_1" }).order(201, { id: "ord_2" });

    const agent = createAgent(config, {
      model: await createModel(config),
      clock: new ManualClock(),
    });
    const report = await agent.run("Buy an XYZ phone and 3 USB-C cables");

    expect(report.outcome).toBe("ORDERED");
    expect(auth0.count("/bc-authorize")).toBe(2);
    expect(shop.calls.map((call) => call.body)).toEqual([
      { product: "XYZ phone", qty: 1 },
      { product: "USB-C cable", qty: 3 },
    ]);
    // Sent back coherently: the first call as the stored item, the second in full under its
    // new id (a reference to fc_2 would name call_0), each with its own result.
    const input = requests[1]!.input as Record<string, unknown>[];
    const items = input.filter((entry) => entry.role === undefined);
    expect(items).toEqual([
      { type: "item_reference", id: "fc_1" },
      {
        type: "function_call",
        call_id: "call_0-2",
        name: "shop_online",
        arguments: JSON.stringify({ product: "USB-C cable", qty: 3 }),
      },
      expect.objectContaining({ type: "function_call_output", call_id: "call_0" }),
      expect.objectContaining({ type: "function_call_output", call_id: "call_0-2" }),
    ]);
    const outputs = input.filter((entry) => entry.type === "function_call_output");
    expect(outputs.map((entry) => JSON.parse(entry.output as string) as unknown)).toMatchObject([
      { outcome: "ORDERED", order: { id: "ord_1" } },
      { outcome: "ORDERED", order: { id: "ord_2" } },
    ]);
  });

  it("takes a call under an earlier step's id for a new purchase (Chat Completions)", async () => {
    stubShop().catalog();
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1767225600,
      model: "llama3.2",
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const callOf = (args: Record<string, unknown>) =>
      sse([
        chunk({
          role: "assistant",
          tool_calls: [
            {
              index: 0,
              id: "call_0",
              type: "function",
              function: { name: "shop_online", arguments: JSON.stringify(args) },
            },
          ],
        }),
        chunk({}, "tool_calls"),
      ]) + "data: [DONE]\n\n";
    const replies = [
      callOf({ product: "XYZ phone", qty: 1 }),
      callOf({ product: "XYZ phone", qty: 2 }),
      sse([
        chunk({ role: "assistant", content: "Bought 1, then 2 XYZ phones." }),
        chunk({}, "stop"),
      ]) + "data: [DONE]\n\n",
    ];
    const requests = stubModelServer("http://localhost:11434", "/v1/chat/completions", replies);
    const auth0 = stubAuth0().bcAuthorize().approve().bcAuthorize().approve();
    const shop = stubShop().order(201, { id: "ord_1" }).order(201, { id: "ord_2" });

    const agent = createAgent(local, { model: await createModel(local), clock: new ManualClock() });
    const report = await agent.run("Buy 1 XYZ phone, then 2 more");

    expect(report.outcome).toBe("ORDERED");
    expect(report.message).toMatch(
      /^Ordered 1 x XYZ phone: order ord_1\b[^"]*\. Ordered 2 x XYZ phone: order ord_2\b[^"]*\.$/,
    );
    expect(auth0.count("/bc-authorize")).toBe(2);
    expect(shop.calls.map((call) => call.body)).toEqual([
      { product: "XYZ phone", qty: 1 },
      { product: "XYZ phone", qty: 2 },
    ]);
    const tools = (requests[2]!.messages as Record<string, unknown>[]).filter(
      (message) => message.role === "tool",
    );
    expect(tools.map((message) => message.tool_call_id)).toEqual(["call_0", "call_0-2"]);
  });

  it("names the key as the fix when OpenAI refuses it, and asks no one", async () => {
    nock("https://api.openai.com")
      .post("/v1/responses")
      .reply(401, {
        error: {
          message: "Incorrect API key provided",
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      });
    const agent = createAgent(config, {
      model: await createModel(config),
      clock: new ManualClock(),
    });

    const report = await agent.run("Buy 2 XYZ phones");

    expect(report).toMatchObject({ outcome: "CONFIG_ERROR", exitCode: 2, purchases: [] });
    expect(report.fix).toContain("OPENAI_API_KEY");
  });

  it("speaks Chat Completions to an OpenAI-compatible server", async () => {
    const server = nock("http://localhost:11434")
      .post("/v1/chat/completions")
      .reply(200, {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1767225600,
        model: "llama3.2",
        choices: [
          { index: 0, message: { role: "assistant", content: "Hello." }, finish_reason: "stop" },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });

    const model = await createModel(local);
    const result = await model.doGenerate({
      prompt: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
    });

    expect(server.isDone()).toBe(true);
    expect(result.content).toEqual([{ type: "text", text: "Hello." }]);
  });
});
