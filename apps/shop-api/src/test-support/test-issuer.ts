import { KeyObject } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { ensureLocalCertificates } from "@ciba-testbed/mock-auth0";

import { SHOP_API_AUDIENCE } from "@ciba-testbed/shared";
import { SignJWT, base64url, exportJWK, exportSPKI, generateKeyPair } from "jose";
import type { CryptoKey, GenerateKeyPairResult, JWTHeaderParameters, JWTPayload } from "jose";

export const TEST_USER = "auth0|testbed-user";
export const TEST_CLIENT_ID = "testbed-agent";

/** `null` leaves a claim or header out of the token. */
export interface MintOptions {
  iss?: string | null;
  aud?: string | string[] | null;
  scope?: string | null;
  sub?: string | null;
  azp?: string | null;
  /** Seconds since the epoch. Defaults to 5 minutes from now (real time: the library checks it). */
  exp?: number | null;
  nbf?: number;
  iat?: number | null;
  /** RS256 (default) / PS256 sign with the issuer's key; `HS256` signs with the issuer's public
   *  key as an HMAC secret (the key-confusion attack); `none` produces an unsigned token. */
  alg?: "RS256" | "PS256" | "HS256" | "none";
  kid?: string | null;
  /** Sign with a key that is not in the JWKS (a bad signature), keeping the issuer's kid. */
  foreignKey?: boolean;
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
}

export interface TestIssuer {
  /** `http://127.0.0.1:<port>/`: the exact `iss` of minted tokens. */
  issuer: string;
  jwksUri: string;
  kid: string;
  audience: string;
  mint(options?: MintOptions): Promise<string>;
  /** A token shaped like Auth0's for a client-credentials grant. */
  mintClientCredentials(options?: MintOptions): Promise<string>;
  /** Requests the issuer server has answered, by path. */
  requests: string[];
  close(): Promise<void>;
}

export interface LocalTls {
  key: string;
  cert: string;
  /** The private CA that signed `cert`: nothing trusts it unless told to. */
  ca: string;
}

/**
 * A fresh private CA and a `localhost` certificate it signed, made in a temporary folder that
 * is gone again once they are read.
 */
