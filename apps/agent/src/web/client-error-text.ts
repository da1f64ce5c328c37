import { AgentHalt, StoreEntryError } from "../halt.js";
import {
  classifyModelError,
  invalidCallErrorText,
  isInvalidCallError,
  isModelError,
} from "../model-error.js";
import { INTERRUPT } from "../sdk-interrupt.js";

const UNEXPECTED_ERROR = "Something went wrong in the agent's web app.";

export const UNEXPECTED_ERROR_TEXT = `${UNEXPECTED_ERROR} Send your message again, or start a new chat.`;

export const UNREADABLE_THREAD_TEXT =
  "This chat cannot continue: the agent cannot read its record of it. Start a new chat (reload the page).";

/** The error itself, or what it wraps (withInterruptions wraps a tool's error in an AISDKError). */
function* causes(error: unknown): Generator {
  let current = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

const INTERRUPT_CODES = new Set<unknown>(Object.values(INTERRUPT));

/**
 * The text a chat's stream shows for an error. Only what is written for people reaches the page:
 * an Auth0 interrupt's own message (in interrupt mode a waiting purchase ends its tool call with
 * one, "Waiting for the person to approve: ...", which a client that shows tool errors shows;
 * the stream's error part is the interrupt itself, see errorSerializer), a failed model call or
 * output the model's server sent that cannot be read, with its fix, a tool call of the model's
 * that could not run (what it was and why), and the agent's own halts.
 * Anything else (a TypeError's text names the code, not the problem) is one plain line. After
 * `ordered` (what the turn ordered, each in a sentence) it never invites a new message or chat:
 * it says that those orders stand.
 */
export function clientErrorText(error: unknown, ordered: readonly string[] = []): string {
  const interrupt = interruptOf(error);
  if (interrupt !== undefined) return interrupt.message;
  const text = failureText(error);
  if (ordered.length === 0) return text;
  const failed = text === UNEXPECTED_ERROR_TEXT ? UNEXPECTED_ERROR : text;
  return `${failed} ${ordered.join(" ")} ${ordersStand(ordered)}`;
}

/** After what a turn ordered (each in a sentence), in place of an invitation to ask again. */
export function ordersStand(ordered: readonly string[]): string {
  return `${ordered.length === 1 ? "That order stands" : "Those orders stand"}: ask only for what is still missing.`;
}

/** The Auth0 interrupt `error` is or wraps. */
function interruptOf(error: unknown): Error | undefined {
  for (const cause of causes(error)) {
    if (cause instanceof Error && INTERRUPT_CODES.has((cause as { code?: unknown }).code)) {
      return cause;
    }
  }
  return undefined;
}

/**
 * Whether the page gets no more than "Something went wrong" for `error`: then only the operator's
 * log can say what it was.
 */
export function isUnexpectedError(error: unknown): boolean {
  return interruptOf(error) === undefined && failureText(error) === UNEXPECTED_ERROR_TEXT;
}

/**
 * The code of the failure `clientErrorText` tells for `error`, as the CLI's report names it
 * (`error`); undefined for an Auth0 interrupt, which is no failure (a purchase waits).
 */
export function clientErrorCode(error: unknown): string | undefined {
  if (interruptOf(error) !== undefined) return undefined;
  for (const cause of causes(error)) {
    if (cause instanceof StoreEntryError) return "thread_unreadable";
    if (cause instanceof AgentHalt) return cause.code;
    if (isInvalidCallError(cause)) return "invalid_tool_call";
    if (isModelError(cause)) return classifyModelError(cause).error ?? "model_failed";
  }
  return "server_error";
}

function failureText(error: unknown): string {
  for (const cause of causes(error)) {
    if (cause instanceof StoreEntryError) return UNREADABLE_THREAD_TEXT;
    if (cause instanceof AgentHalt) return [cause.message, cause.fix].filter(Boolean).join(" ");
    // A call the SDK refused before it ran: the model did not fail, and nothing was done.
    if (isInvalidCallError(cause)) return invalidCallErrorText(cause);
    if (isModelError(cause)) {
      const failure = classifyModelError(cause);
      return [failure.message, failure.fix].filter(Boolean).join(" ");
    }
  }
  return UNEXPECTED_ERROR_TEXT;
}
