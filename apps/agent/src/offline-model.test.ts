import type {
  JSONValue,
  LanguageModelV2CallOptions,
  LanguageModelV2Prompt,
  LanguageModelV2StreamPart,
} from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";

import { createOfflineModel } from "./offline-model.js";
import type { Order, PurchaseResult } from "./purchase-result.js";

const TOOLS: NonNullable<LanguageModelV2CallOptions["tools"]> = [
  { type: "function", name: "shop_online", inputSchema: { type: "object" } },
];

function call(prompt: LanguageModelV2Prompt): LanguageModelV2CallOptions {
  return { prompt, tools: TOOLS };
}

const user = (text: string): LanguageModelV2Prompt[number] => ({
  role: "user",
  content: [{ type: "text", text }],
});

function toolTurn(id: string, result: PurchaseResult): LanguageModelV2Prompt {
  return [
    {
      role: "assistant",
      content: [
        { type: "tool-call", toolCallId: id, toolName: "shop_online", input: result.purchase },
      ],
    },
    {
      role: "tool",
      content: [
        {
          type: "tool-result",
          toolCallId: id,
          toolName: "shop_online",
          output: { type: "json", value: JSON.parse(JSON.stringify(result)) as JSONValue },
        },
      ],
    },
  ];
}

const ordered: PurchaseResult = {
  outcome: "ORDERED",
  purchase: { product: "XYZ phone", qty: 2 },
  description: "Ordered.",
  // A shop may answer with less than its schema promises; the agent reads what is there.
  order: { id: "ord_7", total: 1998 } as Order,
};

async function collect(stream: ReadableStream<LanguageModelV2StreamPart>) {
  const parts: LanguageModelV2StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

describe("offline model", () => {
  const model = createOfflineModel({ generateId: () => "call_x" });

  it("calls the tool for the first item", async () => {
    const result = await model.doGenerate(call([user("Buy 2 XYZ phones and a USB-C cable")]));
    expect(result.finishReason).toBe("tool-calls");
    expect(result.content).toEqual([
      {
        type: "tool-call",
        toolCallId: "call_x",
        toolName: "shop_online",
        input: JSON.stringify({ product: "XYZ phone", qty: 2 }),
      },
    ]);
  });

  it("calls the tool for the next item once the first is ordered", async () => {
    const prompt = [user("Buy 2 XYZ phones and a USB-C cable"), ...toolTurn("c1", ordered)];
    const result = await model.doGenerate(call(prompt));
    expect(result.content[0]).toMatchObject({
      type: "tool-call",
      input: JSON.stringify({ product: "USB-C cable", qty: 1 }),
    });
  });

  it("writes the final answer from the tool results", async () => {
    const result = await model.doGenerate(
      call([user("Buy 2 XYZ phones"), ...toolTurn("c1", ordered)]),
    );
    expect(result.finishReason).toBe("stop");
    expect(result.content).toEqual([
      { type: "text", text: "Ordered 2 x XYZ phone: order ord_7, total 1998.00 USD." },
    ]);
  });

  it("answers from the tool results of a chat that holds no message of the person's", async () => {
    const result = await model.doGenerate(call(toolTurn("c1", ordered)));
    expect(result.finishReason).toBe("stop");
    expect(result.content).toEqual([
      { type: "text", text: "Ordered 2 x XYZ phone: order ord_7, total 1998.00 USD." },
    ]);
  });

  it("does not go on after a failure and says what it left", async () => {
    const denied: PurchaseResult = { ...ordered, outcome: "DENIED", description: "denied" };
    const prompt = [user("Buy 2 XYZ phones and a USB-C cable"), ...toolTurn("c1", denied)];
    const result = await model.doGenerate(call(prompt));
    expect(result.finishReason).toBe("stop");
    expect(result.content[0]).toMatchObject({ type: "text" });
    expect(JSON.stringify(result.content)).toContain("1 x USB-C cable");
  });

  it("calls no tool when it is unsure, and asks one question", async () => {
    const result = await model.doGenerate(call([user("Buy phones")]));
    expect(result.finishReason).toBe("stop");
    expect(result.content).toEqual([
      {
        type: "text",
        text: 'Which do you mean by "phones": XYZ phone or XYZ phone case? I did not buy anything this time.',
      },
    ]);
  });

  it("names what it understood once, and says once that nothing was bought, when a word is unread", async () => {
    const result = await model.doGenerate(call([user("Buy an XYZ phone in blue")]));
    expect(result.content).toEqual([
      {
        type: "text",
        text: 'I understood: 1 x XYZ phone. I did not read "in blue", which may change what you want. If that is all, say just what to buy, for example "Buy 2 XYZ phones under $500". I did not buy anything this time.',
      },
    ]);
  });

  it("reads requests against the catalog it is given", async () => {
    const catalog = () => Promise.resolve([{ id: "gift-box", name: "Gift box" }]);
    const shop = createOfflineModel({ generateId: () => "call_g", catalog });
    const result = await shop.doGenerate(call([user("Buy 2 gift boxes")]));
    expect(result.content).toEqual([
      {
        type: "tool-call",
        toolCallId: "call_g",
        toolName: "shop_online",
        input: JSON.stringify({ product: "Gift box", qty: 2 }),
      },
    ]);
  });

  it("reads a request again when its words or the catalog changed since the last step", async () => {
    const catalogs = [
      [{ id: "gift-box", name: "Gift box" }],
      [{ id: "gift-bag", name: "Gift bag" }],
    ];
    let served = catalogs[0] ?? [];
    const shop = createOfflineModel({
      generateId: () => "call_g",
      catalog: () => Promise.resolve(served),
    });
    const first = await shop.doGenerate(call([user("Buy 2 gift boxes")]));
    expect(first.content[0]).toMatchObject({
      input: JSON.stringify({ product: "Gift box", qty: 2 }),
    });
    // The same words, another catalog: read against the new one.
    served = catalogs[1] ?? [];
    const again = await shop.doGenerate(call([user("Buy 2 gift boxes")]));
    expect(again.content[0]).toMatchObject({ type: "text" });
    expect(await shop.readItems("Buy 3 gift bags")).toEqual([{ product: "Gift bag", qty: 3 }]);
    // Another request after it, and the first once more, each read as written.
    expect(await shop.readItems("Buy 1 gift bag")).toEqual([{ product: "Gift bag", qty: 1 }]);
    expect(await shop.readItems("Buy 3 gift bags")).toEqual([{ product: "Gift bag", qty: 3 }]);
  });

  it("streams the same answer it generates", async () => {
    for (const prompt of [
      [user("Buy 2 XYZ phones")],
      [user("Buy 2 XYZ phones"), ...toolTurn("c1", ordered)],
    ]) {
      const generated = await model.doGenerate(call(prompt));
      const parts = await collect((await model.doStream(call(prompt))).stream);
      expect(parts[0]).toEqual({ type: "stream-start", warnings: [] });
      expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: generated.finishReason });
      const text = parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join("");
      const calls = parts.filter((p) => p.type === "tool-call");
      expect([...(text ? [{ type: "text", text }] : []), ...calls]).toEqual(generated.content);
    }
  });
});
