import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModelV2 } from "@ai-sdk/provider";

import type { AgentConfig } from "./config.js";
import { createOfflineModel } from "./offline-model.js";

/** The offline model with no OPENAI_API_KEY, otherwise OpenAI or a compatible server. */
export function createModel(
  config: AgentConfig,
  options: { fetch?: typeof fetch } = {},
): LanguageModelV2 {
  if (config.model.kind === "offline") return createOfflineModel();
  const { apiKey, baseURL, api, name } = config.model;
  const openai = createOpenAI({
    apiKey,
    ...(baseURL === undefined ? {} : { baseURL }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  return api === "chat" ? openai.chat(name) : openai.responses(name);
}
