import { z } from "zod";

import { joinText, responseFormatOf } from "./conversation.js";
import type { Conversation, FunctionTool, ToolChoice, Turn } from "./conversation.js";
import { MAX_CONTENT_PARTS, MAX_MESSAGES, MAX_TOOL_CALLS, MAX_TOOLS } from "./limits.js";
import { boundedArray, parseBody } from "./request-schema.js";
import { chatSamplingShape } from "./sampling.js";

/** Text and other parts (images, audio, files): only the text is read. */
const partsSchema = boundedArray(
  z.object({ type: z.string(), text: z.string().optional() }).passthrough(),
  MAX_CONTENT_PARTS,
);
const contentSchema = z.union([z.string(), partsSchema]);

const toolCallSchema = z
  .object({
    id: z.string(),
    type: z.literal("function").default("function"),
    function: z.object({ name: z.string(), arguments: z.string() }).passthrough(),
  })
  .passthrough();

const messageSchema = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content: contentSchema }).passthrough(),
  z.object({ role: z.literal("developer"), content: contentSchema }).passthrough(),
  z.object({ role: z.literal("user"), content: contentSchema }).passthrough(),
  z
    .object({
      role: z.literal("assistant"),
      content: contentSchema.nullish(),
      tool_calls: boundedArray(toolCallSchema, MAX_TOOL_CALLS).nullish(),
    })
    .passthrough(),
  z
    .object({ role: z.literal("tool"), tool_call_id: z.string(), content: contentSchema })
    .passthrough(),
]);

const toolSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("function"),
      function: z
        .object({
          name: z.string().min(1),
          description: z.string().optional(),
          parameters: z.unknown().optional(),
        })
        .passthrough(),
    })
    .passthrough(),
  z.object({ type: z.literal("custom") }).passthrough(),
]);

const toolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }).passthrough(),
  z.object({ type: z.literal("allowed_tools") }).passthrough(),
  z.object({ type: z.literal("custom") }).passthrough(),
]);

export const chatRequestSchema = z
  .object({
    model: z.string().min(1, "must not be empty"),
    messages: boundedArray(messageSchema, MAX_MESSAGES).refine((messages) => messages.length > 0, {
      message: "must hold at least one message",
    }),
    tools: boundedArray(toolSchema, MAX_TOOLS).nullish(),
    tool_choice: toolChoiceSchema.nullish(),
    response_format: z.object({ type: z.string() }).passthrough().nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).passthrough().nullish(),
    n: z
      .literal(1, { errorMap: () => ({ message: "this server answers one choice (n = 1)" }) })
      .nullish(),
    ...chatSamplingShape,
  })
  .passthrough();

export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** Reads a Chat Completions request (OpenAI's `POST /v1/chat/completions` body). */
export function readChatRequest(body: unknown): {
  request: ChatRequest;
  conversation: Conversation;
} {
  const request = parseBody(chatRequestSchema, body);
  return {
    request,
    conversation: {
      model: request.model,
      tools: (request.tools ?? []).flatMap((tool): FunctionTool[] =>
        tool.type === "function"
          ? [
              {
                name: tool.function.name,
                description: tool.function.description,
                parameters: tool.function.parameters,
              },
            ]
          : [],
      ),
      toolChoice: toolChoiceOf(request.tool_choice),
      responseFormat: responseFormatOf(request.response_format?.type),
      turns: request.messages.map(turnOf),
    },
  };
}

function turnOf(message: ChatRequest["messages"][number]): Turn {
  switch (message.role) {
    case "system":
    case "developer":
      return { role: "system", text: joinText(message.content) };
    case "user":
      return { role: "user", text: joinText(message.content) };
    case "assistant":
      return {
        role: "assistant",
        text: joinText(message.content ?? ""),
        toolCalls: (message.tool_calls ?? []).map((call) => ({
          id: call.id,
          name: call.function.name,
          arguments: call.function.arguments,
        })),
      };
    case "tool":
      return { role: "tool", callId: message.tool_call_id, output: joinText(message.content) };
  }
}

function toolChoiceOf(choice: ChatRequest["tool_choice"]): ToolChoice {
  if (choice === undefined || choice === null) return "auto";
  if (typeof choice === "string") return choice;
  if (choice.type === "function") return { name: choice.function.name };
  // allowed_tools and custom tools: the model decides, as with "auto".
  return "auto";
}
