import OpenAI from "openai";
import type {
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import type { FunctionTool, ResponseInputItem } from "openai/resources/responses/responses";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { startModelServer } from "./server.js";
import type { RunningModelServer } from "./server.js";

let server: RunningModelServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startModelServer({ port: 0 });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "test-key", maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.deps.script.clear();
});

const PURCHASE_PARAMETERS = {
  type: "object",
  properties: {
    product: { type: "string" },
    quantity: { type: "integer" },
    maxPrice: { type: "number" },
  },
  required: ["product", "quantity"],
  additionalProperties: false,
};

const chatTools: ChatCompletionTool[] = [
  { type: "function", function: { name: "buy", parameters: PURCHASE_PARAMETERS } },
];
const responsesTools: FunctionTool[] = [
  { type: "function", name: "buy", parameters: PURCHASE_PARAMETERS, strict: false },
];

const ORDER = JSON.stringify({ id: "A-17", status: "confirmed", total: 998, currency: "USD" });

async function script(replies: unknown[]): Promise<void> {
  const response = await fetch(`${server.baseURL}/testing/script`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ replies }),
  });
  expect(response.status).toBe(201);
}

describe("the openai client, Chat Completions", () => {
  it("calls the purchase tool with arguments named and typed by its schema, then confirms", async () => {
    const messages: ChatCompletionMessageParam[] = [
      { role: "system", content: "You buy things." },
      { role: "user", content: "Buy 2 XYZ phones under $1,200" },
    ];
    const first = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages,
      tools: chatTools,
    });
    const choice = first.choices[0]!;
    expect(first.object).toBe("chat.completion");
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe("function");
    if (call.type !== "function") throw new Error("not a function call");
    expect(call.function.name).toBe("buy");
    expect(JSON.parse(call.function.arguments)).toEqual({
      product: "XYZ phone",
      quantity: 2,
      maxPrice: 1200,
    });

    const second = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        ...messages,
        choice.message,
        { role: "tool", tool_call_id: call.id, content: ORDER },
      ],
      tools: chatTools,
    });
    expect(second.choices[0]!.finish_reason).toBe("stop");
    expect(second.choices[0]!.message.content).toBe(
      "Ordered 2 x XYZ phone (at most 1200 USD): order A-17, total 998.00 USD.",
    );
    expect(second.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("streams chunks the client's stream helper assembles, with usage when asked", async () => {
    const stream = client.chat.completions.stream({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Buy 2 XYZ phones" }],
      tools: chatTools,
      stream_options: { include_usage: true },
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(JSON.parse(call.function.arguments)).toEqual({ product: "XYZ phone", quantity: 2 });
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    expect(final.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("streams text word by word, ending with [DONE]", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "What's the weather?" }],
      stream: true,
    });
    const pieces: string[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      const choice = chunk.choices[0];
      if (choice?.delta.content) pieces.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join("")).toBe(
      'I could not find a purchase in your request. I need a purchase request such as "Buy 2 XYZ phones under $500". Nothing was bought.',
    );
    expect(finish).toBe("stop");
  });
});

