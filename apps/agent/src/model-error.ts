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
  const message = `The model failed: ${cause instanceof Error ? cause.message : String(cause)}`;
  if (!APICallError.isInstance(cause)) return { outcome: "ERROR", message };
  switch (cause.statusCode) {
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
