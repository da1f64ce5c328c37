import { Auth0AI } from "@auth0/ai-vercel";
import { ManualClock, systemClock } from "@ciba-testbed/shared";
import type { LanguageModelV2 } from "@ai-sdk/provider";
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { createMemoryStore } from "../agent-store.js";
import { auth0Store } from "../auth0-store.js";
import { PURCHASE_TOOL_NAME } from "../purchase-tool.js";
import { uiChunksOf } from "../test-support/event-stream-reading.js";
import { logIn } from "../test-support/login-session.js";
import {
  completionCall,
  completionText,
  responsesCall,
  serverModel,
  sse,
} from "../test-support/model-server.js";
import { callOf, scriptedModel, type ModelStep } from "../test-support/scripted-model.js";
import * as stubs from "../test-support/stubs.js";
import { ThreadJournal } from "../thread-journal.js";
import { MAX_STEPS } from "../turn-end.js";
import { ChatThreads } from "./chat-threads.js";
import { LoginSessions } from "./login-sessions.js";
import { createWebApp } from "./web-app.js";
import { loadWebConfig } from "./web-config.js";

const { nock, stubAuth0, stubShop } = stubs;
stubs.isolateNetwork();
// supertest's own server listens on loopback; Auth0 and the shop are stubs.
beforeEach(() => {
  nock.enableNetConnect("127.0.0.1");
});
afterEach(stubs.expectAllStubsUsed);

const SUB = "auth0|buyer";
const BUY = { product: "XYZ phone", qty: 1 };
const CLAIM = "Great news: your XYZ phone has been ordered!";
const DENIAL =
  "The purchase of 1 x XYZ phone was denied; nothing was ordered. Anything asked for after it was not tried.";

/** The web app with the real Auth0 SDK against stubs, the person logged in, and `model`. */
function chatApp(mode: "block" | "interrupt", model: LanguageModelV2) {
  const config = loadWebConfig({ AGENT_MODE: mode });
  const store = createMemoryStore();
  const threads = new ChatThreads({
    config: config.agent,
    store,
    journal: new ThreadJournal(store),
    authorizer: new Auth0AI({ auth0: { ...config.agent.auth0 }, store: auth0Store(store) }),
    fetch: globalThis.fetch,
    clock: new ManualClock(),
  });
  const sessions = new LoginSessions(systemClock);
  const app = createWebApp(config, {
    threads,
    model,
    sessions,
    clientScript: () => Promise.resolve("export {};"),
  });
  const { cookie } = logIn(sessions, config.sessionSecret, { sub: SUB });
  const post = async (messages: unknown[]) => {
    const answer = await request(app)
      .post("/api/chat")
      .set("Cookie", cookie)
      .send({ id: "c1", messages });
    expect(answer.status).toBe(200);
    return uiChunksOf(answer.text);
  };
  const reply = async () =>
    (await request(app).get("/api/chat/c1/purchases").set("Cookie", cookie)).body as {
      reply?: string;
    };
  return { post, reply };
}

const asked: UIMessage = {
  id: "u1",
  role: "user",
  parts: [{ type: "text", text: "Buy an XYZ phone" }],
};

/** The text the page shows from a stream's chunks. */
function shownText(chunks: unknown[]): string {
  return chunks
    .flatMap((chunk) => {
      const { type, delta } = chunk as { type: string; delta?: string };
      return type === "text-delta" ? [delta] : [];
    })
    .join("");
}

