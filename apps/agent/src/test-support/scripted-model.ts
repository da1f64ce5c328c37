import type { LanguageModelV2, LanguageModelV2StreamPart } from "@ai-sdk/provider";

import { PURCHASE_TOOL_NAME } from "../purchase-tool.js";

const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };

/**
 * One answer of a scripted model: its tool calls (`input` sent as JSON, or as written when a
 * string) with the words it `said` before them, its text, or the stream parts themselves (a
 * refusal, reasoning with no text).
 */
export type ModelStep =
  | { calls: { id: string; input: unknown; tool?: string }[]; said?: string }
  | { text: string }
  | { parts: LanguageModelV2StreamPart[]; finishReason?: "stop" | "tool-calls" };

/** The purchase tool called once, with `input`. */
export const callOf = (input: unknown, id = "call_1"): ModelStep => ({ calls: [{ id, input }] });

/**
 * A model that answers its calls with `steps` in turn (an empty answer once they run out), as
 * an OpenAI-compatible server's stream reaches the AI SDK, and keeps the prompts it was given.
 */
export function scriptedModel(steps: ModelStep[]): LanguageModelV2 & { prompts: unknown[] } {
  const prompts: unknown[] = [];
  return {
    specificationVersion: "v2",
    provider: "test",
    modelId: "scripted",
    supportedUrls: {},
    prompts,
    doGenerate: () => Promise.reject(new Error("streams only")),
    doStream: (options) => {
      prompts.push(options.prompt);
      const parts = partsOf(steps[prompts.length - 1] ?? { parts: [] });
      return Promise.resolve({
        stream: new ReadableStream<LanguageModelV2StreamPart>({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.close();
          },
        }),
      });
    },
  };
}

function partsOf(step: ModelStep): LanguageModelV2StreamPart[] {
  const parts: LanguageModelV2StreamPart[] = [{ type: "stream-start", warnings: [] }];
  if ("calls" in step) {
    if (step.said !== undefined) {
      parts.push(
        { type: "text-start", id: "t" },
        { type: "text-delta", id: "t", delta: step.said },
        { type: "text-end", id: "t" },
      );
    }
    for (const call of step.calls) {
      parts.push({
        type: "tool-call",
        toolCallId: call.id,
        toolName: call.tool ?? PURCHASE_TOOL_NAME,
        input: typeof call.input === "string" ? call.input : JSON.stringify(call.input),
      });
    }
  } else if ("text" in step) {
    parts.push(
      { type: "text-start", id: "t" },
      { type: "text-delta", id: "t", delta: step.text },
      { type: "text-end", id: "t" },
    );
  } else {
    parts.push(...step.parts);
  }
  const finishReason =
    "calls" in step ? "tool-calls" : "parts" in step ? (step.finishReason ?? "stop") : "stop";
  parts.push({ type: "finish", finishReason, usage });
  return parts;
}
