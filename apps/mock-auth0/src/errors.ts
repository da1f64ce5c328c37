import type { OAuthError } from "@ciba-testbed/shared";
import { defineErrors } from "@ciba-testbed/shared/http";

/**
 * Every error this tenant answers with, in status order: one table that makes the factories
 * the handlers throw (`errors.invalidGrant("...")`). Codes follow RFC 6749 section 5.2, CIBA
 * Core 1.0 sections 13 (authentication request) and 11 (token request), RFC 6750 section 3 and
 * RFC 9396 section 5, with Auth0's statuses where Auth0 differs from the specs. Rows the tenant
 * never builds itself (the shared request reader's 415, the 500) are here so the list is whole.
 */
export const errors = defineErrors({
  invalidRequest: {
    status: 400,
    code: "invalid_request",
    when:
      "a parameter is missing, repeated or malformed (login_hint, binding_message, " +
      "requested_expiry, an unknown audience, no openid scope); the user is not enrolled in " +
      "push, or the tenant's push factor is off; a control API query or policy is invalid; the " +
      "path or body cannot be read",
  },
  unsupportedGrantType: {
    status: 400,
    code: "unsupported_grant_type",
    when: "a grant type other than CIBA and client_credentials",
  },
  invalidGrant: {
    status: 400,
    code: "invalid_grant",
    when: "an auth_req_id that is unknown, already used or another client's",
  },
  invalidScope: { status: 400, code: "invalid_scope", when: "a scope the API does not define" },
  unknownUserId: {
    status: 400,
    code: "unknown_user_id",
    when: "the login_hint names no user of the tenant",
  },
  invalidAuthorizationDetails: {
    status: 400,
    code: "invalid_authorization_details",
    when: "authorization_details that are not a JSON array of typed objects the API accepts",
  },
  authorizationPending: {
    status: 400,
    code: "authorization_pending",
    when: "a poll before the person answered",
  },
  accessDenied: {
    status: 400,
    code: "access_denied",
    when: "a poll after a denial, or after expiry when ciba.expiredError is access_denied",
  },
  expiredToken: {
    status: 400,
    code: "expired_token",
    when: "a poll after expiry when ciba.expiredError is expired_token",
  },
  invalidClient: {
    status: 401,
    code: "invalid_client",
    when: "client authentication is missing or fails (WWW-Authenticate: Basic for Basic auth)",
  },
  invalidToken: {
    status: 401,
    code: "invalid_token",
    when: "a control route without the tenant's control token (WWW-Authenticate: Bearer)",
  },
  unauthorizedClient: {
    status: 403,
    code: "unauthorized_client",
    when: "the client may not use the grant",
  },
  forbidden: {
    status: 403,
    code: "access_denied",
    when:
      "client_credentials with no or an unknown audience, or an API or scope not granted to " +
      "the client (Auth0's answers); an API whose access policy refuses the client; a " +
      "cross-site request to the control API",
  },
  notFound: { status: 404, code: "not_found", when: "an unknown route or auth_req_id" },
  conflict: {
    status: 409,
    code: "conflict",
    when: "a decision on a request that is no longer pending",
  },
  payloadTooLarge: {
    status: 413,
    code: "invalid_request",
    when: "a body over its route's limit, or a form with too many parameters",
  },
  unsupportedMediaType: {
    status: 415,
    code: "invalid_request",
    when: "a body in another charset than UTF-8, or a Content-Encoding other than gzip, deflate, br",
  },
  slowDown: {
    status: 429,
    code: "slow_down",
    when: "a poll sooner than the interval (Auth0 answers 429 where CIBA says 400), with Retry-After",
  },
  tooManyRequests: {
    status: 429,
    code: "too_many_requests",
    when:
      "a user's requests a minute, the tenant's open requests or the event streams are at " +
      "their limit, with Retry-After",
  },
  serverError: {
    status: 500,
    code: "server_error",
    when: "an unexpected failure (no details are returned)",
  },
});

/** CIBA Core 1.0 section 11: the wait grows; Auth0 says how long in `Retry-After`. */
export function slowDown(retryAfterSeconds: number): OAuthError {
  return errors.slowDown(
    `You are polling faster than allowed. Wait ${retryAfterSeconds} s before the next poll.`,
    { "Retry-After": String(retryAfterSeconds) },
  );
}

export function tooManyRequests(retryAfterSeconds: number, description: string): OAuthError {
  return errors.tooManyRequests(description, { "Retry-After": String(retryAfterSeconds) });
}
