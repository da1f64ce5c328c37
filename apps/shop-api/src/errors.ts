import { OAuthError, oauthError } from "@ciba-testbed/shared";
import { UnauthorizedError } from "express-oauth2-jwt-bearer";

/** Every error the API answers with, other than those of express-oauth2-jwt-bearer. */
export { OAuthError };

export const invalidRequest = oauthError(400, "invalid_request");
export const notFound = oauthError(404, "not_found");
export const unsupportedMediaType = oauthError(415, "unsupported_media_type");
export const payloadTooLarge = oauthError(413, "payload_too_large");
export const unknownProduct = oauthError(422, "unknown_product");
export const priceLimitExceeded = oauthError(422, "price_limit_exceeded");
export const idempotencyKeyReused = oauthError(422, "idempotency_key_reused");
export const insufficientStock = oauthError(409, "insufficient_stock");
export const temporarilyUnavailable = oauthError(503, "temporarily_unavailable");

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
