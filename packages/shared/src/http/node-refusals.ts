import { STATUS_CODES, ServerResponse } from "node:http";
import type { IncomingMessage, Server, ServerOptions } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";

import type { RequestHandler } from "express";

import type { OAuthError } from "../oauth-error.js";

/** The errors of a server's table (`defineErrors`) that answer what Node refuses. */
export interface RefusalErrors {
  invalidRequest(description: string): OAuthError;
  methodNotAllowed(description: string, headers: Record<string, string>): OAuthError;
  requestTimeout(description: string): OAuthError;
  expectationFailed(description: string): OAuthError;
  headersTooLarge(description: string): OAuthError;
}

export interface RefusalWords {
  /** What the server is, in "larger than this <server> accepts": "server", "tenant". */
  server: string;
  /** After "CONNECT is not served: ": what the server is, and what to send it instead. */
  connectHint: string;
  /**
   * Told once of each request that did not arrive whole within the server's time
   * (`REQUEST_ARRIVAL_OPTIONS`), as it is answered. `headersCame`: the app took the request and
   * answers it through its own response, which a request log records; otherwise no app saw it,
   * and nothing but this tells the operator of it.
   */
  onLate?: (late: LateRequest) => void;
}

/** A request that did not arrive whole in time, as a server's log may name it: no part of it. */
export interface LateRequest {
  headersCame: boolean;
  /** The client's address, as the socket names it (undefined once it is gone). */
  remoteAddress: string | undefined;
  /** The seconds it had. */
  limitSeconds: number;
}

/** One line for an operator of a request that `LateRequest` names: what, from where, what then. */
export function lateRequestLine(late: LateRequest): string {
  const what = late.headersCame
    ? "its body stopped short of its Content-Length, or came too slowly"
    : "its request line and headers never ended (a client that sends part of a request, then " +
      "nothing, holds a connection: slowloris)";
  return (
    `A request from ${late.remoteAddress ?? "a client that has gone"} did not arrive whole ` +
    `within ${String(late.limitSeconds)} s: ${what}. It was answered 408 and its connection closed`
  );
}

export const ERROR_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "application/json; charset=utf-8",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
};

/**
 * `onLate` for a server with a request log, which records the 408 of a request whose body
 * stalled (the app answered it): a warning for one whose headers never ended, which no app saw.
 */
export function warnOfUnseenLate(logger: {
  warn(message: string): void;
}): (late: LateRequest) => void {
  return (late) => {
    if (!late.headersCame) logger.warn(lateRequestLine(late));
  };
}

