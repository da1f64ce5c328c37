import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

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
 * The query parameters whose values a log keeps: the shop's own, which carry no secret. Any
 * other value is replaced, since a caller may put anything in a URL: `?access_token=` (RFC 6750
 * section 2.3, which the shop refuses), a `?password=` or an `?api_key=` meant for another API.
 */
const KEPT_QUERY_PARAMS = new Set(["user"]);

/** The URL with the values of every query parameter but the shop's own replaced. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf("?");
  if (queryStart === -1) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const name of new Set(params.keys())) {
    if (!KEPT_QUERY_PARAMS.has(name)) params.set(name, "[Redacted]");
  }
  return `${url.slice(0, queryStart)}?${params.toString()}`;
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