describe("the openai client, Responses", () => {
  it("calls the tool, then confirms from a function_call_output after previous_response_id", async () => {
    const first = await client.responses.create({
      model: "gpt-4o-mini",
      instructions: "You buy things.",
      input: "Could you order three XYZ phones for me? Keep it under 5000 dollars.",
      tools: responsesTools,
    });
    expect(first.status).toBe("completed");
    const call = first.output[0]!;
    expect(call.type).toBe("function_call");
    if (call.type !== "function_call") throw new Error("not a function call");
    expect(call.name).toBe("buy");
    expect(JSON.parse(call.arguments)).toEqual({
      product: "XYZ phone",
      quantity: 3,
      maxPrice: 5000,
    });

    const second = await client.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: ORDER }],
      tools: responsesTools,
    });
    expect(second.output_text).toBe(
      "Ordered 3 x XYZ phone (at most 5000 USD): order A-17, total 998.00 USD.",
    );
    expect(second.usage?.output_tokens).toBeGreaterThan(0);
  });

  it("reads a whole conversation sent as input items, without stored state", async () => {
    const input: ResponseInputItem[] = [
      { role: "user", content: [{ type: "input_text", text: "Buy 2 XYZ phones" }] },
      {
        type: "function_call",
        call_id: "call_1",
        name: "buy",
        arguments: '{"product":"XYZ phone","quantity":2}',
      },
      {
        type: "function_call_output",
        call_id: "call_1",
        output: "The user has denied the request",
      },
    ];
    const response = await client.responses.create({
      model: "gpt-4o-mini",
      input,
      tools: responsesTools,
      store: false,
    });
    expect(response.output_text).toBe(
      "The purchase of 2 x XYZ phone was denied; nothing was ordered.",
    );
  });

  it("streams events the client's stream helper assembles", async () => {
    const stream = client.responses.stream({
      model: "gpt-4o-mini",
      input: "Buy 2 XYZ phones",
      tools: responsesTools,
    });
    const types: string[] = [];
    stream.on("event", (event) => types.push(event.type));
    const final = await stream.finalResponse();
    const call = final.output[0]!;
    if (call.type !== "function_call") throw new Error("not a function call");
    expect(JSON.parse(call.arguments)).toEqual({ product: "XYZ phone", quantity: 2 });
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);

    const text = client.responses.stream({
      model: "gpt-4o-mini",
      previous_response_id: final.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: ORDER }],
    });
    const deltas: string[] = [];
    text.on("response.output_text.delta", (event) => deltas.push(event.delta));
    const done = await text.finalResponse();
    expect(deltas.join("")).toBe("Ordered 2 x XYZ phone: order A-17, total 998.00 USD.");
    expect(done.output_text).toBe(deltas.join(""));
  });
});

describe("the openai client, models, script and errors", () => {
  it("lists and retrieves models", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toContain("gpt-4o-mini");
    expect((await client.models.retrieve("any-model")).id).toBe("any-model");
  });

  it("answers scripted replies first, on either endpoint, in order", async () => {
    await script([
      { text: "First, scripted." },
      { toolCalls: [{ name: "anything", arguments: { x: 1 }, id: "call_fixed" }] },
      {
        error: { status: 429, message: "Slow down", type: "requests", code: "rate_limit_exceeded" },
      },
    ]);
    const chat = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "Buy 2 XYZ phones" }],
    });
    expect(chat.choices[0]!.message.content).toBe("First, scripted.");
    const response = await client.responses.create({ model: "m", input: "hello" });
    expect(response.output[0]).toMatchObject({
      type: "function_call",
      call_id: "call_fixed",
      name: "anything",
      arguments: '{"x":1}',
    });
    const limited = await client.responses
      .create({ model: "m", input: "hello" })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.RateLimitError>).code).toBe(
      "rate_limit_exceeded",
    );
    // The script is used up: the offline logic answers again.
    const after = await client.responses.create({ model: "m", input: "hello" });
    expect(after.output_text).toMatch(/^I could not find a purchase/);
  });

  it("refuses what it cannot answer with a 4xx the client reports", async () => {
    const failure = await client.chat.completions
      .create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "Buy 2 XYZ phones" }],
        tools: [
          {
            type: "function",
            function: {
              name: "order_by_id",
              parameters: {
                type: "object",
                properties: {
                  product: { type: "string" },
                  qty: { type: "number" },
                  sku: { type: "string" },
                },
                required: ["product", "qty", "sku"],
              },
            },
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    const error = failure as InstanceType<typeof OpenAI.BadRequestError>;
    expect(error.status).toBe(400);
    expect(error.code).toBe("unfillable_tool_arguments");
    expect(error.type).toBe("invalid_request_error");
    expect(error.message).toContain('The purchase tool "order_by_id" requires "sku"');
  });

  it("refuses a tool call without its result, like OpenAI", async () => {
    const failure = await client.chat.completions
      .create({
        model: "gpt-4o-mini",
        messages: [
          { role: "user", content: "Buy 2 XYZ phones" },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_9", type: "function", function: { name: "buy", arguments: "{}" } },
            ],
          },
        ],
        tools: chatTools,
      })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as InstanceType<typeof OpenAI.BadRequestError>).code).toBe(
      "invalid_conversation",
    );
  });

  it("refuses an unknown previous_response_id", async () => {
    const failure = await client.responses
      .create({ model: "m", input: "hi", previous_response_id: "resp_unknown" })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as InstanceType<typeof OpenAI.BadRequestError>).code).toBe(
      "previous_response_not_found",
    );
  });
});
