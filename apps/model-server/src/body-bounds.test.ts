import request from "supertest";
import { describe, expect, it, onTestFinished, vi } from "vitest";

import { jsonList, readCounted } from "../../../test/support/bounded-bodies.js";
import { createApp } from "./app.js";
import { readChatRequest } from "./chat-request.js";
import { createDeps } from "./deps.js";
import { ApiError } from "./errors.js";
import {
  MAX_BODY_DEPTH,
  MAX_BODY_ELEMENTS,
  MAX_CONTENT_PARTS,
  MAX_INPUT_ITEMS,
  MAX_MESSAGES,
  MAX_SCRIPTED_REPLIES,
  MAX_TOOL_CALLS,
  MAX_TOOLS,
} from "./limits.js";
import { silentLogger } from "./logger.js";
import { parseBody } from "./request-schema.js";
import { ResponseStore } from "./response-store.js";
import { readResponsesRequest } from "./responses-request.js";
import { scriptBodySchema } from "./script.js";

function modelServer() {
  const deps = createDeps({ logLevel: "silent" }, { logger: silentLogger });
  return createApp({ apiKey: undefined }, deps);
}

function post(app: ReturnType<typeof createApp>, path: string, body: string) {
  return request(app)
    .post(`/v1/${path}`)
    .set("Authorization", "Bearer any")
    .set("Content-Type", "application/json")
    .send(body);
}

/** `levels` arrays, each inside the one before. */
const nested = (levels: number) => "[".repeat(levels) + "]".repeat(levels);

/** About 1 MB of empty arrays. */
const MB_OF_ARRAYS = `[${jsonList("[]", 349_000)}]`;
const USER = '{"role":"user","content":"Buy 2 XYZ phones"}';

describe("a body past the bounds of its shape is refused from its bytes, before it is parsed", () => {
  it.each([
    ["chat/completions", "messages", `{"model":"m","messages":${MB_OF_ARRAYS}}`],
    ["chat/completions", "tools", `{"model":"m","messages":[${USER}],"tools":${MB_OF_ARRAYS}}`],
    [
      "chat/completions",
      "a member it passes over",
      `{"model":"m","messages":[${USER}],"metadata":{"a":${MB_OF_ARRAYS}}}`,
    ],
    ["responses", "input", `{"model":"m","input":${MB_OF_ARRAYS}}`],
    ["testing/script", "replies", `{"replies":${MB_OF_ARRAYS}}`],
  ])("%s: 1 MB of empty arrays in %s is 413 request_too_large", async (path, _where, body) => {
    const parse = vi.spyOn(JSON, "parse");
    onTestFinished(() => {
      parse.mockRestore();
    });
    const answer = await post(modelServer(), path, body);
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({
      error: {
        message: `The request body holds more than the ${MAX_BODY_ELEMENTS} array elements and object members this server reads; send fewer messages, content parts or tools`,
        type: "invalid_request_error",
        param: null,
        code: "request_too_large",
      },
    });
    expect(parse.mock.calls.map(([text]) => text)).not.toContain(body);
  });

  it("takes a body of as many elements as it reads", async () => {
    // { , [ { , , [ (7 elements), then `fill` arrays and the `fill - 1` commas between them.
    const fill = (MAX_BODY_ELEMENTS - 6) / 2;
    const body = `{"model":"m","messages":[${USER}],"metadata":[${jsonList("[]", fill)}]}`;
    expect((await post(modelServer(), "chat/completions", body)).status).toBe(200);
    const over = `{"model":"m","messages":[${USER}],"metadata":[${jsonList("[]", fill + 1)}]}`;
    expect((await post(modelServer(), "chat/completions", over)).status).toBe(413);
  });

  it("refuses a tool schema nested deeper than it reads with 400, and still lists its requests", async () => {
    const app = modelServer();
    // The body, tools, the tool and its parameters: `levels` arrays in them end at 3 + levels.
    const withSchema = (levels: number) =>
      `{"model":"m","input":"Buy 2 XYZ phones","tools":[{"type":"function","name":"f","parameters":{"type":"object","x":${nested(levels - 1)}}}]}`;
    const deep = withSchema(5_000);
    const answer = await post(app, "responses", deep);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: {
        message: `The request body nests arrays and objects more than ${MAX_BODY_DEPTH} levels deep, deeper than this server reads; send a flatter body (tool schemas included)`,
        type: "invalid_request_error",
        param: null,
        code: "invalid_request",
      },
    });
    const atBound = await post(app, "responses", withSchema(MAX_BODY_DEPTH - 3));
    expect(atBound.status).toBe(400);
    expect(atBound.body.error.code).toBe("no_purchase_tool");
    const past = await post(app, "responses", withSchema(MAX_BODY_DEPTH - 2));
    expect(past.status).toBe(400);
    expect(past.body.error.code).toBe("invalid_request");
    const requests = await request(app)
      .get("/v1/testing/requests")
      .set("Authorization", "Bearer any");
    expect(requests.status).toBe(200);
    expect(requests.body.requests).toHaveLength(1);
  });
});

const TOOL = { type: "function", function: { name: "t", parameters: {} } };
const RESPONSES_TOOL = { type: "function", name: "t", parameters: {} };
const PART = { type: "text", text: "hello" };
const SCRIPTED = { text: "a" };
const copies = <T>(item: T, count: number) => Array.from({ length: count }, () => item);

