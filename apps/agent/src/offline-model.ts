import { randomUUID } from "node:crypto";

import type {
  LanguageModelV2,
  LanguageModelV2CallOptions,
  LanguageModelV2Content,
  LanguageModelV2FinishReason,
  LanguageModelV2Prompt,
  LanguageModelV2StreamPart,
  LanguageModelV2Usage,
} from "@ai-sdk/provider";

import type { PurchaseRequest } from "@ciba-testbed/shared";

import type { CatalogProduct } from "./catalog-match.js";
import { builtInCatalog, type CatalogSource } from "./catalog-source.js";
import { isTerminalFailure } from "./outcome.js";
import { askingAnswer, readReply, type Exchange, type Reading } from "./follow-up.js";
import { describeResult, isPurchaseResult, type PurchaseResult } from "./purchase-result.js";

export const OFFLINE_MODEL_ID = "offline-shopper";

const NO_USAGE: LanguageModelV2Usage = {
  inputTokens: undefined,
  outputTokens: undefined,
  totalTokens: undefined,
};

interface Reply {
  content: LanguageModelV2Content[];
  finishReason: LanguageModelV2FinishReason;
}

/** The offline model, which can also say how it reads a request without being asked to answer. */
export type OfflineModel = LanguageModelV2 & {
  /**
   * The purchases it reads `request` as, in the order it asks for them (one tool call each);
   * undefined when it would ask a question instead.
   */
  readItems(request: string, earlier?: readonly Exchange[]): Promise<PurchaseRequest[] | undefined>;
};

/**
 * A deterministic model that needs no key. It reads the last user message as a purchase
 * request against the shop's catalog (`catalog`; by default the shop's default catalog), or as
 * the answer to its own question just before it (follow-up.ts), asks one question when it is
 * unsure, calls the purchase tool once per item, one item per step so
 * each gets its own consent, and writes the final answer from the tool results.
 */
export function createOfflineModel(
  options: { generateId?: () => string; catalog?: CatalogSource } = {},
): OfflineModel {
  const generateId = options.generateId ?? (() => `call_${randomUUID()}`);
  const catalog = options.catalog ?? builtInCatalog;
  // Each step of a turn reads the same words (the purchase's call, then the next item's or the
  // answer): the last reading is kept, for the same words against the same catalog.
  let last: { key: string; products: readonly CatalogProduct[]; reading: Reading } | undefined;
  const read = (
    request: string,
    earlier: readonly Exchange[],
    products: readonly CatalogProduct[],
  ): Reading => {
    const key = JSON.stringify([request, earlier]);
    if (last?.key === key && last.products === products) return last.reading;
    const reading = readReply(request, earlier, products);
    last = { key, products, reading };
    return reading;
  };

  const reply = async (call: LanguageModelV2CallOptions): Promise<Reply> => {
    const text = (answer: string): Reply => ({
      content: [{ type: "text", text: answer }],
      finishReason: "stop",
    });
    // A chat that holds a purchase's call and result but not the person's words (the chat page
    // keeps no more across a logout): the answer is what became of the purchases.
    const results = toolResultsSince(call.prompt);
    if (lastUserIndex(call.prompt) === -1 && results.length > 0) {
      return text(results.map(describeResult).join(" "));
    }
    const toolName = call.tools?.find((tool) => tool.type === "function")?.name;
    const { parsed } = read(
      userText(call.prompt[lastUserIndex(call.prompt)]),
      exchangesBefore(call.prompt),
      await catalog(),
    );

    if (parsed.kind === "unclear") return text(askingAnswer(parsed));

    const failed = results.find((result) => isTerminalFailure(result.outcome));
    const next = parsed.items[results.length];
    if (failed === undefined && next !== undefined && toolName !== undefined) {
      return {
        content: [
          { type: "tool-call", toolCallId: generateId(), toolName, input: JSON.stringify(next) },
        ],
        finishReason: "tool-calls",
      };
    }
    if (results.length === 0) {
      return text("I can buy things only through the shop tool, which is not available now.");
    }
    const skipped = parsed.items.slice(results.length);
    const notBought =
      failed !== undefined && skipped.length > 0
        ? ` I did not try the rest (${skipped.map((item) => `${item.qty} x ${item.product}`).join(", ")}).`
        : "";
    return text(`${results.map(describeResult).join(" ")}${notBought}`);
  };

  return {
    readItems: async (request, earlier = []) => {
      const { parsed } = read(request, earlier, await catalog());
      return parsed.kind === "purchases" ? parsed.items : undefined;
    },
    specificationVersion: "v2",
    provider: "ciba-testbed",
    modelId: OFFLINE_MODEL_ID,
    supportedUrls: {},
    doGenerate: async (call) => {
      const { content, finishReason } = await reply(call);
      return { content, finishReason, usage: NO_USAGE, warnings: [] };
    },
    doStream: async (call) => {
      const { content, finishReason } = await reply(call);
      const parts: LanguageModelV2StreamPart[] = [{ type: "stream-start", warnings: [] }];
      content.forEach((part, index) => {
        if (part.type === "text") {
          const id = `text-${index}`;
          parts.push({ type: "text-start", id });
          // Word by word, so a terminal shows the answer arriving like any other model's.
          for (const delta of part.text.match(/\S+\s*/g) ?? []) {
            parts.push({ type: "text-delta", id, delta });
          }
          parts.push({ type: "text-end", id });
        } else if (part.type === "tool-call") {
          parts.push({ type: "tool-input-start", id: part.toolCallId, toolName: part.toolName });
          parts.push({ type: "tool-input-delta", id: part.toolCallId, delta: part.input });
          parts.push({ type: "tool-input-end", id: part.toolCallId });
          parts.push(part);
        }
      });
      parts.push({ type: "finish", finishReason, usage: NO_USAGE });
      const stream = new ReadableStream<LanguageModelV2StreamPart>({
        start(controller) {
          for (const part of parts) controller.enqueue(part);
          controller.close();
        },
      });
      return { stream };
    },
  };
}

function lastUserIndex(prompt: LanguageModelV2Prompt): number {
  return prompt.findLastIndex((message) => message.role === "user");
}

function userText(message: LanguageModelV2Prompt[number] | undefined): string {
  if (message?.role !== "user") return "";
  return message.content
    .map((part) => (part.type === "text" ? part.text : ""))
    .join(" ")
    .trim();
}

/**
 * The turns before the last user message, oldest first, as far back as each is a user message
 * answered by text alone: a turn that bought something (tool calls) ends what a reply can answer.
 */
function exchangesBefore(prompt: LanguageModelV2Prompt): Exchange[] {
  const exchanges: Exchange[] = [];
  for (let at = lastUserIndex(prompt); at >= 2; at -= 2) {
    const [request, answer] = [prompt[at - 2], prompt[at - 1]];
    if (request?.role !== "user" || answer?.role !== "assistant") break;
    const texts = answer.content.map((part) => (part.type === "text" ? part.text : undefined));
    if (texts.includes(undefined)) break;
    exchanges.unshift({ request: userText(request), answer: texts.join("").trim() });
  }
  return exchanges;
}

function toolResultsSince(prompt: LanguageModelV2Prompt): PurchaseResult[] {
  const results: PurchaseResult[] = [];
  for (const message of prompt.slice(lastUserIndex(prompt) + 1)) {
    if (message.role !== "tool") continue;
    for (const part of message.content) {
      const value = part.output.type === "json" ? part.output.value : undefined;
      if (isPurchaseResult(value)) results.push(value);
    }
  }
  return results;
}