describe("a chat turn whose purchase did not go through", () => {
  it("ends as the CLI's does: the model is not asked again, and the answer is the purchase's own sentence", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().deny();
    const model = scriptedModel([callOf(BUY), { text: CLAIM }]);
    const chat = chatApp("block", model);

    const chunks = await chat.post([asked]);

    expect(model.prompts).toHaveLength(1);
    expect(chunks).toContainEqual(
      expect.objectContaining({
        type: "tool-output-available",
        output: expect.objectContaining({ outcome: "DENIED" }),
      }),
    );
    expect(shownText(chunks)).toBe(DENIAL);
    // Its code comes with it, for the page to show beside it (the page's own words are others').
    expect(chunks).toContainEqual({
      type: "text-start",
      id: "turn-answer",
      providerMetadata: { agent: { error: "access_denied" } },
    });
    expect(chunks.at(-1)).toMatchObject({ type: "finish" });
    // A page that follows the chat reads the same answer.
    expect((await chat.reply()).reply).toBe(DENIAL);
  });

  it("names the product in its answer as the shop's catalog does, not as the model spelt it", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().deny();
    const model = scriptedModel([callOf({ product: "xyz-phone", qty: 1 }), { text: CLAIM }]);
    const chat = chatApp("block", model);

    const chunks = await chat.post([asked]);

    expect(shownText(chunks)).toBe(DENIAL);
    expect((await chat.reply()).reply).toBe(DENIAL);
  });

  it("ends the same way when the page resumes a purchase that was denied meanwhile", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().pending();
    const model = scriptedModel([callOf(BUY), { text: CLAIM }]);
    const chat = chatApp("interrupt", model);
    const first = await chat.post([asked]);
    expect(first).toContainEqual(expect.objectContaining({ type: "tool-output-error" }));

    auth0.deny();
    const resumed = await chat.post([
      asked,
      {
        id: "a1",
        role: "assistant",
        parts: [
          {
            type: `tool-${PURCHASE_TOOL_NAME}`,
            toolCallId: "call_1",
            state: "output-available",
            input: BUY,
            output: { continueInterruption: true, toolName: PURCHASE_TOOL_NAME },
          },
        ],
      },
    ]);

    expect(model.prompts).toHaveLength(1);
    expect(resumed).toContainEqual(
      expect.objectContaining({
        type: "tool-output-available",
        toolCallId: "call_1",
        output: expect.objectContaining({ outcome: "DENIED" }),
      }),
    );
    expect(shownText(resumed)).toBe(DENIAL);
    expect((await chat.reply()).reply).toBe(DENIAL);
  });
});

describe("a chat turn whose purchase call could not run", () => {
  const invalid = { product: "XYZ phone", qty: "1" };
  const refused =
    'The model\'s call of shop_online could not run, with the input {"product":"XYZ phone","qty":"1"} (input the tool refuses: qty must be a number); nobody was asked to approve anything for it, and nothing was ordered for it.';

  it("names the call and why, and never shows the model's claim after it as the answer", async () => {
    const claim = "Your XYZ phone has been ordered!";
    const model = scriptedModel([callOf(invalid), { text: claim }]);
    const chat = chatApp("block", model);

    const chunks = await chat.post([asked]);

    expect(model.prompts).toHaveLength(2);
    const errors = chunks.filter((chunk) =>
      ["tool-input-error", "tool-output-error"].includes((chunk as { type: string }).type),
    );
    expect(errors).toMatchObject([
      { type: "tool-input-error", toolCallId: "call_1", errorText: refused },
      { type: "tool-output-error", toolCallId: "call_1", errorText: refused },
    ]);
    const answer = `${refused} The model then wrote: "${claim}" Ask again, naming the product and a whole quantity; if it recurs, choose a model that follows the tool's input schema (AGENT_MODEL, --model).`;
    expect(shownText(chunks)).toBe(answer);
    expect((await chat.reply()).reply).toBe(answer);
  });

  it("shows the model's answer when it called again as it should and bought", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    stubShop().order(201, { id: "ord_1", total: 499, currency: "USD" });
    const model = scriptedModel([
      callOf(invalid, "call_1"),
      callOf(BUY, "call_2"),
      { text: "Ordered your XYZ phone." },
    ]);
    const chat = chatApp("block", model);

    const chunks = await chat.post([asked]);

    expect(shownText(chunks)).toBe("Ordered your XYZ phone.");
    expect((await chat.reply()).reply).toBe("Ordered your XYZ phone.");
  });
});

/** The assistant message the page builds from a stream's chunks, as `ai`'s chat client does. */
async function shownMessage(chunks: unknown[]): Promise<UIMessage | undefined> {
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk as UIMessageChunk);
      controller.close();
    },
  });
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream })) last = message;
  return last;
}

/** The text of the answer the app wrote in the model's stead (its own step), if it wrote one. */
function appAnswer(chunks: unknown[]): string | undefined {
  const own = chunks.filter((chunk) => (chunk as { id?: string }).id === "turn-answer");
  return own.length === 0 ? undefined : shownText(own);
}

