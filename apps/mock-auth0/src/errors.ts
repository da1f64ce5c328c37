import { OAuthError, writtenOut } from "@ciba-testbed/shared";
import type { OAuthErrorBody } from "@ciba-testbed/shared";
import { defineErrors } from "@ciba-testbed/shared/http";
import type { ErrorFactory } from "@ciba-testbed/shared/http";

import type { TenantClient } from "./tenant/tenant-model.js";

/**
 * Every error this tenant answers with, in status order: one table that makes the factories
 * the handlers throw (`errors.invalidGrant("...")`). Codes follow RFC 6749 section 5.2, CIBA
 * Core 1.0 sections 13 (authentication request) and 11 (token request), RFC 6750 section 3 and
 * RFC 9396 section 5, with Auth0's statuses where Auth0 differs from the specs. Rows the tenant
 * never builds itself (the shared request reader's 415, the 500) are here so the list is whole.
 */
const table = defineErrors({
  invalidRequest: {
    status: 400,
    code: "invalid_request",
    when:
      "a parameter or the Authorization header is missing, repeated or malformed (login_hint, binding_message, " +
      "requested_expiry, no openid scope); authorization_details over " +
      "Auth0's limits; no channel can notify the person (push unavailable and no e-mail to " +
      "fall back to, or an expiry over 300 s without e-mail); a control API query or policy " +
      "is invalid; the path or body cannot be read",
  },
  invalidScope: {
    status: 400,
    code: "invalid_scope",
    when:
      "a scope in a JSON body that is neither a string nor an array of strings (Auth0's " +
      'Standard Error Responses: "Scope must be an array or a string")',
  },
  unsupportedGrantType: {
    status: 400,
    code: "unsupported_grant_type",
    when:
      "a grant type Auth0 does not have, or one of Auth0's that the client has and mock-auth0 " +
      "does not implement; Auth0 documents 501 for the first, the tenant keeps RFC 6749's 400",
  },
  invalidGrant: {
    status: 400,
    code: "invalid_grant",
    when: "an auth_req_id that is unknown, already used or another client's",
  },
  invalidAuthorizationCodePublic: {
    status: 400,
    code: "invalid_grant",
    when:
      "what invalidAuthorizationCode (403) refuses, from a public client " +
      "(token_endpoint_auth_method none): a real tenant answered its bogus code 400",
  },
  unknownUserId: {
    status: 400,
    code: "unknown_user_id",
    when: "the login_hint's sub is no user of the tenant, or no user id (not <provider>|<id>)",
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
    when: "a poll after a denial, or after expiry (Auth0's answer, ciba.expiredError's default)",
  },
  expiredToken: {
    status: 400,
    code: "expired_token",
    when: "a poll after expiry when ciba.expiredError is expired_token (the CIBA spec's code)",
  },
  invalidClient: {
    status: 401,
    code: "invalid_client",
    when: "client authentication is missing or fails (WWW-Authenticate: Basic for Basic auth)",
  },
  clientUnauthorized: {
    status: 401,
    code: "access_denied",
    when:
      "`/oauth/token` with an unknown client_id, a wrong client_secret or none from a client " +
      "that has one: Auth0's answer there, " +
      'described "Unauthorized" (the log line says which)',
  },
  invalidToken: {
    status: 401,
    code: "invalid_token",
    when:
      "a control route without the tenant's control token, or /userinfo with a token it does " +
      "not accept (WWW-Authenticate: Bearer); /userinfo without one answers Auth0's plain-text " +
      "401 Unauthorized",
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
      "an unknown audience at /bc-authorize; client_credentials with no or an unknown " +
      "audience, or an API or scope not granted to the client (Auth0's answers); an API " +
      "whose access policy refuses the client; a " +
      "cross-site request to the control API",
  },
  invalidAuthorizationCode: {
    status: 403,
    code: "invalid_grant",
    when:
      "an authorization code that is unknown, used, expired or another client's, or a " +
      "redirect_uri or code_verifier missing or not matching its request, from a " +
      "confidential client (Auth0 answers 403)",
  },
  invalidRefreshToken: {
    status: 403,
    code: "invalid_grant",
    when:
      "a refresh token that is unknown, expired, revoked (a rotated token reused revokes its " +
      'family) or another client\'s: Auth0 answers 403 "Unknown or invalid refresh token."',
  },
  notFound: { status: 404, code: "not_found", when: "an unknown route or auth_req_id" },
  methodNotAllowed: {
    status: 405,
    code: "invalid_request",
    when: "a CONNECT, which asks for a proxy's tunnel (an empty `Allow`)",
  },
  methodNotServed: {
    status: 405,
    code: "method_not_allowed",
    when:
      "a method the path does not serve: `/bc-authorize`, `/oauth/token` and `/oauth/revoke` " +
      "take POST alone (Auth0's Standard Error Responses list 405 method_not_allowed), the " +
      "control API's and the approver page's paths what `Allow` lists, as OPTIONS does",
  },
  requestTimeout: {
    status: 408,
    code: "invalid_request",
    when: "the request took too long to arrive",
  },
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
    when: "a body in another charset than UTF-8, a Content-Encoding other than gzip, deflate, br, or a policy or an email consent decision not sent as application/json",
  },
  expectationFailed: {
    status: 417,
    code: "invalid_request",
    when: "an `Expect` other than `100-continue`",
  },
  slowDown: {
    status: 429,
    code: "slow_down",
    when: "a poll sooner than the interval (Auth0 answers 429 where CIBA says 400), with the new interval in the body and in Retry-After",
  },
  tooManyRequests: {
    status: 429,
    code: "too_many_requests",
    when:
      "a rate limit (the Authentication API's for the tenant, /bc-authorize's per IP address " +
      "or per user, /userinfo's per user), the tenant's open requests or the event streams are " +
      "at their limit, with Retry-After",
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
    when: "a request that begins once the tenant is stopping (nothing was done), with Retry-After",
  },
});

