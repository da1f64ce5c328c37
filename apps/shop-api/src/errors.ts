import { UnauthorizedError } from "express-oauth2-jwt-bearer";

/** Every error the API answers with, other than those of express-oauth2-jwt-bearer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${code}: ${description}`);
    this.name = "ApiError";
  }
}

const make =
  (status: number, code: string) =>
  (description: string): ApiError =>
    new ApiError(status, code, description);

export const invalidRequest = make(400, "invalid_request");
export const notFound = make(404, "not_found");
export const unsupportedMediaType = make(415, "unsupported_media_type");
export const payloadTooLarge = make(413, "payload_too_large");
export const unknownProduct = make(422, "unknown_product");
export const priceLimitExceeded = make(422, "price_limit_exceeded");
export const idempotencyKeyReused = make(422, "idempotency_key_reused");
export const insufficientStock = make(409, "insufficient_stock");
export const temporarilyUnavailable = make(503, "temporarily_unavailable");

/**
 * The RFC 6750 section 3 challenge, in the exact format express-oauth2-jwt-bearer builds for
 * its own errors, so every 401/403 of this API reads the same.
 */
export function bearerChallenge(code: string, description: string, scopes?: string[]): string {
  const scope = scopes ? `, scope="${scopes.join(" ")}"` : "";
  return `Bearer realm="api", error="${code}", error_description="${headerSafe(description)}"${scope}`;
}

/** RFC 6750 section 3: error_description must not contain `"` or `\` or non-ASCII characters. */
function headerSafe(text: string): string {
  return text.replace(/"/g, "'").replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "?");
}

/**
 * 403 for a token whose RFC 9396 `authorization_details` do not cover the order (or are
 * missing where this API requires them). RFC 9396 names no resource-server error code, so this
 * follows RFC 6750's `insufficient_scope` pattern with a code of its own.
 */
export class InsufficientAuthorizationDetailsError extends UnauthorizedError {
  readonly code = "insufficient_authorization_details";
  override status = 403;
  override statusCode = 403;

  constructor(message: string) {
    super(message);
    this.headers = { "WWW-Authenticate": bearerChallenge(this.code, message) };
  }
}