describe("an array past its bound is refused as OpenAI refuses it, before any element is read", () => {
  const chat = (extra: object) => ({
    model: "m",
    messages: [{ role: "user", content: "hello" }],
    ...extra,
  });
  it.each([
    [
      "chat/completions",
      "messages",
      MAX_MESSAGES,
      (n: number) => ({ model: "m", messages: copies({ role: "user", content: "hello" }, n) }),
    ],
    ["chat/completions", "tools", MAX_TOOLS, (n: number) => chat({ tools: copies(TOOL, n) })],
    [
      "chat/completions",
      "messages[0].content",
      MAX_CONTENT_PARTS,
      (n: number) => ({ model: "m", messages: [{ role: "user", content: copies(PART, n) }] }),
    ],
    [
      "chat/completions",
      "messages[1].tool_calls",
      MAX_TOOL_CALLS,
      (n: number) => ({
        model: "m",
        messages: [
          { role: "user", content: "hello" },
          {
            role: "assistant",
            content: null,
            tool_calls: Array.from({ length: n }, (_, i) => ({
              id: `c${i}`,
              type: "function",
              function: { name: "t", arguments: "{}" },
            })),
          },
          ...Array.from({ length: n }, (_, i) => ({
            role: "tool",
            tool_call_id: `c${i}`,
            content: "ok",
          })),
        ],
      }),
    ],
    [
      "responses",
      "input",
      MAX_INPUT_ITEMS,
      (n: number) => ({ model: "m", input: copies({ role: "user", content: "hello" }, n) }),
    ],
    [
      "responses",
      "input[0].content",
      MAX_CONTENT_PARTS,
      (n: number) => ({
        model: "m",
        input: [{ role: "user", content: copies({ type: "input_text", text: "hello" }, n) }],
      }),
    ],
    [
      "responses",
      "tools",
      MAX_TOOLS,
      (n: number) => ({ model: "m", input: "hello", tools: copies(RESPONSES_TOOL, n) }),
    ],
    [
      "testing/script",
      "replies",
      MAX_SCRIPTED_REPLIES,
      (n: number) => ({ replies: copies(SCRIPTED, n) }),
    ],
    [
      "testing/script",
      "replies[0].toolCalls",
      MAX_TOOL_CALLS,
      (n: number) => ({ replies: [{ toolCalls: copies({ name: "t" }, n) }] }),
    ],
  ])(
    "%s: %s takes %i, and one more is 400 array_above_max_length",
    async (path, param, max, body) => {
      const app = modelServer();
      const atBound = await post(app, path, JSON.stringify(body(max)));
      expect(atBound.status, JSON.stringify(atBound.body)).toBeLessThan(300);
      const past = await post(app, path, JSON.stringify(body(max + 1)));
      expect(past.status).toBe(400);
      expect(past.body).toEqual({
        error: {
          message: `Invalid '${param}': array too long. Expected an array with maximum length ${max}, but got an array with length ${max + 1} instead.`,
          type: "invalid_request_error",
          param,
          code: "array_above_max_length",
        },
      });
    },
  );

  it("reads no element of an array past its bound", () => {
    const messages = readCounted(copies({ role: "user", content: "hello" }, MAX_MESSAGES + 1));
    expect(() => readChatRequest({ model: "m", messages: messages.items })).toThrow(
      /array too long/,
    );
    expect(messages.read.size).toBe(0);

    const parts = readCounted(copies(PART, MAX_CONTENT_PARTS + 1));
    expect(() =>
      readChatRequest({ model: "m", messages: [{ role: "user", content: parts.items }] }),
    ).toThrow(/array too long/);
    expect(parts.read.size).toBe(0);

    const input = readCounted(copies({ role: "user", content: "hello" }, MAX_INPUT_ITEMS + 1));
    expect(() =>
      readResponsesRequest({ model: "m", input: input.items }, new ResponseStore()),
    ).toThrow(/array too long/);
    expect(input.read.size).toBe(0);

    const replies = readCounted(copies(SCRIPTED, MAX_SCRIPTED_REPLIES + 1));
    expect(() => parseBody(scriptBodySchema, { replies: replies.items })).toThrow(/array too long/);
    expect(replies.read.size).toBe(0);
  });

  it("stops at the first element it refuses, and names it", () => {
    const refusedAt = (read: () => unknown) => {
      try {
        read();
      } catch (error) {
        return error instanceof ApiError ? error.toJSON().error : error;
      }
      return undefined;
    };
    const messages = readCounted([
      { role: "user", content: "hello" },
      [],
      ...copies([], MAX_MESSAGES - 2),
    ]);
    expect(refusedAt(() => readChatRequest({ model: "m", messages: messages.items }))).toEqual({
      message: "Invalid value for 'messages[1]': Expected object, received array.",
      type: "invalid_request_error",
      param: "messages[1]",
      code: "invalid_request",
    });
    expect([...messages.read]).toEqual([0, 1]);

    const tools = readCounted(copies([], MAX_TOOLS));
    expect(
      refusedAt(() =>
        readChatRequest({
          model: "m",
          messages: [{ role: "user", content: "hi" }],
          tools: tools.items,
        }),
      ),
    ).toMatchObject({ param: "tools[0]" });
    expect([...tools.read]).toEqual([0]);

    const replies = readCounted(copies({}, MAX_SCRIPTED_REPLIES));
    expect(refusedAt(() => parseBody(scriptBodySchema, { replies: replies.items }))).toMatchObject({
      param: "replies[0]",
    });
    expect([...replies.read]).toEqual([0]);
  });
});
