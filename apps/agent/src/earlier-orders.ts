import type {
  LanguageModelV2,
  LanguageModelV2CallOptions,
  LanguageModelV2Content,
  LanguageModelV2Prompt,
  LanguageModelV2StreamPart,
} from "@ai-sdk/provider";

import type { PurchaseRequest } from "@ciba-testbed/shared";
import type { LanguageModel } from "ai";

import { listed } from "./listed.js";
import { NOTHING_THIS_TIME } from "./follow-up.js";
import { PURCHASE_TOOL_NAME } from "./purchase-tool.js";
import { describeResult, isPurchaseResult, type Order } from "./purchase-result.js";

/** An order a conversation placed, as its record keeps it: the call, what it bought, the order. */
export interface EarlierOrder {
  toolCallId: string;
  purchase: PurchaseRequest;
  order?: Order | undefined;
}

/**
 * The model of a conversation that has ordered before this turn, which the shop knows and the
 * agent cannot undo:
 * - an answer in words says which earlier orders stand ("Your earlier order ord_1 of 2 x XYZ
 *   phone stands; the agent cannot cancel orders."), so no "I did not buy anything this time"
 *   reads as if they were gone;
 * - a purchase of the same product and count as an earlier order ("buy 2 USB-C cables" sent
 *   again) is asked about before it is asked for: "You already ordered ... Buy another 2?";
 * - a purchase asked for as a replacement ("no, the ABC laptop instead") is asked about too,
 *   saying that the earlier order stands: bought as asked, it would read as a swap;
 * and a short yes to either question ("yes", "ok do it") has the model read the request it
 * asked about again, whose purchase then goes on to the person's approval as any other. The
 * words it adds are taken out of the chat before the model reads it, so the model reads its
 * own answers as it wrote them. `orders` empty: the model as it is.
 */
export function withEarlierOrders(
  model: LanguageModel,
  orders: readonly EarlierOrder[],
): LanguageModel {
  // A model named by a string is resolved by the AI SDK's provider registry: left as it is.
  if (orders.length === 0 || typeof model === "string") return model;
  const answer = async (options: LanguageModelV2CallOptions) => {
    const prompt = withoutStanding(options.prompt);
    const generate = async (messages: LanguageModelV2Prompt) =>
      model.doGenerate({ ...options, prompt: messages });
    const last = lastUserIndex(prompt);
    const calledSince = new Set(
      prompt
        .slice(last + 1)
        .flatMap((message) => (message.role === "tool" ? message.content : []))
        .map((part) => part.toolCallId),
    );
    // An order of this turn's own calls is not an earlier one.
    const earlier = orders.filter((order) => !calledSince.has(order.toolCallId));
    if (earlier.length === 0) return generate(prompt);

    const confirmed = confirmedQuestion(prompt, last);
    const read = confirmed === undefined ? prompt : without(prompt, last - 1, last);
    const firstStep = calledSince.size === 0;
    const result = await generate(read);
    const call = result.content.find(
      (part) => part.type === "tool-call" && part.toolName === PURCHASE_TOOL_NAME,
    );
    const purchase = call?.type === "tool-call" ? purchaseOf(call.input) : undefined;
    const said = (text: string): LanguageModelV2Content[] => [{ type: "text", text }];
    if (call !== undefined && purchase !== undefined) {
      const question = firstStep
        ? guardQuestion(purchase, userText(read[lastUserIndex(read)]), earlier)
        : undefined;
      if (question === undefined && firstStep) {
        // A yes to a question that this request no longer raises: read as said, on its own.
        return confirmed === undefined ? result : answerAlone(generate, prompt, earlier);
      }
      if (question === undefined) {
        // A later item of the turn that repeats an earlier order ends the turn without it.
        const repeated = firstStep ? undefined : sameAs(purchase, earlier);
        if (repeated === undefined) return result;
        const done = resultsSince(read).map(describeResult).join(" ");
        return {
          ...result,
          finishReason: "stop" as const,
          content: said(
            `${done} You already ordered ${what(repeated.purchase)} in this chat (${orderName(repeated)}): I did not order it again; ask for it on its own if you want more.`.trim(),
          ),
        };
      }
      if (confirmed === question) return result;
      return { ...result, finishReason: "stop" as const, content: said(question) };
    }
    return { ...result, content: withStanding(result.content, earlier) };
  };

  return {
    ...model,
    doGenerate: answer,
    doStream: async (options) => {
      const { content, finishReason, usage } = await answer(options);
      return { stream: streamOf(content, finishReason, usage) };
    },
  };
}

