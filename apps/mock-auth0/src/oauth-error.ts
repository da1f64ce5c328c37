import type { OAuthErrorBody } from "@ciba-testbed/shared";
import type { ErrorRequestHandler } from "express";
import type { Logger } from "pino";

/**
 * One class for every OAuth error the tenant answers with. `code` is the spec's word
 * (RFC 6749 section 5.2, CIBA Core 1.0 sections 13 and 11, RFC 9396 section 5).
 */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${code}: ${description}`);
    this.name = "OAuthError";
  }

  toJSON(): OAuthErrorBody {
    return { error: this.code, error_description: this.description };
  }
}

const make =
  (status: number, code: string) =>
  (description: string, headers?: Record<string, string>): OAuthError =>
    new OAuthError(status, code, description, headers);

export const invalidRequest = make(400, "invalid_request");
export const invalidClient = make(401, "invalid_client");
export const unauthorizedClient = make(403, "unauthorized_client");
export const unsupportedGrantType = make(400, "unsupported_grant_type");
export const invalidGrant = make(400, "invalid_grant");
export const invalidScope = make(400, "invalid_scope");
export const unknownUserId = make(400, "unknown_user_id");
export const invalidAuthorizationDetails = make(400, "invalid_authorization_details");
export const accessDenied = make(400, "access_denied");
export const forbidden = make(403, "access_denied");
export const authorizationPending = make(400, "authorization_pending");
export const expiredToken = make(400, "expired_token");
export const notFound = make(404, "not_found");
export const conflict = make(409, "conflict");

export function slowDown(retryAfterSeconds: number): OAuthError {
  return new OAuthError(
    429,
    "slow_down",
    `You are polling faster than allowed. Wait ${retryAfterSeconds} s before the next poll.`,
    { "Retry-After": String(retryAfterSeconds) },
  );
}

export function tooManyRequests(retryAfterSeconds: number, description: string): OAuthError {
  return new OAuthError(429, "too_many_requests", description, {
    "Retry-After": String(retryAfterSeconds),
  });
}

interface HttpError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  expose?: unknown;
}

/** Turns errors thrown by body parsers into OAuth errors; anything else is a server_error. */
function toOAuthError(error: unknown): OAuthError | undefined {
  if (error instanceof OAuthError) return error;
  const { status, type } = (error ?? {}) as HttpError;
  if (type === "entity.too.large")
    return new OAuthError(413, "invalid_request", "Request body too large");
  if (type === "entity.parse.failed") return invalidRequest("Request body is not valid JSON");
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new OAuthError(status, "invalid_request", "The request could not be read");
  }
  return undefined;
}

/** The one error serializer, placed last: `{ error, error_description }`, never a stack. */
export function oauthErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const known = toOAuthError(error);
    if (known) {
      res.status(known.status).set(known.headers).json(known.toJSON());
      return;
    }
    logger.error({ err: error }, "unhandled error");
    res
      .status(500)
      .json({ error: "server_error", error_description: "The server hit an unexpected error" });
  };
}
