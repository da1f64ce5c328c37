/**
 * Why a connection failed, sorted once for every app: the shop's issuer check, the agent's
 * tenant and shop calls and the stack's health checks all name the same causes the same way.
 * Node's fetch throws `TypeError("fetch failed")` with the socket's error in `cause`, the Auth0
 * SDK wraps that again, and a host with several addresses fails with an `AggregateError`, so
 * the codes are collected from the whole tree.
 */

import { isRecord } from "../is-record.js";

export type NetworkFailure =
  /** The certificate chain does not end in a CA this process trusts. */
  | "tls_untrusted"
  /** The certificate is not valid for the host name that was asked for. */
  | "tls_hostname"
  /** No TLS at all: plain HTTP on an HTTPS URL, or a protocol mismatch. */
  | "tls_handshake"
  | "connection_refused"
  | "connection_reset"
  | "dns"
  | "timeout"
  /**
   * A port that fetch refuses to connect to (the Fetch standard's "bad ports", as browsers
   * refuse them: 6000, 6665-6669, 10080 and others): nothing was sent.
   */
  | "blocked_port"
  | "unreachable";

export interface NetworkErrorInfo {
  failure: NetworkFailure;
  /** The Node or OpenSSL code that decided it, when there was one. */
  code?: string;
  /** Every message along the cause chain: "fetch failed: connect ECONNREFUSED 127.0.0.1:4010". */
  detail: string;
}

const CODES: readonly (readonly [NetworkFailure, ReadonlySet<string>])[] = [
  [
    "tls_untrusted",
    new Set([
      "SELF_SIGNED_CERT_IN_CHAIN",
      "DEPTH_ZERO_SELF_SIGNED_CERT",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "UNABLE_TO_GET_ISSUER_CERT",
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
      "CERT_UNTRUSTED",
      "CERT_SIGNATURE_FAILURE",
      "CERT_HAS_EXPIRED",
      "CERT_NOT_YET_VALID",
    ]),
  ],
  ["tls_hostname", new Set(["ERR_TLS_CERT_ALTNAME_INVALID"])],
  ["tls_handshake", new Set(["EPROTO", "ERR_SSL_WRONG_VERSION_NUMBER"])],
  ["connection_refused", new Set(["ECONNREFUSED"])],
  ["dns", new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME"])],
  ["connection_reset", new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"])],
  ["timeout", new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT"])],
];

/**
 * Sorts a thrown value into a network failure, or undefined when it is not one (an HTTP answer,
 * a programming error). The first matching kind in the order above wins: an untrusted
 * certificate explains a reset that follows it.
 */
export function classifyNetworkError(error: unknown): NetworkErrorInfo | undefined {
  const codes = errorCodes(error);
  const detail = errorMessages(error);
  for (const [failure, set] of CODES) {
    const code = codes.find((c) => set.has(c));
    if (code !== undefined) return { failure, code, detail };
  }
  if (hasTimeoutName(error)) return { failure: "timeout", detail };
  // Undici's own words, the last of the cause chain: "fetch failed: bad port".
  if (isFetchFailure(error) && detail.endsWith(": bad port")) {
    return { failure: "blocked_port", code: BLOCKED_PORT_TEXT, detail };
  }
  if (isFetchFailure(error)) return { failure: "unreachable", detail };
  return undefined;
}

/** Every `code` in the error, its `cause` chain and any AggregateError members. */
export function errorCodes(error: unknown, depth = 0): string[] {
  if (!isRecord(error) || depth > 5) return [];
  const own = typeof error.code === "string" ? [error.code] : [];
  const members = Array.isArray(error.errors)
    ? error.errors.flatMap((inner: unknown) => errorCodes(inner, depth + 1))
    : [];
  return [...own, ...members, ...errorCodes(error.cause, depth + 1)];
}

/** The messages along the `cause` chain, joined: "fetch failed: bad port". */
export function errorMessages(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const message = e instanceof Error ? e.message : typeof e === "string" ? e : "";
    if (message !== "" && !messages.includes(message)) messages.push(message);
    e = isRecord(e) ? e.cause : undefined;
  }
  return messages.length > 0 ? messages.join(": ") : "unknown error";
}

function hasTimeoutName(error: unknown, depth = 0): boolean {
  if (!isRecord(error) || depth > 5) return false;
  if (error.name === "TimeoutError" || error.name === "AbortError") return true;
  return hasTimeoutName(error.cause, depth + 1);
}

/** What fetch's "bad port" means, in words a person can act on (used as the failure's code). */
const BLOCKED_PORT_TEXT =
  "bad port: fetch refuses to connect to this port, as browsers do; use another port";

function isFetchFailure(error: unknown): boolean {
  return error instanceof TypeError && error.message === "fetch failed";
}