describe("a chat turn whose model did not finish it", () => {
  const INVALID_FIX =
    "Ask again, naming the product and a whole quantity; if it recurs, choose a model that follows the tool's input schema (AGENT_MODEL, --model).";
  const notRunCall = (input: string, why: string) =>
    `The model's last call of shop_online could not run: its input ${JSON.stringify(input)} ${why}; nobody was asked to approve anything for it, and nothing was ordered for it.`;
  const NOT_JSON = "is not valid JSON";

  it.each([
    ["arguments that are not JSON", '{"product": "XYZ phone", "qty": 2', "tool_calls", NOT_JSON],
    ["empty arguments", "", "tool_calls", NOT_JSON],
    [
      "a __proto__ key",
      '{"__proto__": {"admin": true}, "product": "XYZ phone", "qty": 2}',
      "tool_calls",
      'is JSON the AI SDK refuses as unsafe (a "__proto__" key, or a "constructor" with a "prototype")',
    ],
    [
      "arguments cut at the token limit",
      '{"product": "XYZ phone", "qty"',
      "length",
      "is not whole JSON: the model's output token limit cut it off (finish reason length)",
    ],
  ])(
    "says a call with %s could not run, in its tool part and as the answer (Chat Completions)",
    async (_, args, finish, why) => {
      const { model, requests } = await serverModel("chat", [completionCall(args, finish)]);
      const chat = chatApp("block", model);

      const chunks = await chat.post([asked]);

      expect(requests).toHaveLength(1);
      const said = notRunCall(args, why);
      // The call's part no longer reads as a purchase under way.
      expect(chunks).toContainEqual(
        expect.objectContaining({
          type: "tool-input-error",
          toolCallId: "call_1",
          toolName: PURCHASE_TOOL_NAME,
          errorText: said,
        }),
      );
      expect(appAnswer(chunks)).toBe(`${said} ${INVALID_FIX}`);
      expect((await chat.reply()).reply).toBe(`${said} ${INVALID_FIX}`);
      // The page's message: the call's part ended in that error, the answer after it.
      const message = await shownMessage(chunks);
      expect(
        message?.parts.find((part) => part.type === `tool-${PURCHASE_TOOL_NAME}`),
      ).toMatchObject({
        state: "output-error",
        errorText: said,
      });
      expect(message?.parts.at(-1)).toMatchObject({ type: "text", text: `${said} ${INVALID_FIX}` });
    },
  );

  it("says a whole call in a stream with no finish reason was not run, as the CLI's report", async () => {
    const { model } = await serverModel("chat", [
      completionCall('{"product": "XYZ phone", "qty": 2}', null),
    ]);
    const chat = chatApp("block", model);

    const chunks = await chat.post([asked]);

    const said =
      "The model's answer ended without saying it was complete (finish reason unknown): its server stopped streaming mid-answer, and nothing in it was run.";
    expect(chunks).toContainEqual(
      expect.objectContaining({ type: "tool-input-error", toolCallId: "call_1", errorText: said }),
    );
    expect(appAnswer(chunks)).toBe(
      `${said} Check the model server (OPENAI_BASE_URL, or OpenAI's status) and the network.`,
    );
    expect((await chat.reply()).reply).toBe(appAnswer(chunks));
    const message = await shownMessage(chunks);
    expect(message?.parts.find((part) => part.type === `tool-${PURCHASE_TOOL_NAME}`)).toMatchObject(
      {
        state: "output-error",
        rawInput: { product: "XYZ phone", qty: 2 },
        errorText: said,
      },
    );
  });

  it.each(["chat", "responses"] as const)(
    "says an answer withheld by a content filter was not complete, quoting it (%s)",
    async (api) => {
      const reply =
        api === "chat"
          ? completionText("I will buy", "content_filter")
          : sse([
              {
                type: "response.created",
                response: { id: "resp_1", created_at: 1767225600, model: "llama3.2" },
              },
              {
                type: "response.output_item.added",
                output_index: 0,
                item: { type: "message", id: "msg_1" },
              },
              { type: "response.output_text.delta", item_id: "msg_1", delta: "I will buy" },
              {
                type: "response.incomplete",
                response: {
                  incomplete_details: { reason: "content_filter" },
                  usage: { input_tokens: 10, output_tokens: 3 },
                },
              },
            ]);
      const { model } = await serverModel(api, [reply]);
      const chat = chatApp("block", model);

      const chunks = await chat.post([asked]);

      const said =
        "The model's answer was withheld by its server's content filter (finish reason content-filter), after \"I will buy\". Ask again in other words; if it recurs, check the model server's content policy (OPENAI_BASE_URL).";
      expect(appAnswer(chunks)).toBe(said);
      expect((await chat.reply()).reply).toBe(said);
    },
  );

  it("says an answer cut at the token limit after an order was not complete, and that the order stands", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    stubShop().order(201, { id: "ord_1", total: 998, currency: "USD" });
    const { model } = await serverModel("chat", [
      completionCall('{"product": "XYZ phone", "qty": 2}'),
      completionText("I have ordered 2 XYZ phon", "length"),
    ]);
    const chat = chatApp("block", model);

    const chunks = await chat.post([asked]);

    const said =
      'Ordered 2 x XYZ phone: order ord_1, total 998.00 USD. The model\'s answer was cut off at its output token limit (finish reason length), after "I have ordered 2 XYZ phon". That order stands: ask only for what is still missing.';
    expect(appAnswer(chunks)).toBe(said);
    expect(chunks).toContainEqual(
      expect.objectContaining({
        type: "text-start",
        providerMetadata: { agent: { error: "model_incomplete" } },
      }),
    );
    expect((await chat.reply()).reply).toBe(said);
  });
});

