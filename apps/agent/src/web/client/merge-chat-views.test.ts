import type { UIMessage } from "ai";
import { describe, expect, it } from "vitest";

import { mergeChatViews, standInPurchaseId, standInReplyId } from "./merge-chat-views.js";

const said = (id: string, text: string, role: UIMessage["role"] = "user"): UIMessage => ({
  id,
  role,
  parts: [{ type: "text", text }],
});

const asked = (id: string, toolCallId: string, ...after: string[]): UIMessage => ({
  id,
  role: "assistant",
  parts: [
    {
      type: "tool-shop_online",
      toolCallId,
      state: "input-available",
      input: { product: "XYZ phone", qty: 1 },
    },
    ...after.map((text) => ({ type: "text" as const, text })),
  ],
});

const ids = (messages: UIMessage[]) => messages.map((message) => message.id);

describe("two pages' views of one chat, merged", () => {
  it("takes the other page's turns after the ones both have, each message as far on as either has it", () => {
    const ours = [said("u1", "hi"), asked("a1", "call_1")];
    const theirs = [said("u1", "hi"), asked("a1", "call_1", "Ordered"), said("u2", "Buy 2")];
    const merged = mergeChatViews(ours, theirs);
    expect(ids(merged)).toEqual(["u1", "a1", "u2"]);
    expect(merged[1]?.parts).toHaveLength(2);
    expect(mergeChatViews(merged, ours)[1]?.parts).toHaveLength(2);
  });

  it("loses no turn of either page: its own goes right after the message it follows", () => {
    const ours = [
      said("u1", "hi"),
      said("o1", "What do you sell?"),
      said("o2", "Phones", "assistant"),
    ];
    const theirs = [said("u1", "hi"), said("t1", "Buy 2"), asked("t2", "call_2")];
    expect(ids(mergeChatViews(ours, theirs))).toEqual(["u1", "o1", "o2", "t1", "t2"]);
  });

  it("drops a page's stand-in for a purchase once either page has the message that asked for it", () => {
    const standIn = asked(standInPurchaseId("call_3"), "call_3");
    const reply = said(standInReplyId("call_3"), "Ordered", "assistant");
    const real = [said("u3", "Buy 3"), asked("a3", "call_3", "Ordered")];
    expect(
      ids(mergeChatViews([said("u1", "hi"), standIn, reply], [said("u1", "hi"), ...real])),
    ).toEqual(["u1", "u3", "a3"]);
    expect(ids(mergeChatViews([said("u1", "hi"), ...real], [said("u1", "hi"), standIn]))).toEqual([
      "u1",
      "u3",
      "a3",
    ]);
  });

  it("keeps the stand-in for the agent's answer while the message that asked holds no answer after its call", () => {
    // Two pages that followed a block-mode chat, each with the call as it was kept while the
    // purchase waited, and each with the answer the app told it: the answer stays, once.
    const kept = [said("u3", "Buy 3"), asked("a3", "call_3")];
    const reply = said(standInReplyId("call_3"), "Ordered", "assistant");
    const merged = mergeChatViews([...kept, reply], [...kept, reply]);
    expect(ids(merged)).toEqual(["u3", "a3", standInReplyId("call_3")]);
    expect(ids(mergeChatViews([...kept, reply], kept))).toEqual([
      "u3",
      "a3",
      standInReplyId("call_3"),
    ]);
  });

  it("puts the message of the purchase a page waits for last, where the page resumes it", () => {
    const ours = [said("u1", "hi"), asked("a1", "call_1")];
    const theirs = [said("u1", "hi"), said("t1", "Buy 2")];
    expect(ids(mergeChatViews(ours, theirs, "call_1"))).toEqual(["u1", "t1", "a1"]);
  });

  it("keeps a page's own view when the other's adds nothing", () => {
    const first = said("u1", "hi");
    const ours = [first, said("o1", "more")];
    expect(mergeChatViews(ours, [first])).toBe(ours);
  });
});
