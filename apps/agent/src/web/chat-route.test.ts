import { AuthorizationPendingInterrupt } from "@auth0/ai/interrupts";
import type { LanguageModelV2StreamPart } from "@ai-sdk/provider";
import { ManualClock, systemClock, type Clock } from "@ciba-testbed/shared";
import {
  APICallError,
  JSONParseError,
  TypeValidationError,
  type LanguageModel,
  type UIMessage,
} from "ai";
import { MockLanguageModelV2 } from "ai/test";
import request from "supertest";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";

import { jsonList, readCounted } from "../../../../test/support/bounded-bodies.js";
import type { AgentEvent } from "../agent-event.js";
import { createMemoryStore } from "../agent-store.js";
import { AgentHalt } from "../halt.js";
import { createOfflineModel } from "../offline-model.js";
import { bodyReader, listenOnLoopback, uiChunksOf } from "../test-support/event-stream-reading.js";
import { logIn } from "../test-support/login-session.js";
import { manualHeartbeat } from "../test-support/manual-heartbeat.js";
import { scriptedModel } from "../test-support/scripted-model.js";
import { ThreadJournal, threadKey } from "../thread-journal.js";
import {
  MAX_BODY_ELEMENTS,
  MAX_BODY_DEPTH,
  MAX_MESSAGES,
  MAX_PARTS,
  MAX_PARTS_PER_MESSAGE,
  PARTS_PER_VALIDATION,
  parseChatRequest,
} from "./chat-request.js";
import { ChatThreads, chatToolInputs, type OpenThread } from "./chat-threads.js";
import { clientErrorText, UNEXPECTED_ERROR_TEXT } from "./client-error-text.js";
import { HEARTBEAT } from "./event-stream.js";
import type { ChatLimits } from "./kept-chats.js";
import type { Heartbeat } from "./event-stream.js";
import { LoginSessions } from "./login-sessions.js";
import { ApprovalStatus } from "./chat-route.js";
import { createWebApp } from "./web-app.js";
import { loadWebConfig } from "./web-config.js";

const SUB = "auth0|buyer";

