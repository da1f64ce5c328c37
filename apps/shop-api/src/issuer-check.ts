import type { Agent as HttpAgent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";

import { isRecord } from "@ciba-testbed/shared";
import { classifyNetworkError, errorMessages } from "@ciba-testbed/shared/node";

import { fetchThrough } from "./issuer-transport.js";
import type { IssuerFetch } from "./issuer-transport.js";

/**
 * The start-up check, which GET /ready repeats: can this process reach and trust the issuer's
 * metadata and keys, and do they describe the issuer it is configured for? Without it, each of
 * these problems shows up later as the library's `401 invalid_token "Failed to fetch
 * authorization server metadata"`.
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
  /** The agent token verification uses (`TokenVerificationOptions.agent`): one trust decision. */
  agent?: HttpAgent | HttpsAgent | undefined;
  /** Tests only: replaces the transport (`fetchThrough(agent)`). */
  fetch?: IssuerFetch;
  timeoutMs?: number | undefined;
  /** What to do about an untrusted certificate; by default, the advice for any process. */
  untrustedHint?: string | undefined;
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

export async function checkIssuer(options: IssuerCheckOptions): Promise<IssuerCheckResult> {
  const { issuer, timeoutMs = 5_000, untrustedHint = CA_HINT } = options;
  const fetch = options.fetch ?? fetchThrough(options.agent);
  const metadataUrl = discoveryUrl(issuer);

  const metadata = await getJson(
    fetch,
    metadataUrl,
    "The issuer's metadata",
    timeoutMs,
    "http_status",
    untrustedHint,
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
    untrustedHint,
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
  fetch: IssuerFetch,
  url: string,
  what: string,
  timeoutMs: number,
  statusProblem: IssuerProblem,
  untrustedHint: string,
): Promise<unknown> {
  let response: Awaited<ReturnType<IssuerFetch>>;
  try {
    response = await fetch(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw describeFetchFailure(error, url, what, timeoutMs, untrustedHint);
  }
  if (response.status !== 200) {
    throw new IssuerCheckError(
      statusProblem,
      `${what} could not be read: GET ${url} answered ${response.status}. ` +
        "Check that AUTH0_DOMAIN / AUTH0_ISSUER_BASE_URL names the right tenant.",
    );
  }
  try {
    return JSON.parse(await response.text()) as unknown;
  } catch (error) {
    throw new IssuerCheckError(
      statusProblem === "http_status" ? "bad_metadata" : "jwks_empty",
      `${what} at ${url} is not JSON`,
      { cause: error },
    );
  }
}

/** Names a failed request's cause (`classifyNetworkError`) with the fix for this API. */
export function describeFetchFailure(
  error: unknown,
  url: string,
  what: string,
  timeoutMs: number,
  untrustedHint: string = CA_HINT,
): IssuerCheckError {
  const { host, hostname, origin, port } = new URL(url);
  const { failure, code, detail } = classifyNetworkError(error) ?? {
    failure: "unreachable",
    detail: errorMessages(error),
  };
  const problem = (name: IssuerProblem, message: string) =>
    new IssuerCheckError(name, message, { cause: error });

  switch (failure) {
    case "tls_untrusted":
      return problem(
        failure,
        `${what} at ${url} cannot be trusted: TLS certificate check failed (${code}). ${untrustedHint}`,
      );
    case "tls_hostname":
      return problem(
        failure,
        `${what} at ${url} is served with a certificate that is not valid for ${hostname} ` +
          `(${code}): use the host name the certificate was issued for.`,
      );
    case "tls_handshake":
      return problem(
        failure,
        `${what} at ${url}: the TLS handshake failed (${code}). Is the server at ${host} ` +
          "speaking HTTPS on that port?",
      );
    case "connection_refused":
      return problem(
        failure,
        `${what} at ${url} is unreachable: nothing is listening at ${origin} (${code}). ` +
          "Is the tenant running (pnpm mock-auth0)? Is AUTH0_DOMAIN right?",
      );
    case "dns":
      return problem(
        failure,
        `${what} at ${url} is unreachable: the host name ${hostname} does not resolve (${code}). ` +
          "Check AUTH0_DOMAIN (e.g. your-tenant.us.auth0.com).",
      );
    case "timeout":
      return problem(
        failure,
        code === undefined
          ? `${what} at ${url} did not answer within ${timeoutMs} ms`
          : `${what} at ${url} did not answer in time (${code})`,
      );
    case "blocked_port":
      return problem(
        "unreachable",
        `${what} at ${url} is unreachable: fetch refuses to connect to port ${port} ` +
          "(one of the ports browsers and fetch block). Run the tenant on another port.",
      );
    case "connection_reset":
    case "unreachable":
      return problem("unreachable", `${what} at ${url} is unreachable (${code ?? detail})`);
  }
}
