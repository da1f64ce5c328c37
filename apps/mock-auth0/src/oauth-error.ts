import { OAuthError, oauthError } from "@ciba-testbed/shared";
import type { ErrorRequestHandler } from "express";
import type { Logger } from "pino";

export { OAuthError };

// Spec codes: RFC 6749 section 5.2, CIBA Core 1.0 sections 13 and 11, RFC 9396 section 5.
export const invalidRequest = oauthError(400, "invalid_request");
export const invalidClient = oauthError(401, "invalid_client");
export const unauthorizedClient = oauthError(403, "unauthorized_client");
export const unsupportedGrantType = oauthError(400, "unsupported_grant_type");
export const invalidGrant = oauthError(400, "invalid_grant");
export const invalidScope = oauthError(400, "invalid_scope");
export const unknownUserId = oauthError(400, "unknown_user_id");
export const invalidAuthorizationDetails = oauthError(400, "invalid_authorization_details");
export const accessDenied = oauthError(400, "access_denied");
export const forbidden = oauthError(403, "access_denied");
export const authorizationPending = oauthError(400, "authorization_pending");
export const expiredToken = oauthError(400, "expired_token");
export const notFound = oauthError(404, "not_found");
export const conflict = oauthError(409, "conflict");

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
