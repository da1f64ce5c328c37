import { OAuthError } from "@ciba-testbed/shared";
import { createErrorHandler, requestReadError } from "@ciba-testbed/shared/http";
import type { ErrorRequestHandler, Request } from "express";
import { UnauthorizedError } from "express-oauth2-jwt-bearer";
import type { Logger } from "pino";

import { errors } from "./errors.js";
import { JSON_BODY_LIMIT } from "./limits.js";
import { connectionRefusal } from "./store/connection-refusal.js";
import {
  DATABASE_RETRY_AFTER_SECONDS,
  isDatabaseUnavailable,
  isStatementTimeout,
  isReadOnly,
  isRefusedByDatabase,
  isTransactionConflict,
} from "./store/database-unavailable.js";

const DESCRIPTIONS_FOR_BARE_LIBRARY_ERRORS: Record<number, string> = {
  // RFC 6750 section 3.1: no credentials, so the challenge carries no error code.
  401: "This endpoint needs an access token: send it as 'Authorization: Bearer <token>'",
  400: "The Authorization header must be 'Bearer <token>': one space, no other scheme, no empty token",
};

const INVALID_HOST =
  "The Host header must be the host name or IP address the request was sent to, with an " +
  "optional port up to 65535 (RFC 9110 section 7.2): no scheme, path or other characters";

/**
 * express-oauth2-jwt-bearer's error classes as this API's errors: the library's status, code
 * and challenge (made header-safe), with a description a person can act on where the library
 * leaves the code empty (no token, a malformed Authorization header).
 */
function fromTokenLibrary(error: unknown): OAuthError | undefined {
  if (!(error instanceof UnauthorizedError)) return undefined;
  const code = "code" in error && typeof error.code === "string" ? error.code : "";
  const challenge = error.headers["WWW-Authenticate"];
  const headers: Record<string, string> =
    typeof challenge === "string"
      ? { "WWW-Authenticate": challenge.replace(/[^\x20-\x7e]/g, "?") }
      : {};
  // The library builds the request's URL from Host (for DPoP) before it reads the token.
  if (code === "invalid_request" && error.message === "Invalid Host header") {
    return new OAuthError(error.status, code, INVALID_HOST, headers);
  }
  if (code !== "") return new OAuthError(error.status, code, error.message, headers);
  const description = DESCRIPTIONS_FOR_BARE_LIBRARY_ERRORS[error.status] ?? "Unauthorized";
  return new OAuthError(error.status, "invalid_request", description, headers);
}

/**
 * A body the reader refused, with the shared reader's answer, before the database's errors are
 * looked for: body-parser's "request aborted" (the client closed its connection in the middle of
 * the body) carries ECONNABORTED, a socket code of the database's errors too, and was answered
 * and logged as the database failing. A 415 (charset, Content-Encoding) is
 * `unsupported_media_type` here, the code of this API's own Content-Type check.
 */
function bodyReadError(error: unknown): OAuthError | undefined {
  const read = requestReadError(error, JSON_BODY_LIMIT);
  return read?.status === errors.table.unsupportedMediaType.status
    ? errors.unsupportedMediaType(read.description)
    : read;
}

/**
 * The database down or unreachable: 503 with Retry-After, never a 500 (`isDatabaseUnavailable`).
 * An order is told to come again with its Idempotency-Key; a read, or an order sent without
 * one, just to come again.
 */
function databaseUnavailable(
  error: unknown,
  req: Request,
  logger: Logger,
  onDatabaseUnavailable: () => void,
): OAuthError | undefined {
  if (!isDatabaseUnavailable(error)) return undefined;
  onDatabaseUnavailable();
  const cause = databaseCause(error);
  const log = (req as { log?: Logger }).log ?? logger;
  // The answer says only that the database cannot serve; the log says why, for whoever runs it,
  // and, for a connection refused for a setting, what to change (at error: no retry mends it).
  const refusal = connectionRefusal(error);
  if (refusal) {
    log.error(
      { database: cause },
      `the shop's database refuses the shop's connection: ${refusal.what}. ${refusal.fix}`,
    );
  } else {
    log.warn(
      { database: cause },
      `the shop's database cannot serve this request now: ${cause.message} (${cause.code})`,
    );
  }
  const why = refusal
    ? `The shop's database refuses the shop's connection right now (${refusal.short}); the ` +
      "shop's log says what to change."
    : isReadOnly(error)
      ? "The shop's database is read-only right now (a standby, or a primary during a failover), so it cannot take orders."
      : isStatementTimeout(error)
        ? "The shop's database did not answer in time (a lock held elsewhere, or an overloaded server)."
        : isTransactionConflict(error)
          ? "The shop's database gave this request up for another one at the same time (a lock it " +
            "could not have in time, a deadlock or a serialization failure); nothing was changed."
          : isRefusedByDatabase(error)
            ? "The shop's database cannot serve this request right now; nothing was changed."
            : "The shop's database cannot be reached right now.";
  const retry =
    req.method === "POST" && req.headers["idempotency-key"] !== undefined
      ? " Retry after the Retry-After seconds with the same Idempotency-Key: an order that " +
        "was placed is answered, never placed twice"
      : " Retry after the Retry-After seconds";
  return errors.temporarilyUnavailable(`${why}${retry}`, {
    "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS),
  });
}

/**
 * The first error along `error`'s causes (and an AggregateError's members) that carries a code:
 * PostgreSQL's SQLSTATE and its message (53300 "sorry, too many clients already"), or a socket
 * error's code alone (its message names a host, which an unencoded password in the URL may hold).
 */
function databaseCause(error: unknown): { code: string; message: string } {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const next = queue.shift();
    if (!(next instanceof Error) || seen.has(next)) continue;
    seen.add(next);
    const code = (next as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
      return { code, message: next.message };
    }
    if (typeof code === "string") return { code, message: "a connection to the database failed" };
    queue.push(next.cause);
    if (next instanceof AggregateError) queue.push(...(next.errors as unknown[]));
  }
  return {
    code: "none",
    message: error instanceof Error ? error.message.slice(0, 200) : "unknown",
  };
}

/**
 * The shared serializer, placed last, with this API's translations tried first.
 * `onDatabaseUnavailable` hears of each request the database could not serve.
 */
export function errorHandler(
  logger: Logger,
  onDatabaseUnavailable: () => void = () => undefined,
): ErrorRequestHandler {
  return createErrorHandler({
    logger,
    bodyLimit: JSON_BODY_LIMIT,
    translate: (error, req) =>
      fromTokenLibrary(error) ??
      bodyReadError(error) ??
      databaseUnavailable(error, req, logger, onDatabaseUnavailable),
  });
}
