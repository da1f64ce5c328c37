import { textsOf } from "./conversation.js";
import type { Conversation, Reply, Turn } from "./conversation.js";
import type { ResponsesRequest } from "./responses-request.js";
import type { SseEvent } from "./sse.js";
import { wordPieces } from "./sse.js";
import { estimateTokens } from "./usage.js";

export interface ResponseIdentity {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  model: string;
  /** The id of each output item: the message's (when there is text), then each call's. */
  itemIds: { message: string; calls: string[] };
}

interface OutputText {
  type: "output_text";
  text: string;
  annotations: never[];
  logprobs: never[];
}

type OutputItem =
  | {
      id: string;
      type: "message";
      status: "completed";
      role: "assistant";
      content: OutputText[];
    }
  | {
      id: string;
      type: "function_call";
      status: "completed";
      call_id: string;
      name: string;
      arguments: string;
    };

/** The reply as Responses output items: a message when there is text, then one item per call. */
export function outputItems(identity: ResponseIdentity, reply: Reply): OutputItem[] {
  const items: OutputItem[] = [];
  if (reply.text !== "") {
    items.push({
      id: identity.itemIds.message,
      type: "message",
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: reply.text, annotations: [], logprobs: [] }],
    });
  }
  reply.toolCalls.forEach((call, index) => {
    items.push({
      id: identity.itemIds.calls[index] ?? `fc_${call.id}`,
      type: "function_call",
      status: "completed",
      call_id: call.id,
      name: call.name,
      arguments: call.arguments,
    });
  });
  return items;
}

/** Each output item as the turn it adds to the conversation, for the response store. */
export function outputTurns(items: readonly OutputItem[]): [string, Turn][] {
  return items.map((item) =>
    item.type === "message"
      ? [item.id, { role: "assistant", text: item.content[0]?.text ?? "", toolCalls: [] }]
      : [
          item.id,
          {
            role: "assistant",
            text: "",
            toolCalls: [{ id: item.call_id, name: item.name, arguments: item.arguments }],
          },
        ],
  );
}

/** A `response` object (OpenAI's Responses API), echoing the request's settings as OpenAI does. */
export function responseObject(
  identity: ResponseIdentity,
  request: ResponsesRequest,
  conversation: Conversation,
  output: OutputItem[] | undefined,
) {
  const done = output !== undefined;
  const produced = output ?? [];
  const input = estimateTokens(...textsOf(conversation.turns));
  const generated = estimateTokens(
    ...produced.map((item) =>
      item.type === "message" ? (item.content[0]?.text ?? "") : item.arguments,
    ),
  );
  return {
    id: identity.id,
    object: "response",
    created_at: identity.createdAt,
    status: done ? "completed" : "in_progress",
    background: false,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: numberOr(request.max_output_tokens, null),
    model: identity.model,
    output: produced,
    parallel_tool_calls:
      typeof request.parallel_tool_calls === "boolean" ? request.parallel_tool_calls : true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: request.store ?? true,
    temperature: numberOr(request.temperature, 1),
    text: { format: { type: "text" } },
    tool_choice: request.tool_choice ?? "auto",
    tools: request.tools ?? [],
    top_p: numberOr(request.top_p, 1),
    truncation: "disabled",
    usage: done
      ? {
          input_tokens: input,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: generated,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: input + generated,
        }
      : null,
    user: null,
    metadata: request.metadata ?? {},
  };
}

/**
 * The events of a streamed response, in OpenAI's order: created, in progress, then for each
 * item added / its content or arguments / done, then completed. Each carries its
 * `sequence_number`.
 */
export function responseEvents(
  identity: ResponseIdentity,
  request: ResponsesRequest,
  conversation: Conversation,
  output: OutputItem[],
): SseEvent[] {
  const events: SseEvent[] = [];
  const emit = (type: string, fields: Record<string, unknown>) => {
    events.push({ event: type, data: { type, sequence_number: events.length, ...fields } });
  };
  const pending = responseObject(identity, request, conversation, undefined);
  emit("response.created", { response: pending });
  emit("response.in_progress", { response: pending });
  output.forEach((item, outputIndex) => {
    const at = { item_id: item.id, output_index: outputIndex };
    if (item.type === "message") {
      const part = item.content[0] ?? {
        type: "output_text",
        text: "",
        annotations: [],
        logprobs: [],
      };
      emit("response.output_item.added", {
        output_index: outputIndex,
        item: { ...item, status: "in_progress", content: [] },
      });
      emit("response.content_part.added", { ...at, content_index: 0, part: { ...part, text: "" } });
      for (const delta of wordPieces(part.text)) {
        emit("response.output_text.delta", { ...at, content_index: 0, delta, logprobs: [] });
      }
      emit("response.output_text.done", { ...at, content_index: 0, text: part.text, logprobs: [] });
      emit("response.content_part.done", { ...at, content_index: 0, part });
    } else {
      emit("response.output_item.added", {
        output_index: outputIndex,
        item: { ...item, status: "in_progress", arguments: "" },
      });
      emit("response.function_call_arguments.delta", { ...at, delta: item.arguments });
      emit("response.function_call_arguments.done", {
        ...at,
        name: item.name,
        arguments: item.arguments,
      });
    }
    emit("response.output_item.done", { output_index: outputIndex, item });
  });
  emit("response.completed", { response: responseObject(identity, request, conversation, output) });
  return events;
}

function numberOr<T>(value: unknown, fallback: T): number | T {
  return typeof value === "number" ? value : fallback;
}
