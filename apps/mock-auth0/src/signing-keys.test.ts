import { X509Certificate, createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import type { KeyObject } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { SignJWT, createLocalJWKSet, decodeProtectedHeader, importX509, jwtVerify } from "jose";
import { describe, expect, it, onTestFinished } from "vitest";

import { SigningKeys, SigningKeysFileError } from "./signing-keys.js";

const claims = {
  iss: "https://localhost:4010/",
  sub: "auth0|testbed-user",
  aud: ["sample-shop-api", "https://localhost:4010/userinfo"],
  iat: 1_767_225_600,
  exp: 1_767_312_000,
  scope: "openid product:buy",
  azp: "ciba-testbed-agent",
  authorization_details: [{ type: "product_purchase", note: "déjà vu ✓" }],
};

describe("SigningKeys", () => {
  // Tests that only sign share one pair (RSA key generation costs about 0.1 s of CPU a key).
  let signOnly: Promise<SigningKeys> | undefined;
  const signingOnly = () => (signOnly ??= SigningKeys.create());

  it("publishes each key with Auth0's members: a self-signed certificate of it in x5c, its SHA-1 thumbprint in x5t", async () => {
    const keys = await signingOnly();
    const token = await keys.sign(claims);
    for (const jwk of keys.jwks().keys) {
      expect(Object.keys(jwk)).toEqual(["alg", "kty", "use", "n", "e", "kid", "x5t", "x5c"]);
      const der = Buffer.from(String(jwk.x5c?.[0]), "base64");
      const certificate = new X509Certificate(der);
      const publicKey = createPublicKey({
        key: { kty: "RSA", n: String(jwk.n), e: String(jwk.e) },
        format: "jwk",
      });
      expect(certificate.publicKey.equals(publicKey)).toBe(true);
      expect(certificate.verify(publicKey)).toBe(true);
      expect(certificate.subject).toBe(certificate.issuer);
      expect(jwk.x5t).toBe(createHash("sha1").update(der).digest("base64url"));
    }
    // A verifier that builds the key from the certificate, as some libraries do.
    const current = keys.jwks().keys.find((jwk) => jwk.kid === keys.currentKid);
    const pem = `-----BEGIN CERTIFICATE-----\n${String(current?.x5c?.[0])}\n-----END CERTIFICATE-----`;
    const { payload } = await jwtVerify(token, await importX509(pem, "RS256"), {
      currentDate: new Date(claims.iat * 1000),
    });
    expect(payload.sub).toBe(claims.sub);
  });

  it("signs RS256 JWTs that verify against the published JWKS, with the current key's kid", async () => {
    const keys = await signingOnly();
    const token = await keys.sign(claims);
    expect(decodeProtectedHeader(token)).toEqual({
      alg: "RS256",
      typ: "JWT",
      kid: keys.currentKid,
    });
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks()), {
      issuer: claims.iss,
      audience: "sample-shop-api",
      currentDate: new Date(claims.iat * 1000),
    });
    expect(payload).toEqual(claims);
  });

  it("makes byte for byte the token jose's SignJWT makes with the same key and header", async () => {
    const keys = await signingOnly();
    // RS256 (PKCS #1 v1.5) is deterministic: the same input and key give the same signature.
    const { privateKey } = (keys as unknown as { current: { privateKey: KeyObject } }).current;
    const byJose = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: keys.currentKid })
      .sign(privateKey);
    expect(await keys.sign(claims)).toBe(byJose);
  });

  it("types an RFC 9068 access token at+jwt in its header, byte for byte as jose makes it", async () => {
    const keys = await signingOnly();
    const { privateKey } = (keys as unknown as { current: { privateKey: KeyObject } }).current;
    const byJose = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: keys.currentKid })
      .sign(privateKey);
    const token = await keys.sign(claims, "at+jwt");
    expect(token).toBe(byJose);
    // RFC 9068 section 4: a resource server checks the type; jose does with `typ`.
    const { protectedHeader } = await jwtVerify(token, createLocalJWKSet(keys.jwks()), {
      typ: "at+jwt",
      currentDate: new Date(claims.iat * 1000),
    });
    expect(protectedHeader).toEqual({ alg: "RS256", typ: "at+jwt", kid: keys.currentKid });
  });

  it("signs with the next key after a rotation, and the previous key's tokens still verify", async () => {
    const keys = await SigningKeys.create();
    const before = await keys.sign(claims);
    const { current, previous } = await keys.rotate();
    const after = await keys.sign(claims);
    expect(decodeProtectedHeader(before).kid).toBe(previous);
    expect(decodeProtectedHeader(after).kid).toBe(current);
    const jwks = createLocalJWKSet(keys.jwks());
    const options = { currentDate: new Date(claims.iat * 1000) };
    await expect(jwtVerify(before, jwks, options)).resolves.toBeDefined();
    await expect(jwtVerify(after, jwks, options)).resolves.toBeDefined();
  });
});

