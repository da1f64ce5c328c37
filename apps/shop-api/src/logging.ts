import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

import { withoutUserInfo } from "@ciba-testbed/shared";
import { serializeError } from "@ciba-testbed/shared/http";
import { pino } from "pino";
import type { DestinationStream, LevelWithSilent, Logger } from "pino";
import { pinoHttp } from "pino-http";
import type { HttpLogger } from "pino-http";

/** Belt and braces: the request serializer below never emits headers in the first place. */
const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers.dpop",
  'res.headers["set-cookie"]',
  "*.access_token",
  "*.id_token",
  "*.refresh_token",
  "*.client_secret",
];

export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: "[Redacted]" },
    serializers: { err: serializeError },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A caller's request id is reused when it is short and plain; anything else is replaced. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The query as a log may show it: an allowlist, since a caller may put anything in a URL, a
 * `?password=`, an `?api_key=` meant for another API, or a bare secret (`?s3cr3t`), whose name
 * is then the secret. A parameter the shop knows keeps its name: `access_token` (RFC 6750
 * section 2.3, which the shop refuses, so the log says why) and `user`, whose value is kept
 * only on the admin route, where it is the person whose orders are asked for (a path matched as
 * Express routes it: any case, a trailing slash). Every other value, and every other parameter
 * as a whole, is `[Redacted]`.
 */
const NAMED_QUERY_PARAMS = new Set(["access_token", "user"]);
const ADMIN_ORDERS = /^\/admin\/orders\/?$/i;
const REDACTED = encodeURIComponent("[Redacted]");

/**
 * The URL with its user information and query redacted (see `NAMED_QUERY_PARAMS`): a target in
 * absolute form (`http://user:password@host/...`, which the shop refuses, and the log shows)
 * as `withoutUserInfo` shows it, whatever the password holds.
 */
export function redactUrl(sent: string): string {
  const url = withoutUserInfo(sent, "[Redacted]");
  const queryStart = url.indexOf("?");
  if (queryStart === -1) return url;
  const path = url.slice(0, queryStart);
  const pairs = [...new URLSearchParams(url.slice(queryStart + 1))].map(([name, value]) => {
    if (!NAMED_QUERY_PARAMS.has(name)) return REDACTED;
    const kept = name === "user" && ADMIN_ORDERS.test(path);
    return new URLSearchParams([[name, kept ? value : "[Redacted]"]]).toString();
  });
  return `${path}?${pairs.join("&")}`;
}

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers["x-request-id"];
  const id = typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader("X-Request-Id", id);
  return id;
}

export function httpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: requestId,
    wrapSerializers: false,
    serializers: {
      // An allowlist: no headers, so no Authorization, cookies or tokens can reach the log.
      req: (req: IncomingMessage & { id?: unknown; originalUrl?: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.originalUrl ?? req.url ?? ""),
        userAgent: req.headers["user-agent"],
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      err: serializeError,
    },
    customLogLevel: (req, res, error) => {
      if (error || res.statusCode >= 500) return "error";
      // A request with no credentials gets the Bearer challenge (RFC 6750 section 3): the
      // protocol's first step, which an agent's check of the purchase URL takes before each
      // consent request, not a warning. A token refused is one.
      if (res.statusCode === 401 && req.headers.authorization === undefined) return "info";
      if (res.statusCode >= 400) return "warn";
      return "info";
    },
  });
}