/** The answer to `prompt` read as written (a "yes" on its own), with the orders that stand. */
async function answerAlone(
  generate: (prompt: LanguageModelV2Prompt) => ReturnType<LanguageModelV2["doGenerate"]>,
  prompt: LanguageModelV2Prompt,
  earlier: readonly EarlierOrder[],
) {
  const result = await generate(prompt);
  if (result.content.some((part) => part.type === "tool-call")) {
    return {
      ...result,
      finishReason: "stop" as const,
      content: [{ type: "text" as const, text: `${standing(earlier)} ${NOTHING_THIS_TIME}` }],
    };
  }
  return { ...result, content: withStanding(result.content, earlier) };
}

/** Which earlier orders stand, one sentence. */
export function standing(orders: readonly EarlierOrder[]): string {
  const named = orders.map((order) => `${orderName(order)} of ${what(order.purchase)}`);
  const list = listed(named);
  return named.length === 1
    ? `Your earlier ${list} stands; the agent cannot cancel orders.`
    : `Your earlier orders ${list} stand; the agent cannot cancel orders.`;
}

/** The sentence `standing` writes, at the end of an answer. */
const STANDING = / Your earlier orders? .+ stands?; the agent cannot cancel orders\.$/u;

/** The questions this wrapper asks, which a short yes confirms. */
const OWN_QUESTION =
  /^(?:You already ordered .+ in this chat \(.+\)\. Buy another \d+\?|Your earlier orders? .+ stands?; the agent cannot cancel orders\. Do you want .+ as well\?) I did not buy anything this time\.$/u;

/** Replies that confirm the question just asked, and nothing else (no doubt, no take-back). */
const CONFIRMATIONS = new Set([
  "y",
  "yes",
  "yeah",
  "yep",
  "yup",
  "sure",
  "ok",
  "okay",
  "yes please",
  "please do",
  "do it",
  "ok do it",
  "yes do it",
  "go ahead",
  "yes go ahead",
  "buy it",
  "buy them",
  "yes buy it",
  "yes buy them",
  "buy another",
  "yes buy another",
  "confirm",
  "confirmed",
]);

/** Words that make a purchase a replacement of something asked for before. */
const REPLACEMENT = /\b(?:instead|rather)\b/iu;

function guardQuestion(
  purchase: PurchaseRequest,
  request: string,
  earlier: readonly EarlierOrder[],
): string | undefined {
  const repeated = sameAs(purchase, earlier);
  if (repeated !== undefined) {
    return `You already ordered ${what(repeated.purchase)} in this chat (${orderName(repeated)}). Buy another ${String(purchase.qty)}? ${NOTHING_THIS_TIME}`;
  }
  if (REPLACEMENT.test(request)) {
    return `${standing(earlier)} Do you want ${what(purchase)} as well? ${NOTHING_THIS_TIME}`;
  }
  return undefined;
}

function sameAs(purchase: PurchaseRequest, earlier: readonly EarlierOrder[]) {
  return earlier.find(
    (order) => order.purchase.product === purchase.product && order.purchase.qty === purchase.qty,
  );
}

function what(purchase: PurchaseRequest): string {
  return `${String(purchase.qty)} x ${purchase.product}`;
}

function orderName(order: EarlierOrder): string {
  // The shop's answer is not checked against its schema: its id may be missing.
  const id: unknown = (order.order as Partial<Order> | undefined)?.id;
  return typeof id === "string" || typeof id === "number" ? `order ${String(id)}` : "order";
}

