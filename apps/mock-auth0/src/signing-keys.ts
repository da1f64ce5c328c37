import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import type { JWK, JWTPayload, CryptoKey as JoseCryptoKey } from "jose";

export const SIGNING_ALG = "RS256";

interface SigningKey {
  kid: string;
  privateKey: JoseCryptoKey;
  publicJwk: JWK;
}

export interface PublicJwks {
  keys: JWK[];
}

async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  // RFC 7638 thumbprints make stable, collision-free key ids.
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: SIGNING_ALG, use: "sig" } };
}

/**
 * The tenant's token-signing keys, rotated the way Auth0 rotates them: the next key is
 * published before it signs anything, so verifiers that cached the JWKS already know it, and
 * after a rotation the previous key stays published so the tokens it signed still verify.
 */
export class SigningKeys {
  private constructor(
    private current: SigningKey,
    private next: SigningKey,
    private previous: SigningKey | undefined,
  ) {}

  static async create(): Promise<SigningKeys> {
    const [current, next] = await Promise.all([createSigningKey(), createSigningKey()]);
    return new SigningKeys(current, next, undefined);
  }

  get currentKid(): string {
    return this.current.kid;
  }

  async rotate(): Promise<{ current: string; next: string; previous: string }> {
    const upcoming = await createSigningKey();
    this.previous = this.current;
    this.current = this.next;
    this.next = upcoming;
    return { current: this.current.kid, next: this.next.kid, previous: this.previous.kid };
  }

  /** Current, next and (after a rotation) previous public keys. */
  jwks(): PublicJwks {
    const keys = [this.current.publicJwk, this.next.publicJwk];
    if (this.previous) keys.push(this.previous.publicJwk);
    return { keys };
  }

  async sign(claims: JWTPayload): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALG, typ: "JWT", kid: this.current.kid })
      .sign(this.current.privateKey);
  }
}
