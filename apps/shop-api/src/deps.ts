import { randomUUID } from "node:crypto";

import { systemClock } from "@ciba-testbed/shared";
import type { Clock } from "@ciba-testbed/shared";
import type { Logger } from "pino";

import type { TokenVerificationOptions } from "./auth.js";
import { InMemoryCatalog } from "./catalog.js";
import type { Catalog } from "./catalog.js";
import type { ShopApiConfig } from "./config.js";
import { checkIssuer } from "./issuer-check.js";
import type { IssuerCheckResult } from "./issuer-check.js";
import { createLogger } from "./logging.js";
import { InMemoryOrderStore } from "./order-store.js";
import type { OrderStore } from "./order-store.js";

/** What tests swap. */
export interface AppDeps {
  catalog: Catalog;
  orders: OrderStore;
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
   * Benchmarks only: every purchase route accepts any caller as this user, with no token.
   * Configuration never sets it (neither `loadConfig` nor `main.ts` knows it); only code that
   * builds deps can, so the benchmark can compare the app with and without token verification.
   */
  benchmarkWithoutAuthentication?: { sub: string };
}

export function createDeps(config: ShopApiConfig, overrides: Partial<AppDeps> = {}): AppDeps {
  const tokenVerification = overrides.tokenVerification ?? {};
  return {
    catalog: new InMemoryCatalog(),
    orders: new InMemoryOrderStore(),
    clock: systemClock,
    logger: createLogger(config.logLevel),
    newOrderId: randomUUID,
    tokenVerification,
    checkIssuer: () =>
      checkIssuer({
        issuer: config.issuer,
        agent: tokenVerification.agent,
        timeoutMs: tokenVerification.timeoutDuration,
      }),
    readinessTtlMs: 5_000,
    ...overrides,
  };
}