describe("a chat turn whose model cannot call the tool as it should", () => {
  it("does not ask the model again after a call cut at its output token limit (Responses API)", async () => {
    // A server that is cut off the same way at every request it gets.
    const cut = responsesCall('{"product": "XYZ phone", "qty"', "max_output_tokens");
    const { model, requests } = await serverModel("responses", Array<string>(MAX_STEPS).fill(cut));
    const chat = chatApp("block", model);

    const chunks = await chat.post([asked]);
    nock.cleanAll();

    expect(requests).toHaveLength(1);
    const errors = chunks.filter(
      (chunk) => (chunk as { type: string }).type === "tool-input-error",
    );
    expect(errors).toHaveLength(1);
    expect(appAnswer(chunks)).toMatch(
      /^The model's answer was cut off at its output token limit \(finish reason length\)\. Ask again;/,
    );
  });

  it("says a call whose input is not JSON could not run in words of its own, not the AI SDK's parser message", async () => {
    const input = '{"product": "XYZ phone", "qty": 2';
    const chat = chatApp("block", scriptedModel([callOf(input), { text: CLAIM }]));

    const chunks = await chat.post([asked]);

    expect(appAnswer(chunks)).toBe(
      `The model's call of shop_online could not run, with the input ${JSON.stringify(input)} (input that is not valid JSON); nobody was asked to approve anything for it, and nothing was ordered for it. The model then wrote: ${JSON.stringify(CLAIM)} Ask again, naming the product and a whole quantity; if it recurs, choose a model that follows the tool's input schema (AGENT_MODEL, --model).`,
    );
  });

  it("ends the turn at the second call that cannot run: one correction, not one per step", async () => {
    const invalid = { product: "XYZ phone", qty: "2" };
    const model = scriptedModel(
      Array.from({ length: MAX_STEPS }, (_, i) => callOf(invalid, `call_${String(i)}`)),
    );
    const chat = chatApp("block", model);

    const chunks = await chat.post([asked]);

    expect(model.prompts).toHaveLength(2);
    expect(appAnswer(chunks)).toBe(
      'The model\'s call of shop_online could not run, with the input {"product":"XYZ phone","qty":"2"} (input the tool refuses: qty must be a number); nobody was asked to approve anything for it, and nothing was ordered for it. Ask again, naming the product and a whole quantity; if it recurs, choose a model that follows the tool\'s input schema (AGENT_MODEL, --model).',
    );
  });
});

describe("a chat turn that the step cap ended", () => {
  it("says the model was stopped, after what it ordered", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().approve();
    stubShop().order(201, { id: "ord_1", total: 499, currency: "USD" });
    // A model that calls for the same purchase again at every step, never answering.
    const model = scriptedModel([
      ...Array.from({ length: MAX_STEPS }, (_, i) => callOf(BUY, `call_${String(i)}`)),
      { text: CLAIM },
    ]);
    const chat = chatApp("block", model);

    const chunks = await chat.post([asked]);

    expect(model.prompts).toHaveLength(MAX_STEPS);
    const said = `Ordered 1 x XYZ phone: order ord_1, total 499.00 USD. The turn ended at the agent's limit of ${String(MAX_STEPS)} model steps, with the model still calling shop_online; it was not asked again. That order stands: ask only for what is still missing.`;
    expect(appAnswer(chunks)).toBe(said);
    expect(chunks).toContainEqual(
      expect.objectContaining({
        type: "text-start",
        providerMetadata: { agent: { error: "model_step_limit" } },
      }),
    );
    expect(chunks).toContainEqual(
      expect.objectContaining({
        type: "text-start",
        providerMetadata: { agent: { error: "model_step_limit" } },
      }),
    );
    expect((await chat.reply()).reply).toBe(said);
  });
});

