import express from "express";
import type { Express } from "express";
import { verifyJsonBody } from "@ciba-testbed/shared/http";
import type { JsonBodyRefusal } from "@ciba-testbed/shared/http";

import type { ModelServerConfig } from "./config.js";
import type { ModelServerDeps } from "./deps.js";
import { requireApiKey } from "./auth.js";
import { noteBodyBytes } from "./body-bytes.js";
import { errorHandler } from "./error-handler.js";
import { errors } from "./errors.js";
import { JSON_BODY_LIMIT, MAX_BODY_DEPTH, MAX_BODY_ELEMENTS } from "./limits.js";
import { chatCompletionsRoutes } from "./routes/chat-completions.js";
import { modelsRoutes } from "./routes/models.js";
import { responsesRoutes } from "./routes/responses.js";
import { testingRoutes } from "./routes/testing.js";

const SERVED =
  "POST /v1/chat/completions, POST /v1/responses, GET /v1/models, and /v1/testing/script " +
  "and /v1/testing/requests";

/** Why a body past MAX_BODY_ELEMENTS (413, as one too large) or MAX_BODY_DEPTH (400) is refused. */
const bodyRefusal: JsonBodyRefusal = (excess) => {
  if (excess === "elements") {
    return {
      status: errors.table.payloadTooLarge.status,
      message:
        `The request body holds more than the ${MAX_BODY_ELEMENTS} array elements and object ` +
        "members this server reads; send fewer messages, content parts or tools",
    };
  }
  return {
    status: errors.table.invalidRequest.status,
    message:
      `The request body nests arrays and objects more than ${MAX_BODY_DEPTH} levels deep, ` +
      "deeper than this server reads; send a flatter body (tool schemas included)",
  };
};

/** The model server as an Express app. It never listens: `main.ts`, `startModelServer` or a test does. */
export function createApp(
  config: Pick<ModelServerConfig, "apiKey">,
  deps: ModelServerDeps,
): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use((req, res, next) => {
    const started = performance.now();
    res.on("finish", () => {
      deps.logger.info(
        {
          method: req.method,
          path: req.path.slice(0, 200),
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        "request",
      );
    });
    next();
  });

  app.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });
  const modelKey = requireApiKey(config.apiKey);
  const testingKey = requireApiKey(config.apiKey, { optional: true });
  app.use("/v1", (req, res, next) => {
    const testing = req.path === "/testing" || req.path.startsWith("/testing/");
    (testing ? testingKey : modelKey)(req, res, next);
  });
  const verifyBody = verifyJsonBody(
    { maxElements: MAX_BODY_ELEMENTS, maxDepth: MAX_BODY_DEPTH },
    bodyRefusal,
  );
  app.use(
    express.json({
      limit: JSON_BODY_LIMIT,
      verify: (req, res, body) => {
        verifyBody(req, res, body);
        noteBodyBytes(req, body);
      },
    }),
  );
  app.use(chatCompletionsRoutes(deps));
  app.use(responsesRoutes(deps));
  app.use(modelsRoutes());
  app.use(testingRoutes(deps));

  app.use((req, _res, next) => {
    const route = `${req.method} ${req.path.slice(0, 200)}`;
    const hint = req.path.startsWith("/v1/")
      ? ""
      : " Is the base URL missing '/v1'? Set OPENAI_BASE_URL to http://<host>:<port>/v1.";
    next(errors.notFound(`Invalid URL (${route}): this server serves ${SERVED}.${hint}`));
  });
  app.use(errorHandler(deps.logger));
  return app;
}