/** The web app in interrupt mode with a logged-in person, and what a test looks at. */
function loggedInChat(
  options: {
    failOnce?: (thread: OpenThread) => OpenThread;
    model?: LanguageModel;
    heartbeat?: Heartbeat;
    mode?: "block" | "interrupt" | undefined;
    keptReplies?: number;
    limits?: Partial<ChatLimits>;
    clock?: Clock;
  } = {},
) {
  /** What the web app reported to its operator: the request and the error. */
  const reports: { request: string; error: unknown }[] = [];
  const config = loadWebConfig({ AGENT_MODE: options.mode ?? "interrupt" });
  const store = createMemoryStore();
  const journal = new ThreadJournal(store);
  const calls = { fetch: 0, authorizer: 0 };
  const base = {
    config: config.agent,
    store,
    journal,
    authorizer: {
      withAsyncAuthorization: () => {
        calls.authorizer++;
        return {};
      },
    } as never,
    fetch: () => {
      calls.fetch++;
      return Promise.reject(new Error("no network in this test"));
    },
    clock: options.clock ?? { now: () => 0, sleep: () => Promise.resolve() },
    ...(options.keptReplies === undefined ? {} : { keptReplies: options.keptReplies }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  };
  let failOnce = options.failOnce;
  const threads = new (class extends ChatThreads {
    override async open(sub: string, chatId: string, text: string, messageId?: string) {
      const thread = await super.open(sub, chatId, text, messageId);
      const fail = failOnce;
      failOnce = undefined;
      return thread === undefined || fail === undefined ? thread : fail(thread);
    }
  })(base);
  const sessions = new LoginSessions(systemClock);
  const app = createWebApp(config, {
    threads,
    model: options.model ?? createOfflineModel(),
    sessions,
    clientScript: () => Promise.resolve("export {};"),
    heartbeat: options.heartbeat,
    reportError: (error, request) => reports.push({ request, error }),
  });
  const { cookie } = logIn(sessions, config.sessionSecret, { sub: SUB });
  /** A chat posted by the logged-in person, or by `sub` (logged in for it). */
  const post = (body: unknown, as = SUB) =>
    request(app)
      .post("/api/chat")
      .set(
        "Cookie",
        as === SUB ? cookie : logIn(sessions, config.sessionSecret, { sub: as }).cookie,
      )
      .send(body as object);
  const threadId = (chatId: string) => threads.threadIdOf(SUB, chatId);
  /** A GET as the logged-in person, or as `sub` (logged in for it), or with no session (null). */
  const get = (path: string, as: string | null = SUB) => {
    const asked = request(app).get(path);
    if (as === null) return asked;
    return asked.set(
      "Cookie",
      as === SUB ? cookie : logIn(sessions, config.sessionSecret, { sub: as }).cookie,
    );
  };
  return { app, cookie, post, get, store, journal, calls, threadId, threads, reports };
}

const hi: UIMessage = { id: "u1", role: "user", parts: [{ type: "text", text: "hi" }] };

/** The audit's resume: the assistant message with a shop_online part the page hands back. */
function resume(input: unknown, toolName = "shop_online", type = "tool-shop_online") {
  return {
    id: "a1",
    role: "assistant",
    parts: [
      {
        type,
        toolCallId: "call_x1",
        state: "output-available",
        input,
        output: { continueInterruption: true, toolName },
      },
    ],
  };
}

function nested(levels: number): unknown {
  let value: unknown = {};
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

/** A normal message on the chat answers with a stream that finishes. */
async function expectUsable(chat: ReturnType<typeof loggedInChat>, id: string) {
  const answer = await chat.post({ id, messages: [hi] });
  expect(answer.status).toBe(200);
  expect(answer.text).toContain('"type":"finish"');
  expect(answer.text).not.toContain('"type":"error"');
}

describe("POST /api/chat checks what the client sends before anything runs", () => {
  it.each([
    ["qty -3", { product: "XYZ phone", qty: -3 }, /qty must be at least 1/],
    ["qty 0", { product: "XYZ phone", qty: 0 }, /qty must be at least 1/],
    ["qty 0.5", { product: "XYZ phone", qty: 0.5 }, /qty must be a whole number/],
    ["qty 1000000", { product: "XYZ phone", qty: 1_000_000 }, /qty must be at most 1000/],
    ["a missing qty", { product: "XYZ phone" }, /qty is required/],
    ["priceLimit -5", { product: "XYZ phone", qty: 1, priceLimit: -5 }, /priceLimit must be/],
    ["an object as product", { product: { x: 1 }, qty: 1 }, /product must be a string/],
  ])(
    "refuses a resumed tool call with %s: 400 naming the part, nothing stored, chat usable",
    async (_name, input, problem) => {
      const chat = loggedInChat();
      const answer = await chat.post({ id: "poison1", messages: [hi, resume(input)] });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe("invalid_request");
      expect(answer.body.error_description).toMatch(
        /^messages\[1\]\.parts\[0\] \(tool-shop_online\)/,
      );
      expect(answer.body.error_description).toMatch(problem);
      expect(answer.body.error_description).not.toMatch(/normalize|undefined/);
      expect(chat.store.keys()).toEqual([]);
      expect(chat.calls).toEqual({ fetch: 0, authorizer: 0 });
      await expectUsable(chat, "poison1");
    },
  );

  it("refuses a tool the app does not have, with no TypeError text", async () => {
    const chat = loggedInChat();
    const answer = await chat.post({
      id: "poison2",
      messages: [hi, resume({ product: "XYZ phone", qty: 1 }, "rm_rf", "tool-rm_rf")],
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: "invalid_request",
      error_description:
        'messages[1].parts[0] (tool-rm_rf): "rm_rf" is not a tool of this chat (its tools: shop_online)',
    });
    expect(chat.store.keys()).toEqual([]);
    await expectUsable(chat, "poison2");
  });

  it("refuses a resume whose output names another tool than its part", async () => {
    const chat = loggedInChat();
    const answer = await chat.post({
      id: "poison3",
      messages: [hi, resume({ product: "XYZ phone", qty: 1 }, "rm_rf")],
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error_description).toMatch(/output\.toolName must be the part's own tool/);
    expect(chat.store.keys()).toEqual([]);
  });

  it("refuses a resume whose output names no tool, before withInterruptions looks it up", async () => {
    // A purchase the chat made, resumed as sent: only the output's missing toolName is wrong.
    const chat = loggedInChat();
    await chat.journal.put({
      threadId: chat.threadId("noname1"),
      request: "Buy 1 XYZ phone",
      userId: SUB,
      createdAt: 0,
      purchases: [
        {
          toolCallId: "call_x1",
          purchase: { product: "XYZ phone", qty: 1 },
          bindingMessage: "Do you want to buy 1 XYZ phone",
          startedAt: 0,
        },
      ],
    });
    const warned = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    onTestFinished(() => {
      warned.mockRestore();
    });
    const part = resume({ product: "XYZ phone", qty: 1 }).parts[0];
    const answer = await chat.post({
      id: "noname1",
      messages: [
        hi,
        {
          id: "a1",
          role: "assistant",
          parts: [{ ...part, output: { continueInterruption: true } }],
        },
      ],
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: "invalid_request",
      error_description:
        "messages[1].parts[0] (tool-shop_online): a resume (output.continueInterruption) must name its tool as output.toolName, shop_online",
    });
    expect(warned).not.toHaveBeenCalled();
    expect(chat.calls).toEqual({ fetch: 0, authorizer: 0 });
  });

  it("refuses a body nested deeper than the limit before the AI SDK reads it", async () => {
    const chat = loggedInChat();
    const answer = await chat.post({ id: "deep1", messages: [hi, resume(nested(3000))] });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: "invalid_request",
      error_description: `messages[1].parts[0] nests deeper than ${MAX_BODY_DEPTH} levels: send a flatter body`,
    });
    expect(chat.store.keys()).toEqual([]);
    await expectUsable(chat, "deep1");
  });

  it("takes a valid resume, as the tool's schema parses it, and a body at the depth limit", async () => {
    const parsed = await parseChatRequest(
      { id: "ok1", messages: [hi, resume({ product: " XYZ phone ", qty: 2 })] },
      chatToolInputs,
    );
    expect(parsed.ok && parsed.request.messages[1]?.parts[0]).toMatchObject({
      input: { product: "XYZ phone", qty: 2 },
    });
    // The body is level 1, each object or array below it one more.
    const atLimit = { id: "ok1", messages: [hi], trigger: nested(MAX_BODY_DEPTH - 2) };
    await expect(parseChatRequest(atLimit, chatToolInputs)).resolves.toMatchObject({ ok: true });
    const over = { ...atLimit, trigger: nested(MAX_BODY_DEPTH - 1) };
    await expect(parseChatRequest(over, chatToolInputs)).resolves.toMatchObject({
      ok: false,
      description: expect.stringMatching(/^trigger\.a\.a\.a nests deeper/) as unknown,
    });
  });
});

describe("POST /api/chat refuses a body past its bounds before anything costly reads it", () => {
  const TOO_MANY_ELEMENTS = `the body holds more than the ${String(MAX_BODY_ELEMENTS)} array elements and object members a chat request may: start a new chat`;

  it.each([
    {
      what: "1 MB of empty arrays as messages",
      body: `{"id":"big1","messages":[${jsonList("[]", 349_000)}]}`,
      says: TOO_MANY_ELEMENTS,
    },
    {
      what: "1 MB of empty arrays in a member the app does not read",
      body: `{"id":"big2","messages":[],"trigger":[${jsonList("[]", 349_000)}]}`,
      says: TOO_MANY_ELEMENTS,
    },
    {
      what: "a part's metadata of empty arrays",
      body: `{"id":"big3","messages":[{"id":"m","role":"user","parts":[{"type":"text","text":"hi","providerMetadata":{"x":{"y":[${jsonList("[]", MAX_BODY_ELEMENTS)}]}}}]}]}`,
      says: TOO_MANY_ELEMENTS,
    },
    {
      what: "more messages than a chat may hold",
      body: `{"id":"big4","messages":[${jsonList("[]", MAX_MESSAGES + 1)}]}`,
      says: `messages holds ${String(MAX_MESSAGES + 1)} messages, more than the ${String(MAX_MESSAGES)} a chat request may: start a new chat`,
    },
    {
      what: "a message of too many parts",
      body: `{"id":"big5","messages":[{"id":"m","role":"user","parts":[${jsonList("[]", MAX_PARTS_PER_MESSAGE + 1)}]}]}`,
      says: `messages[0].parts holds ${String(MAX_PARTS_PER_MESSAGE + 1)} parts, more than the ${String(MAX_PARTS_PER_MESSAGE)} a message may`,
    },
    {
      what: "messages of too many parts in all",
      body: `{"id":"big6","messages":[${jsonList(`{"id":"m","role":"user","parts":[${jsonList("[]", MAX_PARTS_PER_MESSAGE)}]}`, 5)}]}`,
      says: `messages[0] to messages[4] hold more than the ${String(MAX_PARTS)} parts a chat request may: start a new chat`,
    },
  ])("answers $what with 413 naming the bound; nothing stored", async ({ body, says }) => {
    const chat = loggedInChat();
    const parse = vi.spyOn(JSON, "parse");
    onTestFinished(() => {
      parse.mockRestore();
    });
    const answer = await request(chat.app)
      .post("/api/chat")
      .set("Cookie", chat.cookie)
      .set("Content-Type", "application/json")
      .send(body);
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ error: "invalid_request", error_description: says });
    expect(chat.store.keys()).toEqual([]);
    // Past the body's elements, refused from its bytes: JSON.parse never built it.
    const parsed = parse.mock.calls.map(([text]) => text);
    expect(parsed.includes(body)).toBe(says !== TOO_MANY_ELEMENTS);
  });

  it("reads no message or part past a bound before it refuses the body", async () => {
    const messages = readCounted(Array.from({ length: MAX_MESSAGES + 1 }, () => hi));
    await expect(
      parseChatRequest({ id: "c1", messages: messages.items }, chatToolInputs),
    ).resolves.toMatchObject({ ok: false, status: 413 });
    expect(messages.read.size).toBe(0);

    const parts = readCounted(Array.from({ length: MAX_PARTS_PER_MESSAGE + 1 }, () => []));
    const message = { id: "m", role: "user", parts: parts.items };
    await expect(
      parseChatRequest({ id: "c1", messages: [message] }, chatToolInputs),
    ).resolves.toMatchObject({ ok: false, status: 413 });
    expect(parts.read.size).toBe(0);
  });

  it("stops ai's validation at the first few parts it refuses, and names them", async () => {
    const touched = new Set<number>();
    const parts = Array.from(
      { length: MAX_PARTS_PER_MESSAGE },
      (_, i) =>
        new Proxy(
          {},
          {
            get(target, key, receiver) {
              touched.add(i);
              return Reflect.get(target, key, receiver) as unknown;
            },
          },
        ),
    );
    const parsed = await parseChatRequest(
      { id: "c2", messages: [hi, { id: "m", role: "user", parts }] },
      chatToolInputs,
    );
    expect(parsed.ok ? "" : parsed.description).toMatch(
      /^messages are not UI messages: messages\[1\]\.parts\[0\]: .*; and \d+ more$/,
    );
    expect(touched.size).toBeGreaterThan(0);
    expect(touched.size).toBeLessThanOrEqual(PARTS_PER_VALIDATION);
  });

  it("names a refused part past the first few by its place in the message", async () => {
    const parts = Array.from({ length: 40 }, () => ({ type: "text", text: "ok" }));
    parts[37] = { type: "text", text: 1 } as never;
    const parsed = await parseChatRequest(
      { id: "c3", messages: [hi, { id: "m", role: "user", parts }] },
      chatToolInputs,
    );
    expect(parsed.ok ? "" : parsed.description).toMatch(
      /^messages are not UI messages: messages\[1\]\.parts\[37\]\.text: .*expected string, received number$/,
    );
    const valid = await parseChatRequest(
      { id: "c3", messages: [hi, { id: "m", role: "user", parts: parts.slice(0, 37) }, hi] },
      chatToolInputs,
    );
    expect(valid.ok && valid.request.messages.map((m) => m.parts.length)).toEqual([1, 37, 1]);
  });
});

