import {
  APICallError,
  type FinishReason,
  EmptyResponseBodyError,
  InvalidResponseDataError,
  InvalidToolInputError,
  JSONParseError,
  NoContentGeneratedError,
  NoSuchToolError,
  RetryError,
  TypeValidationError,
} from "ai";

import { quotedValue, writtenOut } from "@ciba-testbed/shared";

import { listed } from "./listed.js";
import { ModelTimeoutError } from "./model-deadline.js";
import type { Outcome } from "./outcome.js";
import { retryAt } from "./rate-limit.js";

export interface ModelFailure {
  outcome: Outcome;
  message: string;
  fix?: string;
  /** The report's `error`, when the failure has a code of its own. */
  error?: string;
}

/**
 * Which server the model's calls went to, for a fix that names only what the person set: one
 * OPENAI_BASE_URL names, or OpenAI's API when it is unset.
 */
export type ModelServer = "base-url" | "openai";

/** "Check the model server ... and the network", naming OPENAI_BASE_URL only when it is set. */
function checkServer(server: ModelServer): string {
  return server === "openai"
    ? "Check OpenAI's status (status.openai.com) and the network"
    : "Check the model server (OPENAI_BASE_URL, or OpenAI's status) and the network";
}

/** What to change when the model's server answers with something other than OpenAI's API. */
const SPEAKS_OPENAI =
  "Check that the model server (OPENAI_BASE_URL) speaks OpenAI's API as OPENAI_API names it; its answer could not be read.";

/**
 * Network errors of a connection the model's server closed, once it had been made: its answer
 * (or its stream) cut, not a server the agent could not reach.
 */
const CLOSED_CONNECTION = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE", "ConnectionClosed"]);

/**
 * A failed model call, with its code and the one thing to change. `now` (epoch ms) dates a rate
 * limit's end.
 */
export function classifyModelError(
  error: unknown,
  now = Date.now(),
  server: ModelServer = "base-url",
): ModelFailure {
  const check = checkServer(server);
  const cause = RetryError.isInstance(error) ? error.lastError : error;
  const timeout = timeoutIn(error);
  if (timeout !== undefined) {
    return {
      outcome: "ERROR",
      error: "model_timeout",
      message: `${timeout.message}; its request was abandoned.`,
      fix: `${check}: a server that answers no request within ${String(timeout.ms / 1000)} s is down or overloaded.`,
    };
  }
  const streamed = streamedError(cause);
  if (streamed !== undefined) {
    return {
      outcome: "ERROR",
      error: "model_failed",
      message: `The model failed: its server sent an error in place of its answer, in the stream it had begun: ${streamed}.`,
      fix: `Ask again; if it recurs, ${lowerFirst(check)}.`,
    };
  }
  const errorBody = errorAnswered(cause);
  if (errorBody !== undefined) {
    return {
      outcome: "ERROR",
      error: "model_failed",
      message: `The model failed: its server answered 200 with an error in place of its answer, one ${errorBody.type} body where OpenAI's API streams: ${errorBody.words}.`,
      fix: `Ask again; if it recurs, ${lowerFirst(check)}.`,
    };
  }
  const words = serverWords(error, cause);
  const message =
    words === undefined
      ? "The model failed, its server giving no reason"
      : `The model failed: ${words}`;
  if (InvalidResponseDataError.isInstance(cause) && isToolCallData(cause.data)) {
    return {
      outcome: "ERROR",
      error: "invalid_tool_call",
      message: `The model's server sent a tool call that could not run: ${cause.message.replace(/\.$/, "")} (OpenAI's API gives every call an id and a function name); nobody was asked to approve anything for it, and nothing was ordered for it.`,
      fix: "Check that the model server (OPENAI_BASE_URL) speaks OpenAI's API as OPENAI_API names it, or choose another model (AGENT_MODEL, --model).",
    };
  }
  if (isUnreadableOutput(cause)) {
    return { outcome: "ERROR", error: "model_unreadable", message, fix: SPEAKS_OPENAI };
  }
  if (!APICallError.isInstance(cause)) {
    return { outcome: "ERROR", error: "model_failed", message };
  }
  const status = cause.statusCode;
  if (status === 200 || (status === undefined && closedConnection(cause))) {
    // The connection was made, and the server closed it before its answer was complete: after
    // its 200, mid-stream, or before its headers had all come.
    return {
      outcome: "ERROR",
      error: "model_incomplete",
      message: `The model's answer broke off: its server closed the connection before the answer was complete (${errorText(cause).replace(/^Cannot connect to API: /, "")})${attempts(error)}.`,
      fix: `Ask again; if it recurs, ${lowerFirst(check)}.`,
    };
  }
  if (status === undefined) {
    return {
      outcome: "ERROR",
      error: "model_unreachable",
      message: `${message}${attempts(error)}.`,
      fix:
        server === "openai"
          ? "Check that this machine reaches OpenAI's API, api.openai.com (the network, a proxy, a firewall)."
          : "Check OPENAI_BASE_URL (its host and port) and the network.",
    };
  }
  if (status >= 500) {
    return {
      outcome: "ERROR",
      error: "model_unavailable",
      message: `${message} (the model server answered ${answered(error, status)}).`,
      fix: `Ask again later; if it recurs, ${lowerFirst(check)}: ${answersSeen(error)}.`,
    };
  }
  switch (status) {
    case 401:
    case 403:
      return {
        outcome: "CONFIG_ERROR",
        error: "model_unauthorized",
        message,
        fix: "Check OPENAI_API_KEY.",
      };
    case 404:
      return {
        outcome: "CONFIG_ERROR",
        error: "model_not_found",
        message,
        fix:
          server === "openai"
            ? "Check AGENT_MODEL (or --model): OpenAI's API has no model of that name for this key."
            : "Check AGENT_MODEL (or --model) and OPENAI_BASE_URL.",
      };
    case 429:
      return rateLimited(cause, message, now);
    default:
      // The server's own words say what it refused (a parameter, a request too long).
      return { outcome: "ERROR", error: "model_request_refused", message };
  }
}

