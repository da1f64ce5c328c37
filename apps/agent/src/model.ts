import type { LanguageModelV2 } from "@ai-sdk/provider";

import { shopCatalog } from "./catalog-source.js";
import type { AgentConfig } from "./config.js";
import { withErrorAnswersRead } from "./error-answer.js";
import { createOfflineModel } from "./offline-model.js";
import { withFreshToolCallIds } from "./tool-call-ids.js";

/**
 * The offline model with no OPENAI_API_KEY, reading requests against the shop's catalog;
 * otherwise OpenAI or a compatible server, whose tool calls under ids the conversation already
 * holds get new ids (`withFreshToolCallIds`). `fetch` is for the catalog and OpenAI. OpenAI's
 * provider is loaded only when it is used.
 */
export async function createModel(
  config: AgentConfig,
  options: { fetch?: typeof fetch } = {},
): Promise<LanguageModelV2> {
  if (config.model.kind === "offline") {
    const catalog = shopCatalog({
      fetch: options.fetch ?? globalThis.fetch,
      url: config.catalogUrl,
    });
    return createOfflineModel({ catalog });
  }
  const { apiKey, baseURL, api, name } = config.model;
  const { createOpenAI } = await import("@ai-sdk/openai");
  const openai = createOpenAI({
    apiKey,
    ...(baseURL === undefined ? {} : { baseURL }),
    // The global fetch as it is when called (a test's interceptor, installed later, included).
    fetch: withErrorAnswersRead((input, init) => (options.fetch ?? globalThis.fetch)(input, init)),
  });
  return withFreshToolCallIds(
    api === "chat" ? openai.chat(name) : openai.responses(name),
  ) as LanguageModelV2;
}