/**
 * The table's factories, each description written out (`writtenOut`): a value the request sent
 * is quoted in many of them, and a zero-width space, a direction control or an accent in it
 * would otherwise be copied as it is, invisible or turning the text around
 * ("Service not found: sample-shop-api\u{202E}"). RFC 6749 section 5.2 allows only printable
 * ASCII in `error_description`.
 */
export const errors: typeof table = Object.fromEntries(
  Object.entries(table).map(([name, factory]) => [
    name,
    typeof factory === "function"
      ? (((description, headers) =>
          factory(writtenOut(description), headers)) satisfies ErrorFactory)
      : factory,
  ]),
) as typeof table;

/** Auth0's `slow_down` body carries the new interval as a number beside the description. */
class SlowDownError extends OAuthError {
  constructor(
    readonly interval: number,
    headers: Record<string, string>,
  ) {
    const { status, code } = errors.table.slowDown;
    super(
      status,
      code,
      `You are polling faster than allowed. Try again in ${interval} seconds.`,
      headers,
    );
  }

  override toJSON(): OAuthErrorBody & { interval: number } {
    return { ...super.toJSON(), interval: this.interval };
  }
}

/**
 * CIBA Core 1.0 section 11: the wait grows. Auth0 says how long in the description, in a
 * numeric `interval` and in `Retry-After` (the header is what `@auth0/ai` reads).
 */
export function slowDown(intervalSeconds: number): OAuthError {
  return new SlowDownError(intervalSeconds, { "Retry-After": String(intervalSeconds) });
}

/**
 * Auth0's refusal of an authorization code: 403 to a confidential client (go-auth0's recordings
 * TestLoginWithAuthCode*), 400 to a public one, as a real tenant answered a public SPA client's
 * bogus code (pnitijarasrat/bookmark-manager docs/research/auth0-tenant-facts.md).
 */
export function refusedCode(client: Pick<TenantClient, "authentication">, description: string) {
  return client.authentication === "none"
    ? errors.invalidAuthorizationCodePublic(description)
    : errors.invalidAuthorizationCode(description);
}

export function tooManyRequests(retryAfterSeconds: number, description: string): OAuthError {
  return errors.tooManyRequests(description, { "Retry-After": String(retryAfterSeconds) });
}
