import type { ErrorRequestHandler, RequestHandler } from "express";
import type { Logger } from "pino";
import { pinoHttp, startTime } from "pino-http";

/** Where the request log goes in the app: first, and just before the error handler. */
export interface RequestLogging {
  /** Placed before every route; none when the level writes no request record. */
  first: RequestHandler | undefined;
  /** Placed before the error handler; none when `first` already logs every request. */
  beforeErrorHandler: ErrorRequestHandler | undefined;
}

/**
 * pino-http's records: `request completed` at info for every answer, `request errored` at
 * error for a 5xx, each with the method, the URL (without a consent link's token), the
 * status and the response time; the error handler's `unexpected error` carries the request.
 *
 * Logging every request costs pino-http a child logger and three listeners each, about a
 * twentieth of the tenant's time under load, even when the level writes none of it. So below
 * info (`LOG_LEVEL=warn` or `error`), a request only has its start time noted, and pino-http
 * takes it up when an error reaches the error handler: the records written are the same (an
 * answer that is not an error writes none at those levels). At `fatal` and `silent` nothing
 * is logged at all.
 */
export function requestLogging(logger: Logger): RequestLogging {
  const http = pinoHttp({
    logger,
    customLogLevel: (_req, res, error) =>
      error !== undefined || res.statusCode >= 500 ? "error" : "info",
    serializers: {
      req: (req: { method: string; url: string }) => ({
        method: req.method,
        url: withoutQueryCredentials(req.url),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
  if (logger.isLevelEnabled("info")) return { first: http, beforeErrorHandler: undefined };
  if (!logger.isLevelEnabled("error")) return { first: undefined, beforeErrorHandler: undefined };
  return {
    first: (_req, res, next) => {
      res[startTime] = Date.now();
      next();
    },
    beforeErrorHandler: (error: unknown, req, res, next) => {
      http(req, res, () => {
        next(error);
      });
    },
  };
}

/**
 * The values of query parameters that carry credentials replaced, for logs: the consent link's
 * token, and a control token, access token or client secret someone put in a URL
 * (`/approver?token=` instead of `#token=`). The tenant reads none of them from a query but
 * the consent link's, and none may reach a log.
 */
export function withoutQueryCredentials(url: string): string {
  return url.replace(
    /([?&](?:consent|token|access_token|refresh_token|id_token_hint|client_secret|client_assertion|code_verifier)=)[^&#]*/gi,
    "$1[redacted]",
  );
}
