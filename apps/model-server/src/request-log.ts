import type { Conversation, Reply } from "./conversation.js";
import { lastUserText } from "./conversation.js";
import type { ApiError } from "./errors.js";
import { MAX_RECORDED_REQUESTS } from "./limits.js";

/** One model request as the server saw and answered it: what a test asserts on. */
export interface RecordedRequest {
  endpoint: "chat.completions" | "responses";
  model: string;
  stream: boolean;
  lastUserText: string;
  /** The function tools offered, with their JSON schemas. */
  tools: { name: string; parameters: unknown }[];
  answer:
    | { source: "script" | "offline"; text: string; toolCalls: Reply["toolCalls"] }
    | { source: "error"; status: number; code: string | null; message: string };
}

/** The last requests, oldest first, bounded: `GET /v1/testing/requests`. */
export class RequestLog {
  readonly #entries: RecordedRequest[] = [];

  record(
    endpoint: RecordedRequest["endpoint"],
    stream: boolean,
    conversation: Conversation,
    answer: RecordedRequest["answer"],
  ): void {
    this.#entries.push({
      endpoint,
      model: conversation.model,
      stream,
      lastUserText: lastUserText(conversation.turns),
      tools: conversation.tools.map(({ name, parameters }) => ({ name, parameters })),
      answer,
    });
    if (this.#entries.length > MAX_RECORDED_REQUESTS) this.#entries.shift();
  }

  entries(): readonly RecordedRequest[] {
    return [...this.#entries];
  }

  clear(): number {
    return this.#entries.splice(0).length;
  }
}

export function errorAnswer(error: ApiError): RecordedRequest["answer"] {
  return { source: "error", status: error.status, code: error.code, message: error.message };
}
