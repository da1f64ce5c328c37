import request from "supertest";
import { describe, expect, it, onTestFinished, vi } from "vitest";

import { createApp } from "./app.js";
import { createDeps } from "./deps.js";
import { MAX_BODY_DEPTH, MAX_BODY_ELEMENTS } from "./limits.js";
import { silentLogger } from "./logger.js";

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

/** `count` copies of `item` in JSON, as the elements of a list. */
const jsonList = (item: string, count: number) => Array<string>(count).fill(item).join(",");

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
