import { createServer } from "node:http";
import type { RequestListener, Server, ServerResponse } from "node:http";

import { serverOptionsFor } from "@ciba-testbed/shared/http";
import type { ExpressPrototypes } from "@ciba-testbed/shared/http";
import { serveUntilStopped } from "@ciba-testbed/shared/node";

function answerStopping(_req: unknown, res: ServerResponse): void {
  // The app's own error body, as its other refusals.
  const body = JSON.stringify({
    error: "temporarily_unavailable",
    error_description:
      "The agent's web app is stopping and took no new request: nothing was done. Send it " +
      "again in a moment",
  });
  res.writeHead(503, {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * A chat's event stream stays open while its purchase waits for the person, for minutes: the
 * stop cuts it as before, and the page tells the person the connection broke. Cut, not ended:
 * an ended stream would read to the page as a finished answer.
 */
function endChatStream(_req: unknown, res: ServerResponse): void {
  const type = res.getHeader("Content-Type");
  if (res.headersSent && typeof type === "string" && type.startsWith("text/event-stream")) {
    res.destroy();
  }
}

export interface WebHttpServer {
  server: Server;
  /**
   * Stops serving without cutting off a request the server took (`serveUntilStopped`) but a
   * chat's event stream: requests under way are answered, later ones get
   * `503 temporarily_unavailable` with `Retry-After`, all with `Connection: close`; resolves
   * once every connection has closed, `STOP_GRACE_MS` at most.
   */
  stop: () => Promise<void>;
}

/**
 * The web app's HTTP server. Requests are made with the app's prototypes already: Express need
 * not swap them.
 */
export function createWebServer(
  app: RequestListener & ExpressPrototypes,
  options: { sleep?: (ms: number) => Promise<void> } = {},
): WebHttpServer {
  const server = createServer(serverOptionsFor(app));
  const stop = serveUntilStopped(server, app, {
    refuse: answerStopping,
    endAtStop: endChatStream,
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
  return { server, stop };
}