function lowerFirst(text: string): string {
  return `${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

/** The errors of each attempt at the call: the AI SDK's retries, or the one. */
function attemptErrors(error: unknown): unknown[] {
  return RetryError.isInstance(error) && error.errors.length > 0 ? error.errors : [error];
}

/** ", on each of 3 attempts" when the AI SDK tried more than once; else nothing. */
function attempts(error: unknown): string {
  const count = attemptErrors(error).length;
  return count > 1 ? `, on each of ${String(count)} attempts` : "";
}

/** "500 to each of 3 attempts", "500, 502 and 503 to its 3 attempts", or "500". */
function answered(error: unknown, last: number): string {
  const statuses = attemptErrors(error).map((attempt) =>
    APICallError.isInstance(attempt) && attempt.statusCode !== undefined
      ? String(attempt.statusCode)
      : "no answer",
  );
  if (statuses.length <= 1) return String(last);
  const count = String(statuses.length);
  return new Set(statuses).size === 1
    ? `${String(last)} to each of ${count} attempts`
    : `${listed(statuses)} to its ${count} attempts`;
}

/**
 * What the attempts got, for the fix of a call whose last attempt got a server error: "it
 * answered with a server error each time", or, when some got another answer, each kind once
 * ("each of its 3 attempts got a server error or a rate limit (429)").
 */
function answersSeen(error: unknown): string {
  const attempts = attemptErrors(error);
  const kinds = new Set(
    attempts.map((attempt) => {
      const status = APICallError.isInstance(attempt) ? attempt.statusCode : undefined;
      if (status === undefined) return "no answer";
      if (status === 429) return "a rate limit (429)";
      return status >= 500 ? "a server error" : `a refusal (${String(status)})`;
    }),
  );
  if (kinds.size === 1 && kinds.has("a server error")) {
    return attempts.length > 1
      ? "it answered with a server error each time"
      : "it answered with a server error";
  }
  return `each of its ${String(attempts.length)} attempts got ${listed([...kinds], "or")}`;
}

/**
 * The server's words for a failed call: the error's message (its JSON error's `message`, as
 * the provider reads it), else its answer's body as text when the provider found no words in
 * it (a 529 whose body says "Overloaded", and a status Node has no reason phrase for), else
 * those of an earlier attempt. Undefined when no attempt brought any.
 */
function serverWords(error: unknown, cause: unknown): string | undefined {
  const attempts = [cause, ...[...attemptErrors(error)].reverse()];
  for (const attempt of attempts) {
    const text = errorText(attempt).trim();
    if (text !== "") return text;
    if (APICallError.isInstance(attempt)) {
      const body = bodyText(attempt.responseBody);
      if (body !== "") return body;
    }
  }
  return undefined;
}

/** An answer's body as words: its tags left out (an HTML page), its spacing collapsed, cut short. */
function bodyText(body: string | undefined): string {
  const text = (body ?? "")
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > 200 ? `${text.slice(0, 197).trimEnd()}...` : text;
}

/**
 * An error the model's server sent inside the stream of its answer, after its 200: OpenAI's
 * `data: {"error": {"message": ...}}`, which the provider passes on as the object it read, and
 * the shapes other Chat Completions servers send, which the provider's chunk schema refuses
 * (a TypeValidationError of the value it read): `{"error": "..."}`, an `event: error` of
 * `{"message": ..., "type": ...}`, an error object without a message. Its words, cut short and
 * written out, with its type or code ("upstream overloaded (server_error)"). Undefined for
 * anything else.
 */
function streamedError(error: unknown): string | undefined {
  if (TypeValidationError.isInstance(error)) return refusedChunkError(error.value);
  if (typeof error !== "object" || error === null || error instanceof Error) return undefined;
  return errorWords(error, false);
}

/**
 * The words of a server's error that came as the one JSON body of a 200 (`withErrorAnswersRead`),
 * and the body's media type. Undefined for any other failure.
 */
function errorAnswered(error: unknown): { words: string; type: string } | undefined {
  if (!APICallError.isInstance(error) || error.statusCode !== 200) return undefined;
  const words = answeredErrorWords(error.responseBody ?? "");
  if (words === undefined) return undefined;
  const type = error.responseHeaders?.["content-type"]?.split(";")[0]?.trim();
  return { words, type: type === undefined || type === "" ? "JSON" : type };
}

/**
 * A JSON body that is a server's error rather than an answer (`{"error": {"message": ...}}`,
 * `{"error": "..."}`, a message with a type or code and no choices): its words, as
 * `streamedError` gives those of a chunk. Undefined for a body that is anything else.
 */
export function answeredErrorWords(body: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  return refusedChunkError(value);
}

/** A chunk the provider refused that is a server's error: `{"error": ...}`, or one with a message and a type. */
function refusedChunkError(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { error } = value as { error?: unknown };
  if (typeof error === "string") return error.trim() === "" ? "no message" : shortWords(error);
  if (typeof error === "object" && error !== null) return errorWords(error, true);
  if ("choices" in value) return undefined;
  const { type, code } = value as { type?: unknown; code?: unknown };
  return typeof type === "string" || typeof code === "string"
    ? errorWords(value, false)
    : undefined;
}

/** An error object's message, with its type or code; "no message" (when `bare` allows it) for none. */
function errorWords(error: object, bare: boolean): string | undefined {
  const { message, type, code } = error as { message?: unknown; type?: unknown; code?: unknown };
  const kind = [type, code].find(
    (value): value is string => typeof value === "string" && value !== "",
  );
  if (typeof message !== "string" && !(bare && kind !== undefined)) return undefined;
  const said = typeof message === "string" ? message.trim() : "";
  const words = said === "" ? "no message" : shortWords(said);
  return kind === undefined ? words : `${words} (${writtenOut(kind.slice(0, 60))})`;
}

/** A server's words for a message: written out (one line, whatever it sent), at most 200 characters. */
function shortWords(text: string): string {
  const words = writtenOut(text.trim());
  return words.length > 200 ? `${words.slice(0, 197).trimEnd()}...` : words;
}

/** A connection the server closed (its answer cut), rather than one never made. */
function closedConnection(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === "string" && CLOSED_CONNECTION.has(code)) return true;
    if (current.message === "terminated" || current.message === "other side closed") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** What OpenAI's chat provider refuses a streamed tool call with: the call's own delta. */
function isToolCallData(data: unknown): boolean {
  return (
    typeof data === "object" &&
    data !== null &&
    ("function" in data || "index" in data) &&
    !("choices" in data)
  );
}

/**
 * The model server's 429 (a rate limit, or a quota spent): when it lets the agent try again,
 * from its `Retry-After` or `X-RateLimit-Reset`. The AI SDK waits out at most 60 s of it.
 */
function rateLimited(cause: APICallError, message: string, now: number): ModelFailure {
  const at = retryAt(cause.responseHeaders, now);
  const when = at === undefined ? undefined : new Date(at).toISOString();
  return {
    outcome: "ERROR",
    error: "model_rate_limited",
    message:
      when === undefined
        ? `${message} (rate limited, 429).`
        : `${message} (rate limited, 429): it takes requests again at ${when}.`,
    fix:
      when === undefined
        ? "Ask again later, or check the plan and quota of OPENAI_API_KEY."
        : `Ask again after ${when}, or check the plan and quota of OPENAI_API_KEY.`,
  };
}

/** The request timeout the error is, or wraps (the SDK wraps what a stream breaks with). */
function timeoutIn(error: unknown): ModelTimeoutError | undefined {
  let current = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    if (current instanceof ModelTimeoutError) return current;
    current = RetryError.isInstance(current)
      ? current.lastError
      : (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** An error's message, and what it wraps when that says more ("... response (terminated)"). */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { cause } = error as { cause?: unknown };
  return cause instanceof Error && cause.message !== "" && !error.message.includes(cause.message)
    ? `${error.message} (${cause.message})`
    : error.message;
}

/** Output of the model's server that the AI SDK cannot read (malformed JSON, a wrong shape). */
function isUnreadableOutput(error: unknown): boolean {
  return (
    JSONParseError.isInstance(error) ||
    TypeValidationError.isInstance(error) ||
    InvalidResponseDataError.isInstance(error) ||
    EmptyResponseBodyError.isInstance(error) ||
    NoContentGeneratedError.isInstance(error)
  );
}

/** The model's failure: a failed call, one that timed out, or output that cannot be read. */
export function isModelError(error: unknown): boolean {
  return (
    RetryError.isInstance(error) ||
    APICallError.isInstance(error) ||
    error instanceof ModelTimeoutError ||
    isUnreadableOutput(error)
  );
}

/**
 * What the agent saw of the model's last answer besides its parts: the response's Content-Type,
 * and the event a Responses API stream ended with ("response.completed"), which the provider
 * passes over when it lacks what OpenAI's API sends with it (its usage).
 */
export interface AnswerSeen {
  contentType?: string | undefined;
  endEvent?: string | undefined;
}

/**
 * The failure of a turn whose last model step ended without a complete answer: cut at the
 * model's output token limit, withheld by a content filter, a stream that ended without saying
 * how (a tool call in it is not run), an answer that was no stream of OpenAI's API at all (a web
 * page), or an end event without what OpenAI's API sends with it. Undefined for an answer
 * ("stop") or tool calls.
 */
export function incompleteAnswer(
  finishReason: FinishReason | undefined,
  text: string,
  seen: AnswerSeen = {},
): ModelFailure | undefined {
  if (finishReason === undefined || finishReason === "stop" || finishReason === "tool-calls") {
    return undefined;
  }
  const said = text === "" ? "" : `, after ${quotedValue(text)}`;
  const failure = { outcome: "ERROR", error: "model_incomplete" } as const;
  switch (finishReason) {
    case "length":
      return {
        ...failure,
        message: `The model's answer was cut off at its output token limit (finish reason length)${said}.`,
        fix: "Ask again; if it recurs, raise the model server's output token limit or choose another model (AGENT_MODEL, --model).",
      };
    case "content-filter":
      return {
        ...failure,
        message: `The model's answer was withheld by its server's content filter (finish reason content-filter)${said}.`,
        fix: "Ask again in other words; if it recurs, check the model server's content policy (OPENAI_BASE_URL).",
      };
  }
  const type = seen.contentType?.split(";")[0]?.trim();
  if (type !== undefined && /^application\/(?:[\w.+-]+\+)?json$/i.test(type)) {
    return {
      outcome: "ERROR",
      error: "model_unreadable",
      message: `The model's server answered without streaming: it sent one ${type} body, not the stream of events OpenAI's API sends when asked to stream (stream: true), as a server that ignores stream: true does; the agent reads only a stream, so nothing in it was run.`,
      fix: "Point OPENAI_BASE_URL at a server that streams its answers as OpenAI's API does (stream: true), or turn streaming on in the one it names.",
    };
  }
  if (type !== undefined && type !== "" && type.toLowerCase() !== "text/event-stream") {
    return {
      outcome: "ERROR",
      error: "model_unreadable",
      message: `The model's server answered with ${type}, not the stream of events OpenAI's API sends: it never streamed an answer, and nothing was run (a base URL at a web page, or a network's login page, answers so).`,
      fix: SPEAKS_OPENAI,
    };
  }
  if (seen.endEvent !== undefined) {
    return {
      outcome: "ERROR",
      error: "model_unreadable",
      message: `The model's server ended its answer with ${seen.endEvent} but without what OpenAI's API sends in it (its usage), so the agent cannot tell how the answer ended${text === "" ? "" : `; what it wrote (${JSON.stringify(text)}) is not taken as the answer`}, and nothing in it was run.`,
      fix: SPEAKS_OPENAI,
    };
  }
  return {
    ...failure,
    message: `The model's answer ended without saying it was complete (finish reason ${finishReason})${said}: its server stopped streaming mid-answer, and nothing in it was run.`,
    fix: `${checkServer("base-url")}.`,
  };
}

