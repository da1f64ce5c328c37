import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startModelServer } from "./server.js";
import type { RunningModelServer } from "./server.js";

let open: RunningModelServer;
let locked: RunningModelServer;

beforeAll(async () => {
  open = await startModelServer({ port: 0 });
  locked = await startModelServer({ port: 0, apiKey: "sekret-key" });
});
afterAll(async () => {
  await Promise.all([open.close(), locked.close()]);
});

const CHAT = { model: "m", messages: [{ role: "user", content: "hello" }] };

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: "Bearer any", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function errorOf(response: Response) {
  return ((await response.json()) as { error: Record<string, unknown> }).error;
}

describe("authentication", () => {
  it("accepts any Bearer key, and needs one", async () => {
    expect((await post(`${open.baseURL}/chat/completions`, CHAT)).status).toBe(200);
    const missing = await fetch(`${open.baseURL}/models`);
    expect(missing.status).toBe(401);
    expect(await errorOf(missing)).toMatchObject({
      type: "invalid_request_error",
      code: "missing_api_key",
      param: null,
      message: expect.stringMatching(/Any key works here \(MODEL_SERVER_API_KEY is not set\)/),
    });
  });

  it("tells a request with no key that this server takes only its MODEL_SERVER_API_KEY", async () => {
    const missing = await fetch(`${locked.baseURL}/models`);
    expect(missing.status).toBe(401);
    const error = await errorOf(missing);
    expect(error.code).toBe("missing_api_key");
    expect(error.message).toMatch(/takes only the key MODEL_SERVER_API_KEY is set to/);
    expect(error.message).not.toMatch(/any key works|'test'/i);
  });

  it("with MODEL_SERVER_API_KEY, accepts only that key, on every /v1 route", async () => {
    const wrong = await post(`${locked.baseURL}/chat/completions`, CHAT, {
      Authorization: "Bearer nope",
    });
    expect(wrong.status).toBe(401);
    expect((await errorOf(wrong)).code).toBe("invalid_api_key");
    const right = await post(`${locked.baseURL}/chat/completions`, CHAT, {
      Authorization: "Bearer sekret-key",
    });
    expect(right.status).toBe(200);
    expect((await fetch(`${locked.baseURL}/testing/script`)).status).toBe(401);
    expect((await fetch(`${open.baseURL}/testing/script`)).status).toBe(200);
  });
});

