import { withoutUserInfo } from "@ciba-testbed/shared";
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
 * Query parameters whose values the log shows: those the tenant's routes read that carry no
 * credential and name no person, what an operator needs to see which client asked for what
 * (`/authorize`, the logout endpoints, the control API's lists).
 */
const SHOWN_VALUES = new Set([
  "client_id",
  "response_type",
  "response_mode",
  "redirect_uri",
  "scope",
  "audience",
  "prompt",
  "max_age",
  "code_challenge_method",
  "returnTo",
  "post_logout_redirect_uri",
  "ui_locales",
  "status",
  "limit",
  "cursor",
  "after",
]);

/**
 * Query parameters shown by name alone, in any case: those the tenant reads whose values are a
 * credential, a one-time handle or a person's (a consent link's token, a login's `state`, a
 * `login_hint`), and credentials someone may put in a URL by mistake (a control token as
 * `/approver?token=` instead of `#token=`, a client secret).
 */
const SHOWN_NAMES = new Set(
  [
    ...["consent", "state", "nonce", "code_challenge", "login_hint", "logout_hint"],
    ...["id_token_hint", "confirm", "token", "access_token", "refresh_token", "id_token"],
    ...["request", "request_uri", "client_secret", "client_assertion", "code", "code_verifier"],
    "password",
  ].map((name) => name.toLowerCase()),
);

const REDACTED = "[redacted]";

/** A query parameter's name as the tenant reads it, or `undefined` if it cannot be read. */
function decodedName(name: string): string | undefined {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/**
 * A URL as the request log may show it, its user-info as `[redacted]` (that of a request target
 * in absolute form, "https://user:secret@host/path", RFC 9112 section 3.2.2, which Node keeps in
 * `req.url`: a URL pasted with its password, which may hold any character; `withoutUserInfo`),
 * and its query an allowlist: a caller may put anything in a URL (an
 * `?api_key=` meant for another API, or a bare secret such as `?s3cr3t`, whose name is then the
 * secret). A parameter in `SHOWN_VALUES` is shown as sent, one in `SHOWN_NAMES` as
 * `name=[redacted]`, and any other, name and value, as `[redacted]`; a repeated one as often as
 * it came. A fragment, which no client should send, is `#[redacted]`.
 */
export function withoutQueryCredentials(target: string): string {
  const url = withoutUserInfo(target, REDACTED);
  const hash = url.indexOf("#");
  const beforeHash = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? "" : `#${REDACTED}`;
  const queryStart = beforeHash.indexOf("?");
  if (queryStart === -1) return beforeHash + fragment;
  const pairs = beforeHash
    .slice(queryStart + 1)
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const equals = pair.indexOf("=");
      const name = decodedName(equals === -1 ? pair : pair.slice(0, equals));
      if (name === undefined) return REDACTED;
      if (SHOWN_VALUES.has(name)) return pair;
      if (SHOWN_NAMES.has(name.toLowerCase())) return `${encodeURIComponent(name)}=${REDACTED}`;
      return REDACTED;
    });
  return `${beforeHash.slice(0, queryStart)}?${pairs.join("&")}${fragment}`;
}
