import { VARIABLES } from "./config.js";

/** `model-server --help`: what it serves, and each variable from the configuration's own list. */
export function helpText(): string {
  const width = Math.max(...Object.keys(VARIABLES).map((name) => name.length));
  return [
    "Usage: model-server [--help]",
    "",
    "An OpenAI-compatible model server with deterministic replies, for testing agents offline.",
    "It serves POST /v1/chat/completions, POST /v1/responses and GET /v1/models; tests queue",
    "exact replies with POST /v1/testing/script. Point a client at it with",
    "  OPENAI_BASE_URL=http://127.0.0.1:4030/v1 OPENAI_API_KEY=test",
    "",
    "Once it listens it prints one JSON line on stdout:",
    '  {"ready":true,"pid":...,"service":"model-server","url":"http://127.0.0.1:4030","port":4030,"baseURL":"http://127.0.0.1:4030/v1"}',
    "",
    "Environment:",
    ...Object.entries(VARIABLES).map(([name, text]) => `  ${name.padEnd(width)}  ${text}`),
    "",
  ].join("\n");
}
