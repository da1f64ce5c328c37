import type { Handler } from "express";
import { InvalidTokenError } from "express-oauth2-jwt-bearer";

/**
 * How express-oauth2-jwt-bearer 1.10 (`getToken`) reads the header: exactly one space, the
 * scheme in any case. Node has already trimmed the value's leading and trailing whitespace.
 */
const TOKEN_IN_HEADER = /^(?:Bearer|DPoP) (.+)$/i;

/** The token of an Authorization value, as the library reads it. */
export function tokenInHeader(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : TOKEN_IN_HEADER.exec(authorization)?.[1];
}
const BASE64URL_ALPHABET = /^[A-Za-z0-9_-]*$/;
const SEGMENTS = ["header", "payload", "signature"] as const;

/**
 * RFC 7515 section 2 (base64url "with all trailing '=' characters omitted") and RFC 4648
 * section 3.5 (the unused bits of the last character are zero): one byte string, one spelling.
 * Re-encoding the decoded bytes catches what the alphabet check cannot: a length that is 1
 * modulo 4 and non-zero unused bits.
 */
export function isCanonicalBase64url(segment: string): boolean {
  return (
    BASE64URL_ALPHABET.test(segment) &&
    Buffer.from(segment, "base64url").toString("base64url") === segment
  );
}

/** The segment of a compact JWS that is not canonical base64url, if any. */
export function nonCanonicalSegment(token: string): (typeof SEGMENTS)[number] | undefined {
  const segments = token.split(".");
  // jose refuses anything but three segments itself (RFC 7515 section 7.1).
  if (segments.length !== SEGMENTS.length) return undefined;
  const index = segments.findIndex((segment) => !isCanonicalBase64url(segment));
  return index === -1 ? undefined : SEGMENTS[index];
}

/**
 * The library's jose 4 decodes base64url leniently: `TOKEN=`, `TOKEN=AAAA`, `+` and `/`, flipped
 * unused bits and a TAB inside all verify as the same token. Refusing every spelling but the
 * canonical one, before the library runs, keeps "this token" meaning one string.
 */
export const refuseNonCanonicalToken: Handler = (req, _res, next) => {
  const { authorization } = req.headers;
  // Headers the library refuses anyway (no token, other schemes, extra spaces) are left to it,
  // so its 400/401 answers stay as they are.
  if (typeof authorization !== "string" || authorization.split(" ").length !== 2) {
    next();
    return;
  }
  const token = tokenInHeader(authorization);
  const segment = token === undefined ? undefined : nonCanonicalSegment(token);
  if (segment !== undefined) {
    next(
      new InvalidTokenError(
        `The access token's ${segment} is not canonical base64url (RFC 7515 section 2: ` +
          "only A-Z a-z 0-9 - _, no '=' padding, no whitespace, unused bits zero); " +
          "send the token exactly as the authorization server issued it",
      ),
    );
    return;
  }
  next();
};

/** Whether a segment is the base64url of a JOSE header for encryption: a JSON object with `enc`. */
function isJweHeader(segment: string): boolean {
  if (!isCanonicalBase64url(segment)) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    // RFC 7516 section 4.1.2: `enc` is required in a JWE header, and a JWS header has none.
    return (
      typeof header === "object" &&
      header !== null &&
      typeof (header as { enc?: unknown }).enc === "string"
    );
  } catch {
    return false;
  }
}

/**
 * A Bearer token of five segments. In JWE compact form (RFC 7516 section 7.1) it is what Auth0
 * issues when the token request names no audience, an encrypted token only the tenant's own
 * /userinfo reads. The library would answer `Unsupported algorithm "dir"` with its list of
 * signing algorithms; the fix is the audience, so the answer names it. Five segments whose first
 * is not a JWE header are no token at all: sending the person to the audience would be wrong.
 */
export function encryptedTokenError(
  authorization: string | undefined,
  audience: string,
): InvalidTokenError | undefined {
  const segments = tokenInHeader(authorization)?.split(".");
  if (segments?.length !== 5) return undefined;
  if (!isJweHeader(segments[0] ?? "")) {
    return new InvalidTokenError(
      "The access token is not a JWT: it has five segments, and its first is not the header of " +
        "an encrypted token (JWE); send the access token exactly as the authorization server " +
        "issued it",
    );
  }
  return new InvalidTokenError(
    "The access token is encrypted (JWE), the kind Auth0 issues when the token request names " +
      `no audience and only its /userinfo accepts: request it with audience=${audience} ` +
      "(withAsyncAuthorization's audience)",
  );
}
