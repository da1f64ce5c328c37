import type {
  LanguageModelV2,
  LanguageModelV2Content,
  LanguageModelV2Prompt,
  LanguageModelV2StreamPart,
} from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";

import { withEarlierOrders, type EarlierOrder } from "./earlier-orders.js";
import { PURCHASE_TOOL_NAME } from "./purchase-tool.js";
import { withFreshToolCallIds } from "./tool-call-ids.js";

const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };
const PHONE = JSON.stringify({ product: "XYZ phone", qty: 1 });

/** A model that answers every call with `content`, streamed as a server streams it. */
function modelAnswering(content: LanguageModelV2Content[]): LanguageModelV2 {
  const parts: LanguageModelV2StreamPart[] = [{ type: "stream-start", warnings: [] }];
  for (const part of content) {
    if (part.type === "tool-call") {
      parts.push(
        { type: "tool-input-start", id: part.toolCallId, toolName: part.toolName },
        { type: "tool-input-delta", id: part.toolCallId, delta: part.input },
        { type: "tool-input-end", id: part.toolCallId },
        part,
      );
    } else if (part.type === "text") {
      parts.push(
        { type: "text-start", id: "t" },
        { type: "text-delta", id: "t", delta: part.text },
        { type: "text-end", id: "t" },
      );
    }
  }
  parts.push({ type: "finish", finishReason: "tool-calls", usage });
  return {
    specificationVersion: "v2",
    provider: "test",
    modelId: "test",
    supportedUrls: {},
    doGenerate: () => Promise.resolve({ content, finishReason: "tool-calls", usage, warnings: [] }),
    doStream: () =>
      Promise.resolve({
        stream: new ReadableStream({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.close();
          },
        }),
      }),
  };
}

const call = (toolCallId: string, itemId?: string): LanguageModelV2Content => ({
  type: "tool-call",
  toolCallId,
  toolName: PURCHASE_TOOL_NAME,
  input: PHONE,
  ...(itemId === undefined ? {} : { providerMetadata: { openai: { itemId } } }),
});

/** A chat whose first turn ordered under `call_0`, then the person's `reply`. */
function chatAfterOrder(...reply: string[]): LanguageModelV2Prompt {
  const prompt: LanguageModelV2Prompt = [
    { role: "user", content: [{ type: "text", text: "Buy an XYZ phone" }] },
    {
      role: "assistant",
      content: [
        { type: "tool-call", toolCallId: "call_0", toolName: PURCHASE_TOOL_NAME, input: {} },
      ],
    },
    {
      role: "tool",
      content: [
        {
          type: "tool-result",
          toolCallId: "call_0",
          toolName: PURCHASE_TOOL_NAME,
          output: {
            type: "json",
            value: {
              outcome: "ORDERED",
              description: "Ordered.",
              purchase: { product: "XYZ phone", qty: 1 },
              order: { id: "ord_1" },
            },
          },
        },
      ],
    },
  ];
  for (const text of reply) prompt.push({ role: "user", content: [{ type: "text", text }] });
  return prompt;
}

async function streamed(model: LanguageModelV2, prompt: LanguageModelV2Prompt) {
  const { stream } = await model.doStream({ prompt });
  const parts: LanguageModelV2StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

describe("withFreshToolCallIds", () => {
  it("gives a call under an id the conversation holds a new id, in every part of its stream", async () => {
    const model = withFreshToolCallIds(modelAnswering([call("call_0")])) as LanguageModelV2;

    const parts = await streamed(model, chatAfterOrder("Buy another"));

    const ids = parts.flatMap((part): string[] => {
      if (part.type === "tool-call") return [part.toolCallId];
      return part.type.startsWith("tool-input-") && "id" in part ? [part.id] : [];
    });
    expect(ids).toEqual(["call_0-2", "call_0-2", "call_0-2", "call_0-2"]);
  });

  it("leaves a new id as the model gave it", async () => {
    const model = withFreshToolCallIds(modelAnswering([call("call_7")])) as LanguageModelV2;

    const parts = await streamed(model, chatAfterOrder("Buy another"));

    expect(parts.find((part) => part.type === "tool-call")).toEqual(call("call_7"));
  });

  it("tells two calls of one response under one id apart, and drops the renamed one's item id", async () => {
    const model = withFreshToolCallIds(
      modelAnswering([call("call_0", "fc_1"), call("call_0", "fc_2"), call("call_0", "fc_3")]),
    ) as LanguageModelV2;
    const prompt = chatAfterOrder().slice(0, 1);

    const parts = await streamed(model, prompt);
    const { content } = await model.doGenerate({ prompt });

    const calls = parts.filter((part) => part.type === "tool-call");
    expect(calls).toEqual([call("call_0", "fc_1"), call("call_0-2"), call("call_0-3")]);
    expect(content).toEqual(calls);
  });

  it("skips a new id the conversation holds too", async () => {
    const model = withFreshToolCallIds(modelAnswering([call("call_0")])) as LanguageModelV2;
    const prompt = chatAfterOrder("Buy another");
    const asked = prompt
      .slice(1, 3)
      .map(
        (message) =>
          JSON.parse(
            JSON.stringify(message).replaceAll('"call_0"', '"call_0-2"'),
          ) as LanguageModelV2Prompt[number],
      );

    const { content } = await model.doGenerate({ prompt: [...prompt, ...asked] });

    expect(content).toEqual([call("call_0-3")]);
  });

  it("has the web app's earlier orders told apart from this turn's purchase under a reused id", async () => {
    // A "yes" to the question about buying the same again: the model calls call_0 again. Taken
    // for the earlier order's call, its result was that order, and "Your earlier order ...
    // stands" was dropped.
    const prompt: LanguageModelV2Prompt = [
      ...chatAfterOrder("Buy an XYZ phone"),
      {
        role: "assistant",
        content: [
          {
            type: "text",
            text: "You already ordered 1 x XYZ phone in this chat (order ord_1). Buy another 1? I did not buy anything this time.",
          },
        ],
      },
      { role: "user", content: [{ type: "text", text: "yes" }] },
    ];
    const orders: EarlierOrder[] = [
      {
        toolCallId: "call_0",
        purchase: { product: "XYZ phone", qty: 1 },
        order: { id: "ord_1" } as EarlierOrder["order"],
      },
    ];
    const model = withEarlierOrders(
      withFreshToolCallIds(modelAnswering([call("call_0")])),
      orders,
    ) as LanguageModelV2;

    const { content } = await model.doGenerate({ prompt });

    expect(content).toEqual([call("call_0-2")]);

    const answering = withEarlierOrders(
      withFreshToolCallIds(modelAnswering([{ type: "text", text: "Ordered another phone." }])),
      orders,
    ) as LanguageModelV2;
    const after: LanguageModelV2Prompt = [
      ...prompt,
      {
        role: "assistant",
        content: [
          { type: "tool-call", toolCallId: "call_0-2", toolName: PURCHASE_TOOL_NAME, input: {} },
        ],
      },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: "call_0-2",
            toolName: PURCHASE_TOOL_NAME,
            output: { type: "json", value: { outcome: "ORDERED" } },
          },
        ],
      },
    ];
    const answer = await answering.doGenerate({ prompt: after });
    expect(answer.content).toEqual([
      {
        type: "text",
        text: "Ordered another phone. Your earlier order ord_1 of 1 x XYZ phone stands; the agent cannot cancel orders.",
      },
    ]);
  });
});
