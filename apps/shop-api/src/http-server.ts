import { STATUS_CODES, createServer } from "node:http";
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";

import type { OAuthError } from "@ciba-testbed/shared";
import { serverOptionsFor } from "@ciba-testbed/shared/http";
import type { ExpressPrototypes } from "@ciba-testbed/shared/http";
import { serveUntilStopped } from "@ciba-testbed/shared/node";

import { errors } from "./errors.js";

const HEADERS = {
  "Content-Type": "application/json; charset=utf-8",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
};

function refusal(code: string | undefined): OAuthError {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return errors.headersTooLarge(
        "The request line and headers are larger than this server accepts (16 KB); " +
          "shorten the URL or the headers",
      );
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return errors.requestTimeout("The request took too long to arrive");
    default:
      return errors.invalidRequest(
        "The HTTP request is malformed (request line, header syntax, Content-Length or " +
          "Transfer-Encoding) and was not processed",
      );
  }
}

/** The error as a whole HTTP/1.1 answer written straight to the socket, which then closes. */
function endWith(socket: Duplex, answer: OAuthError): void {
  const body = JSON.stringify(answer.toJSON());
  const head = [
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ""}`,
    ...Object.entries({ ...HEADERS, ...answer.headers }).map(
      ([name, value]) => `${name}: ${value}`,
    ),
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
  ];
  socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
}

function answerMalformedRequest(error: NodeJS.ErrnoException, socket: Socket): void {
  // Node's own handler writes only on a socket that is writable and has sent nothing yet.
  if (error.code === "ECONNRESET" || !socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  endWith(socket, refusal(error.code));
}

/**
 * CONNECT asks a proxy for a tunnel (RFC 9110 section 9.3.6); this origin server serves no
 * resource with it. Without a listener Node closes the connection with no answer at all.
 * `Allow` is empty: the target of a CONNECT is no resource here, so no method applies to it.
 */
function answerConnect(req: IncomingMessage, socket: Duplex): void {
  endWith(
    socket,
    errors.methodNotAllowed(
      "CONNECT is not served: this is the shop's API, not a proxy. Send GET or POST to a path " +
        "such as /api/purchases (GET /openapi.json lists them)",
      { Allow: "" },
    ),
  );
  req.resume();
}

function answer(res: ServerResponse, error: OAuthError): void {
  const body = JSON.stringify(error.toJSON());
  res.writeHead(error.status, {
    ...HEADERS,
    ...error.headers,
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

function answerUnmetExpectation(_req: unknown, res: ServerResponse): void {
  // RFC 9110 section 10.1.1: an expectation the server cannot meet gets 417.
  answer(
    res,
    errors.expectationFailed(
      "The only Expect value this server meets is '100-continue'; send the request without it",
    ),
  );
}

function answerStopping(_req: unknown, res: ServerResponse): void {
  // Not a 500, whatever the request: nothing was done, and the same request may be sent again.
  answer(
    res,
    errors.temporarilyUnavailable(
      "This shop-api is stopping and took no new request: nothing was done. Send the same " +
        "request again (with the same Idempotency-Key) in a moment",
    ),
  );
}

const isExpressApp = (app: RequestListener): app is RequestListener & ExpressPrototypes =>
  typeof (app as Partial<ExpressPrototypes>).request === "object" &&
  typeof (app as Partial<ExpressPrototypes>).response === "object";

export interface ShopHttpServer {
  server: Server;
  /**
   * Stops serving without cutting off a request the server took (`serveUntilStopped`):
   * requests under way are answered, later ones get `503 temporarily_unavailable` with
   * `Retry-After`, all with `Connection: close`; resolves once every connection has closed,
   * `graceMs` at most.
   */
  stop: () => Promise<void>;
}

/**
 * The HTTP server for the app. Node answers some requests itself, with an empty body: those its
 * parser refuses, an `Expect` other than `100-continue`, and an HTTP/1.1 request without `Host`.
 * Here the first two get the API's JSON error, and the last is left to the app, which refuses it
 * the same way (RFC 9112 section 3.2). A CONNECT, which Node would close unanswered, is `405`.
 *
 * An Express app gets requests and responses made with its own prototypes already
 * (`ExpressMessageClasses`), so that Express does not swap them at every request.
 */
export function createHttpServer(
  app: RequestListener,
  options: { stopGraceMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): ShopHttpServer {
  const server = createServer({
    requireHostHeader: false,
    ...(isExpressApp(app) ? serverOptionsFor(app) : {}),
  });
  server.on("clientError", answerMalformedRequest);
  server.on("checkExpectation", answerUnmetExpectation);
  server.on("connect", answerConnect);
  const stop = serveUntilStopped(server, app, {
    ...(options.stopGraceMs === undefined ? {} : { graceMs: options.stopGraceMs }),
    refuse: answerStopping,
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
  return { server, stop };
}
