import request from "supertest";
import { describe, expect, it } from "vitest";

import { createApp } from "./app.js";
import type { StoreBudget } from "./bounded-map.js";
import { createDeps } from "./deps.js";
import { silentLogger } from "./logger.js";
import { RequestLog } from "./request-log.js";
import type { RecordedRequest } from "./request-log.js";
import { ResponseStore } from "./response-store.js";
import { ReplyScript } from "./script.js";

/** A model server whose stores have small budgets, so that a few KB fill them. */
function modelServer(budgets: {
  log?: StoreBudget;
  responses?: StoreBudget;
  script?: StoreBudget;
}) {
  const deps = createDeps(
    { logLevel: "silent" },
    {
      logger: silentLogger,
      requests: new RequestLog(budgets.log),
      responses: new ResponseStore(budgets.responses),
      script: new ReplyScript(budgets.script),
    },
  );
  return createApp({ apiKey: undefined }, deps);
}

type App = ReturnType<typeof createApp>;

function post(app: App, path: string, body: unknown) {
  return request(app)
    .post(`/v1/${path}`)
    .set("Authorization", "Bearer any")
    .set("Content-Type", "application/json")
    .send(JSON.stringify(body));
}

async function loggedRequests(app: App): Promise<RecordedRequest[]> {
  const answer = await request(app).get("/v1/testing/requests").set("Authorization", "Bearer any");
  expect(answer.status).toBe(200);
  return (answer.body as { requests: RecordedRequest[] }).requests;
}

/** `text` padded with spaces to `bytes`: the bulk of a body, read as the text it starts with. */
const padded = (text: string, bytes: number) => text.padEnd(bytes, " ");

/** A chat request of about `bytes`, most of them in a tool's JSON schema. */
function chatWithSchema(text: string, bytes: number) {
  return {
    model: "m",
    messages: [{ role: "user", content: text }],
    tools: [
      {
        type: "function",
        function: { name: "t", parameters: { type: "object", description: padded("", bytes) } },
      },
    ],
  };
}

describe("the request log keeps the last requests within a byte budget", () => {
  it("drops the oldest requests once their bodies add up to more than its bytes", async () => {
    const app = modelServer({ log: { entries: 100, bytes: 10_000 } });
    for (const text of ["first", "second", "third"]) {
      expect((await post(app, "chat/completions", chatWithSchema(text, 4_000))).status).toBe(200);
    }
    const kept = await loggedRequests(app);
    expect(kept.map((entry) => entry.lastUserText)).toEqual(["second", "third"]);
    expect(kept[1]?.tools[0]?.parameters).toEqual({
      type: "object",
      description: padded("", 4_000),
    });
  });

  it("counts a scripted answer too", async () => {
    const app = modelServer({ log: { entries: 100, bytes: 10_000 } });
    const script = await post(app, "testing/script", {
      replies: [{ text: padded("a", 6_000) }, { text: padded("b", 6_000) }],
    });
    expect(script.status).toBe(201);
    await post(app, "chat/completions", { model: "m", messages: [{ role: "user", content: "1" }] });
    await post(app, "chat/completions", { model: "m", messages: [{ role: "user", content: "2" }] });
    expect((await loggedRequests(app)).map((entry) => entry.lastUserText)).toEqual(["2"]);
  });

  it("answers a request larger than the whole log, logs it without its text and tools, and keeps the others", async () => {
    const app = modelServer({ log: { entries: 100, bytes: 2_000 } });
    await post(app, "chat/completions", { model: "m", messages: [{ role: "user", content: "a" }] });
    const body = chatWithSchema("hello", 5_000);
    const answer = await post(app, "chat/completions", body);
    expect(answer.status).toBe(200);
    const bytes = Buffer.byteLength(JSON.stringify(body));
    const [small, large] = await loggedRequests(app);
    expect(small?.lastUserText).toBe("a");
    expect(large).toEqual({
      endpoint: "chat.completions",
      model: "m",
      stream: false,
      lastUserText: "",
      tools: [],
      answer: { source: "offline", text: expect.any(String) as string, toolCalls: [] },
      omitted: `lastUserText and tools are left out: this request's body (${String(bytes)} bytes) and its answer are more than the 2000 bytes the request log keeps`,
    });
  });
});

interface ResponseBody {
  id: string;
  store: boolean;
  output: { id: string; type: string }[];
}