describe("POST /api/chat never leaves a chat locked or broken", () => {
  it("releases the thread when the route throws after taking it, and hides the error text", async () => {
    const chat = loggedInChat({
      failOnce: (thread) => ({
        ...thread,
        onEvent: () => {
          throw new TypeError("Cannot read properties of undefined (reading 'execute')");
        },
      }),
    });
    const failed = await chat.post({ id: "boom1", messages: [hi] });
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({
      error: "server_error",
      error_description:
        "Something went wrong in the agent's web app (its log names the error): reload the page to see where your chat stands before you send anything again",
    });
    // The person is told no more; the operator's log gets the error itself.
    expect(chat.reports).toEqual([
      {
        request: "POST /api/chat",
        error: new TypeError("Cannot read properties of undefined (reading 'execute')"),
      },
    ]);
    await expectUsable(chat, "boom1");
  });

  it("answers 409 purchase_unknown to a resume of a tool call this chat never made: nothing sent, chat usable", async () => {
    const chat = loggedInChat();
    const answer = await chat.post({
      id: "elsewhere1",
      messages: [hi, resume({ product: "XYZ phone", qty: 1 })],
    });
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual({
      error: "purchase_unknown",
      error_description:
        "Chat elsewhere1 has no purchase call_x1 to resume: it was asked in another chat, or the agent's web app restarted since and forgot it. This resume asked Auth0 nothing and ordered nothing. A purchase approved before the app restarted may have been ordered before it stopped: check your orders with the shop before asking again, in a new chat. A consent request of a purchase the app forgot may still show on the phone, and approving it orders nothing.",
    });
    expect(chat.calls).toEqual({ fetch: 0, authorizer: 0 });
    // Refused before anything is stored: the chat is still one the app does not have.
    expect(chat.store.keys()).toEqual([]);
    const listed = await chat.get("/api/chat/elsewhere1/purchases").expect(404);
    expect(listed.body.error).toBe("chat_unknown");
    await expectUsable(chat, "elsewhere1");

    // A tool call handed back with its result, not to be continued, is history: not refused.
    const handedBack = resume({ product: "XYZ phone", qty: 1 });
    const history = {
      ...handedBack,
      parts: handedBack.parts.map((part) => ({ ...part, output: { outcome: "DENIED" } })),
    };
    const answered = await chat.post({ id: "history1", messages: [hi, history, hi] });
    expect(answered.status).toBe(200);
    const last = await chat.post({ id: "history2", messages: [hi, history] });
    expect(last.status).toBe(200);
  });

  it("answers 409 thread_unreadable, not 500, for a chat whose record cannot be read", async () => {
    const chat = loggedInChat();
    await chat.store.put(threadKey(chat.threadId("broken1")), { not: "a thread" });
    // A message, and a resume (read before the thread is opened).
    for (const messages of [[hi], [hi], [hi, resume({ product: "XYZ phone", qty: 1 })]]) {
      const answer = await chat.post({ id: "broken1", messages });
      expect(answer.status).toBe(409);
      expect(answer.body.error).toBe("thread_unreadable");
      expect(answer.body.error_description).toMatch(/cannot continue.*Start a new chat/);
      expect(answer.body.error_description).not.toMatch(/threads\//);
    }
    await expectUsable(chat, "fresh1");
  });
});

describe("POST /api/chat with a tool call the model got wrong", () => {
  it("hands a call the tool's schema refuses back to the model, and answers with the call and the model's next words", async () => {
    const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };
    const prompts: unknown[] = [];
    const model = new MockLanguageModelV2({
      doStream: ({ prompt }) => {
        prompts.push(prompt);
        const parts: LanguageModelV2StreamPart[] =
          prompts.length === 1
            ? [
                {
                  type: "tool-call",
                  toolCallId: "call_bad",
                  toolName: "shop_online",
                  input: JSON.stringify({ product: "XYZ phone", qty: 0 }),
                },
                { type: "finish", finishReason: "tool-calls", usage },
              ]
            : [
                { type: "text-start", id: "t1" },
                { type: "text-delta", id: "t1", delta: "How many XYZ phones?" },
                { type: "text-end", id: "t1" },
                { type: "finish", finishReason: "stop", usage },
              ];
        return Promise.resolve({
          stream: new ReadableStream<LanguageModelV2StreamPart>({
            start(controller) {
              controller.enqueue({ type: "stream-start", warnings: [] });
              for (const part of parts) controller.enqueue(part);
              controller.close();
            },
          }),
        });
      },
    });
    const chat = loggedInChat({ model });

    const answer = await chat.post({ id: "c1", messages: [hi] });

    expect(answer.status).toBe(200);
    expect(prompts).toHaveLength(2);
    expect(JSON.stringify(prompts[1])).toMatch(/"call_bad".*Invalid input for tool shop_online/);
    const parts = await uiChunksOf(answer.text);
    expect(parts).toContainEqual(
      expect.objectContaining({
        type: "text-delta",
        delta: expect.stringMatching(
          /^The model's call of shop_online could not run, with the input \{"product":"XYZ phone","qty":0\} \(input the tool refuses: qty must be at least 1\); nobody was asked .* The model then wrote: "How many XYZ phones\?" Ask again/,
        ),
      }),
    );
    expect(chat.calls.fetch).toBe(0);
    // The page says it in full: not the operator's to chase.
    expect(chat.reports).toEqual([]);
  });
});

