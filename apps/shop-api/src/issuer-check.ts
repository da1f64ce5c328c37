/**
 * The start-up check: can this process reach and trust the issuer's metadata and keys, and do
 * they describe the issuer it is configured for? Without it, each of these problems shows up
 * later as the library's `401 invalid_token "Failed to fetch authorization server metadata"`.
 */

export type IssuerProblem =
  | "tls_untrusted"
  | "tls_hostname"
  | "tls_handshake"
  | "connection_refused"
  | "dns"
  | "timeout"
  | "unreachable"
  | "http_status"
  | "bad_metadata"
  | "issuer_mismatch"
  | "jwks_unreachable"
  | "jwks_empty";

export class IssuerCheckError extends Error {
  constructor(
    readonly problem: IssuerProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "IssuerCheckError";
  }
}

export interface IssuerCheckOptions {
  issuer: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

export interface IssuerCheckResult {
  issuer: string;
  metadataUrl: string;
  jwksUri: string;
  keyCount: number;
}

/** OpenID Connect Discovery 1.0, section 4: the issuer (without a trailing slash) + the path. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
}

const CA_HINT =
  "If the issuer is the local mock-auth0, set NODE_EXTRA_CA_CERTS=<path to .certs/ca.pem> " +
  "when starting the process (setting it from code has no effect); for another issuer, " +
  "make this machine trust its certificate authority.";

const TLS_TRUST_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
]);
const TLS_HANDSHAKE_CODES = new Set(["EPROTO", "ERR_SSL_WRONG_VERSION_NUMBER"]);
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME"]);

export async function checkIssuer(options: IssuerCheckOptions): Promise<IssuerCheckResult> {
  const { issuer, timeoutMs = 5_000 } = options;
  const fetch = options.fetch ?? globalThis.fetch;
  const metadataUrl = discoveryUrl(issuer);

  const metadata = await getJson(
    fetch,
    metadataUrl,
    "The issuer's metadata",
    timeoutMs,
    "http_status",
  );
  if (!isRecord(metadata) || typeof metadata.issuer !== "string") {
    throw new IssuerCheckError(
      "bad_metadata",
      `${metadataUrl} is not OpenID Connect discovery metadata (no "issuer" member): ` +
        "check that AUTH0_DOMAIN / AUTH0_ISSUER_BASE_URL names the authorization server",
    );
  }
  if (metadata.issuer !== issuer) {
    const slash =
      metadata.issuer.replace(/\/$/, "") === issuer.replace(/\/$/, "")
        ? " They differ only by the trailing slash."
        : "";
    throw new IssuerCheckError(
      "issuer_mismatch",
      `Issuer mismatch: the metadata at ${metadataUrl} says issuer ${JSON.stringify(metadata.issuer)}, ` +
        `but this API is configured for ${JSON.stringify(issuer)}. Tokens carry the metadata's ` +
        `value in "iss" and are compared byte for byte, so every token would be refused.${slash} ` +
        `Set AUTH0_ISSUER_BASE_URL=${metadata.issuer} (or fix AUTH0_DOMAIN).`,
    );
  }
  const jwksUri = metadata.jwks_uri;
  if (typeof jwksUri !== "string" || !URL.canParse(jwksUri)) {
    throw new IssuerCheckError(
      "bad_metadata",
      `The metadata at ${metadataUrl} has no valid "jwks_uri"`,
    );
  }

  const jwks = await getJson(
    fetch,
    jwksUri,
    "The issuer's signing keys (JWKS)",
    timeoutMs,
    "jwks_unreachable",
  );
  const keys = isRecord(jwks) && Array.isArray(jwks.keys) ? jwks.keys : undefined;
  if (!keys) {
    throw new IssuerCheckError("jwks_empty", `${jwksUri} is not a JWK Set (no "keys" array)`);
  }
  const signingKeys = keys.filter(
    (key) => isRecord(key) && typeof key.kty === "string" && key.kty !== "oct" && key.use !== "enc",
  );
  if (signingKeys.length === 0) {
    throw new IssuerCheckError(
      "jwks_empty",
      `The JWKS at ${jwksUri} has no public signing keys, so no token can be verified`,
    );
  }
  return { issuer, metadataUrl, jwksUri, keyCount: signingKeys.length };
}

async function getJson(
  fetch: typeof globalThis.fetch,
  url: string,
  what: string,
  timeoutMs: number,
  statusProblem: IssuerProblem,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw describeFetchFailure(error, url, what, timeoutMs);
  }
  if (response.status !== 200) {
    throw new IssuerCheckError(
      statusProblem,
      `${what} could not be read: GET ${url} answered ${response.status}. ` +
        "Check that AUTH0_DOMAIN / AUTH0_ISSUER_BASE_URL names the right tenant.",
    );
  }
  try {
    return await response.json();
  } catch (error) {
    throw new IssuerCheckError(
      statusProblem === "http_status" ? "bad_metadata" : "jwks_empty",
      `${what} at ${url} is not JSON`,
      { cause: error },
    );
  }
}

/** Node's fetch throws `TypeError("fetch failed")` and puts the real reason in `cause`. */
export function describeFetchFailure(
  error: unknown,
  url: string,
  what: string,
  timeoutMs: number,
): IssuerCheckError {
  const codes = errorCodes(error);
  const has = (set: ReadonlySet<string>) => codes.find((code) => set.has(code));
  const { host, hostname, origin } = new URL(url);

  const trustCode = has(TLS_TRUST_CODES);
  if (trustCode) {
    return new IssuerCheckError(
      "tls_untrusted",
      `${what} at ${url} cannot be trusted: TLS certificate check failed (${trustCode}). ${CA_HINT}`,
      { cause: error },
    );
  }
  if (codes.includes("ERR_TLS_CERT_ALTNAME_INVALID")) {
    return new IssuerCheckError(
      "tls_hostname",
      `${what} at ${url} is served with a certificate that is not valid for ${hostname} ` +
        "(ERR_TLS_CERT_ALTNAME_INVALID): use the host name the certificate was issued for.",
      { cause: error },
    );
  }
  const handshakeCode = has(TLS_HANDSHAKE_CODES);
  if (handshakeCode) {
    return new IssuerCheckError(
      "tls_handshake",
      `${what} at ${url}: the TLS handshake failed (${handshakeCode}). Is the server at ${host} ` +
        "speaking HTTPS on that port?",
      { cause: error },
    );
  }
  if (codes.includes("ECONNREFUSED")) {
    return new IssuerCheckError(
      "connection_refused",
      `${what} at ${url} is unreachable: nothing is listening at ${origin} (ECONNREFUSED). ` +
        "Is the tenant running (pnpm mock-auth0)? Is AUTH0_DOMAIN right?",
      { cause: error },
    );
  }
  const dnsCode = has(DNS_CODES);
  if (dnsCode) {
    return new IssuerCheckError(
      "dns",
      `${what} at ${url} is unreachable: the host name ${hostname} does not resolve (${dnsCode}). ` +
        "Check AUTH0_DOMAIN (e.g. your-tenant.us.auth0.com).",
      { cause: error },
    );
  }
  if (isTimeout(error)) {
    return new IssuerCheckError(
      "timeout",
      `${what} at ${url} did not answer within ${timeoutMs} ms`,
      { cause: error },
    );
  }
  const detail = codes.length > 0 ? codes.join(", ") : errorMessage(error);
  return new IssuerCheckError("unreachable", `${what} at ${url} is unreachable (${detail})`, {
    cause: error,
  });
}

/** Every `code` in the error, its `cause` chain and any AggregateError members. */
function errorCodes(error: unknown, depth = 0): string[] {
  if (!isRecord(error) || depth > 5) return [];
  const own = typeof error.code === "string" ? [error.code] : [];
  const nested = Array.isArray(error.errors)
    ? error.errors.flatMap((inner: unknown) => errorCodes(inner, depth + 1))
    : [];
  return [...own, ...nested, ...errorCodes(error.cause, depth + 1)];
}

function isTimeout(error: unknown): boolean {
  return isRecord(error) && (error.name === "TimeoutError" || error.name === "AbortError");
}

/** "fetch failed: bad port": the messages along the `cause` chain. */
function errorMessage(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth++) {
    messages.push(e instanceof Error ? e.message : typeof e === "string" ? e : "unknown error");
    e = e instanceof Error ? e.cause : undefined;
  }
  return messages.join(": ");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
