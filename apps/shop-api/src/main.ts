import type { AddressInfo } from "node:net";

import { ConfigError } from "@ciba-testbed/shared";
import { announceReady, environmentTrustingLocalCa, restartWith } from "@ciba-testbed/shared/node";

import { createApp } from "./app.js";
import { loadConfig } from "./config.js";
import { createDeps } from "./deps.js";
import { createHttpServer } from "./http-server.js";
import { IssuerCheckError } from "./issuer-check.js";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  // Against the local tenant, trust its CA without asking: Node reads NODE_EXTRA_CA_CERTS
  // only at start, so the process restarts once with it set.
  const trusting = environmentTrustingLocalCa(process.env, new URL(config.issuer).host);
  if (trusting !== undefined) {
    process.exitCode = await restartWith(trusting);
    return;
  }
  const deps = createDeps(config);
  const { logger } = deps;

  try {
    const issuer = await deps.checkIssuer();
    logger.info(
      { issuer: issuer.issuer, jwksKeys: issuer.keyCount },
      "issuer reachable and trusted",
    );
  } catch (error) {
    if (error instanceof IssuerCheckError) {
      logger.fatal({ problem: error.problem }, error.message);
      console.error(`shop-api cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }

  const server = createHttpServer(createApp(config, deps));
  server.listen(config.port, config.host, () => {
    const { address, port } = server.address() as AddressInfo;
    const host = address.includes(":") ? `[${address}]` : address;
    const url = `http://${host}:${port}`;
    logger.info({ url, audience: config.audience, issuer: config.issuer }, "shop-api listening");
    // For supervisors (`pnpm dev`, the tests): printed whatever LOG_LEVEL says.
    announceReady({ service: "shop-api", url, port });
  });
  server.on("error", (error) => {
    logger.fatal({ err: error }, "shop-api could not listen");
    process.exit(1);
  });

  const stop = (signal: string) => {
    logger.info({ signal }, "shop-api stopping");
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

await main();