describe("POST /api/chat when the model fails", () => {
  it("says what failed, as the CLI does, not the SDK's 'An error occurred.'", async () => {
    const model = new MockLanguageModelV2({
      doStream: () =>
        Promise.reject(
          new APICallError({
            message: "Upstream boom",
            url: "http://127.0.0.1:4030/v1/responses",
            requestBodyValues: {},
            statusCode: 400,
            isRetryable: false,
          }),
        ),
    });
    const chat = loggedInChat({ model });

    const answer = await chat.post({ id: "c1", messages: [hi] });

    expect(answer.status).toBe(200);
    const chunks = await uiChunksOf(answer.text);
    // Its code just before it, which the error part has no room for: the page shows it.
    const error = chunks.findIndex((chunk) => (chunk as { type?: unknown }).type === "error");
    expect(chunks.slice(error - 1, error + 1)).toEqual([
      { type: "data-error-code", data: { code: "model_request_refused" }, transient: true },
      { type: "error", errorText: "The model failed: Upstream boom" },
    ]);
    // What the page says in full is not the operator's to chase.
    expect(chat.reports).toEqual([]);
  });

  it("reports an error the page only calls 'Something went wrong' to the operator, once", async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'content')");
    const model = new MockLanguageModelV2({ doStream: () => Promise.reject(bug) });
    const chat = loggedInChat({ model });

    const answer = await chat.post({ id: "c1", messages: [hi] });

    expect(answer.status).toBe(200);
    expect(await uiChunksOf(answer.text)).toContainEqual({
      type: "error",
      errorText: UNEXPECTED_ERROR_TEXT,
    });
    expect(chat.reports).toEqual([{ request: "POST /api/chat", error: bug }]);
  });
});

describe("POST /api/chat when the model's output cannot be read", () => {
  it("says the model failed, as the CLI does, not that the web app did", async () => {
    const model = new MockLanguageModelV2({
      doStream: () =>
        Promise.resolve({
          stream: new ReadableStream<LanguageModelV2StreamPart>({
            start(controller) {
              controller.enqueue({ type: "stream-start", warnings: [] });
              controller.enqueue({
                type: "error",
                error: new JSONParseError({ text: "{oops", cause: new SyntaxError("Bad JSON") }),
              });
              controller.close();
            },
          }),
        }),
    });
    const chat = loggedInChat({ model });

    const answer = await chat.post({ id: "c1", messages: [hi] });

    const error = (await uiChunksOf(answer.text)).find(
      (part) => (part as { type?: unknown }).type === "error",
    );
    expect(error).toMatchObject({
      errorText: expect.stringMatching(/^The model failed: JSON parsing failed/),
    });
    expect(JSON.stringify(error)).not.toMatch(/Send your message again|new chat/);
  });
});

describe("the text a chat's stream shows for an error", () => {
  it("says that what the turn ordered stands, and invites no new message, after an order", () => {
    const ordered = ["Ordered 1 x XYZ phone: order ord_1, total 499.00 USD."];
    const unreadable = new TypeValidationError({ value: { choices: 5 }, cause: new Error("x") });

    expect(clientErrorText(unreadable, ordered)).toMatch(
      /^The model failed: Type validation failed.* Ordered 1 x XYZ phone: order ord_1, total 499\.00 USD\. That order stands: ask only for what is still missing\.$/s,
    );
    expect(clientErrorText(new TypeError("x"), ordered)).toBe(
      "Something went wrong in the agent's web app. Ordered 1 x XYZ phone: order ord_1, total 499.00 USD. That order stands: ask only for what is still missing.",
    );
  });

  it("never passes an internal error's text on", () => {
    const text = clientErrorText(new TypeError("reference.normalize is not a function"));
    expect(text).toBe(UNEXPECTED_ERROR_TEXT);
    expect(clientErrorText({ cause: new TypeError("x") })).toBe(UNEXPECTED_ERROR_TEXT);
  });

  it("passes on an Auth0 interrupt's own message, also when wrapped: a waiting purchase's tool part says it waits", () => {
    const pending = new AuthorizationPendingInterrupt(
      "Waiting for the person to approve: Buy 1 ABC laptop",
      { id: "req1", requestedAt: 0, expiresIn: 300, interval: 5 },
    );
    for (const error of [pending, new Error("wrapped", { cause: pending })]) {
      expect(clientErrorText(error)).toBe("Waiting for the person to approve: Buy 1 ABC laptop");
    }
  });

  it("passes on the agent's own halts, written for people, also when wrapped", () => {
    const halt = new AgentHalt("lease_lost", "Another process took over.", "Resume later.");
    expect(clientErrorText(halt)).toBe("Another process took over. Resume later.");
    expect(clientErrorText(new Error("wrapped", { cause: halt }))).toBe(
      "Another process took over. Resume later.",
    );
  });
});

/** Purchase call_p1 of chat c1 as its journal holds it: asked for, and with `result` once decided. */
const purchase = { product: "XYZ phone", qty: 2 };
const record = {
  toolCallId: "call_p1",
  purchase,
  bindingMessage: "Do you want to buy 2 XYZ phone",
  startedAt: 0,
};

/** The person's web app with chat c1 holding purchase call_p1 (decided as `result`, if given). */
async function chatWith(result?: unknown, mode?: "block" | "interrupt") {
  const chat = loggedInChat({ mode });
  await chat.journal.put({
    threadId: chat.threadId("c1"),
    request: "Buy 2 XYZ phones",
    userId: SUB,
    createdAt: 0,
    purchases: [result === undefined ? record : { ...record, result: result as never }],
  });
  return chat;
}

describe("GET /api/chat/:id/purchases/:toolCallId", () => {
  it("answers how a purchase of the person's chat stands, from its journal, and nothing of anyone else's", async () => {
    const chat = await chatWith();
    const asked = (path: string, as?: string | null) => chat.get(path, as);

    const pending = await asked("/api/chat/c1/purchases/call_p1").expect(200);
    expect(pending.headers["cache-control"]).toBe("no-store");
    expect(pending.body).toEqual({
      result: expect.objectContaining({ outcome: "PENDING", purchase }),
      summary: "Waiting for approval of 2 x XYZ phone; nothing is ordered yet.",
    });

    const order = { id: "o-1", total: 998, currency: "USD" };
    await chat.journal.putPurchase(chat.threadId("c1"), {
      ...record,
      result: { outcome: "ORDERED", purchase, description: "Ordered.", order } as never,
    });
    const ordered = await asked("/api/chat/c1/purchases/call_p1").expect(200);
    expect(ordered.body).toEqual({
      result: expect.objectContaining({ outcome: "ORDERED", order }),
      summary: "Ordered 2 x XYZ phone: order o-1, total 998.00 USD.",
    });

    // Another chat, another tool call, another person's chat of the same id: none is this one.
    for (const [path, as] of [
      ["/api/chat/c2/purchases/call_p1", SUB],
      ["/api/chat/c1/purchases/call_p2", SUB],
      ["/api/chat/c1/purchases/call_p1", "auth0|someone-else"],
    ] as const) {
      const unknown = await asked(path, as).expect(404);
      expect(unknown.body.error).toBe("purchase_unknown");
    }
    const malformed = await asked("/api/chat/c%2F1/purchases/call_p1").expect(400);
    expect(malformed.body.error).toBe("invalid_request");
    const loggedOut = await asked("/api/chat/c1/purchases/call_p1", null).expect(401);
    expect(loggedOut.body.error).toBe("login_required");
    // Read only: nothing was sent, asked or ordered.
    expect(chat.calls).toEqual({ fetch: 0, authorizer: 0 });
  });
});

