import type { ErrorRequestHandler, Request } from "express";
import type { Logger } from "pino";

import { OAuthError } from "../oauth-error.js";
import { requestReadError } from "./request-errors.js";
import { sendJson } from "./send-json.js";

export interface ErrorHandlerOptions {
  /** Used when the request carries no pino-http `req.log`. */
  logger: Logger;
  /** The JSON body limit, named in the 413's description. */
  bodyLimit: string;
  /** The app's own translations, tried first (e.g. a token library's error classes). */
  translate?: (error: unknown, req: Request) => OAuthError | undefined;
  /** Told of every error answer as it is sent, a 500 as `server_error` (e.g. to keep a record). */
  onAnswer?: (req: Request, error: OAuthError) => void;
}

const SERVER_ERROR = new OAuthError(
  500,
  "server_error",
  "The server hit an unexpected error; try again later",
);

/**
 * The one error serializer of every app, placed last: `{ error, error_description }` with the
 * error's headers (`WWW-Authenticate`, `Retry-After`). Request-reading errors become 4xx
 * `invalid_request`; anything unknown becomes a 500 `server_error` that is logged and never
 * leaks a stack (node-oidc-provider's err_out).
 */
export function createErrorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      // Too late for a JSON answer: let Express close the connection.
      next(error);
      return;
    }
    const known =
      error instanceof OAuthError
        ? error
        : (options.translate?.(error, req) ?? requestReadError(error, options.bodyLimit));
    if (known === undefined) {
      loggerOf(req, options.logger).error({ err: error }, "unexpected error");
    }
    const answer = known ?? SERVER_ERROR;
    options.onAnswer?.(req, answer);
    sendJson(res, answer.status, answer.toJSON(), answer.headers);
  };
}

/** The request's own logger (pino-http's `req.log`) when the app has one. */
function loggerOf(req: Request, fallback: Logger): Logger {
  const own: unknown = Reflect.get(req, "log");
  return own === undefined ? fallback : (own as Logger);
}
