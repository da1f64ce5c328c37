import { parseArgs } from "node:util";

import { ConfigError } from "@ciba-testbed/shared";
import {
  announceReady,
  closeOnSignals,
  hideUrlsInNodeWarnings,
  keepServingWithoutOutput,
  listenFailureLine,
  loadServerConfig,
} from "@ciba-testbed/shared/node";
import { dropLogWhenUnwritable } from "@ciba-testbed/shared/node/unwritable-log";

import { loadConfig } from "./config.js";
import { helpText } from "./help.js";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { help: { type: "boolean", short: "h" } } });
  if (values.help === true) {
    process.stdout.write(helpText());
    return;
  }
  const config = await loadServerConfig(
    "model-server",
    "MODEL_SERVER_HOST",
    process.env,
    loadConfig,
  );
  // Loaded after --help and the configuration, which then answer at once: the model reads
  // requests with the agent's parser, and the agent package takes most of a second to load.
  const { createLogger } = await import("./logger.js");
  const { startModelServer } = await import("./server.js");
  const logger = createLogger(config.logLevel);
  dropLogWhenUnwritable(logger);
  const running = await startModelServer({
    port: config.port,
    host: config.host,
    apiKey: config.apiKey,
    deps: { logger },
  });
  logger.info({ url: running.url, baseURL: running.baseURL }, "model-server listening");
  // Taken before the ready record goes out: a supervisor that stops the server on reading it
  // would otherwise meet Node's default for a signal no listener takes yet, death by it.
  closeOnSignals(
    () => running.close(),
    (signal) => {
      logger.info({ signal }, "model-server stopping");
    },
  );

  // For supervisors (`pnpm dev`, the tests, a team's CI): printed whatever LOG_LEVEL says.
  announceReady({
    service: "model-server",
    url: running.url,
    port: running.port,
    baseURL: running.baseURL,
  });
}

// A reader of its output that has gone, or a full disk, is no reason to stop serving.
keepServingWithoutOutput("model-server");
// A request target Express hands to url.parse() is not quoted on stderr: it may hold a password.
hideUrlsInNodeWarnings();
main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    // Exit 2: the configuration is wrong, and starting again without changing it cannot help.
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  } else if ((error as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    process.stderr.write(`${(error as Error).message}\n\n${helpText()}`);
    process.exit(2);
  } else {
    process.stderr.write(
      listenFailureLine(error, { port: "MODEL_SERVER_PORT", host: "MODEL_SERVER_HOST" }) ??
        `model-server failed to start: ${String(error)}\n`,
    );
  }
  process.exit(1);
});