describe("GET /api/chat/:id/purchases", () => {
  it("lists every purchase of the person's chat and whether a request still runs on it, and nothing of anyone else's", async () => {
    const chat = await chatWith(undefined, "block");
    const listed = await chat.get("/api/chat/c1/purchases").expect(200);
    expect(listed.headers["cache-control"]).toBe("no-store");
    expect(listed.body).toEqual({
      running: false,
      purchases: [
        {
          toolCallId: "call_p1",
          toolName: "shop_online",
          result: expect.objectContaining({ outcome: "PENDING", purchase }),
          summary: "Waiting for approval of 2 x XYZ phone; nothing is ordered yet.",
        },
      ],
    });

    // A chat request holds the thread: it may yet ask for another item.
    const thread = await chat.threads.open(SUB, "c1", "Buy 2 XYZ phones");
    expect((await chat.get("/api/chat/c1/purchases").expect(200)).body.running).toBe(true);
    await thread?.release();
    expect((await chat.get("/api/chat/c1/purchases").expect(200)).body.running).toBe(false);

    for (const [path, as] of [
      ["/api/chat/c2/purchases", SUB],
      ["/api/chat/c1/purchases", "auth0|someone-else"],
    ] as const) {
      const unknown = await chat.get(path, as).expect(404);
      expect(unknown.body.error).toBe("chat_unknown");
      // The app that forgot the chat may have ordered as it stopped.
      expect(unknown.body.error_description).toMatch(
        /check your orders with the shop before asking again$/,
      );
    }
    expect((await chat.get("/api/chat/c%2F1/purchases").expect(400)).body.error).toBe(
      "invalid_request",
    );
    expect((await chat.get("/api/chat/c1/purchases", null).expect(401)).body.error).toBe(
      "login_required",
    );
    expect(chat.calls).toEqual({ fetch: 0, authorizer: 0 });
  });

  it("says a purchase the person approved is being ordered while a request of the chat runs, and not once none does", async () => {
    const chat = await chatWith(undefined, "block");
    await chat.journal.markApproved(chat.threadId("c1"), "call_p1", 5);
    const listedOnce = async () =>
      (await chat.get("/api/chat/c1/purchases").expect(200)).body as {
        purchases: { ordering?: boolean; result: { outcome: string } }[];
      };

    const thread = await chat.threads.open(SUB, "c1", "Buy 2 XYZ phones");
    const ordering = (await listedOnce()).purchases[0];
    expect(ordering).toMatchObject({ ordering: true, result: { outcome: "PENDING" } });
    await thread?.release();
    // The request that took the approval stopped: nothing is ordering it any more.
    expect((await listedOnce()).purchases[0]).not.toHaveProperty("ordering");

    const again = await chat.threads.open(SUB, "c1", "Buy 2 XYZ phones");
    await chat.journal.putPurchase(chat.threadId("c1"), {
      ...record,
      approvedAt: 5,
      result: { outcome: "ORDERED", purchase, description: "Ordered." } as never,
    });
    expect((await listedOnce()).purchases[0]).not.toHaveProperty("ordering");
    await again?.release();
  });

  it("gives the model's last words in the chat's last request once it has ended, and none while one runs", async () => {
    const chat = loggedInChat({ mode: "block" });
    await expectUsable(chat, "r1");
    const listed = await chat.get("/api/chat/r1/purchases").expect(200);
    // The offline model's answer to "hi": a question, as the page that asked showed it.
    expect(listed.body).toEqual({
      running: false,
      purchases: [],
      reply: expect.stringMatching(/I did not buy anything this time\.$/) as unknown,
      lastMessageId: "u1",
    });

    const thread = await chat.threads.open(SUB, "r1", "hi");
    expect((await chat.get("/api/chat/r1/purchases").expect(200)).body).toEqual({
      running: true,
      purchases: [],
      lastMessageId: "u1",
    });
    // That request ended without running the model: it said nothing.
    await thread?.release();
    expect((await chat.get("/api/chat/r1/purchases").expect(200)).body).toEqual({
      running: false,
      purchases: [],
      lastMessageId: "u1",
    });
  });

  it("names the person's last message a request brought, so a page whose request got no answer knows whether the app read it", async () => {
    // A page offline when it sent "Buy 1 USB-C cable" kept it in the chat, and sent it twice
    // once the person sent it again; one whose answer a proxy lost must not say "not sent".
    const chat = loggedInChat({ mode: "block" });
    await expectUsable(chat, "m1");
    const lastRead = async () =>
      ((await chat.get("/api/chat/m1/purchases").expect(200)).body as { lastMessageId?: string })
        .lastMessageId;
    expect(await lastRead()).toBe("u1");
    const next: UIMessage = { id: "u2", role: "user", parts: [{ type: "text", text: "thanks" }] };
    const answered = await chat.post({ id: "m1", messages: [hi, next] });
    expect(answered.status).toBe(200);
    expect(await lastRead()).toBe("u2");
    // A request refused before the chat was taken read nothing of its message.
    const refused = await chat.post({
      id: "m1",
      messages: [hi, next, { id: "u3", role: "user", parts: [{ type: "text", text: " " }] }],
    });
    expect(refused.status).toBe(400);
    expect(await lastRead()).toBe("u2");
  });

  it("keeps the last replies of the latest chats only, so an app's memory does not grow with every chat", async () => {
    const chat = loggedInChat({ mode: "block", keptReplies: 2 });
    for (const id of ["k1", "k2", "k3"]) {
      const thread = await chat.threads.open(SUB, id, "hi");
      thread?.replied(`reply in ${id}`);
      await thread?.release();
    }
    const replyOf = async (id: string) =>
      ((await chat.get(`/api/chat/${id}/purchases`).expect(200)).body as { reply?: string }).reply;
    expect(await replyOf("k1")).toBeUndefined();
    expect(await replyOf("k2")).toBe("reply in k2");
    expect(await replyOf("k3")).toBe("reply in k3");
  });

  it("warns in either mode that a purchase the app forgot may have been ordered: never that nothing was", async () => {
    // Interrupt mode too: a resume that took the approval may have been ordering when the app
    // was killed.
    for (const mode of ["block", "interrupt"] as const) {
      const chat = await chatWith(undefined, mode);
      const caveat =
        "A purchase approved before the app restarted may have been ordered before it stopped: check your orders with the shop before asking again";
      const unknownChat = await chat.get("/api/chat/c2/purchases").expect(404);
      expect(unknownChat.body.error_description).toBe(
        `The agent's web app has no chat c2 of yours: it restarted since and forgot it, or the chat was never sent, or it ended long ago (an ended chat is kept 7 days, less when the app keeps many). ${caveat}`,
      );
      const unknownPurchase = await chat.get("/api/chat/c1/purchases/call_p2").expect(404);
      expect(unknownPurchase.body.error_description).toBe(
        `Chat c1 has no purchase call_p2: it was asked in another chat, or the agent's web app restarted since and forgot it. ${caveat}`,
      );
      const resumed = await chat.post({
        id: "c3",
        messages: [hi, resume({ product: "XYZ phone", qty: 1 })],
      });
      expect(resumed.status).toBe(409);
      expect(resumed.body.error_description).toContain(`${caveat}, in a new chat.`);
    }
  });
});

