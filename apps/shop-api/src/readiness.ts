import type { Clock } from "@ciba-testbed/shared";

import { IssuerCheckError } from "./issuer-check.js";
import { connectionRefusal } from "./store/connection-refusal.js";
import {
  isDatabaseUnavailable,
  isReadOnly,
  isRefusedByDatabase,
} from "./store/database-unavailable.js";
import type { IssuerCheckResult, IssuerProblem } from "./issuer-check.js";

export type Readiness =
  | { ready: true; result: IssuerCheckResult; checkedAt: number }
  | {
      ready: false;
      problem: IssuerProblem | "database" | "unknown";
      message: string;
      checkedAt: number;
    };

/**
 * GET /ready runs the start-up check again (the issuer, and the database able to take an order:
 * `ShopStore.ready`), but at most once per `ttlMs`: a load balancer polling every second must
 * not turn into a request to the issuer every second. Concurrent callers share one check. The
 * answer's age is measured on `monotonicMs` (milliseconds that only move forward): on the wall
 * clock a step back would keep the last answer for as long as the step. `clock` only dates the
 * answer (`checked_at`).
 */
export function cachedReadiness(
  check: () => Promise<IssuerCheckResult>,
  clock: Clock,
  ttlMs: number,
  monotonicMs: () => number,
): () => Promise<Readiness> {
  let last: { readiness: Readiness; at: number } | undefined;
  let running: Promise<Readiness> | undefined;

  const run = async (): Promise<Readiness> => {
    try {
      const result = await check();
      return { ready: true, result, checkedAt: clock.now() };
    } catch (error) {
      const at = clock.now();
      if (error instanceof IssuerCheckError) {
        return { ready: false, problem: error.problem, message: error.message, checkedAt: at };
      }
      if (isDatabaseUnavailable(error)) {
        const refusal = connectionRefusal(error);
        const message = refusal
          ? `The shop's database refuses the shop's connection (${refusal.short}): orders cannot be placed or read`
          : isReadOnly(error)
            ? "The shop's database is read-only: orders cannot be placed"
            : isRefusedByDatabase(error)
              ? "The shop's database refuses the shop's work (a privilege taken away, or its files gone): orders cannot be placed"
              : "The shop's database cannot be reached: orders cannot be placed or read";
        return { ready: false, problem: "database", message, checkedAt: at };
      }
      const message = "The readiness check failed unexpectedly";
      return { ready: false, problem: "unknown", message, checkedAt: at };
    }
  };

  return () => {
    if (last && monotonicMs() - last.at < ttlMs) {
      return Promise.resolve(last.readiness);
    }
    running ??= run().then((readiness) => {
      last = { readiness, at: monotonicMs() };
      running = undefined;
      return readiness;
    });
    return running;
  };
}
