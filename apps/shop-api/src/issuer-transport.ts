import { get as httpGet } from "node:http";
import type { Agent as HttpAgent } from "node:http";
import { get as httpsGet } from "node:https";
import type { Agent as HttpsAgent } from "node:https";

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