/** The error as its JSON answer: the status, the headers it needs, `{error, error_description}`. */
export function answerWith(res: ServerResponse, error: OAuthError): void {
  const body = JSON.stringify(error.toJSON());
  res.writeHead(error.status, {
    ...ERROR_HEADERS,
    ...error.headers,
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** The error as a whole HTTP/1.1 answer written straight to the socket, which then closes. */
function endWith(socket: Duplex, error: OAuthError): void {
  const body = JSON.stringify(error.toJSON());
  const head = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ""}`,
    ...Object.entries({ ...ERROR_HEADERS, ...error.headers }).map(
      ([name, value]) => `${name}: ${value}`,
    ),
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
  ];
  socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
}

/**
 * How long a request may take to arrive, from its first byte to the last of its body: 30 s.
 * Node's own bound is 300 s (`requestTimeout`), so a client that sent its headers and part of a
 * body, then nothing (`Content-Length: 100` and 10 bytes), held a request, its socket and its
 * body reader for five minutes. Proxies in front of real servers give up far sooner: nginx waits
 * 60 s for the headers and 60 s between two reads of a body (`client_header_timeout`,
 * `client_body_timeout`), Apache's mod_reqtimeout 20 s for a body's first bytes, and HAProxy's
 * examples give a whole request 10 s (`timeout http-request`). The bodies these servers read
 * are small (20 KB at most for the tenant's OAuth endpoints, 64 KB for its control API), so
 * 30 s for all of it refuses no honest client on a slow link, and bounds what a stalled one
 * holds. `answerNodeRefusals` answers such a request `408`.
 */
export const REQUEST_ARRIVAL_LIMIT_MS = 30_000;

/**
 * The server options that bound a request's arrival to `REQUEST_ARRIVAL_LIMIT_MS`: Node's bound
 * for the headers alone (`headersTimeout`, 60 s) within it, and Node's look for requests past
 * it once a second (`connectionsCheckingInterval`, a walk over the open connections in C++; 30 s
 * by default, which would let a stalled request live up to a minute).
 */
export const REQUEST_ARRIVAL_OPTIONS = {
  requestTimeout: REQUEST_ARRIVAL_LIMIT_MS,
  headersTimeout: REQUEST_ARRIVAL_LIMIT_MS,
  connectionsCheckingInterval: 1_000,
} as const satisfies ServerOptions;

/**
 * Gives the requests Node answers itself with an empty body and the CONNECT it closes
 * unanswered the server's own JSON error: a request its parser refuses (`400`; request line and
 * headers over the limit, `431`; too slow to arrive, `408`), an `Expect` other than
 * `100-continue` (`417`, RFC 9110 section 10.1.1), and a CONNECT (`405` with an empty `Allow`:
 * its target is no resource here, RFC 9110 section 9.3.6). Over TLS as over plain HTTP: the
 * answer goes through the connection's socket.
 *
 * A request too slow to arrive (`REQUEST_ARRIVAL_OPTIONS`) whose headers came, so that the app
 * took it and waits for its body, is answered `408` through its own response, with `Connection:
 * close`: the app's request log records it once, as any other answer of the app, at the level it
 * gives a client's fault, and its body reader sees the connection end. One whose headers never
 * came (a slowloris client) is answered on the socket, as Node would, where no app's request log
 * sees it: `words.onLate` is told of both.
 */
export function answerNodeRefusals(
  server: Server | HttpsServer,
  errors: RefusalErrors,
  words: RefusalWords,
): void {
  // Node's bound for the headers alone, or for the whole request.
  const limitSeconds = (headersCame = true) =>
    (headersCame ? server.requestTimeout : server.headersTimeout) / 1000;
  const malformed = (code: string | undefined): OAuthError => {
    switch (code) {
      case "HPE_HEADER_OVERFLOW":
        return errors.headersTooLarge(
          `The request line and headers are larger than this ${words.server} accepts (16 KB); ` +
            "shorten the URL or the headers",
        );
      case "ERR_HTTP_REQUEST_TIMEOUT:headers":
        return errors.requestTimeout(
          `The request's line and headers did not arrive whole within ${String(limitSeconds(false))} s: ` +
            "they never ended with an empty line, or came too slowly. Send the whole request " +
            "again, its headers ended by an empty line",
        );
      case "ERR_HTTP_REQUEST_TIMEOUT":
        return errors.requestTimeout(
          `The request did not arrive whole within ${String(limitSeconds())} s: ` +
            "its body stopped short of its Content-Length, or came too slowly. Send the " +
            "whole request again, with as many bytes of body as its Content-Length says",
        );
      default:
        return errors.invalidRequest(
          "The HTTP request is malformed (request line, header syntax, Content-Length or " +
            "Transfer-Encoding) and was not processed",
        );
    }
  };
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    // Node's own handler writes only on a socket that is writable and has sent nothing yet.
    // A TLS connection whose handshake never ended (ERR_TLS_HANDSHAKE_TIMEOUT: a client that
    // connected and sent nothing) cannot carry an answer: written, it waited unsent for ever,
    // and the connection held its file descriptor after the client had gone.
    if (error.code === "ECONNRESET" || error.code?.startsWith("ERR_TLS_") === true) {
      socket.destroy();
      return;
    }
    // The response of a request the app took whose body is still arriving (Node's own handler
    // reads the same field).
    const inFlight = (socket as Socket & { _httpMessage?: unknown })._httpMessage;
    const late = error.code === "ERR_HTTP_REQUEST_TIMEOUT";
    if (late) {
      const headersCame = inFlight instanceof ServerResponse;
      words.onLate?.({
        headersCame,
        remoteAddress: socket.remoteAddress,
        limitSeconds: limitSeconds(headersCame),
      });
    }
    if (late && inFlight instanceof ServerResponse) {
      if (!socket.writable || inFlight.headersSent) {
        socket.destroy();
        return;
      }
      inFlight.shouldKeepAlive = false;
      answerWith(inFlight as ServerResponse, malformed(error.code));
      return;
    }
    if (!socket.writable || socket.bytesWritten > 0) {
      socket.destroy();
      return;
    }
    endWith(socket, malformed(late ? "ERR_HTTP_REQUEST_TIMEOUT:headers" : error.code));
  });
  server.on("checkExpectation", (_req: IncomingMessage, res: ServerResponse) => {
    answerWith(
      res,
      errors.expectationFailed(
        `The only Expect value this ${words.server} meets is '100-continue'; send the request ` +
          "without it",
      ),
    );
  });
  server.on("connect", (req: IncomingMessage, socket: Duplex) => {
    endWith(
      socket,
      errors.methodNotAllowed(`CONNECT is not served: ${words.connectHint}`, { Allow: "" }),
    );
    req.resume();
  });
}

/** RFC 9112 section 3.2's reason to refuse an HTTP/1.1 request without `Host` with 400. */
export const MISSING_HOST = "An HTTP/1.1 request needs a Host header (RFC 9112 section 3.2)";

/**
 * Whether `req` is an HTTP/1.1 request without `Host`. Node refuses one itself, with an empty
 * body; a server created with `requireHostHeader: false` lets it through for its app to refuse
 * with its own error (`refuseWithoutHost`, or the app's own answer).
 */
export function lacksHost(req: IncomingMessage): boolean {
  return req.httpVersion === "1.1" && req.headers.host === undefined;
}

/** Refuses an HTTP/1.1 request without `Host` with the app's `invalidRequest` error. */
export function refuseWithoutHost(errors: Pick<RefusalErrors, "invalidRequest">): RequestHandler {
  return (req, _res, next) => {
    next(lacksHost(req) ? errors.invalidRequest(MISSING_HOST) : undefined);
  };
}
