import { hideCredentials } from "@ciba-testbed/shared";

import type { AgentWarning } from "./agent-event.js";
import type { AgentConfig } from "./config.js";

/**
 * What to tell the person about the model before anything is sent: an OPENAI_BASE_URL set
 * without OPENAI_API_KEY is not used, and the built-in model answers instead of that server.
 */
export function modelWarnings(model: AgentConfig["model"]): AgentWarning[] {
  if (model.kind !== "offline" || model.unusedBaseURL === undefined) return [];
  return [
    {
      code: "model_server_unused",
      message:
        `OPENAI_BASE_URL is set (${hideCredentials(model.unusedBaseURL)}) but OPENAI_API_KEY is not, so the built-in offline model answers and that server is not asked. ` +
        "Set OPENAI_API_KEY too (any value for a local server that checks none) to use it.",
    },
  ];
}
