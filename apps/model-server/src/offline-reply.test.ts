import { describe, expect, it } from "vitest";

import type { Conversation, FunctionTool, Turn } from "./conversation.js";
import { ApiError } from "./errors.js";
import { offlineReply } from "./offline-reply.js";

const shop: FunctionTool = {
  name: "shop_online",
  description: undefined,
  parameters: {
    type: "object",
    properties: { product: { type: "string" }, qty: { type: "number" } },
    required: ["product", "qty"],
  },
};

function conversation(turns: Turn[], extra: Partial<Conversation> = {}): Conversation {
  return { model: "m", tools: [shop], toolChoice: "auto", responseFormat: "text", turns, ...extra };
}

let counter = 0;
const newId = () => `call_${++counter}`;

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("offlineReply", () => {
  it("reads the last user message, not an earlier one", () => {
    const reply = offlineReply(
      conversation([
        { role: "user", text: "Buy 2 XYZ phones" },
        { role: "assistant", text: "Ordered.", toolCalls: [] },
        { role: "user", text: "Please buy a USB-C cable" },
      ]),
      newId,
    );
    expect(reply.toolCalls.map((call) => call.arguments)).toEqual([
      '{"product":"USB-C cable","qty":1}',
    ]);
  });

  it("answers in text when the request offers no tools, or tool_choice is none", () => {
    const turns: Turn[] = [{ role: "user", text: "Buy 2 XYZ phones" }];
    const expected = {
      text: "I would buy 2 x XYZ phone, but this request offers no tool to buy with. Nothing was bought.",
      toolCalls: [],
    };
    expect(offlineReply(conversation(turns, { tools: [] }), newId)).toEqual(expected);
    expect(offlineReply(conversation(turns, { toolChoice: "none" }), newId)).toEqual(expected);
  });

  it("refuses when tools are offered but none is a purchase tool", () => {
    const weather: FunctionTool = { name: "weather", description: undefined, parameters: {} };
    const error = refusal(() =>
      offlineReply(
        conversation([{ role: "user", text: "Buy 2 XYZ phones" }], { tools: [weather] }),
        newId,
      ),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe("no_purchase_tool");
    expect(error.message).toContain(
      "none of the offered tools (weather) looks like a purchase tool",
    );
  });

  it("refuses two purchase tools unless tool_choice names one", () => {
    const other = { ...shop, name: "buy_now" };
    const turns: Turn[] = [{ role: "user", text: "Buy 2 XYZ phones" }];
    expect(
      refusal(() => offlineReply(conversation(turns, { tools: [shop, other] }), newId)).code,
    ).toBe("ambiguous_purchase_tool");
    const chosen = offlineReply(
      conversation(turns, { tools: [shop, other], toolChoice: { name: "buy_now" } }),
      newId,
    );
    expect(chosen.toolCalls[0]?.name).toBe("buy_now");
    expect(
      refusal(() => offlineReply(conversation(turns, { toolChoice: { name: "nope" } }), newId))
        .code,
    ).toBe("invalid_conversation");
  });

  it("refuses a required tool call it cannot make", () => {
    const error = refusal(() =>
      offlineReply(
        conversation([{ role: "user", text: "hello" }], { toolChoice: "required" }),
        newId,
      ),
    );
    expect(error.code).toBe("tool_choice_unsatisfiable");
  });

  it("refuses a tool result that answers no call", () => {
    const error = refusal(() =>
      offlineReply(
        conversation([
          { role: "user", text: "Buy 2 XYZ phones" },
          { role: "tool", callId: "call_x", output: "OK" },
        ]),
        newId,
      ),
    );
    expect(error.code).toBe("invalid_conversation");
    expect(error.message).toContain('"call_x"');
  });

  it("confirms from the results even when the follow-up request drops the tools", () => {
    const reply = offlineReply(
      conversation(
        [
          { role: "user", text: "Buy 2 XYZ phones" },
          {
            role: "assistant",
            text: "",
            toolCalls: [
              { id: "c1", name: "shop_online", arguments: '{"product":"XYZ phone","qty":2}' },
            ],
          },
          { role: "tool", callId: "c1", output: '{"id":"o-1"}' },
        ],
        { tools: [] },
      ),
      newId,
    );
    expect(reply).toEqual({ text: "Ordered 2 x XYZ phone: order o-1.", toolCalls: [] });
  });
});
