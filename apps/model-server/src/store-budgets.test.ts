import request from "supertest";
import { describe, expect, it } from "vitest";

import { createApp } from "./app.js";
import type { StoreBudget } from "./bounded-map.js";
import { createDeps } from "./deps.js";
import { silentLogger } from "./logger.js";
import { RequestLog } from "./request-log.js";
import type { RecordedRequest } from "./request-log.js";

/** A model server whose stores have small budgets, so that a few KB fill them. */
function modelServer(budgets: { log?: StoreBudget }) {
  const deps = createDeps(
    { logLevel: "silent" },
    { logger: silentLogger, requests: new RequestLog(budgets.log) },
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
