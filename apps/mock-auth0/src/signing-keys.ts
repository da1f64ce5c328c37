import { KeyObject, sign } from "node:crypto";

import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import type { JWK, JWTPayload } from "jose";

export const SIGNING_ALG = "RS256";

interface SigningKey {
  kid: string;
  /** node:crypto's handle on the private key, made once: signing never imports it again. */
  privateKey: KeyObject;
  publicJwk: JWK;
  /** The protected header every token this key signs carries, base64url-encoded once. */
  encodedHeader: string;
}

export interface PublicJwks {
  keys: JWK[];
}

async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  // RFC 7638 thumbprints make stable, collision-free key ids.
  const kid = await calculateJwkThumbprint(jwk);
  return {
    kid,
    privateKey: KeyObject.from(privateKey),
    publicJwk: { ...jwk, kid, alg: SIGNING_ALG, use: "sig" },
    encodedHeader: base64url(JSON.stringify({ alg: SIGNING_ALG, typ: "JWT", kid })),
  };
}

const base64url = (text: string) => Buffer.from(text, "utf8").toString("base64url");

/**
 * The tenant's token-signing keys, rotated the way Auth0 rotates them: the next key is
 * published before it signs anything, so verifiers that cached the JWKS already know it, and
 * after a rotation the previous key stays published so the tokens it signed still verify.
 */
export class SigningKeys {
  private current!: SigningKey;
  private next!: SigningKey;
  private previous: SigningKey | undefined;
  private made = false;
  /** Settles once the current and the next key are made; nothing else may be used before. */
  readonly ready: Promise<void>;

  private constructor(making: Promise<[SigningKey, SigningKey]>) {
    this.ready = making.then(([current, next]) => {
      this.current = current;
      this.next = next;
      this.made = true;
    });
    // A failure is for whoever awaits `ready`, not an unhandled rejection meanwhile.
    this.ready.catch(() => undefined);
  }

  /**
   * Starts making the two keys (RSA key generation, a few hundred ms in libuv's thread pool)
   * and returns at once, so a process can do its other start-up work meanwhile; `ready`
   * says when they may be used. `after` (for tests) holds them back until it settles.
   */
  static start(after: Promise<unknown> = Promise.resolve()): SigningKeys {
    return new SigningKeys(after.then(() => Promise.all([createSigningKey(), createSigningKey()])));
  }

  static async create(): Promise<SigningKeys> {
    const keys = SigningKeys.start();
    await keys.ready;
    return keys;
  }

  /** Whether `ready` has settled successfully. */
  get isReady(): boolean {
    return this.made;
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

  /**
   * A JWS compact serialization of `claims` (RFC 7515, RS256), byte for byte what jose's
   * `SignJWT` makes with the same header (`alg`, `typ`, `kid`), with the key imported once.
   * Signed at once, in this turn of the event loop: an RS256 signature costs about 0.4 ms of
   * CPU either way, but one handed to the thread pool (WebCrypto, jose's way) comes back only
   * on a later turn of the loop, behind every request that arrived meanwhile, so under load
   * the answer that issues tokens waited two such turns (two signatures) more than any other.
   */
  sign(claims: JWTPayload): Promise<string> {
    try {
      return Promise.resolve(this.signNow(claims));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** `sign`, without the promise. */
  signNow(claims: JWTPayload): string {
    const { encodedHeader, privateKey } = this.current;
    const signingInput = `${encodedHeader}.${base64url(JSON.stringify(claims))}`;
    const signature = sign("sha256", Buffer.from(signingInput, "ascii"), privateKey);
    return `${signingInput}.${signature.toString("base64url")}`;
  }
}
