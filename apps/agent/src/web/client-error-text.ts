import { APICallError, RetryError } from "ai";

import { AgentHalt, StoreEntryError } from "../halt.js";
import { classifyModelError } from "../model-error.js";

export const UNEXPECTED_ERROR_TEXT =
  "Something went wrong in the agent's web app. Send your message again, or start a new chat.";

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

/**
 * The text a chat's stream shows for an error that is not an Auth0 interrupt. Only what is
 * written for people reaches the page: a failed model call with its fix, and the agent's own
 * halts. Anything else (a TypeError's text names the code, not the problem) is one plain line.
 */
export function clientErrorText(error: unknown): string {
  for (const cause of causes(error)) {
    if (cause instanceof StoreEntryError) return UNREADABLE_THREAD_TEXT;
    if (cause instanceof AgentHalt) return [cause.message, cause.fix].filter(Boolean).join(" ");
    if (RetryError.isInstance(cause) || APICallError.isInstance(cause)) {
      const failure = classifyModelError(cause);
      return [failure.message, failure.fix].filter(Boolean).join(" ");
    }
  }
  return UNEXPECTED_ERROR_TEXT;
}
