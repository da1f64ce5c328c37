import { BoundedMap, formatBytes, utf8Bytes } from "./bounded-map.js";
import type { StoreBudget } from "./bounded-map.js";
import type { Conversation, Reply } from "./conversation.js";
import { lastUserText } from "./conversation.js";
import type { ApiError } from "./errors.js";
import { REQUEST_LOG_BUDGET } from "./limits.js";

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
  /**
   * Set when the request alone was larger than the whole log: `lastUserText` and `tools` are
   * then left out (empty), and this says so.
   */
  omitted?: string;
}

/** A model request as the log takes it: the endpoint, and the size of its body as read. */
export interface LoggedRequest {
  endpoint: RecordedRequest["endpoint"];
  stream: boolean;
  bodyBytes: number;
}

/**
 * The last requests, oldest first, within a budget (REQUEST_LOG_BUDGET unless a test gives its
 * own): `GET /v1/testing/requests`. Each is measured by its body's bytes as read, which bound
 * what it keeps of the request, and its answer's; the oldest go first.
 */
export class RequestLog {
  readonly #entries: BoundedMap<number, RecordedRequest>;
  #recorded = 0;

  constructor(budget: StoreBudget = REQUEST_LOG_BUDGET) {
    this.#entries = new BoundedMap(budget);
  }

  record(
    request: LoggedRequest,
    conversation: Conversation,
    answer: RecordedRequest["answer"],
  ): void {
    const key = this.#recorded++;
    const entry: RecordedRequest = {
      endpoint: request.endpoint,
      model: conversation.model,
      stream: request.stream,
      lastUserText: lastUserText(conversation.turns),
      tools: conversation.tools.map(({ name, parameters }) => ({ name, parameters })),
      answer,
    };
    const answerBytes = utf8Bytes(answerTexts(answer));
    const bytes = request.bodyBytes + answerBytes;
    if (this.#entries.fits(bytes)) {
      this.#entries.add(key, entry, bytes);
      return;
    }
    const { budget } = this.#entries;
    this.#entries.add(
      key,
      {
        ...entry,
        lastUserText: "",
        tools: [],
        omitted:
          `lastUserText and tools are left out: this request's body (${String(request.bodyBytes)} ` +
          `bytes) and its answer are more than the ${formatBytes(budget.bytes)} the request log keeps`,
      },
      utf8Bytes([entry.model]) + answerBytes,
    );
  }

  entries(): readonly RecordedRequest[] {
    return this.#entries.values();
  }

  clear(): number {
    return this.#entries.clear();
  }
}

function answerTexts(answer: RecordedRequest["answer"]): string[] {
  if (answer.source === "error") return [answer.message];
  return [answer.text, ...answer.toolCalls.flatMap((call) => [call.id, call.name, call.arguments])];
}

export function errorAnswer(error: ApiError): RecordedRequest["answer"] {
  return { source: "error", status: error.status, code: error.code, message: error.message };
}
