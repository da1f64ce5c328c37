import { generateText, streamText, tool, type ModelMessage, type ToolSet } from "ai";
import { describe, expect, it } from "vitest";

import { withEarlierOrders, type EarlierOrder } from "./earlier-orders.js";
import { createOfflineModel } from "./offline-model.js";
import { PURCHASE_TOOL_NAME, purchaseToolDeclaration } from "./purchase-tool.js";
import type { Order, PurchaseResult } from "./purchase-result.js";

const offline = createOfflineModel({ generateId: () => "call_2" });
// The tool as the model is told of it; its calls are read, not run.
const tools: ToolSet = { [PURCHASE_TOOL_NAME]: tool(purchaseToolDeclaration) };

const cables = { product: "USB-C cable", qty: 2 };
const order = { id: "ord_1", total: 19.98, currency: "USD" } as unknown as Order;
const ordered: EarlierOrder = { toolCallId: "call_1", purchase: cables, order };
const result: PurchaseResult = {
  outcome: "ORDERED",
  description: "ordered",
  purchase: cables,
  order,
};

/** A chat whose first turn ordered 2 USB-C cables, then `turns` (the person's first). */
function afterOrder(...turns: string[]): ModelMessage[] {
  return [
    { role: "user", content: "buy 2 USB-C cables" },
    {
      role: "assistant",
      content: [
        { type: "tool-call", toolCallId: "call_1", toolName: PURCHASE_TOOL_NAME, input: cables },
      ],
    },
    {
      role: "tool",
      content: [
        {
          type: "tool-result",
          toolCallId: "call_1",
          toolName: PURCHASE_TOOL_NAME,
          output: { type: "json", value: JSON.parse(JSON.stringify(result)) as never },
        },
      ],
    },
    { role: "assistant", content: "Ordered 2 x USB-C cable: order ord_1, total 19.98 USD." },
    ...turns.map((text, index): ModelMessage =>
      index % 2 === 0 ? { role: "user", content: text } : { role: "assistant", content: text },
    ),
  ];
}

const STANDS =
  "Your earlier order ord_1 of 2 x USB-C cable stands; the agent cannot cancel orders.";
const AGAIN =
  "You already ordered 2 x USB-C cable in this chat (order ord_1). Buy another 2? I did not buy anything this time.";
const LAPTOP = `${STANDS} Do you want 1 x ABC laptop as well? I did not buy anything this time.`;

describe.each([
  [
    "generateText",
    async (messages: ModelMessage[], orders?: readonly EarlierOrder[]) => {
      const out = await generateText({
        model: withEarlierOrders(offline, orders ?? [ordered]),
        tools,
        messages,
      });
      return out.toolCalls[0]?.input ?? out.text;
    },
  ],
  [
    "streamText",
    async (messages: ModelMessage[], orders?: readonly EarlierOrder[]) => {
      const out = streamText({
        model: withEarlierOrders(offline, orders ?? [ordered]),
        tools,
        messages,
      });
      return (await out.toolCalls)[0]?.input ?? (await out.text);
    },
  ],
])("a chat that ordered before, through %s", (_, answer) => {
  it("says which earlier order stands when it answers in words", async () => {
    for (const reply of ["did it go through?", "wait, cancel that", "so what did I get?"]) {
      const text = await answer(afterOrder(reply));
      expect(text, reply).toMatch(/I did not buy anything this time\. Your earlier order ord_1/u);
      expect(text, reply).toMatch(new RegExp(`${STANDS.replace(/[.?()]/gu, "\\$&")}$`, "u"));
      expect(text, reply).not.toMatch(/Nothing was bought/u);
    }
  });

  it("asks before it buys the same purchase again, and buys it on a clear yes", async () => {
    expect(await answer(afterOrder("buy 2 USB-C cables"))).toBe(AGAIN);
    for (const yes of ["yes", "ok, do it", "Sure!"]) {
      expect(await answer(afterOrder("buy 2 USB-C cables", AGAIN, yes)), yes).toEqual(cables);
    }
    // Not a confirmation: read on its own, nothing bought.
    for (const reply of ["yes but maybe later", "no"]) {
      expect(await answer(afterOrder("buy 2 USB-C cables", AGAIN, reply)), reply).toMatch(
        /I did not buy anything this time\. Your earlier order ord_1/u,
      );
    }
    // Another count is another purchase.
    expect(await answer(afterOrder("buy 3 USB-C cables"))).toEqual({ ...cables, qty: 3 });
  });

  it("reports the confirmed purchase once it ran, with the earlier order beside it", async () => {
    const second = { ...result, order: { ...order, id: "ord_2" } as Order };
    const ran: ModelMessage[] = [
      ...afterOrder("buy 2 USB-C cables", AGAIN, "yes"),
      {
        role: "assistant",
        content: [
          { type: "tool-call", toolCallId: "call_2", toolName: PURCHASE_TOOL_NAME, input: cables },
        ],
      },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: "call_2",
            toolName: PURCHASE_TOOL_NAME,
            output: { type: "json", value: JSON.parse(JSON.stringify(second)) as never },
          },
        ],
      },
    ];
    const orders = [ordered, { ...ordered, toolCallId: "call_2", order: second.order }];
    expect(await answer(ran, orders)).toBe(
      `Ordered 2 x USB-C cable: order ord_2, total 19.98 USD. ${STANDS}`,
    );
  });

  it("says that the earlier order stands before it buys a replacement", async () => {
    expect(await answer(afterOrder("no, the ABC laptop instead"))).toBe(LAPTOP);
    expect(await answer(afterOrder("no, the ABC laptop instead", LAPTOP, "yes"))).toEqual({
      product: "ABC laptop",
      qty: 1,
    });
  });

  it("leaves a chat without orders as the model answers it", async () => {
    expect(await answer(afterOrder("buy 2 USB-C cables"), [])).toEqual(cables);
    expect(await answer([{ role: "user", content: "did it go through?" }], [])).toMatch(
      /I did not buy anything this time\.$/u,
    );
  });
});
