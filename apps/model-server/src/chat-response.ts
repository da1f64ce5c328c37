import { textsOf } from "./conversation.js";
import type { Conversation, Reply } from "./conversation.js";
import type { SseEvent } from "./sse.js";
import { wordPieces } from "./sse.js";
import { estimateTokens } from "./usage.js";

/** What every completion and chunk of one answer shares. */
export interface CompletionIdentity {
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

function finishReason(reply: Reply): "tool_calls" | "stop" {
  return reply.toolCalls.length > 0 ? "tool_calls" : "stop";
}

export function chatUsage(conversation: Conversation, reply: Reply): ChatUsage {
  const prompt = estimateTokens(...textsOf(conversation.turns));
  const completion = estimateTokens(reply.text, ...reply.toolCalls.map((c) => c.arguments));
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

/** A `chat.completion` object (OpenAI's Chat Completions response). */
export function chatCompletion(identity: CompletionIdentity, reply: Reply, usage: ChatUsage) {
  return {
    id: identity.id,
    object: "chat.completion",
    created: identity.created,
    model: identity.model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: reply.text === "" ? null : reply.text,
          refusal: null,
          annotations: [],
          ...(reply.toolCalls.length > 0
            ? {
                tool_calls: reply.toolCalls.map((call) => ({
                  id: call.id,
                  type: "function",
                  function: { name: call.name, arguments: call.arguments },
                })),
              }
            : {}),
        },
        logprobs: null,
        finish_reason: finishReason(reply),
      },
    ],
    usage,
  };
}

/**
 * The `chat.completion.chunk` events of a streamed answer: the role, the text word by word,
 * each tool call (its id and name, then its arguments), the finish reason, and the usage
 * when `stream_options.include_usage` asks for it.
 */
export function chatCompletionChunks(
  identity: CompletionIdentity,
  reply: Reply,
  usage: ChatUsage | undefined,
): SseEvent[] {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): SseEvent => ({
    data: {
      id: identity.id,
      object: "chat.completion.chunk",
      created: identity.created,
      model: identity.model,
      system_fingerprint: null,
      choices,
      // With include_usage, every chunk carries `usage`: null until the last one.
      ...(usage === undefined ? {} : { usage: null }),
      ...extra,
    },
  });
  const delta = (value: Record<string, unknown>, finish: string | null = null) => ({
    index: 0,
    delta: value,
    logprobs: null,
    finish_reason: finish,
  });

  const events = [
    chunk([delta({ role: "assistant", content: reply.text === "" ? null : "", refusal: null })]),
  ];
  for (const piece of wordPieces(reply.text)) events.push(chunk([delta({ content: piece })]));
  reply.toolCalls.forEach((call, index) => {
    events.push(
      chunk([
        delta({
          tool_calls: [
            { index, id: call.id, type: "function", function: { name: call.name, arguments: "" } },
          ],
        }),
      ]),
      chunk([delta({ tool_calls: [{ index, function: { arguments: call.arguments } }] })]),
    );
  });
  events.push(chunk([delta({}, finishReason(reply))]));
  if (usage !== undefined) events.push(chunk([], { usage }));
  return events;
}