describe("POST /api/chat with a purchase the page still shows without its result", () => {
  // What a page whose block-mode stream broke before the result keeps: the call, no output.
  const waitingCall = {
    id: "a1",
    role: "assistant",
    parts: [
      {
        type: "tool-shop_online",
        toolCallId: "call_p1",
        state: "input-available",
        input: purchase,
      },
    ],
  };
  const asked = { id: "u1", role: "user", parts: [{ type: "text", text: "Buy 2 XYZ phones" }] };

  it("answers from the result the chat recorded, asking no one again", async () => {
    const order = { id: "o-1", total: 998, currency: "USD" };
    const chat = await chatWith({ outcome: "ORDERED", purchase, description: "Ordered.", order });
    const answer = await chat.post({ id: "c1", messages: [asked, waitingCall] });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('"type":"finish"');
    // No new tool call, so no new consent request: nothing asked, sent or ordered.
    expect(answer.text).not.toContain('"type":"tool-input-start"');
    expect(chat.calls).toEqual({ fetch: 0, authorizer: 0 });
    await expectUsable(chat, "c1");
  });

  it("says the chat's earlier order stands, and asks before it orders the same again", async () => {
    const order = { id: "o-1", total: 998, currency: "USD" };
    const chat = await chatWith({ outcome: "ORDERED", purchase, description: "Ordered.", order });
    const said = (text: string) => ({ id: "u9", role: "user", parts: [{ type: "text", text }] });

    const again = await chat.post({
      id: "c1",
      messages: [asked, waitingCall, said("Buy 2 XYZ phones")],
    });
    expect(again.status).toBe(200);
    expect(again.text).toContain(
      "You already ordered 2 x XYZ phone in this chat (order o-1). Buy another 2? I did not buy anything this time.",
    );
    expect(again.text).not.toContain('"type":"tool-input-start"');

    const asking = await chat.post({
      id: "c1",
      messages: [asked, waitingCall, said("did it go through?")],
    });
    expect(asking.text).toContain(
      "I did not buy anything this time. Your earlier order o-1 of 2 x XYZ phone stands; the agent cannot cancel orders.",
    );
    expect(chat.calls).toEqual({ fetch: 0, authorizer: 0 });
  });

  it("answers 409 purchase_mismatch to a resume of its call with another input: nothing sent, chat usable", async () => {
    const chat = await chatWith();
    const resumed = (input: unknown) => ({
      ...resume(input),
      parts: resume(input).parts.map((part) => ({ ...part, toolCallId: "call_p1" })),
    });
    for (const input of [
      { product: "XYZ phone", qty: 40 },
      { product: "ABC laptop", qty: 2 },
    ]) {
      const answer = await chat.post({ id: "c1", messages: [asked, resumed(input)] });
      expect([answer.status, answer.body]).toEqual([
        409,
        {
          error: "purchase_mismatch",
          error_description: `Chat c1's purchase call_p1 is {"product":"XYZ phone","qty":2}, and the resume sent ${JSON.stringify(input)}: send the tool call back as the chat gave it. Nothing was sent or ordered.`,
        },
      ]);
    }
    expect(chat.calls).toEqual({ fetch: 0, authorizer: 0 });
    expect((await chat.journal.get(chat.threadId("c1")))?.purchases).toEqual([record]);
    // The call as the chat gave it is resumed.
    const answer = await chat.post({ id: "c1", messages: [asked, resumed(purchase)] });
    expect(answer.status).toBe(200);
  });

  it("answers 409 purchase_pending while that purchase still waits: nothing sent, chat usable", async () => {
    // Block mode: the page whose stream broke sends the chat on before it learnt the result.
    const chat = await chatWith(undefined, "block");
    const answer = await chat.post({ id: "c1", messages: [asked, waitingCall] });
    expect([answer.status, answer.body]).toEqual([
      409,
      {
        error: "purchase_pending",
        error_description:
          "Chat c1's purchase call_p1 still waits for the person's answer: GET /api/chat/c1/purchases/call_p1 says when it has one, then send the chat on",
      },
    ]);
    expect(chat.calls).toEqual({ fetch: 0, authorizer: 0 });
    await expectUsable(chat, "c1");
  });
});

describe("POST /api/chat in interrupt mode while a purchase of the chat waits for the person", () => {
  const asked = { id: "u2", role: "user", parts: [{ type: "text", text: "Buy 2 XYZ phones" }] };

  it("answers 409 purchase_pending to anything but its resume (another tab's message): nothing sent, and the chat goes on once it is decided", async () => {
    const chat = await chatWith(undefined, "interrupt");
    const answer = await chat.post({ id: "c1", messages: [hi, asked] });
    expect([answer.status, answer.body]).toEqual([
      409,
      {
        error: "purchase_pending",
        error_description:
          `Chat c1's purchase call_p1 ("Do you want to buy 2 XYZ phone") still waits for the person's answer, and only its resume goes on with the chat: ` +
          "a message sent now would ask for another purchase beside it. GET /api/chat/c1/purchases shows it; send the message once it is decided. Nothing was sent or ordered.",
      },
    ]);
    expect(chat.calls).toEqual({ fetch: 0, authorizer: 0 });
    expect((await chat.journal.get(chat.threadId("c1")))?.purchases).toEqual([record]);
    // Refused before anything ran: the chat is free for the resume.
    const resumed = resume(purchase);
    const resumeOfIt = {
      ...resumed,
      parts: resumed.parts.map((part) => ({ ...part, toolCallId: "call_p1" })),
    };
    expect((await chat.post({ id: "c1", messages: [asked, resumeOfIt] })).status).toBe(200);

    await chat.journal.putPurchase(chat.threadId("c1"), {
      ...record,
      result: { outcome: "DENIED", purchase, description: "Denied." } as never,
    });
    await expectUsable(chat, "c1");
  });
});

