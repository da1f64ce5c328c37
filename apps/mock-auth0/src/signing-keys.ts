import { KeyObject, createPrivateKey, createPublicKey, randomUUID } from "node:crypto";
import type { JsonWebKey } from "node:crypto";
import { link, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { makeFolder } from "@ciba-testbed/shared/node";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import type { JWK, JWTPayload } from "jose";
import { z } from "zod";

import { signingCertificate } from "./signing-certificate.js";
import { SigningThreads } from "./signing-thread.js";

export const SIGNING_ALG = "RS256";

/** Every signature of this process, made on threads of their own (see `SigningThreads`). */
const signingThreads = new SigningThreads();
/** RS256 keys shorter than this are refused when read from a file (RFC 7518 section 3.3). */
const MIN_MODULUS_BITS = 2048;

interface SigningKey {
  kid: string;
  /** node:crypto's handle on the private key, made once: signing never imports it again. */
  privateKey: KeyObject;
  publicJwk: JWK;
  /** The protected header every token this key signs carries, base64url-encoded once. */
  encodedHeader: string;
  /** The same with `typ: at+jwt`, for access tokens in the RFC 9068 profile. */
  encodedAccessTokenHeader: string;
}

/**
 * The JWS header's `typ`: `JWT` for ID tokens and Auth0's default access token profile,
 * `at+jwt` for the RFC 9068 profile (RFC 9068 section 2.1).
 */
export type TokenType = "JWT" | "at+jwt";

export interface PublicJwks {
  keys: JWK[];
}

async function createSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { modulusLength: 2048 });
  return signingKeyOf(KeyObject.from(privateKey));
}

async function signingKeyOf(privateKey: KeyObject): Promise<SigningKey> {
  const publicKey = createPublicKey(privateKey);
  const jwk = await exportJWK(publicKey);
  // RFC 7638 thumbprints make stable, collision-free key ids.
  const kid = await calculateJwkThumbprint(jwk);
  const { n, e } = jwk;
  if (n === undefined || e === undefined) throw new Error("An RSA public key has n and e");
  return {
    kid,
    privateKey,
    // Auth0's members, in Auth0's order (its docs' JWKS Properties).
    publicJwk: {
      alg: SIGNING_ALG,
      kty: "RSA",
      use: "sig",
      n,
      e,
      kid,
      ...signingCertificate({ privateKey, publicKey }, kid),
    },
    encodedHeader: base64url(JSON.stringify({ alg: SIGNING_ALG, typ: "JWT", kid })),
    encodedAccessTokenHeader: base64url(JSON.stringify({ alg: SIGNING_ALG, typ: "at+jwt", kid })),
  };
}

/** A signing-keys file names a problem with it, and the way out. */
export class SigningKeysFileError extends Error {
  override name = "SigningKeysFileError";
}

const privateRsaJwk = z
  .object({ kty: z.literal("RSA"), n: z.string(), e: z.string(), d: z.string() })
  .passthrough();
/** What a signing-keys file holds: private JWKs (RFC 7517), as `KeyObject#export` writes them. */
const keysFileSchema = z.object({
  current: privateRsaJwk,
  next: privateRsaJwk,
  previous: privateRsaJwk.optional(),
});

async function readKeysFile(
  file: string,
): Promise<[SigningKey, SigningKey, SigningKey?] | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SigningKeysFileError(
      `mock-auth0 cannot read its token-signing keys ${file} (${(error as Error).message}), ` +
        "kept where MOCK_AUTH0_SIGNING_KEYS says, else as signing-keys.json in the certificate " +
        "folder (MOCK_AUTH0_CERT_DIR, or its default): give this user the file (one made by " +
        "another user, such as a run with sudo, is theirs), or set MOCK_AUTH0_CERT_DIR to a " +
        "folder this user may write",
    );
  }
  const unusable = (why: string) =>
    new SigningKeysFileError(
      `MOCK_AUTH0_SIGNING_KEYS: ${file} holds no signing keys mock-auth0 can use (${why}). ` +
        "Delete it and mock-auth0 makes new keys (tokens signed with the old ones stop verifying).",
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw unusable("not JSON");
  }
  const parsed = keysFileSchema.safeParse(json);
  if (!parsed.success) throw unusable("not current, next and previous private RSA JWKs");
  const load = async (jwk: JsonWebKey, role: string) => {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: jwk, format: "jwk" });
    } catch (error) {
      throw unusable(`the ${role} key: ${(error as Error).message}`);
    }
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_MODULUS_BITS) {
      throw unusable(
        `the ${role} key has ${String(bits)} bits, RS256 needs ${String(MIN_MODULUS_BITS)}`,
      );
    }
    return signingKeyOf(key);
  };
  const { current, next, previous } = parsed.data;
  return Promise.all([
    load(current, "current"),
    load(next, "next"),
    ...(previous === undefined ? [] : [load(previous, "previous")]),
  ]) as Promise<[SigningKey, SigningKey, SigningKey?]>;
}

