import { APICallError, RetryError } from "ai";

import type { Outcome } from "./outcome.js";

export interface ModelFailure {
  outcome: Outcome;
  message: string;
  fix?: string;
  /** The report's `error`, when the failure has a code of its own. */
  error?: string;
}

/** A failed model call, with the one thing to change when it is a setup problem. */
export function classifyModelError(error: unknown): ModelFailure {
  const cause = RetryError.isInstance(error) ? error.lastError : error;
  const message = `The model failed: ${errorText(cause)}`;
  if (!APICallError.isInstance(cause)) return { outcome: "ERROR", message };
  switch (cause.statusCode) {
    case 200:
      // The answer had begun: its stream broke off (the connection cut, the server stopped).
      return {
        outcome: "ERROR",
        message,
        fix: "Check the model server (OPENAI_BASE_URL) and the network.",
      };
    case 401:
    case 403:
      return { outcome: "CONFIG_ERROR", message, fix: "Check OPENAI_API_KEY." };
    case 404:
      return {
        outcome: "CONFIG_ERROR",
        message,
        fix: "Check AGENT_MODEL (or --model) and OPENAI_BASE_URL.",
      };
    case undefined:
      return { outcome: "ERROR", message, fix: "Check OPENAI_BASE_URL and the network." };
    default:
      return { outcome: "ERROR", message };
  }
}

/** An error's message, and what it wraps when that says more ("... response (terminated)"). */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { cause } = error as { cause?: unknown };
  return cause instanceof Error && cause.message !== "" && !error.message.includes(cause.message)
    ? `${error.message} (${cause.message})`
    : error.message;
}
