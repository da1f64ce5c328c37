import { randomBytes } from "node:crypto";

import { CompactEncrypt, compactDecrypt } from "jose";

/** What an opaque access token stands for: a person's `/userinfo` access. */
export interface OpaqueTokenClaims {
  sub: string;
  azp: string;
  scope: string;
  iat: number;
  exp: number;
}

/**
 * Access tokens issued without an API audience: good for `/userinfo` only, and opaque to
 * everyone else, as Auth0's are (https://auth0.com/docs/secure/tokens/access-tokens/access-token-formats).
 * They are encrypted (JWE `dir` + `A256GCM`) with a key that lives as long as the process, so
 * the tenant keeps no state for them and no one else can read or forge one; like Auth0's own
 * they are not JWTs a resource server can verify.
 */
export class OpaqueAccessTokens {
  private readonly key = randomBytes(32);

  constructor(private readonly issuer: string) {}

  async issue(claims: OpaqueTokenClaims): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: "dir", enc: "A256GCM", iss: this.issuer })
      .encrypt(this.key);
  }

  /** The claims of a token this tenant issued; `expired` past its `exp`; `undefined` for any other string. */
  async read(
    token: string,
    nowSeconds: number,
  ): Promise<OpaqueTokenClaims | "expired" | undefined> {
    let claims: OpaqueTokenClaims;
    try {
      const { plaintext, protectedHeader } = await compactDecrypt(token, this.key, {
        keyManagementAlgorithms: ["dir"],
        contentEncryptionAlgorithms: ["A256GCM"],
      });
      if (protectedHeader.iss !== this.issuer) return undefined;
      claims = JSON.parse(new TextDecoder().decode(plaintext)) as OpaqueTokenClaims;
    } catch {
      return undefined;
    }
    return nowSeconds >= claims.exp ? "expired" : claims;
  }
}
