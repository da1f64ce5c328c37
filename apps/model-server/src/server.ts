import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { serverOptionsFor } from "@ciba-testbed/shared/http";
import { serveUntilStopped } from "@ciba-testbed/shared/node";

import { createApp } from "./app.js";
import type { ModelServerConfig } from "./config.js";
import { DEFAULT_HOST } from "./config.js";
import { createDeps } from "./deps.js";
import type { ModelServerDeps } from "./deps.js";
import { ApiError, errors } from "./errors.js";
import { silentLogger } from "./logger.js";

export interface StartModelServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  apiKey?: string | undefined;
  deps?: Partial<ModelServerDeps>;
  /** Resolves after `ms`: a test's own, for the stop's grace (`STOP_GRACE_MS`). */
  sleep?: (ms: number) => Promise<void>;
}

function answerStopping(_req: IncomingMessage, res: ServerResponse): void {
  // OpenAI's error body, as every other error of this server. A 503 is one the OpenAI SDK and
  // the AI SDK retry by themselves: nothing was done, so the same request may go again to the
  // server that replaces this one.
  const { status, type, code } = errors.table.unavailable;
  const error = new ApiError(
    status,
    type,
    code,
    "The model server is stopping and took no new request: nothing was done. Send the same " +
      "request again in a moment",
    null,
  );
  const body = JSON.stringify(error.toJSON());
  res.writeHead(error.status, {
    "Content-Type": "application/json; charset=utf-8",
    ...error.headers,
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

export interface RunningModelServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** What `OPENAI_BASE_URL` (or a client's `baseURL`) must be: `url` + `/v1`. */
  baseURL: string;
  port: number;
  deps: ModelServerDeps;
  server: Server;
  /**
   * Stops without cutting off a request the server took (`serveUntilStopped`): requests under
   * way are answered, streamed ones whole, and later ones get `503 service_unavailable` with
   * `Retry-After`, all with `Connection: close`. Resolves once every connection has closed,
   * `STOP_GRACE_MS` at most.
   */
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
  const server = createServer(serverOptionsFor(app));
  // No `endAtStop`: a streamed reply is decided before its first byte and written whole in one
  // `end` (`sendEventStream`), so no stream stays open waiting for anything; it holds a stop
  // only while its client reads it, which the grace bounds. Ending it early could only cut a
  // reply short, before its `[DONE]`, and fail the agent's step.
  const stop = serveUntilStopped(server, app, {
    refuse: answerStopping,
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
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
    close: stop,
  };
}