/**
 * The question the last user message (at `last`) confirms: the text of the answer just before
 * it, when that is one of this wrapper's questions and follows a request of the person.
 */
function confirmedQuestion(prompt: LanguageModelV2Prompt, last: number): string | undefined {
  const [request, question, reply] = [prompt[last - 2], prompt[last - 1], prompt[last]];
  if (request?.role !== "user" || question?.role !== "assistant") return undefined;
  const texts = question.content.map((part) => (part.type === "text" ? part.text : undefined));
  if (texts.includes(undefined)) return undefined;
  const text = texts.join("").trim();
  if (!OWN_QUESTION.test(text)) return undefined;
  const words = userText(reply)
    .toLowerCase()
    .replace(/[^a-z ]+/gu, " ")
    .replace(/\s+/gu, " ")
    .trim();
  return CONFIRMATIONS.has(words) ? text : undefined;
}

function withStanding(
  content: LanguageModelV2Content[],
  earlier: readonly EarlierOrder[],
): LanguageModelV2Content[] {
  const index = content.findLastIndex((part) => part.type === "text");
  const text = content[index];
  if (text?.type !== "text") return content;
  return content.with(index, { ...text, text: `${text.text.trimEnd()} ${standing(earlier)}` });
}

/** The prompt with the sentence `standing` added taken out of the assistant's words. */
function withoutStanding(prompt: LanguageModelV2Prompt): LanguageModelV2Prompt {
  return prompt.map((message) =>
    message.role === "assistant"
      ? {
          ...message,
          content: message.content.map((part) =>
            part.type === "text" ? { ...part, text: part.text.replace(STANDING, "") } : part,
          ),
        }
      : message,
  );
}

function without(prompt: LanguageModelV2Prompt, ...indexes: number[]): LanguageModelV2Prompt {
  return prompt.filter((_, index) => !indexes.includes(index));
}

/** Where the person's last message is: the turn's start. */
const lastUserIndex = (prompt: LanguageModelV2Prompt) =>
  prompt.findLastIndex(({ role }) => role === "user");

/** What a message of the person says, its text parts joined; "" for any other message. */
function userText(message: LanguageModelV2Prompt[number] | undefined): string {
  const texts =
    message?.role === "user"
      ? message.content.flatMap((part) => (part.type === "text" ? [part.text] : []))
      : [];
  return texts.join(" ").trim();
}

function resultsSince(prompt: LanguageModelV2Prompt) {
  return prompt
    .slice(lastUserIndex(prompt) + 1)
    .flatMap((message) => (message.role === "tool" ? message.content : []))
    .flatMap((part) => {
      const value = part.output.type === "json" ? part.output.value : undefined;
      return isPurchaseResult(value) ? [value] : [];
    });
}

function purchaseOf(input: string): PurchaseRequest | undefined {
  try {
    const value = JSON.parse(input) as Partial<PurchaseRequest> | null;
    return typeof value?.product === "string" && typeof value.qty === "number"
      ? (value as PurchaseRequest)
      : undefined;
  } catch {
    return undefined;
  }
}

function streamOf(
  content: LanguageModelV2Content[],
  finishReason: Awaited<ReturnType<LanguageModelV2["doGenerate"]>>["finishReason"],
  usage: Awaited<ReturnType<LanguageModelV2["doGenerate"]>>["usage"],
): ReadableStream<LanguageModelV2StreamPart> {
  const parts: LanguageModelV2StreamPart[] = [{ type: "stream-start", warnings: [] }];
  content.forEach((part, index) => {
    if (part.type === "text") {
      const id = `text-${String(index)}`;
      parts.push(
        { type: "text-start", id },
        { type: "text-delta", id, delta: part.text },
        { type: "text-end", id },
      );
    } else if (part.type === "tool-call") {
      parts.push(
        { type: "tool-input-start", id: part.toolCallId, toolName: part.toolName },
        { type: "tool-input-delta", id: part.toolCallId, delta: part.input },
        { type: "tool-input-end", id: part.toolCallId },
        part,
      );
    }
  });
  parts.push({ type: "finish", finishReason, usage });
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}