export async function localTls(): Promise<LocalTls> {
  const dir = mkdtempSync(path.join(tmpdir(), "shop-api-tls-"));
  try {
    const certs = await ensureLocalCertificates(dir);
    return { key: certs.key, cert: certs.cert, ca: certs.caCert };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * The key pairs of closed issuers, for the next issuers of this process. A 2048-bit RSA key
 * pair costs about 0.2 s of CPU and an issuer needs one or two (its own, and a foreign one); a
 * test worker keeps its modules from one file to the next, so its later files take these
 * instead of making their own. A key is only ever held by one running issuer: two issuers
 * running at once never share one, and an issuer's foreign key is never its own.
 */
const spareKeyPairs: GenerateKeyPairResult[] = [];

const takeKeyPair = async (): Promise<GenerateKeyPairResult> =>
  spareKeyPairs.pop() ?? generateKeyPair("RS256", { modulusLength: 2048, extractable: true });

/**
 * A token issuer for tests: an RSA key no other running issuer holds and a fresh `kid`, its
 * JWKS and OpenID Connect metadata served on 127.0.0.1 (port 0) over HTTP, or over HTTPS as
 * `https://localhost:<port>/` with `tls`, and a `mint` that makes tokens shaped like those of an
 * Auth0 tenant (`aud` array with the userinfo URL, `scope` with openid, `azp`).
 */
export async function startTestIssuer(
  options: {
    audience?: string;
    metadata?: Record<string, unknown>;
    tls?: { key: string; cert: string };
    /** The JWK's `alg` member (default RS256); `null` leaves it out, so PS256 may use the key. */
    jwkAlg?: string | null;
    /** Publish a second key too, as Auth0 publishes its next signing key beside the current. */
    nextKey?: boolean;
  } = {},
): Promise<TestIssuer> {
  const audience = options.audience ?? SHOP_API_AUDIENCE;
  const keys = await takeKeyPair();
  // Taken by the first token signed with a key that is not in the JWKS: few files sign one.
  let foreign: Promise<GenerateKeyPairResult> | undefined;
  const publicJwk = await exportJWK(keys.publicKey);
  const kid = `test-${base64url.encode(crypto.getRandomValues(new Uint8Array(6)))}`;
  const jwkAlg = options.jwkAlg === undefined ? "RS256" : options.jwkAlg;
  const next = options.nextKey === true ? await takeKeyPair() : undefined;
  const published = [{ jwk: publicJwk, kid }];
  if (next) published.push({ jwk: await exportJWK(next.publicKey), kid: `${kid}-next` });
  const jwks = {
    keys: published.map((key) =>
      withoutNulls({ ...key.jwk, kid: key.kid, alg: jwkAlg, use: "sig" }),
    ),
  };
  const publicKeyPem = await exportSPKI(keys.publicKey);

  const requests: string[] = [];
  let issuer = "";
  const server = await listen((req, res) => {
    requests.push(req.url ?? "");
    const metadata = {
      issuer,
      jwks_uri: `${issuer}.well-known/jwks.json`,
      token_endpoint: `${issuer}oauth/token`,
      id_token_signing_alg_values_supported: ["RS256", "PS256"],
      ...options.metadata,
    };
    const body =
      req.url === "/.well-known/openid-configuration"
        ? metadata
        : req.url === "/.well-known/jwks.json"
          ? jwks
          : undefined;
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(body ?? { error: "not_found" }));
  }, options.tls);
  const { port } = server.address() as AddressInfo;
  issuer = options.tls ? `https://localhost:${port}/` : `http://127.0.0.1:${port}/`;

  let closed = false;
  const mint = async (o: MintOptions = {}): Promise<string> => {
    const now = nowSeconds();
    const payload = withoutNulls({
      iss: o.iss === undefined ? issuer : o.iss,
      sub: o.sub === undefined ? TEST_USER : o.sub,
      aud: o.aud === undefined ? [audience, `${issuer}userinfo`] : o.aud,
      azp: o.azp === undefined ? TEST_CLIENT_ID : o.azp,
      scope: o.scope === undefined ? "openid product:buy" : o.scope,
      iat: o.iat === undefined ? now : o.iat,
      exp: o.exp === undefined ? now + 300 : o.exp,
      nbf: o.nbf,
      ...o.claims,
    }) as JWTPayload;
    const alg = o.alg ?? "RS256";
    const header = withoutNulls({
      alg,
      typ: "JWT",
      kid: o.kid === undefined ? kid : o.kid,
      ...o.header,
    }) as JWTHeaderParameters;

    if (alg === "none") {
      const encode = (value: object) => base64url.encode(JSON.stringify(value));
      return `${encode(header)}.${encode(payload)}.`;
    }
    const key: CryptoKey | Uint8Array =
      alg === "HS256"
        ? new TextEncoder().encode(publicKeyPem)
        : o.foreignKey
          ? (await (foreign ??= takeKeyPair())).privateKey
          : keys.privateKey;
    // A WebCrypto key is bound to one algorithm (RSASSA-PKCS1-v1_5 here): PS256 signs with the
    // same RSA key as a Node KeyObject.
    const signWith = alg === "PS256" && !(key instanceof Uint8Array) ? KeyObject.from(key) : key;
    return new SignJWT(payload).setProtectedHeader({ ...header, alg }).sign(signWith);
  };

  return {
    issuer,
    jwksUri: `${issuer}.well-known/jwks.json`,
    kid,
    audience,
    mint,
    mintClientCredentials: (o = {}) =>
      mint({
        sub: `${TEST_CLIENT_ID}@clients`,
        scope: "product:buy",
        aud: audience,
        ...o,
        claims: { gty: "client-credentials", ...o.claims },
      }),
    requests,
    close: async () => {
      if (closed) return;
      closed = true;
      await close(server);
      spareKeyPairs.push(keys);
      if (next) spareKeyPairs.push(next);
      if (foreign) spareKeyPairs.push(await foreign);
    },
  };
}

function withoutNulls(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).filter(([, value]) => value !== null && value !== undefined),
  );
}

/** A server on 127.0.0.1, port 0; HTTPS when given a key and certificate. */
export function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  tls?: { key: string; cert: string },
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server: Server = tls ? createHttpsServer(tls, handler) : createServer(handler);
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve(server);
    });
  });
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.closeAllConnections();
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}