/**
 * The failure of a turn whose model's last call never came as a tool call the AI SDK could read:
 * `input`, as streamed, was not JSON it takes. `finishReason` says why: the model's output token
 * limit cut it ("length"), the model ended its call with input that is not valid JSON
 * ("tool-calls", "stop"), or its server stopped streaming before the call was complete.
 */
export function unreadCallFailure(
  call: { toolName: string; input: string },
  finishReason: FinishReason | undefined,
): ModelFailure {
  const input = JSON.stringify(call.input);
  const why =
    finishReason === "length"
      ? `is not whole JSON: the model's output token limit cut it off (finish reason length)`
      : finishReason === "tool-calls" || finishReason === "stop"
        ? parsesAsJson(call.input)
          ? `is JSON the AI SDK refuses as unsafe (a "__proto__" key, or a "constructor" with a "prototype")`
          : `is not valid JSON`
        : `is not whole JSON: its server stopped streaming before the call was complete`;
  return {
    outcome: "ERROR",
    error: "invalid_tool_call",
    message: `The model's last call of ${call.toolName} could not run: its input ${input} ${why}; nobody was asked to approve anything for it, and nothing was ordered for it.`,
    fix: INVALID_CALL_FIX,
  };
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A failure that cut the model's answer (`model_incomplete`) while it was writing a tool call:
 * the message says that call was not run. Any other failure is returned as it is.
 */
export function withUnrunCall(
  failure: ModelFailure,
  call: { toolName: string; input: string } | undefined,
): ModelFailure {
  if (failure.error !== "model_incomplete" || call === undefined) return failure;
  return {
    ...failure,
    message: `${failure.message} Its call of ${call.toolName}, cut at the input ${JSON.stringify(call.input)}, was not run: nobody was asked to approve anything for it, and nothing was ordered for it.`,
  };
}

/** What to do after the model's tool call could not run. */
export const INVALID_CALL_FIX =
  "Ask again, naming the product and a whole quantity; if it recurs, choose a model that follows the tool's input schema (AGENT_MODEL, --model).";

/** The SDK refused the model's tool call before it ran: input its schema refuses, or no such tool. */
export function isInvalidCallError(
  error: unknown,
): error is InvalidToolInputError | NoSuchToolError {
  return InvalidToolInputError.isInstance(error) || NoSuchToolError.isInstance(error);
}

/**
 * A tool call the SDK found invalid, in a sentence: the tool, the input, and why (the schema's
 * own words, "qty must be a number", rather than the SDK's dump of the validation).
 */
export function invalidCallText(
  call: { toolName: string; input?: unknown; error?: unknown },
  which: "last call" | "call" = "call",
): string {
  const input = call.input === undefined ? "" : `, with the input ${JSON.stringify(call.input)}`;
  return `The model's ${which} of ${call.toolName} could not run${input} (${whyInvalid(call.error)})`;
}

/** `invalidCallText` of a call the SDK refused with `error`, and that nothing was done for it. */
export function invalidCallErrorText(error: InvalidToolInputError | NoSuchToolError): string {
  const input = InvalidToolInputError.isInstance(error) ? parsedInput(error.toolInput) : undefined;
  return invalidCallFailure(invalidCallText({ toolName: error.toolName, input, error }), "")
    .message;
}

/** A tool call's input as the model wrote it: its JSON's value, or the text when it is none. */
function parsedInput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** What the model wrote after a call that could not run, quoted: never the answer itself. */
export function modelThenWrote(said: string): string {
  return said === "" ? "" : `The model then wrote: ${JSON.stringify(said)}`;
}

function whyInvalid(error: unknown): string {
  // The SDK's own words for it carry its parser's message and the input again.
  if (InvalidToolInputError.isInstance(error) && JSONParseError.isInstance(error.cause)) {
    return "input that is not valid JSON";
  }
  if (InvalidToolInputError.isInstance(error)) {
    const { issues } = (TypeValidationError.isInstance(error.cause) ? error.cause.cause : {}) as {
      issues?: unknown;
    };
    if (Array.isArray(issues) && issues.length > 0) {
      const said = issues.map((issue) => String((issue as { message?: unknown }).message));
      return `input the tool refuses: ${said.join("; ")}`;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The failure of a turn whose last tool call could not run (`invalidCallText`): nothing was
 * asked or ordered for it, whatever the model wrote after it (`said`, quoted, never the answer:
 * "I have ordered 2 XYZ phones for you." after a call the schema refused).
 */
export function invalidCallFailure(call: string, said: string): ModelFailure {
  const then = modelThenWrote(said);
  return {
    outcome: "ERROR",
    error: "invalid_tool_call",
    message: `${call}; nobody was asked to approve anything for it, and nothing was ordered for it.${then === "" ? "" : ` ${then}`}`,
    fix: INVALID_CALL_FIX,
  };
}

/**
 * A turn whose model ended with no words (empty, or whitespace, or reasoning alone) and asked
 * for no purchase. A refusal looks the same: OpenAI's provider drops its `refusal` text.
 */
export const NO_ANSWER: ModelFailure = {
  outcome: "NO_PURCHASE",
  error: "model_no_answer",
  message:
    "The model gave no answer: its reply held no text and asked for no purchase (a model that refuses the request looks the same, as OpenAI's provider drops a refusal's text). Nobody was asked to approve anything, and nothing was ordered.",
  fix: "Ask again in other words, naming the product and the quantity; if it recurs, check the model server's log for a refusal, or choose another model (AGENT_MODEL, --model).",
};
