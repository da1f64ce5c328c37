import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { serverOptionsFor } from "@ciba-testbed/shared/http";

import { createApp } from "./app.js";
import type { ModelServerConfig } from "./config.js";
import { DEFAULT_HOST } from "./config.js";
import { createDeps } from "./deps.js";
import type { ModelServerDeps } from "./deps.js";
import { silentLogger } from "./logger.js";

export interface StartModelServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  apiKey?: string | undefined;
  deps?: Partial<ModelServerDeps>;
}

export interface RunningModelServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** What `OPENAI_BASE_URL` (or a client's `baseURL`) must be: `url` + `/v1`. */
  baseURL: string;
  port: number;
  deps: ModelServerDeps;
  server: Server;
  close(): Promise<void>;
}

/** Starts the model server; the handle a test or the testkit keeps. Logs nothing by default. */
export async function startModelServer(
  options: StartModelServerOptions = {},
): Promise<RunningModelServer> {
  const config: Pick<ModelServerConfig, "apiKey"> = { apiKey: options.apiKey };
  const deps = createDeps({ logLevel: "silent" }, { logger: silentLogger, ...options.deps });
  const app = createApp(config, deps);
  // Requests made with the app's prototypes already: Express need not swap them.
  const server = createServer(serverOptionsFor(app), app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? DEFAULT_HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    port,
    deps,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
