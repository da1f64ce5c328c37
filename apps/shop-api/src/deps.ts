import { randomUUID } from "node:crypto";

import { systemClock } from "@ciba-testbed/shared";
import type { Clock } from "@ciba-testbed/shared";
import type { Logger } from "pino";

import type { TokenVerificationOptions } from "./auth.js";
import { Catalog } from "./catalog.js";
import type { ShopApiConfig } from "./config.js";
import { checkIssuer } from "./issuer-check.js";
import type { IssuerCheckResult } from "./issuer-check.js";
import { createLogger } from "./logging.js";
import type { ShopStore } from "./store/shop-store.js";

/** What tests swap. */
export interface AppDeps {
  /** The products on sale; `store` must have been opened with the same catalog (`openShopStore`). */
  catalog: Catalog;
  store: ShopStore;
  clock: Clock;
  logger: Logger;
  newOrderId: () => string;
  /** How express-oauth2-jwt-bearer reaches the issuer (TLS agent, timeouts, caching). */
  tokenVerification: TokenVerificationOptions;
  /**
   * The issuer check behind GET /ready and main.ts's start-up check. By default it reaches the
   * issuer exactly as token verification does (same agent, same timeout).
   */
  checkIssuer: () => Promise<IssuerCheckResult>;
  readinessTtlMs: number;
  /**
   * Milliseconds that only move forward (`performance.now()`), for ages that a wall clock step
   * must not stretch or freeze: how long GET /ready keeps its last answer.
   */
  monotonicMs: () => number;
  /**
   * Benchmarks only: every purchase route accepts any caller as this user, with no token.
   * Configuration never sets it (neither `loadConfig` nor `main.ts` knows it); only code that
   * builds deps can, so the benchmark can compare the app with and without token verification.
   */
  benchmarkWithoutAuthentication?: { sub: string };
}

/**
 * The issuer check that reaches the issuer exactly as token verification does. `untrustedHint`:
 * what to do about a certificate it does not trust (`IssuerTrust.untrustedHint`).
 */
export function issuerCheck(
  config: Pick<ShopApiConfig, "issuer">,
  tokenVerification: TokenVerificationOptions = {},
  untrustedHint?: string,
): () => Promise<IssuerCheckResult> {
  return () =>
    checkIssuer({
      issuer: config.issuer,
      agent: tokenVerification.agent,
      timeoutMs: tokenVerification.timeoutDuration,
      untrustedHint,
    });
}

/** The store is opened apart (`openShopStore`: it is asynchronous and must be closed). */
export function createDeps(
  config: ShopApiConfig,
  overrides: Partial<AppDeps> & Pick<AppDeps, "store">,
): AppDeps {
  const tokenVerification = overrides.tokenVerification ?? {};
  return {
    catalog: new Catalog(),
    clock: systemClock,
    logger: createLogger(config.logLevel),
    newOrderId: randomUUID,
    tokenVerification,
    checkIssuer: issuerCheck(config, tokenVerification),
    readinessTtlMs: 5_000,
    monotonicMs: () => performance.now(),
    ...overrides,
  };
}