function keysFileText(keys: (SigningKey | undefined)[]): string {
  const [current, next, previous] = keys.map((key) =>
    key === undefined ? undefined : key.privateKey.export({ format: "jwk" }),
  );
  return `${JSON.stringify({ current, next, previous }, null, 2)}\n`;
}

/** Only its owner may read the file: it holds private keys. */
const KEYS_FILE_MODE = 0o600;

/**
 * Writes the file whole (a reader never sees half of it). `replace: false` creates it only if
 * no one else has meanwhile, and says whether this call did.
 */
async function writeKeysFile(file: string, text: string, replace: boolean): Promise<boolean> {
  const partial = `${file}.${randomUUID()}.partial`;
  try {
    await makeFolder(path.dirname(file));
    await writeFile(partial, text, { mode: KEYS_FILE_MODE });
    if (replace) {
      await rename(partial, file);
      return true;
    }
    // link() fails when the name exists: of two tenants starting at once, one file wins.
    await link(partial, file).catch(async (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") throw error;
      // A file system without hard links: the last of two tenants starting at once wins the
      // file, and the other signs with keys of its own until it starts again.
      await rename(partial, file);
    });
    return true;
  } catch (error) {
    if (!replace && (error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw cannotWrite(file, error);
  } finally {
    await rm(partial, { force: true });
  }
}

function cannotWrite(file: string, error: unknown): SigningKeysFileError {
  return new SigningKeysFileError(
    `MOCK_AUTH0_SIGNING_KEYS: cannot write ${file}: ${(error as Error).message}`,
  );
}

/**
 * Fails as writing the keys would, if `file` cannot be written (its folder cannot be made, is
 * read-only, or is not a folder): found out before the tenant listens, not once the keys are
 * made, after it said it serves. An empty file is written beside it, and removed.
 */
async function checkWritable(file: string): Promise<void> {
  const probe = `${file}.${randomUUID()}.partial`;
  try {
    await makeFolder(path.dirname(file));
    await writeFile(probe, "", { mode: KEYS_FILE_MODE, flag: "wx" });
  } catch (error) {
    throw cannotWrite(file, error);
  } finally {
    await rm(probe, { force: true });
  }
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

  private constructor(
    making: Promise<[SigningKey, SigningKey, SigningKey?]>,
    private readonly file?: string,
  ) {
    this.ready = making.then(([current, next, previous]) => {
      this.current = current;
      this.next = next;
      this.previous = previous;
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

  /**
   * The keys kept in `file` (`MOCK_AUTH0_SIGNING_KEYS`), as an Auth0 tenant keeps its keys: a
   * restart signs with the same key and publishes the same JWKS, so tokens issued before it and
   * the JWKS a resource server cached still verify. A rotation is written back.
   *
   * Settles once the file is read: a file that holds no usable keys, or none and a place that
   * cannot take one, rejects with a `SigningKeysFileError`, so a tenant can refuse it before it
   * listens. When there is no file yet, the keys are made as `start` makes them (`ready` says
   * when) and written owner-only;
   * when two tenants start at once on a new file, both end up with the keys of the one that
   * wrote it first.
   */
  static async persisted(file: string): Promise<SigningKeys> {
    const kept = await readKeysFile(file);
    if (kept !== undefined) return new SigningKeys(Promise.resolve(kept), file);
    await checkWritable(file);
    const making = async (): Promise<[SigningKey, SigningKey, SigningKey?]> => {
      const made = await Promise.all([createSigningKey(), createSigningKey()]);
      const wrote = await writeKeysFile(file, keysFileText(made), false);
      return wrote ? made : ((await readKeysFile(file)) ?? made);
    };
    return new SigningKeys(making(), file);
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
    // Kept first: a rotation the file does not hold would be undone by the next start.
    if (this.file !== undefined) {
      await writeKeysFile(this.file, keysFileText([this.next, upcoming, this.current]), true);
    }
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
   * `typ` picks one of the key's two headers, both encoded when the key was made.
   *
   * The RSA signature is made off the event loop, on the process's signing threads
   * (`SigningThreads`). It is the costliest step of a request (0.7-1.1 ms of CPU on a 2-core
   * AMD EPYC, two for a CIBA answer with an ID token), and made on the loop it held up every
   * other request: under 500 CIBA flows in flight the loop stalled for up to 0.8-1 s while a
   * burst of approved polls signed their tokens. It then went to libuv's pool (4 threads), then
   * to one thread of its own; the bench's 500 flows, alternating runs on that machine:
   * 2,452 -> 2,544 polls/s, p99 of pending answers 201 -> 163 ms, of answers that issue tokens
   * 432 -> 386 ms; then to two threads (figures at `SigningThreads`). Same bytes either way:
   * RS256 signatures are deterministic.
   */
  async sign(claims: JWTPayload, typ: TokenType = "JWT"): Promise<string> {
    const key = this.current;
    const header = typ === "JWT" ? key.encodedHeader : key.encodedAccessTokenHeader;
    const signingInput = `${header}.${base64url(JSON.stringify(claims))}`;
    return `${signingInput}.${await signingThreads.sign(signingInput, key.privateKey)}`;
  }
}
