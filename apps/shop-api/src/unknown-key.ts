import { InvalidTokenError } from "express-oauth2-jwt-bearer";

import { tokenInHeader } from "./canonical-token.js";

/** jose's message when no key of the issuer's JWKS matches the token's header (`kid`, `alg`). */
export const NO_MATCHING_KEY = "no applicable key found in the JSON Web Key Set";

/** jose's message when several keys of the issuer's JWKS fit a token whose header names none. */
export const MULTIPLE_MATCHING_KEYS = "multiple matching keys found in the JSON Web Key Set";

/** At most this many characters of an unverified `iss` are repeated in an answer. */
const SHOWN_ISS_LENGTH = 120;

/** The token's payload, read without verifying anything: undefined when it is not an object. */
export function unverifiedPayload(token: string): Record<string, unknown> | undefined {
  try {
    const payload: unknown = JSON.parse(
      Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"),
    );
    return typeof payload === "object" && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The token's `iss`, read without verifying anything: undefined when it names none. */
export function unverifiedIssuer(token: string): string | undefined {
  const iss = unverifiedPayload(token)?.iss;
  return typeof iss === "string" && iss !== "" ? iss : undefined;
}

/**
 * The token's `kid` and `alg`, read without verifying anything (the library has refused it);
 * `badKid` when the header has a `kid` that is not a string (RFC 7515 section 4.1.4).
 */
function unverifiedKeyChoice(token: string): { kid?: string; alg?: string; badKid?: boolean } {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8"));
  } catch {
    return {};
  }
  if (typeof header !== "object" || header === null) return {};
  const { kid, alg } = header as { kid?: unknown; alg?: unknown };
  return {
    ...(typeof kid === "string" ? { kid } : {}),
    ...(typeof alg === "string" ? { alg } : {}),
    ...("kid" in header && typeof kid !== "string" ? { badKid: true } : {}),
  };
}

/** A header whose `kid` is not a string names no key of any JWKS: said as such. */
function badKidError(): InvalidTokenError {
  return new InvalidTokenError(
    "The access token's header has a kid that is not a string (RFC 7515 section 4.1.4), so it " +
      "names no signing key: send the token exactly as the authorization server issued it " +
      "(Auth0's access tokens name their key in kid, a string)",
  );
}

/**
 * An unverified `iss` made safe to repeat in a description and in `WWW-Authenticate` (RFC 6750
 * section 3: visible ASCII, no `"` or `\`; no `'`, which quotes it here), and short.
 */
export function shownIssuer(iss: string): string {
  const shown = iss.slice(0, SHOWN_ISS_LENGTH).replace(/[^\x21-\x7e]|["'\\]/g, "?");
  return iss.length > SHOWN_ISS_LENGTH ? `${shown}...` : shown;
}

/**
 * No key of the issuer's JWKS signed the token. For a token of this issuer that is a key it
 * has not published yet (see the README's key rotation), or one it publishes for another
 * algorithm (`unpublishedKeyError`); for a token whose `iss` names another
 * issuer, or none, it is most likely a token of another issuer (another Auth0 tenant), which
 * jose's message does not say: the answer names both issuers. The `iss` is only quoted, never
 * trusted: the library has refused the token.
 */
export function unknownKeyError(
  authorization: string | undefined,
  issuer: string,
): InvalidTokenError | undefined {
  const token = tokenInHeader(authorization);
  if (token === undefined) return undefined;
  const iss = unverifiedIssuer(token);
  if (iss === issuer) return unpublishedKeyError(token);
  const named =
    iss === undefined ? "names no issuer (iss)" : `names the issuer '${shownIssuer(iss)}'`;
  return new InvalidTokenError(
    `${NO_MATCHING_KEY}: the token ${named}, and this API accepts tokens of '${issuer}' only, ` +
      "none of whose keys signed it; it may be from another issuer (another Auth0 tenant): " +
      `request it from '${issuer}', or point this API at the issuer that issued it ` +
      "(AUTH0_DOMAIN, AUTH0_ISSUER_BASE_URL)",
  );
}

/**
 * A token of this issuer whose header names a key (`kid`) and algorithm that no key of the JWKS
 * has: jose passes over a key whose JWK names another `alg` (Auth0's name RS256, so a PS256
 * token finds none), as well as a key not published yet. The answer names what the token asks
 * for and both causes; it cannot tell which, since the JWKS is the library's.
 */
function unpublishedKeyError(token: string): InvalidTokenError {
  const { kid, alg, badKid } = unverifiedKeyChoice(token);
  if (badKid === true) return badKidError();
  const key = kid === undefined ? "names no key (kid)" : `names the key '${shownIssuer(kid)}'`;
  const algorithm = alg === undefined ? "" : ` for ${shownIssuer(alg)}`;
  return new InvalidTokenError(
    `${NO_MATCHING_KEY}: the token's header ${key}${algorithm}, and the issuer publishes no ` +
      "such key for that algorithm. A key whose JWK names an alg verifies only that algorithm " +
      "(Auth0's keys name RS256): sign with it, or publish the key for the token's algorithm; " +
      "a key published since this API last read the JWKS is found within 30 s",
  );
}

/**
 * jose's "multiple matching keys found in the JSON Web Key Set" blames the JWKS, while the
 * token is what lacks: its header names no key (`kid`), and the issuer publishes several for its
 * algorithm (Auth0 publishes its current and next signing keys). Undefined for a token that names
 * one (two keys of one `kid` are the issuer's fault, as jose says).
 */
export function ambiguousKeyError(
  authorization: string | undefined,
): InvalidTokenError | undefined {
  const token = tokenInHeader(authorization);
  if (token === undefined) return undefined;
  const { kid, alg, badKid } = unverifiedKeyChoice(token);
  if (badKid === true) return badKidError();
  if (kid !== undefined) return undefined;
  const algorithm = alg === undefined ? "its algorithm" : shownIssuer(alg);
  return new InvalidTokenError(
    `The access token's header names no signing key (kid), and the issuer publishes several ` +
      `keys for ${algorithm}, so none can be chosen: send the token exactly as the ` +
      "authorization server issued it (Auth0's access tokens name their key in kid)",
  );
}
