import { createHash } from "node:crypto";

/** The names of one approval: the one an order stores, and the one earlier versions stored. */
export interface ApprovalKeys {
  /** What an order placed with this approval stores as `approvalId`. */
  key: string;
  /**
   * The name shop-api versions before `jti` counted stored the same approval under, looked up
   * too so that an approval spent before an upgrade stays spent. Absent when it is `key`.
   */
  earlierKey?: string;
}

/**
 * Names the approval a verified access token carries by what it means, not how it is spelled.
 *
 * A token with a `jti` is that JWT wherever it turns up (RFC 7519 section 4.1.7: a unique
 * identifier, "used to prevent the JWT from being replayed"): the issuer plus the `jti`, so a
 * token the issuer signs again with the same `jti` (another key, a later `iat`) is the same
 * approval, not a second one. Auth0's RFC 9068 profile and oidc-provider issue one.
 *
 * Without one (Auth0's default profile), the issuer plus a digest of the decoded JWS Signing
 * Input (RFC 7515 section 5.2: protected header and payload), i.e. every signed claim. Two
 * tokens with the same signing input are the same approval; an issuer that signs identical
 * claims twice has granted nothing new (fail closed). Not the signature bytes: ECDSA signatures
 * are malleable (s -> n - s verifies too), so on an ES256 tenant anyone holding a token could
 * make a second valid one.
 */
export function approvalKeysOf(
  issuer: string,
  { token, payload }: { token: string; payload: Record<string, unknown> },
): ApprovalKeys {
  const signed = signingInputKey(issuer, token);
  const { jti } = payload;
  if (typeof jti !== "string" || jti === "") return { key: signed };
  return { key: digest([issuer, { jti }]), earlierKey: signed };
}

function signingInputKey(issuer: string, token: string): string {
  const [header = "", payload = ""] = token.split(".");
  // Decoding and re-encoding gives one spelling even for a token that skipped the canonical
  // check (see canonical-token.ts).
  const canonical = (segment: string) => Buffer.from(segment, "base64url").toString("base64url");
  return digest([issuer, canonical(header), canonical(payload)]);
}

function digest(value: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("base64url");
}
