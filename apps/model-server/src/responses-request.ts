import { z } from "zod";

import { formatBytes } from "./bounded-map.js";
import { joinText, responseFormatOf } from "./conversation.js";
import type { Conversation, FunctionTool, ToolChoice, Turn } from "./conversation.js";
import { errors } from "./errors.js";
import { MAX_CONTENT_PARTS, MAX_INPUT_ITEMS, MAX_TOOLS } from "./limits.js";
import { boundedArray, parseAt, parseBody } from "./request-schema.js";
import type { ResponseStore, StoredConversation, StoredItem } from "./response-store.js";
import { responsesSamplingShape } from "./sampling.js";

/** Input and output text parts, images and files: only the text is read. */
const partsSchema = boundedArray(
  z.object({ type: z.string(), text: z.string().optional() }).passthrough(),
  MAX_CONTENT_PARTS,
);
const contentSchema = z.union([z.string(), partsSchema]);

const messageItemSchema = z
  .object({
    type: z.literal("message").optional(),
    role: z.enum(["user", "system", "developer", "assistant"]),
    content: contentSchema,
  })
  .passthrough();

const functionCallItemSchema = z
  .object({
    type: z.literal("function_call"),
    call_id: z.string().min(1),
    name: z.string().min(1),
    arguments: z.string(),
  })
  .passthrough();

const functionCallOutputItemSchema = z
  .object({
    type: z.literal("function_call_output"),
    call_id: z.string().min(1),
    output: contentSchema,
  })
  .passthrough();

const itemReferenceSchema = z
  .object({ type: z.literal("item_reference"), id: z.string().min(1) })
  .passthrough();

const toolSchema = z
  .object({
    type: z.string(),
    name: z.string().min(1).optional(),
    description: z.string().nullish(),
    parameters: z.unknown().optional(),
  })
  .passthrough()
  .refine((tool) => tool.type !== "function" || tool.name !== undefined, {
    message: "a function tool needs a name",
    path: ["name"],
  });

const toolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.object({ type: z.literal("function"), name: z.string() }).passthrough(),
  z.object({ type: z.string() }).passthrough(),
]);

export const responsesRequestSchema = z
  .object({
    model: z.string().min(1, "must not be empty"),
    input: z.union([z.string(), boundedArray(z.record(z.unknown()), MAX_INPUT_ITEMS)]),
    instructions: z.string().nullish(),
    previous_response_id: z.string().nullish(),
    tools: boundedArray(toolSchema, MAX_TOOLS).nullish(),
    tool_choice: toolChoiceSchema.nullish(),
    text: z
      .object({ format: z.object({ type: z.string() }).passthrough().nullish() })
      .passthrough()
      .nullish(),
    stream: z.boolean().nullish(),
    store: z.boolean().nullish(),
    ...responsesSamplingShape,
  })
  .passthrough();

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

export interface ReadResponsesRequest {
  request: ResponsesRequest;
  conversation: Conversation;
  /** The conversation without `instructions`: what a later `previous_response_id` continues. */
  history: Turn[];
  /**
   * The size of the part of `history` the request's body does not hold: the stored
   * conversation it continues and the items it references, as the store measured them.
   */
  storedBytes: number;
}

/** Reads a Responses request (OpenAI's `POST /v1/responses` body). */
export function readResponsesRequest(body: unknown, store: ResponseStore): ReadResponsesRequest {
  const request = parseBody(responsesRequestSchema, body);
  const previous = previousConversation(request.previous_response_id, store);
  const referenced: StoredItem[] = [];
  const input =
    typeof request.input === "string"
      ? [{ role: "user" as const, text: request.input }]
      : request.input.flatMap((item, index) => turnsOf(item, index, store, referenced));
  const history = [...previous.turns, ...input];
  const instructions = request.instructions?.trim() ?? "";
  return {
    request,
    history,
    storedBytes: referenced.reduce((sum, item) => sum + item.bytes, previous.bytes),
    conversation: {
      model: request.model,
      tools: (request.tools ?? []).flatMap((tool): FunctionTool[] =>
        tool.type === "function" && tool.name !== undefined
          ? [
              {
                name: tool.name,
                description: tool.description ?? undefined,
                parameters: tool.parameters,
              },
            ]
          : [],
      ),
      toolChoice: toolChoiceOf(request.tool_choice),
      responseFormat: responseFormatOf(request.text?.format?.type),
      turns: instructions === "" ? history : [{ role: "system", text: instructions }, ...history],
    },
  };
}

/** What the store keeps, for the messages of ids it does not know. */
function kept(store: ResponseStore): string {
  const { entries, bytes } = store.budget;
  return (
    `in memory only, for its lifetime (the newest ${String(entries)} of them, ` +
    `${formatBytes(bytes)} at most), and not those sent with store: false`
  );
}

function previousConversation(
  id: string | null | undefined,
  store: ResponseStore,
): StoredConversation {
  if (id === undefined || id === null) return { turns: [], bytes: 0 };
  const stored = store.conversation(id);
  if (stored === undefined) {
    throw errors.unknownPreviousResponse(
      `Previous response with id '${id}' not found: this server keeps responses ${kept(store)}; ` +
        "send the whole conversation as input instead",
      "previous_response_id",
    );
  }
  return stored;
}

function turnsOf(
  item: Record<string, unknown>,
  index: number,
  store: ResponseStore,
  referenced: StoredItem[],
): Turn[] {
  const path = ["input", index];
  switch (item.type) {
    case undefined:
    case "message": {
      const message = parseAt(messageItemSchema, item, path);
      const text = joinText(message.content);
      if (message.role === "assistant") return [{ role: "assistant", text, toolCalls: [] }];
      return [{ role: message.role === "user" ? "user" : "system", text }];
    }
    case "function_call": {
      const call = parseAt(functionCallItemSchema, item, path);
      return [
        {
          role: "assistant",
          text: "",
          toolCalls: [{ id: call.call_id, name: call.name, arguments: call.arguments }],
        },
      ];
    }
    case "function_call_output": {
      const output = parseAt(functionCallOutputItemSchema, item, path);
      return [{ role: "tool", callId: output.call_id, output: joinText(output.output) }];
    }
    case "item_reference": {
      const { id } = parseAt(itemReferenceSchema, item, path);
      const stored = store.item(id);
      if (stored === undefined) {
        throw errors.unknownItem(
          `Item with id '${id}' not found: this server keeps the items of its own responses ` +
            `${kept(store)}; send the item itself instead of its reference`,
          `input[${index}].id`,
        );
      }
      referenced.push(stored);
      return [stored.turn];
    }
    default:
      // Reasoning items and built-in tool calls carry nothing the offline model reads.
      return [];
  }
}

function toolChoiceOf(choice: ResponsesRequest["tool_choice"]): ToolChoice {
  if (choice === undefined || choice === null) return "auto";
  if (typeof choice === "string") return choice;
  if (choice.type === "function" && typeof choice.name === "string") return { name: choice.name };
  // Built-in tools and allowed_tools: the model decides, as with "auto".
  return "auto";
}
