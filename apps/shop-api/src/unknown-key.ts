import { InvalidTokenError } from "express-oauth2-jwt-bearer";

import { tokenInHeader } from "./canonical-token.js";

/** jose's message when no key of the issuer's JWKS matches the token's header (`kid`, `alg`). */
export const NO_MATCHING_KEY = "no applicable key found in the JSON Web Key Set";

/** At most this many characters of an unverified `iss` are repeated in an answer. */
const SHOWN_ISS_LENGTH = 120;

/** The token's `iss`, read without verifying anything: undefined when it names none. */
export function unverifiedIssuer(token: string): string | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  const iss =
    typeof payload === "object" && payload !== null
      ? (payload as { iss?: unknown }).iss
      : undefined;
  return typeof iss === "string" && iss !== "" ? iss : undefined;
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
 * has not published yet (see the README's key rotation); for a token whose `iss` names another
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
  if (iss === issuer) return undefined;
  const named =
    iss === undefined ? "names no issuer (iss)" : `names the issuer '${shownIssuer(iss)}'`;
  return new InvalidTokenError(
    `${NO_MATCHING_KEY}: the token ${named}, and this API accepts tokens of '${issuer}' only, ` +
      "none of whose keys signed it; it may be from another issuer (another Auth0 tenant): " +
      `request it from '${issuer}', or point this API at the issuer that issued it ` +
      "(AUTH0_DOMAIN, AUTH0_ISSUER_BASE_URL)",
  );
}
