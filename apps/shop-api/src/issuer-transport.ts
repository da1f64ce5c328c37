import { get as httpGet } from "node:http";
import type { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent, get as httpsGet } from "node:https";
import tls from "node:tls";

import { nodeExtraCaCertificates } from "@ciba-testbed/shared/node";

/** One GET and its answer: the part of `fetch` the issuer check uses, so tests can pass `fetch`. */
export type IssuerFetch = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal },
) => Promise<{ status: number; text(): Promise<string> }>;

/**
 * GETs the way express-oauth2-jwt-bearer (and its jose) fetch the issuer's metadata and keys:
 * node's `http.get` / `https.get` through the same `agent` (`TokenVerificationOptions.agent`),
 * or Node's global agent without one. One transport means one trust decision: GET /ready cannot
 * call a certificate untrusted while token verification trusts it, or the other way round.
 */
export function fetchThrough(agent?: HttpAgent | HttpsAgent): IssuerFetch {
  return (url, { headers, signal }) =>
    // What `get` throws (an agent for the other protocol) rejects the promise, as it fails
    // the library's own request.
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const get = target.protocol === "https:" ? httpsGet : httpGet;
      get(target, { agent, headers, signal }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          resolve({ status: response.statusCode ?? 0, text: () => Promise.resolve(body) });
        });
      }).on("error", reject);
    });
}

/**
 * The agent for an issuer whose CA Node does not trust by itself (the local tenant's, when
 * NODE_EXTRA_CA_CERTS does not name it): `certificates` besides what Node trusts by default,
 * its own roots and NODE_EXTRA_CA_CERTS's certificates (on Node 22.15 and later
 * `tls.getCACertificates("default")`, which also has the system's with `--use-system-ca`). An
 * agent's `ca` replaces the default, so the default is named too. Token verification and the
 * issuer check both use it (`TokenVerificationOptions.agent`).
 */
export function agentTrusting(
  certificates: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): HttpsAgent {
  const { getCACertificates } = tls as typeof tls & {
    getCACertificates?: (kind: "default") => string[];
  };
  const extra = nodeExtraCaCertificates(env);
  const defaults = getCACertificates?.("default") ?? [
    ...tls.rootCertificates,
    ...(extra === undefined ? [] : [extra]),
  ];
  // Node's global agent keeps connections alive too.
  return new HttpsAgent({ keepAlive: true, ca: [...defaults, ...certificates] });
}