async function respond(app: App, body: Record<string, unknown>): Promise<ResponseBody> {
  const answer = await post(app, "responses", { model: "m", ...body });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as ResponseBody;
}

const UNKNOWN_PREVIOUS = (id: string, kept: string) => ({
  error: {
    message: `Previous response with id '${id}' not found: this server keeps responses in memory only, for its lifetime (the newest ${kept}), and not those sent with store: false; send the whole conversation as input instead`,
    type: "invalid_request_error",
    param: "previous_response_id",
    code: "previous_response_not_found",
  },
});

describe("the stored responses are kept within a byte budget", () => {
  const budget = { entries: 1_000, bytes: 20_000 };

  it("drops the oldest responses, and answers a continuation of one as of an unknown id", async () => {
    const app = modelServer({ responses: budget });
    const [a, b, c] = [
      await respond(app, { input: padded("a", 8_000) }),
      await respond(app, { input: padded("b", 8_000) }),
      await respond(app, { input: padded("c", 8_000) }),
    ];
    const continueA = await post(app, "responses", {
      model: "m",
      previous_response_id: a.id,
      input: "x",
    });
    expect(continueA.status).toBe(400);
    expect(continueA.body).toEqual(UNKNOWN_PREVIOUS(a.id, "1000 of them, 20000 bytes at most"));
    await respond(app, { previous_response_id: b.id, input: "x" });
    expect(c.store).toBe(true);
  });

  it("counts the stored conversation a response continues", async () => {
    const app = modelServer({ responses: budget });
    const a = await respond(app, { input: padded("a", 8_000) });
    // Each holds a's 8 KB: a, b and c together are over the budget, though b's and c's bodies are small.
    const b = await respond(app, { previous_response_id: a.id, input: "b" });
    const c = await respond(app, { previous_response_id: b.id, input: "c" });
    expect(
      (await post(app, "responses", { model: "m", previous_response_id: a.id, input: "x" })).body,
    ).toEqual(UNKNOWN_PREVIOUS(a.id, "1000 of them, 20000 bytes at most"));
    await respond(app, { previous_response_id: c.id, input: "x" });
  });

  it("counts the stored items a response references", async () => {
    const app = modelServer({ responses: budget });
    await post(app, "testing/script", { replies: [{ text: padded("scripted", 8_000) }] });
    const made = await respond(app, { input: "hello" });
    const item = made.output[0]?.id;
    await respond(app, { input: [{ type: "item_reference", id: item }] });
    await respond(app, { input: [{ type: "item_reference", id: item }] });
    const gone = await post(app, "responses", {
      model: "m",
      input: [{ type: "item_reference", id: item }],
    });
    expect(gone.status).toBe(400);
    expect(gone.body.error).toMatchObject({ code: "item_not_found", param: "input[0].id" });
  });

  it("answers a response larger than the whole budget, says it was not stored, and keeps the others", async () => {
    const app = modelServer({ responses: budget });
    const kept = await respond(app, { input: padded("a", 8_000) });
    const large = await respond(app, { input: padded("b", 30_000) });
    expect(large.store).toBe(false);
    const continued = await post(app, "responses", {
      model: "m",
      previous_response_id: large.id,
      input: "x",
    });
    expect(continued.body).toEqual(UNKNOWN_PREVIOUS(large.id, "1000 of them, 20000 bytes at most"));
    await respond(app, { previous_response_id: kept.id, input: "x" });
  });
});

describe("the scripted replies waiting are kept within a byte budget", () => {
  it("refuses replies that would take them past it, and takes more once some were answered", async () => {
    const app = modelServer({ script: { entries: 1_000, bytes: 10_000 } });
    const reply = (text: string) => ({ replies: [{ text: padded(text, 6_000) }] });
    expect((await post(app, "testing/script", reply("first"))).status).toBe(201);
    const refused = await post(app, "testing/script", reply("second"));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: {
        message:
          "At most 1000 replies, 10000 bytes of request bodies in all, may wait at once; DELETE /v1/testing/script clears them",
        type: "invalid_request_error",
        param: "replies",
        code: "invalid_request",
      },
    });
    const waiting = await request(app).get("/v1/testing/script").set("Authorization", "Bearer any");
    expect(waiting.body).toEqual({ replies: [{ text: padded("first", 6_000) }] });

    await post(app, "chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
    });
    expect((await post(app, "testing/script", reply("second"))).status).toBe(201);
  });
});