describe("errors: OpenAI's shape, always 4xx", () => {
  it.each([
    ["bad JSON", "{bad", 400, "invalid_request", null],
    ["a JSON array", "[]", 400, "invalid_request", null],
    ["no model", { messages: CHAT.messages }, 400, "invalid_request", "model"],
    ["no messages", { model: "m" }, 400, "invalid_request", "messages"],
    [
      "an unknown role",
      { model: "m", messages: [{ role: "wizard", content: "x" }] },
      400,
      "invalid_request",
      "messages[0].role",
    ],
    [
      "a tool message without its call id",
      { model: "m", messages: [{ role: "tool", content: "x" }] },
      400,
      "invalid_request",
      "messages[0].tool_call_id",
    ],
    ["n = 2", { ...CHAT, n: 2 }, 400, "invalid_request", "n"],
  ])("chat completions: %s", async (_what, body, status, code, param) => {
    const response = await post(`${open.baseURL}/chat/completions`, body);
    expect(response.status).toBe(status);
    const error = await errorOf(response);
    expect(error).toMatchObject({ type: "invalid_request_error", code, param });
    expect(typeof error.message).toBe("string");
  });

  it.each([
    ["no input", { model: "m" }, "input"],
    [
      "a function_call_output without call_id",
      { model: "m", input: [{ type: "function_call_output", output: "x" }] },
      "input[0].call_id",
    ],
    [
      "an unknown item_reference",
      { model: "m", input: [{ type: "item_reference", id: "fc_nope" }] },
      "input[0].id",
    ],
  ])("responses: %s", async (_what, body, param) => {
    const response = await post(`${open.baseURL}/responses`, body);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).param).toBe(param);
  });

  it.each([
    [
      "chat/completions",
      { temperature: 5 },
      "temperature",
      "decimal above maximum value. Expected a value <= 2, but got 5 instead",
    ],
    [
      "chat/completions",
      { top_p: -0.1 },
      "top_p",
      "decimal below minimum value. Expected a value >= 0, but got -0.1 instead",
    ],
    [
      "chat/completions",
      { presence_penalty: 2.5 },
      "presence_penalty",
      "decimal above maximum value. Expected a value <= 2, but got 2.5 instead",
    ],
    [
      "chat/completions",
      { max_tokens: 0 },
      "max_tokens",
      "integer below minimum value. Expected a value >= 1, but got 0 instead",
    ],
    [
      "chat/completions",
      { max_completion_tokens: 1.5 },
      "max_completion_tokens",
      "expected an integer, but got 1.5 instead",
    ],
    ["chat/completions", { temperature: "hot" }, "temperature", "Expected number, received string"],
    [
      "responses",
      { max_output_tokens: 8 },
      "max_output_tokens",
      "integer below minimum value. Expected a value >= 16, but got 8 instead",
    ],
    [
      "responses",
      { top_logprobs: 21 },
      "top_logprobs",
      "integer above maximum value. Expected a value <= 20, but got 21 instead",
    ],
  ])(
    "refuses a %s sampling parameter outside OpenAI's range: %j",
    async (path, extra, param, problem) => {
      const base = path === "responses" ? { model: "m", input: "hello" } : CHAT;
      const response = await post(`${open.baseURL}/${path}`, { ...base, ...extra });
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toEqual({
        message: `Invalid value for '${param}': ${problem}.`,
        type: "invalid_request_error",
        param,
        code: "invalid_request",
      });
    },
  );

  it("takes every sampling parameter at the ends of its range", async () => {
    const chat = await post(`${open.baseURL}/chat/completions`, {
      ...CHAT,
      temperature: 2,
      top_p: 0,
      presence_penalty: -2,
      frequency_penalty: 2,
      max_tokens: 1,
      max_completion_tokens: 1,
      top_logprobs: 20,
    });
    expect(chat.status).toBe(200);
    const responses = await post(`${open.baseURL}/responses`, {
      model: "m",
      input: "hello",
      temperature: 0,
      top_p: 1,
      max_output_tokens: 16,
      top_logprobs: 0,
    });
    expect(responses.status).toBe(200);
  });

  it("names the body as JSON when the Content-Type is not", async () => {
    const response = await post(`${open.baseURL}/chat/completions`, JSON.stringify(CHAT), {
      "Content-Type": "text/plain",
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toMatch(/Content-Type: application\/json/);
  });

  it("refuses a body over the limit with 413", async () => {
    const big = { ...CHAT, messages: [{ role: "user", content: "x".repeat(11 * 1024 * 1024) }] };
    const response = await post(`${open.baseURL}/chat/completions`, big);
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe("request_too_large");
  });

  it("answers an unknown URL with 404, hinting at a base URL without /v1", async () => {
    const unknown = await post(`${open.baseURL}/embeddings`, {});
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({ code: "unknown_url" });
    const noV1 = await post(`${open.url}/chat/completions`, CHAT);
    expect(noV1.status).toBe(404);
    expect((await errorOf(noV1)).message).toContain(
      "Set OPENAI_BASE_URL to http://<host>:<port>/v1",
    );
  });

  it("never answers odd but well-formed bodies with a 5xx", async () => {
    const odd: unknown[] = [
      { model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }] },
      { model: "m", messages: [{ role: "assistant", content: null }] },
      {
        model: "m",
        messages: [{ role: "user", content: "Buy 2 XYZ phones" }],
        tools: [{ type: "function", function: { name: "t", parameters: 5 } }],
      },
      {
        model: "m",
        messages: [{ role: "user", content: "Buy 2 XYZ phones" }],
        tools: [{ type: "mystery" }],
      },
      {
        model: "m",
        messages: [{ role: "user", content: "Buy 2 XYZ phones" }],
        tool_choice: { type: "function" },
      },
      {
        model: "m",
        input: [
          { type: "reasoning", summary: [] },
          { role: "user", content: [] },
        ],
      },
      {
        model: "m",
        input: [{ role: "user", content: "Buy 1e400 phones" }],
        tools: [{ type: "web_search" }],
      },
    ];
    for (const body of odd) {
      const path = "input" in (body as object) ? "responses" : "chat/completions";
      const response = await post(`${open.baseURL}/${path}`, body);
      expect(response.status, JSON.stringify(body)).toBeLessThan(500);
    }
  });
});

