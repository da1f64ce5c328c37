import { createServer } from "node:http";
import type { RequestListener, Server, ServerResponse } from "node:http";

import {
  REQUEST_ARRIVAL_OPTIONS,
  answerNodeRefusals,
  answerWith,
  warnOfUnseenLate,
  serverOptionsFor,
} from "@ciba-testbed/shared/http";
import type { ExpressPrototypes } from "@ciba-testbed/shared/http";
import { serveUntilStopped } from "@ciba-testbed/shared/node";

import { errors } from "./errors.js";
import { holdContinue } from "./expect-continue.js";

function answerStopping(_req: unknown, res: ServerResponse): void {
  // Not a 500, whatever the request: nothing was done, and the same request may be sent again.
  answerWith(
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
 * `Expect: 100-continue` is answered `100` by the app once the token passed (`holdContinue`),
 * not by Node before anything was checked.
 *
 * An Express app gets requests and responses made with its own prototypes already
 * (`ExpressMessageClasses`), so that Express does not swap them at every request.
 */
export function createHttpServer(
  app: RequestListener,
  options: {
    stopGraceMs?: number;
    sleep?: (ms: number) => Promise<void>;
    /** Where a request whose headers never ended is logged (the app's request log never sees it). */
    logger?: { warn(message: string): void };
  } = {},
): ShopHttpServer {
  const server = createServer({
    requireHostHeader: false,
    ...REQUEST_ARRIVAL_OPTIONS,
    ...(isExpressApp(app) ? serverOptionsFor(app) : {}),
  });
  answerNodeRefusals(server, errors, {
    ...(options.logger === undefined ? {} : { onLate: warnOfUnseenLate(options.logger) }),
    server: "server",
    connectHint:
      "this is the shop's API, not a proxy. Send GET or POST to a path such as /api/purchases " +
      "(GET /openapi.json lists them)",
  });
  holdContinue(server);
  const stop = serveUntilStopped(server, app, {
    ...(options.stopGraceMs === undefined ? {} : { graceMs: options.stopGraceMs }),
    refuse: answerStopping,
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
  return { server, stop };
}
