import { Auth0AI } from "@auth0/ai-vercel";
import { ManualClock, systemClock } from "@ciba-testbed/shared";
import type { LanguageModelV2 } from "@ai-sdk/provider";
import type { UIMessage } from "ai";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { createMemoryStore } from "../agent-store.js";
import { auth0Store } from "../auth0-store.js";
import { PURCHASE_TOOL_NAME } from "../purchase-tool.js";
import { uiChunksOf } from "../test-support/event-stream-reading.js";
import { logIn } from "../test-support/login-session.js";
import { callOf, scriptedModel, type ModelStep } from "../test-support/scripted-model.js";
import * as stubs from "../test-support/stubs.js";
import { ThreadJournal } from "../thread-journal.js";
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
    expect(chunks.at(-1)).toMatchObject({ type: "finish" });
    // A page that follows the chat reads the same answer.
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