describe("POST /api/chat and the app's memory", () => {
  it("keeps a few KB of a 900 KB message, and refuses a person's new chats past their limit with 429 and Retry-After, letting others in", async () => {
    const clock = new ManualClock();
    const chat = loggedInChat({ mode: "block", clock, limits: { newChatsPerPersonPerMinute: 3 } });
    const huge = { ...hi, parts: [{ type: "text", text: `hello ${"a".repeat(900_000)}` }] };
    for (const id of ["m1", "m2", "m3"]) {
      expect((await chat.post({ id, messages: [huge] })).status).toBe(200);
      const thread = await chat.journal.get(chat.threadId(id));
      expect(JSON.stringify(thread).length).toBeLessThan(3_000);
    }

    const refused = await chat.post({ id: "m4", messages: [huge] });
    expect(refused.status).toBe(429);
    expect(refused.headers["retry-after"]).toBe("20");
    expect(refused.body).toEqual({
      error: "too_many_new_chats",
      error_description:
        "You have started 3 new chats within a minute, the most one person may: send this again in 20 s. Nothing was asked or ordered.",
    });
    expect(chat.store.keys().filter((key) => key.includes(chat.threadId("m4")))).toEqual([]);
    // Another person starts a chat, and this one goes on in a chat they have.
    expect((await chat.post({ id: "m4", messages: [hi] }, "auth0|someone-else")).status).toBe(200);
    await expectUsable(chat, "m1");
    clock.advance(20_000);
    await expectUsable(chat, "m4");
    expect(chat.calls).toEqual({ fetch: 0, authorizer: 0 });
  });
});

describe("POST /api/chat in a chat that keeps its most purchases", () => {
  const asked = { id: "u1", role: "user", parts: [{ type: "text", text: "Buy 2 XYZ phones" }] };
  /** Chat `chatId` of the person's, holding `n` denied purchases and then `last`, if given. */
  const holding = async (
    chat: ReturnType<typeof loggedInChat>,
    chatId: string,
    n: number,
    last?: typeof record,
  ) => {
    const denied = { outcome: "DENIED", purchase, description: "Denied." } as never;
    const decided = Array.from({ length: n }, (_, i) => ({
      ...record,
      toolCallId: `call_${String(i + 1)}`,
      result: denied,
    }));
    await chat.journal.put({
      threadId: chat.threadId(chatId),
      request: "Buy 2 XYZ phones",
      userId: SUB,
      createdAt: 0,
      purchases: last === undefined ? decided : [...decided, last],
    });
  };

  it("refuses a new message with 409 chat_full before the model runs, and answers the resume of its waiting purchase", async () => {
    const model = scriptedModel([]);
    const chat = loggedInChat({ model });
    await holding(chat, "c1", 20);
    const kept = await chat.journal.get(chat.threadId("c1"));
    for (let i = 0; i < 2; i++) {
      const answer = await chat.post({ id: "c1", messages: [hi] });
      expect([answer.status, answer.body]).toEqual([
        409,
        {
          error: "chat_full",
          error_description:
            "Chat c1 holds 20 purchases, the most one chat keeps: start a new chat (New chat on the page) and send your message there. Nothing was asked or ordered.",
        },
      ]);
    }
    expect(model.prompts).toEqual([]);
    expect(chat.calls).toEqual({ fetch: 0, authorizer: 0 });
    expect(await chat.journal.get(chat.threadId("c1"))).toEqual(kept);

    // A purchase under way in a full chat is still answered when the page resumes it.
    await holding(chat, "c2", 19, record);
    const resumed = resume(purchase);
    const resumeOfIt = {
      ...resumed,
      parts: resumed.parts.map((part) => ({ ...part, toolCallId: "call_p1" })),
    };
    const answer = await chat.post({ id: "c2", messages: [asked, resumeOfIt] });
    expect(answer.status).toBe(200);
    // The purchase tool answered it (here: its request was never stored), not chat_full.
    expect(answer.text).toContain('"type":"tool-output-available","toolCallId":"call_p1"');
  });

  it("tries none of a turn's calls past it: the turn ends there, saying to start a new chat", async () => {
    const model = scriptedModel([
      {
        calls: [
          { id: "call_a", input: { product: "USB-C cable", qty: 1 } },
          { id: "call_b", input: { product: "XYZ phone", qty: 1 } },
        ],
      },
      { text: "Both are on their way." },
    ]);
    const chat = loggedInChat({ model, mode: "block" });
    await holding(chat, "c1", 19);

    const answer = await chat.post({ id: "c1", messages: [hi] });

    expect(answer.status).toBe(200);
    expect(answer.text).toContain(
      "Could not buy 1 x XYZ phone: this chat holds 20 purchases, the most one chat keeps, so nobody was asked to approve it and nothing was ordered. Start a new chat and ask for it there.",
    );
    expect(answer.text).not.toContain("Both are on their way.");
    expect(model.prompts).toHaveLength(1);
    const purchases = (await chat.journal.get(chat.threadId("c1")))?.purchases ?? [];
    expect(purchases.map((kept) => kept.toolCallId)).toHaveLength(20);
    expect(purchases.at(-1)?.toolCallId).toBe("call_a");
  });
});

describe("POST /api/chat keeps a waiting answer's connection from going idle", () => {
  const servers: { close: () => void }[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  /** A model that writes "Asking " and then waits for `release()` before it finishes. */
  function waitingModel() {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const model = new MockLanguageModelV2({
      doStream: () =>
        Promise.resolve({
          stream: new ReadableStream<LanguageModelV2StreamPart>({
            async start(controller) {
              controller.enqueue({ type: "stream-start", warnings: [] });
              controller.enqueue({ type: "text-start", id: "t1" });
              controller.enqueue({ type: "text-delta", id: "t1", delta: "Asking " });
              await released;
              controller.enqueue({ type: "text-delta", id: "t1", delta: "done." });
              controller.enqueue({ type: "text-end", id: "t1" });
              controller.enqueue({
                type: "finish",
                finishReason: "stop",
                usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
              });
              controller.close();
            },
          }),
        }),
    });
    return { model, release };
  }

  it("sends a comment line at each heartbeat while the answer waits; the page's reader sees the answer alone", async () => {
    const waiting = waitingModel();
    const heartbeat = manualHeartbeat();
    const chat = loggedInChat({ model: waiting.model, heartbeat: heartbeat.heartbeat });
    const { baseUrl, server } = await listenOnLoopback(chat.app);
    servers.push(server);
    const answer = await fetch(`${baseUrl}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: chat.cookie },
      body: JSON.stringify({ id: "c1", messages: [hi] }),
    });
    expect(answer.status).toBe(200);
    const body = bodyReader(answer.body!);

    await body.readUntil((read) => read.includes('"delta":"Asking "'));
    expect(body.text()).not.toContain(HEARTBEAT);
    heartbeat.beat();
    await body.readUntil((read) => read.endsWith(HEARTBEAT));
    waiting.release();
    const parts = await uiChunksOf(await body.readUntil(() => false));
    expect(parts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "text-delta", delta: "Asking " }),
        expect.objectContaining({ type: "text-delta", delta: "done." }),
        expect.objectContaining({ type: "finish" }),
      ]),
    );
    expect(parts).not.toContainEqual(expect.objectContaining({ type: "error" }));
    await expect.poll(() => heartbeat.state).toEqual({ started: 1, stopped: 1 });
    // The chat was released with the stream: it answers the next message.
    await expectUsable(chat, "c1");
  });
});

describe("POST /api/chat when the page goes away", () => {
  const servers: { close: () => void }[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it("aborts a model call that has not answered when no purchase was asked, and frees the chat", async () => {
    const signals: AbortSignal[] = [];
    const model = new MockLanguageModelV2({
      doStream: ({ abortSignal }) => {
        signals.push(abortSignal!);
        if (signals.length > 1) {
          return Promise.resolve({
            stream: new ReadableStream<LanguageModelV2StreamPart>({
              start(controller) {
                controller.enqueue({ type: "stream-start", warnings: [] });
                controller.enqueue({
                  type: "finish",
                  finishReason: "stop",
                  usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
                });
                controller.close();
              },
            }),
          });
        }
        // A hung server: nothing until the request is aborted, as fetch does.
        return new Promise((_, reject) => {
          abortSignal!.addEventListener("abort", () => {
            reject(abortSignal!.reason as Error);
          });
        });
      },
    });
    const chat = loggedInChat({ model, mode: "block" });
    const { baseUrl, server } = await listenOnLoopback(chat.app);
    servers.push(server);
    const page = new AbortController();
    await fetch(`${baseUrl}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: chat.cookie },
      body: JSON.stringify({ id: "c1", messages: [hi] }),
      signal: page.signal,
    });
    await expect.poll(() => signals.length).toBe(1);

    page.abort();

    await expect.poll(() => signals[0]!.aborted).toBe(true);
    // Not thread_busy until the model's timeout: the chat answers its next message.
    await expect.poll(async () => (await chat.post({ id: "c1", messages: [hi] })).status).toBe(200);
  });
});

