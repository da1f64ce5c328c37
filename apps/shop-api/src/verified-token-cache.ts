import type { Clock } from "@ciba-testbed/shared";
import type { Request } from "express";
import type { AuthResult } from "express-oauth2-jwt-bearer";

/** What express-oauth2-jwt-bearer puts in `req.auth` once it accepted a token. */
export type VerifiedToken = AuthResult;

export interface VerifiedTokenCacheOptions {
  /** At most this many tokens are kept; the least recently used goes first. 0 keeps none. */
  maxEntries: number;
  /** The app's clock (`AppDeps.clock`): an entry is dropped at the token's `exp` by this clock. */
  clock: Pick<Clock, "now">;
  /**
   * No entry outlives this many ms after its verification, whatever its `exp`: the library's
   * JWKS cache age (`cacheMaxAge`, 10 minutes by default), so a signing key removed from the
   * issuer's JWKS stops being honoured here about as soon as it would without this cache.
   */
  maxAgeMs: number;
}

interface Entry {
  verified: VerifiedToken;
  /** Epoch ms: the token's `exp`, or `maxAgeMs` after the verification if that comes first. */
  expiresAt: number;
}

/** Shop-wide default of `SHOP_API_TOKEN_CACHE_SIZE`. */
export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;
/** express-oauth2-jwt-bearer's own default `cacheMaxAge` (JWKS and discovery). */
export const DEFAULT_TOKEN_CACHE_MAX_AGE_MS = 600_000;

/**
 * The verdicts of express-oauth2-jwt-bearer on the tokens it accepted (issuer, audience,
 * algorithm, signature, `exp`/`nbf`), keyed by the exact token string: a token spelled any other
 * way is another key and goes to the library again. Bounded in entries (least recently used
 * out first) and in time (never past the token's `exp` by the app's clock, nor `maxAgeMs` past
 * its verification). Only `remember` adds, and the caller calls it only after the library said
 * yes, so a refused token is never here.
 */
export class VerifiedTokenCache {
  // A Map iterates in insertion order: re-inserting on each hit keeps the oldest use first.
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: VerifiedTokenCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 0) {
      throw new RangeError(`maxEntries must be a whole number >= 0, not ${options.maxEntries}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The library's verdict on exactly this token string, while it holds. */
  get(token: string): VerifiedToken | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    this.entries.delete(token);
    if (this.options.clock.now() >= entry.expiresAt) return undefined;
    this.entries.set(token, entry);
    return entry.verified;
  }

  /**
   * Keeps what the library put in `req.auth` after accepting a token. The object is frozen
   * (deeply) because every later request with this token gets the very same one.
   */
  remember(verified: VerifiedToken): void {
    const { maxEntries, clock, maxAgeMs } = this.options;
    const { exp } = verified.payload;
    // The library refuses a token without `exp`; a verdict without an end is not kept anyway.
    if (maxEntries === 0 || typeof exp !== "number" || !Number.isFinite(exp)) return;
    const now = clock.now();
    const expiresAt = Math.min(exp * 1000, now + maxAgeMs);
    if (expiresAt <= now) return;
    this.entries.delete(verified.token);
    while (this.entries.size >= maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(verified.token, { verified: deepFreeze(verified), expiresAt });
  }

  clear(): void {
    this.entries.clear();
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Which requests a cached verdict may answer. express-oauth2-jwt-bearer 1.10 also checks the
// request around the token (index.js: `auth`, `resolveHost`, `normalizeUrl`, `getToken`). A
// request is answered from the cache only when those checks certainly pass, as ported below;
// anything else (a forwarded host, an odd Host or target, a token in the query or body, another
// scheme) goes to the library, which answers it as it always did.
// ---------------------------------------------------------------------------------------------

/** The library's `HOST_RE` (index.js, `resolveHost` and `normalizeUrl`). */
const LIBRARY_HOST =
  /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?$/;
const PROTOCOL_IN_PATH = /^\/[a-z][a-z0-9+.-]*:\/\//i;
/** The only scheme the library accepts with DPoP off, in any case, followed by one space. */
const BEARER_PREFIX = /^bearer /i;

const isLibraryHost = (host: string): boolean =>
  host.length > 0 &&
  !host.includes("://") &&
  !host.includes("/") &&
  !host.includes("?") &&
  !host.includes("#") &&
  LIBRARY_HOST.test(host);

/**
 * The Bearer token of a request whose every other part the library would accept, or undefined
 * (then the library decides). Allocates only the token string, and a URL for a request target
 * other than the previous one's.
 */
export class CacheableRequests {
  // The last target the URL checks passed for: a run of requests to one path parses it once.
  private lastProtocol = "";
  private lastHost = "";
  private lastTarget = "";

  tokenOf(req: Request): string | undefined {
    const { authorization, host } = req.headers;
    // `getToken`: exactly one space; the scheme Bearer (DPoP is off: any other scheme is a 400).
    if (typeof authorization !== "string" || !BEARER_PREFIX.test(authorization)) return undefined;
    if (authorization.length === 7 || authorization.includes(" ", 7)) return undefined;
    // `resolveHost`: X-Forwarded-Host counts only behind a trusted proxy; left to the library.
    if (req.headers["x-forwarded-host"] !== undefined) return undefined;
    if (typeof host !== "string" || !isLibraryHost(host)) return undefined;
    const target = req.originalUrl;
    // `getToken`: a token in the query or in a url-encoded body too is "more than one method".
    if (target.includes("?")) {
      const query = req.query as Record<string, unknown>;
      if (query.access_token !== undefined) return undefined;
    }
    if ((req.body as { access_token?: unknown } | undefined)?.access_token !== undefined) {
      return undefined;
    }
    if (!this.urlPasses(req.protocol, host, target)) return undefined;
    return authorization.slice(7);
  }

  /** `normalizeUrl(url, 'request')` does not throw for this URL. */
  private urlPasses(protocol: string, host: string, target: string): boolean {
    if (protocol === this.lastProtocol && host === this.lastHost && target === this.lastTarget) {
      return true;
    }
    let url: URL;
    try {
      url = new URL(`${protocol}://${host}${target}`);
    } catch {
      return false;
    }
    if (!isLibraryHost(url.host)) return false;
    if (url.pathname.startsWith("//") || PROTOCOL_IN_PATH.test(url.pathname)) return false;
    this.lastProtocol = protocol;
    this.lastHost = host;
    this.lastTarget = target;
    return true;
  }
}
