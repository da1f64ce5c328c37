import { PRODUCT_BUY_SCOPE, PURCHASE_AUTHORIZATION_DETAILS_TYPE } from "@ciba-testbed/shared";
import type { OAuthError } from "@ciba-testbed/shared";
import { defineErrors } from "@ciba-testbed/shared/http";

import { JSON_BODY_LIMIT } from "./limits.js";

/**
 * Every error this API answers with, in status order: one table that makes the factories
 * (`errors.notFound("...")`) and the OpenAPI document's error list (`openapi.ts`), so the code a
 * handler throws and the code the document promises cannot drift. Rows the app never builds
 * itself (the token library's, the shared reader's 413, the 500) are here for the document.
 */
export const errors = defineErrors({
  invalidRequest: {
    status: 400,
    code: "invalid_request",
    when:
      "the body breaks the purchase schema, is not JSON, names a key twice in one object or " +
      "does not decompress as its " +
      "`Content-Encoding` says; the path is not valid percent-encoded UTF-8; the " +
      "`Idempotency-Key` is malformed; the Authorization header is not `Bearer <token>`, or comes twice (or twice in one, joined by a comma); the " +
      "token is in the URL query; or the HTTP request itself is malformed",
  },
  missingToken: {
    status: 401,
    code: "invalid_request",
    when:
      "no access token; the `WWW-Authenticate` challenge then carries no error " +
      "(RFC 6750 section 3.1)",
  },
  invalidToken: {
    status: 401,
    code: "invalid_token",
    when:
      "the token is malformed (including any segment that is not canonical base64url: " +
      "padding, `+` or `/`, whitespace, non-zero unused bits), expired, not yet valid, badly " +
      "signed, or for another issuer or audience",
  },
  insufficientScope: {
    status: 403,
    code: "insufficient_scope",
    when:
      `the token lacks \`${PRODUCT_BUY_SCOPE}\`, was issued to a client ` +
      "(client_credentials) rather than for a person, or names no person (no `sub`)",
  },
  insufficientAuthorizationDetails: {
    status: 403,
    code: "insufficient_authorization_details",
    when:
      `the token's \`${PURCHASE_AUTHORIZATION_DETAILS_TYPE}\` authorization_details (RFC 9396) ` +
      "do not cover the order, hold several entries (one approval per purchase), were already " +
      "used for an order, were issued before the shop's record of spent approvals began (its " +
      "database's first start or `--reset`), came in a token a refresh minted or with " +
      "`offline_access`, or are required and missing",
  },
  notFound: {
    status: 404,
    code: "not_found",
    when: "unknown route, product or order (another person's order is also 404)",
  },
  methodNotAllowed: {
    status: 405,
    code: "method_not_allowed",
    when:
      "the path exists but does not serve the method (PUT on `/api/purchases`, say); the " +
      "`Allow` header lists the methods it serves; or a CONNECT, which asks for a proxy's " +
      "tunnel (an empty `Allow`)",
  },
  requestTimeout: {
    status: 408,
    code: "invalid_request",
    when: "the request took too long to arrive",
  },
  insufficientStock: {
    status: 409,
    code: "insufficient_stock",
    when: "fewer units in stock than ordered",
  },
  payloadTooLarge: {
    status: 413,
    code: "invalid_request",
    when: `the body is over ${JSON_BODY_LIMIT}`,
  },
  unsupportedMediaType: {
    status: 415,
    code: "unsupported_media_type",
    when:
      "the body is not `application/json` in UTF-8, or its `Content-Encoding` is not one of " +
      "gzip, deflate, br",
  },
  expectationFailed: {
    status: 417,
    code: "invalid_request",
    when: "an `Expect` other than `100-continue`",
  },
  unknownProduct: {
    status: 422,
    code: "unknown_product",
    when: "no product has that id or name",
  },
  priceLimitExceeded: {
    status: 422,
    code: "price_limit_exceeded",
    when: "the total is above `priceLimit`",
  },
  idempotencyKeyReused: {
    status: 422,
    code: "idempotency_key_reused",
    when: "the `Idempotency-Key` was used before with a different body, or with another approval",
  },
  headersTooLarge: {
    status: 431,
    code: "invalid_request",
    when: "a request line and headers over 16 KB",
  },
  serverError: {
    status: 500,
    code: "server_error",
    when: "an unexpected failure (no details are returned)",
  },
  temporarilyUnavailable: {
    status: 503,
    code: "temporarily_unavailable",
    when:
      "the issuer's metadata or signing keys cannot be fetched (`/ready`, and a token check " +
      "that needs them), the database cannot be reached (with `Retry-After`), or the shop is " +
      "stopping and took no new request (with `Retry-After`)",
  },
});

export type ErrorName = keyof typeof errors.table;

/** Every `error` code this API answers with: what a client can switch on. */
export type ShopApiErrorCode = (typeof errors.table)[ErrorName]["code"];

/**
 * 403 for a token whose RFC 9396 `authorization_details` do not cover the order (or are missing
 * where this API requires them). RFC 9396 names no resource-server error code, so this follows
 * RFC 6750's `insufficient_scope`: a challenge with a code of its own.
 */
export function insufficientAuthorizationDetails(description: string): OAuthError {
  const { code } = errors.table.insufficientAuthorizationDetails;
  return errors.insufficientAuthorizationDetails(description, {
    "WWW-Authenticate": bearerChallenge(code, description),
  });
}

/**
 * The RFC 6750 section 3 challenge, in the exact format express-oauth2-jwt-bearer builds for
 * its own errors, so every 401/403 of this API reads the same.
 */
export function bearerChallenge(code: string, description: string): string {
  return `Bearer realm="api", error="${code}", error_description="${headerSafe(description)}"`;
}

/** RFC 6750 section 3: error_description must not contain `"` or `\` or non-ASCII characters. */
function headerSafe(text: string): string {
  return text.replace(/"/g, "'").replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "?");
}
