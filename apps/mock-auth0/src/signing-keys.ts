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
 * The tenant's token-signing keys. After `rotate()` the previous key stays in the JWKS so
 * tokens it signed still verify, as Auth0 keeps the previous key published after a rotation.
 */
export class SigningKeys {
  private constructor(
    private current: SigningKey,
    private previous: SigningKey | undefined,
  ) {}

  static async create(): Promise<SigningKeys> {
    return new SigningKeys(await createSigningKey(), undefined);
  }

  get currentKid(): string {
    return this.current.kid;
  }

  async rotate(): Promise<{ current: string; previous: string }> {
    this.previous = this.current;
    this.current = await createSigningKey();
    return { current: this.current.kid, previous: this.previous.kid };
  }

  jwks(): PublicJwks {
    const keys = [this.current.publicJwk];
    if (this.previous) keys.push(this.previous.publicJwk);
    return { keys };
  }

  async sign(claims: JWTPayload): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALG, typ: "JWT", kid: this.current.kid })
      .sign(this.current.privateKey);
  }
}
