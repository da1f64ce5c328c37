#!/usr/bin/env node
/**
 * `model-server`, the package's bin: `--port`, `--ready-file` and `--help`, then the server.
 * Built into `dist/bin.js` for the published package; in the repository `pnpm model-server` runs it.
 */
import { runServerBin } from "@ciba-testbed/shared/node";

import { DEFAULT_HOST, DEFAULT_PORT, VARIABLES } from "./config.js";

await runServerBin(
  {
    name: "model-server",
    about: [
      "An OpenAI-compatible model server with deterministic replies, for testing agents offline.",
      "It serves POST /v1/chat/completions, POST /v1/responses and GET /v1/models; tests queue",
      "exact replies with POST /v1/testing/script. Point an agent at it with",
      `  OPENAI_BASE_URL=http://${DEFAULT_HOST}:${DEFAULT_PORT}/v1 OPENAI_API_KEY=test`,
    ],
    portVariable: "MODEL_SERVER_PORT",
    readyExample: `{"ready":true,"pid":1234,"service":"model-server","url":"http://${DEFAULT_HOST}:${DEFAULT_PORT}","port":${DEFAULT_PORT},"baseURL":"http://${DEFAULT_HOST}:${DEFAULT_PORT}/v1"}`,
    variables: VARIABLES,
  },
  () => import("./main.js"),
);