describe("a chat turn whose model gives no answer", () => {
  it.each([
    ["whitespace", { text: "  " }],
    ["a refusal the provider dropped", { parts: [] }],
  ] as const)("says so with what to do after %s", async (_, step) => {
    const chat = chatApp("block", scriptedModel([step as ModelStep]));

    const chunks = await chat.post([asked]);

    expect(shownText(chunks)).toMatch(
      /^ *The model gave no answer: .*nothing was ordered\. Ask again in other words/,
    );
    expect((await chat.reply()).reply).toMatch(/^The model gave no answer: /);
    expect(chunks).toContainEqual(
      expect.objectContaining({
        type: "text-start",
        providerMetadata: { agent: { error: "model_no_answer" } },
      }),
    );
  });
});

describe("an interrupt-mode turn whose model called the tool twice in one step", () => {
  const CABLES = { product: "USB-C cable", qty: 3 };
  const NOT_TRIED =
    "3 x USB-C cable was not tried: nobody was asked to approve it, and nothing was ordered.";

  it("ends at the first call's interrupt, the second not tried, and the resume collects the approval", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().pending();
    const model = scriptedModel([
      {
        calls: [
          { id: "call_1", input: BUY },
          { id: "call_2", input: CABLES },
        ],
      },
      { text: "Done." },
    ]);
    const chat = chatApp("interrupt", model);

    const first = await chat.post([asked]);

    expect(auth0.count("/bc-authorize")).toBe(1);
    const interruption = first.find((chunk) => (chunk as { type: string }).type === "error") as
      { errorText: string } | undefined;
    expect(interruption?.errorText).toMatch(/^AUTH0_AI_INTERRUPTION:/);
    expect(
      JSON.parse(interruption?.errorText.slice("AUTH0_AI_INTERRUPTION:".length) ?? "{}"),
    ).toMatchObject({ toolCall: { id: "call_1", name: PURCHASE_TOOL_NAME } });
    const untried = first.find(
      (chunk) =>
        (chunk as { type: string; toolCallId?: string }).type === "tool-output-available" &&
        (chunk as { toolCallId?: string }).toolCallId === "call_2",
    ) as { output: Record<string, unknown> } | undefined;
    expect(untried?.output).toMatchObject({
      outcome: "NO_PURCHASE",
      error: "turn_ended",
      description: expect.stringContaining(NOT_TRIED) as unknown,
    });
    // No answer of the app's own: the page waits for the person and resumes.
    expect(shownText(first)).toBe("");

    // The page hands back the step as it shows it: the waiting call first, its answer pending.
    auth0.approve();
    const order = stubShop().order(201, { id: "ord_1", total: 499, currency: "USD" });
    const resumed = await chat.post([
      asked,
      {
        id: "a1",
        role: "assistant",
        parts: [
          { type: "step-start" },
          {
            type: `tool-${PURCHASE_TOOL_NAME}`,
            toolCallId: "call_1",
            state: "output-available",
            input: BUY,
            output: { continueInterruption: true, toolName: PURCHASE_TOOL_NAME },
          },
          {
            type: `tool-${PURCHASE_TOOL_NAME}`,
            toolCallId: "call_2",
            state: "output-available",
            input: CABLES,
            output: untried?.output,
          },
        ],
      },
    ]);

    expect(order.calls).toHaveLength(1);
    expect(resumed).toContainEqual(
      expect.objectContaining({
        type: "tool-output-available",
        toolCallId: "call_1",
        output: expect.objectContaining({ outcome: "ORDERED" }) as unknown,
      }),
    );
    // As the CLI's report: the order, then the call not tried; the model is not asked again.
    const answer = `Ordered 1 x XYZ phone: order ord_1, total 499.00 USD. ${NOT_TRIED}`;
    expect(shownText(resumed)).toBe(answer);
    expect(model.prompts).toHaveLength(1);
    expect((await chat.reply()).reply).toBe(answer);
  });
});