/**
 * The purchase tool's event for approval request `authReqId` of tool call `toolCallId`, asking
 * for `purchase` ("Do you want to buy 1 XYZ phone"); `resumed`: sent by an earlier run.
 */
function approvalRequested(
  toolCallId: string,
  authReqId: string,
  purchase: { product: string; qty: number },
  resumed = false,
): AgentEvent {
  return {
    type: "approval-requested",
    resumed,
    threadId: "t",
    toolCallId,
    authReqId,
    userId: SUB,
    bindingMessage: `Do you want to buy ${String(purchase.qty)} ${purchase.product}`,
    purchase,
    expiresAt: 0,
  };
}

describe("the page's live approval status", () => {
  it("says on the waiting card when Auth0 gives no answer, and stops saying it once one comes", () => {
    const parts: { data: unknown }[] = [];
    const status = new ApprovalStatus("https://localhost:4010/approver");
    status.attach({ write: (part: { data: unknown }) => parts.push(part) } as never);
    const waiting = (problem?: string) => {
      status.listener({
        type: "approval-waiting",
        authReqId: "req_phone",
        nextPollAt: 0,
        slowDown: false,
        ...(problem === undefined ? {} : { problem }),
      });
    };
    waiting();
    status.listener(approvalRequested("call_phone", "req_phone", { product: "XYZ phone", qty: 1 }));
    waiting();
    waiting("connection_refused (ECONNREFUSED)");
    waiting("connection_refused (ECONNREFUSED)");
    waiting("503 temporarily_unavailable");
    waiting();
    const card = {
      status: "PENDING",
      authReqId: "req_phone",
      bindingMessage: "Do you want to buy 1 XYZ phone",
      expiresAt: new Date(0).toISOString(),
      approverUrl: "https://localhost:4010/approver",
    };
    // Only changes are written: a poll answered "pending" again changes nothing.
    expect(parts.map((part) => part.data)).toEqual([
      card,
      { ...card, problem: "connection_refused (ECONNREFUSED)" },
      { ...card, problem: "503 temporarily_unavailable" },
      card,
    ]);
  });

  it("says an approved purchase is being ordered until the shop answers, keeping what the person was asked", () => {
    const parts: unknown[] = [];
    const status = new ApprovalStatus("https://localhost:4010/approver");
    status.attach({ write: (part: unknown) => parts.push(part) } as never);
    const purchase = { product: "XYZ phone", qty: 2 };
    const bindingMessage = "Do you want to buy 2 XYZ phone";
    status.listener(approvalRequested("call_phone", "req_phone", purchase));
    status.listener({ type: "order-sending", toolCallId: "call_phone" });
    // A poll's news of a request already approved changes no card.
    status.listener({
      type: "approval-waiting",
      authReqId: "req_phone",
      nextPollAt: 0,
      slowDown: false,
      problem: "late",
    });
    // A resume's stream never showed its card waiting: the page keeps what it showed.
    status.listener({ type: "order-sending", toolCallId: "call_cable" });
    status.listener({
      type: "purchase-finished",
      toolCallId: "call_phone",
      result: {
        outcome: "ORDERED",
        purchase,
        authReqId: "req_phone",
        bindingMessage,
        description: "Ordered",
      },
    });
    expect(parts.map((part) => (part as { data: unknown }).data)).toEqual([
      expect.objectContaining({ status: "PENDING" }),
      { status: "ORDERING", authReqId: "req_phone", bindingMessage },
      { status: "ORDERING" },
      expect.objectContaining({ status: "ORDERED", bindingMessage }),
    ]);
    expect(parts).toMatchObject([
      { id: "call_phone", transient: true },
      { id: "call_phone", transient: true },
      { id: "call_cable", transient: true },
      { id: "call_phone", transient: true },
    ]);
  });

  it("puts each purchase's end on its own tool call, also one refused before any request", () => {
    // An order's card read "request_refused": the next item's refusal (the tenant's per-user
    // limit, before it had an auth_req_id) was written under the tool call the page resumed.
    const parts: unknown[] = [];
    const status = new ApprovalStatus(undefined);
    status.attach({ write: (part: unknown) => parts.push(part) } as never);
    const purchase = { product: "USB-C cable", qty: 1 };
    status.listener(approvalRequested("call_cable", "req_cable", purchase, true));
    status.listener({
      type: "purchase-finished",
      toolCallId: "call_cable",
      result: {
        outcome: "ORDERED",
        purchase,
        authReqId: "req_cable",
        bindingMessage: "Do you want to buy 1 USB-C cable",
        description: "Ordered",
      },
    });
    status.listener({
      type: "purchase-finished",
      toolCallId: "call_case",
      result: {
        outcome: "REQUEST_REFUSED",
        purchase: { product: "XYZ phone case", qty: 1 },
        description: "Too many backchannel authentication requests",
      },
    });
    expect(parts).toMatchObject([
      { type: "data-approval", id: "call_cable", data: { status: "PENDING" } },
      // The decided card keeps what was asked.
      {
        type: "data-approval",
        id: "call_cable",
        data: { status: "ORDERED", bindingMessage: "Do you want to buy 1 USB-C cable" },
      },
      {
        type: "data-approval",
        id: "call_case",
        data: { status: "REQUEST_REFUSED", authReqId: "" },
      },
    ]);
  });
});