describe("SigningKeys kept in a file (MOCK_AUTH0_SIGNING_KEYS)", () => {
  /** A folder for one test, removed after it; the keys file is named but not made. */
  function keysFile(): string {
    const dir = mkdtempSync(path.join(tmpdir(), "signing-keys-"));
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    return path.join(dir, "certs", "signing-keys.json");
  }
  const opened = async (file: string) => {
    const keys = await SigningKeys.persisted(file);
    await keys.ready;
    return keys;
  };

  it("makes the keys once, owner-only, and a restart signs with the same key and the same JWKS", async () => {
    const file = keysFile();
    const first = await opened(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = await first.sign(claims);

    const restarted = await opened(file);
    expect(restarted.currentKid).toBe(first.currentKid);
    expect(restarted.jwks()).toEqual(first.jwks());
    expect(await restarted.sign(claims)).toBe(token);
    // Nothing but the file is left in its folder.
    expect(readdirSync(path.dirname(file))).toEqual(["signing-keys.json"]);
  });

  /**
   * The text of a keys file made once for this file's tests (RSA key generation costs about
   * 0.1 s of CPU a key): a test that needs a file that exists starts from a copy.
   */
  let made: Promise<string> | undefined;
  const existingKeysFile = async () => {
    made ??= (async () => {
      const file = keysFile();
      await opened(file);
      return readFileSync(file, "utf8");
    })();
    const file = keysFile();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, await made, { mode: 0o600 });
    return file;
  };

  it("keeps a rotation: after a restart the rotated key signs and the previous one is published", async () => {
    const file = await existingKeysFile();
    const keys = await opened(file);
    const before = await keys.sign(claims);
    const kids = await keys.rotate();

    const restarted = await opened(file);
    expect(restarted.currentKid).toBe(kids.current);
    expect(restarted.jwks()).toEqual(keys.jwks());
    const jwks = createLocalJWKSet(restarted.jwks());
    const options = { currentDate: new Date(claims.iat * 1000) };
    await expect(jwtVerify(before, jwks, options)).resolves.toBeDefined();
  });

  it("gives tenants that start at once on a new file the same keys", async () => {
    const file = keysFile();
    const all = await Promise.all([0, 1].map(() => opened(file)));
    expect(new Set(all.map((keys) => keys.currentKid)).size).toBe(1);
    expect(readdirSync(path.dirname(file))).toEqual(["signing-keys.json"]);
  });

  it("refuses a file that holds no usable keys, saying how to start afresh, and leaves it alone", async () => {
    const short = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
    const { current, next } = JSON.parse(readFileSync(await existingKeysFile(), "utf8")) as Record<
      string,
      object
    >;
    const cases: [string, RegExp][] = [
      ["{ not json", /not JSON/],
      [JSON.stringify({ current }), /not current, next and previous private RSA JWKs/],
      [JSON.stringify({ current: { ...current, d: undefined }, next }), /private RSA JWKs/],
      [JSON.stringify({ current: { ...current, n: "AQAB" }, next }), /the current key/],
      [
        JSON.stringify({ current, next: short.export({ format: "jwk" }) }),
        /the next key has 1024 bits, RS256 needs 2048/,
      ],
    ];
    for (const [content, why] of cases) {
      const file = keysFile();
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
      const error = await SigningKeys.persisted(file).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SigningKeysFileError);
      expect((error as Error).message).toMatch(why);
      expect((error as Error).message).toContain(`MOCK_AUTH0_SIGNING_KEYS: ${file}`);
      expect((error as Error).message).toContain("Delete it");
      expect(readFileSync(file, "utf8")).toBe(content);
    }
  });

  it("names where the file's path comes from, and the fix, when it cannot be read", async () => {
    // A folder where the file goes: unreadable as a file to any user, root included.
    const file = keysFile();
    mkdirSync(file, { recursive: true });
    const error = await SigningKeys.persisted(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SigningKeysFileError);
    expect((error as Error).message).toBe(
      `mock-auth0 cannot read its token-signing keys ${file} (EISDIR: illegal operation on a ` +
        "directory, read), kept where MOCK_AUTH0_SIGNING_KEYS says, else as signing-keys.json " +
        "in the certificate folder (MOCK_AUTH0_CERT_DIR, or its default): give this user the " +
        "file (one made by another user, such as a run with sudo, is theirs), or set " +
        "MOCK_AUTH0_CERT_DIR to a folder this user may write",
    );
  });
});
