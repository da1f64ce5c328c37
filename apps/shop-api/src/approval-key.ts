import { createHash } from "node:crypto";

/**
 * Names the approval a verified access token carries by what it means, not how it is spelled:
 * the issuer plus a digest of the decoded JWS Signing Input (RFC 7515 section 5.2: protected
 * header and payload), i.e. every signed claim. Two tokens with the same signing input are the
 * same approval; an issuer that signs identical claims twice has granted nothing new (fail
 * closed).
 *
 * Not the signature bytes: ECDSA signatures are malleable (s -> n - s verifies too), so on an
 * ES256 tenant anyone holding a token could make a second valid one. Not `jti`: Auth0's access
 * tokens carry none.
 */
export function approvalKeyOf(issuer: string, token: string): string {
  const [header = "", payload = ""] = token.split(".");
  // Decoding and re-encoding gives one spelling even for a token that skipped the canonical
  // check (see canonical-token.ts).
  const canonical = (segment: string) => Buffer.from(segment, "base64url").toString("base64url");
  return createHash("sha256")
    .update(JSON.stringify([issuer, canonical(header), canonical(payload)]))
    .digest("base64url");
}