describe("structured output", () => {
  it("is refused by the offline model, and given by a scripted reply", async () => {
    const chat = {
      ...CHAT,
      response_format: { type: "json_schema", json_schema: { name: "x", schema: {} } },
    };
    const refused = await post(`${open.baseURL}/chat/completions`, chat);
    expect(refused.status).toBe(400);
    expect((await errorOf(refused)).code).toBe("unsupported_response_format");
    const responses = { model: "m", input: "hi", text: { format: { type: "json_object" } } };
    expect((await post(`${open.baseURL}/responses`, responses)).status).toBe(400);

    await post(`${open.baseURL}/testing/script`, { replies: [{ text: '{"ok":true}' }] });
    const scripted = (await (await post(`${open.baseURL}/chat/completions`, chat)).json()) as {
      choices: { message: { content: string } }[];
    };
    expect(JSON.parse(scripted.choices[0]!.message.content)).toEqual({ ok: true });
  });
});

describe("the script endpoint", () => {
  it("queues, lists and clears replies, and validates them", async () => {
    const script = `${open.baseURL}/testing/script`;
    const queued = await post(script, { replies: [{ text: "a" }, { text: "b" }] });
    expect(queued.status).toBe(201);
    expect(await queued.json()).toEqual({ queued: 2, pending: 2 });
    expect(await (await fetch(script)).json()).toEqual({ replies: [{ text: "a" }, { text: "b" }] });
    const cleared = await fetch(script, { method: "DELETE" });
    expect(await cleared.json()).toEqual({ cleared: 2 });

    for (const bad of [
      {},
      { replies: [] },
      { replies: [{}] },
      { replies: [{ error: { status: 200, message: "x" } }] },
    ]) {
      const response = await post(script, bad);
      expect(response.status, JSON.stringify(bad)).toBe(400);
      expect((await errorOf(response)).param).toMatch(/^replies/);
    }
  });

  it("records every model request with its answer", async () => {
    await fetch(`${open.baseURL}/testing/requests`, { method: "DELETE" });
    await post(`${open.baseURL}/chat/completions`, CHAT);
    await post(`${open.baseURL}/responses`, {
      model: "m",
      input: "Buy 2 XYZ phones",
      tools: [{ type: "function", name: "w", parameters: {} }],
    });
    const { requests } = (await (await fetch(`${open.baseURL}/testing/requests`)).json()) as {
      requests: {
        endpoint: string;
        lastUserText: string;
        answer: { source: string; code?: string };
      }[];
    };
    expect(
      requests.map((r) => [r.endpoint, r.lastUserText, r.answer.source, r.answer.code]),
    ).toEqual([
      ["chat.completions", "hello", "offline", undefined],
      ["responses", "Buy 2 XYZ phones", "error", "no_purchase_tool"],
    ]);
  });
});

it("answers GET /health without a key", async () => {
  expect(await (await fetch(`${open.url}/health`)).json()).toEqual({ status: "ok" });
});
