import { errors } from "./errors.js";

/**
 * A request to either endpoint, read into one shape: what the reply logic needs and nothing of
 * either wire format. Chat Completions and Responses both map onto it.
 */
export interface Conversation {
  model: string;
  /** The function tools offered; other tool kinds (web search, ...) are left out. */
  tools: FunctionTool[];
  toolChoice: ToolChoice;
  /** "json" when the request asks for a JSON object or schema (structured output). */
  responseFormat: "text" | "json";
  turns: Turn[];
}

export interface FunctionTool {
  name: string;
  description: string | undefined;
  /** The tool's JSON schema, as the client sent it. */
  parameters: unknown;
}

/** `{ name }`: this function tool must be called. */
export type ToolChoice = "auto" | "none" | "required" | { name: string };

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text, as on the wire. */
  arguments: string;
}

export type Turn =
  | { role: "system"; text: string }
  | { role: "user"; text: string }
  | { role: "assistant"; text: string; toolCalls: ToolCall[] }
  | { role: "tool"; callId: string; output: string };

/** What the model answers: text, tool calls, or both. */
export interface Reply {
  text: string;
  toolCalls: ToolCall[];
}

/** A tool call together with the result the client sent back for it. */
export interface AnsweredCall {
  call: ToolCall;
  output: string;
}

/** Both APIs name structured output `json_object` or `json_schema`. */
export function responseFormatOf(type: string | undefined): Conversation["responseFormat"] {
  return type === "json_object" || type === "json_schema" ? "json" : "text";
}

/** Message content as text: a string, or parts of which only the text ones are read. */
export function joinText(content: string | readonly { text?: string | undefined }[]): string {
  if (typeof content === "string") return content;
  return content
    .map((part) => part.text ?? "")
    .filter((text) => text !== "")
    .join(" ");
}

/** Every text the turns hold, for the usage estimate. */
export function textsOf(turns: readonly Turn[]): string[] {
  return turns.flatMap((turn) => {
    if (turn.role === "tool") return [turn.output];
    if (turn.role === "assistant") return [turn.text, ...turn.toolCalls.map((c) => c.arguments)];
    return [turn.text];
  });
}

/** Where the turn being answered starts: the last user message (-1 when there is none). */
export function lastUserIndex(turns: readonly Turn[]): number {
  return turns.findLastIndex((turn) => turn.role === "user");
}

export function lastUserText(turns: readonly Turn[]): string {
  const turn = turns[lastUserIndex(turns)];
  return turn?.role === "user" ? turn.text.trim() : "";
}

/**
 * The tool calls since the last user message, each with its result, in call order. Like
 * OpenAI, a call without a result and a result for no call are refused: the client lost track
 * of its own conversation, and any reply would be a guess.
 */
export function answeredCallsSinceLastUser(turns: readonly Turn[]): AnsweredCall[] {
  const calls = new Map<string, ToolCall>();
  const outputs = new Map<string, string>();
  for (const turn of turns) {
    if (turn.role === "assistant") {
      for (const call of turn.toolCalls) calls.set(call.id, call);
    } else if (turn.role === "tool") {
      if (!calls.has(turn.callId)) {
        throw errors.invalidConversation(
          `A tool result answers call id "${turn.callId}", but no earlier tool call has that id; ` +
            "send each result after the assistant turn that made the call",
        );
      }
      outputs.set(turn.callId, turn.output);
    }
  }
  const unanswered = [...calls.keys()].filter((id) => !outputs.has(id));
  if (unanswered.length > 0) {
    throw errors.invalidConversation(
      `The conversation has tool calls without results (${unanswered.join(", ")}); ` +
        "send every tool call's result before asking for the next reply",
    );
  }
  const since = turns.slice(lastUserIndex(turns) + 1);
  return since.flatMap((turn) =>
    turn.role === "assistant"
      ? turn.toolCalls.map((call) => ({ call, output: outputs.get(call.id) ?? "" }))
      : [],
  );
}
