import { createServer } from "node:http";
import type { RequestListener, Server, ServerResponse } from "node:http";

import {
  REQUEST_ARRIVAL_OPTIONS,
  answerNodeRefusals,
  defineErrors,
  lateRequestLine,
  serverOptionsFor,
} from "@ciba-testbed/shared/http";
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

function warnOnStderr(line: string): void {
  try {
    process.stderr.write(`agent web app: warning: ${line}\n`);
  } catch {
    // The answer the client gets does not depend on the operator's log.
  }
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

/**
 * What the web app answers for the requests Node refuses before the app sees them (a malformed
 * request, headers over 16 KB, a slow one, an `Expect` other than `100-continue`) and the CONNECT
 * it would close unanswered: the app's JSON error, with nosniff like every answer of the app.
 */
const refusals = defineErrors({
  invalidRequest: {
    status: 400,
    code: "invalid_request",
    when: "a request Node's HTTP parser refuses",
  },
  methodNotAllowed: { status: 405, code: "method_not_allowed", when: "a CONNECT" },
  requestTimeout: {
    status: 408,
    code: "invalid_request",
    when: "a request that took too long to arrive",
  },
  expectationFailed: {
    status: 417,
    code: "invalid_request",
    when: "an `Expect` other than `100-continue`",
  },
  headersTooLarge: {
    status: 431,
    code: "invalid_request",
    when: "a request line and headers over 16 KB",
  },
});

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
 * not swap them. What Node would answer itself with an empty body, or drop, gets the app's JSON
 * error; an HTTP/1.1 request without `Host` is left to the app, which refuses it the same way.
 */
export function createWebServer(
  app: RequestListener & ExpressPrototypes,
  options: {
    sleep?: (ms: number) => Promise<void>;
    /** Where the operator is warned of a request that did not arrive in time (stderr unless set). */
    warn?: (line: string) => void;
  } = {},
): WebHttpServer {
  const server = createServer({
    requireHostHeader: false,
    // 30 s for a request to arrive whole, not Node's 300 s; answered 408.
    ...REQUEST_ARRIVAL_OPTIONS,
    ...serverOptionsFor(app),
  });
  const warn = options.warn ?? warnOnStderr;
  answerNodeRefusals(server, refusals, {
    // The app keeps no request log: each such request gets its line here, whatever part stalled.
    onLate: (late) => {
      warn(lateRequestLine(late));
    },
    server: "web app",
    connectHint:
      "this is the agent's web app, not a proxy. Open / in a browser, or send POST /api/chat",
  });
  const stop = serveUntilStopped(server, app, {
    refuse: answerStopping,
    endAtStop: endChatStream,
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
  return { server, stop };
}
