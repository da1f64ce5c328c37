import { InvalidTokenError } from "express-oauth2-jwt-bearer";

import { tokenInHeader } from "./canonical-token.js";
import { shownIssuer, unverifiedPayload } from "./unknown-key.js";

/** The library's message for a token whose `aud` does not hold the configured audience. */
export const UNEXPECTED_AUDIENCE = "Unexpected 'aud' value";

/**
 * Claims only an ID token carries (OpenID Connect Core section 2 and 3.1.3.6): an access token
 * of Auth0 has none of them, and an ID token has no `scope`.
 */
const ID_TOKEN_CLAIMS = ["nonce", "at_hash", "c_hash", "sid"];

/**
 * The library's "Unexpected 'aud' value" for a token of this issuer says neither what the
 * token was for nor what to do. The most common such token is the ID token (the token
 * response's `id_token`, or a web framework's `idToken`), whose `aud` is the client's id; the
 * other, an access token requested for another API. The answer names the token's audience
 * (only quoted: the library has refused the token) and the fix. Undefined for a token whose
 * payload cannot be read, which keeps the library's answer.
 */
export function otherAudienceError(
  authorization: string | undefined,
  audience: string,
): InvalidTokenError | undefined {
  const token = tokenInHeader(authorization);
  const payload = token === undefined ? undefined : unverifiedPayload(token);
  if (payload === undefined) return undefined;
  const { aud } = payload;
  const audiences = (Array.isArray(aud) ? aud : [aud]).filter(
    (value): value is string => typeof value === "string",
  );
  const named =
    audiences.length === 0
      ? "names no audience (aud)"
      : `is for ${audiences
          .slice(0, 3)
          .map((value) => `'${shownIssuer(value)}'`)
          .join(", ")}${audiences.length > 3 ? ", ..." : ""}`;
  const idToken = payload.scope === undefined && ID_TOKEN_CLAIMS.some((claim) => claim in payload);
  if (idToken) {
    return new InvalidTokenError(
      `${UNEXPECTED_AUDIENCE}: this is an ID token (its aud is the client's id, and it ` +
        `${named}), which says who logged in and opens no API: send the access token of the ` +
        `same token response (access_token, not id_token), requested with audience=${audience}`,
    );
  }
  return new InvalidTokenError(
    `${UNEXPECTED_AUDIENCE}: the token ${named}, and this API accepts only tokens for ` +
      `'${audience}': request the access token with audience=${audience} ` +
      "(withAsyncAuthorization's audience)",
  );
}
