import { randomBytes } from "node:crypto";

import { systemClock } from "@ciba-testbed/shared";
import type { Clock } from "@ciba-testbed/shared";
import type { Logger } from "pino";

import type { ModelServerConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { RequestLog } from "./request-log.js";
import { ResponseStore } from "./response-store.js";
import { ReplyScript } from "./script.js";

/** What tests swap, and the server's state. */
export interface ModelServerDeps {
  logger: Logger;
  clock: Clock;
  /** A new id with OpenAI's prefix for its kind: `chatcmpl-`, `resp_`, `msg_`, `fc_`, `call_`. */
  newId: (prefix: string) => string;
  script: ReplyScript;
  responses: ResponseStore;
  requests: RequestLog;
}

export function createDeps(
  config: Pick<ModelServerConfig, "logLevel">,
  overrides: Partial<ModelServerDeps> = {},
): ModelServerDeps {
  return {
    logger: overrides.logger ?? createLogger(config.logLevel),
    clock: systemClock,
    newId: (prefix) => `${prefix}${randomBytes(12).toString("hex")}`,
    script: new ReplyScript(),
    responses: new ResponseStore(),
    requests: new RequestLog(),
    ...overrides,
  };
}
