import type { Clock } from "@ciba-testbed/shared";

import { IssuerCheckError } from "./issuer-check.js";
import type { IssuerCheckResult, IssuerProblem } from "./issuer-check.js";

export type Readiness =
  | { ready: true; result: IssuerCheckResult; checkedAt: number }
  | { ready: false; problem: IssuerProblem | "unknown"; message: string; checkedAt: number };

/**
 * GET /ready runs the start-up check again, but at most once per `ttlMs`: a load balancer
 * polling every second must not turn into a request to the issuer every second. Concurrent
 * callers share one check.
 */
export function cachedReadiness(
  check: () => Promise<IssuerCheckResult>,
  clock: Clock,
  ttlMs = 5_000,
): () => Promise<Readiness> {
  let last: Readiness | undefined;
  let running: Promise<Readiness> | undefined;

  const run = async (): Promise<Readiness> => {
    try {
      const result = await check();
      return { ready: true, result, checkedAt: clock.now() };
    } catch (error) {
      const problem = error instanceof IssuerCheckError ? error.problem : "unknown";
      const message =
        error instanceof IssuerCheckError ? error.message : "The issuer check failed unexpectedly";
      return { ready: false, problem, message, checkedAt: clock.now() };
    }
  };

  return () => {
    if (last && clock.now() - last.checkedAt < ttlMs) {
      return Promise.resolve(last);
    }
    running ??= run().then((readiness) => {
      last = readiness;
      running = undefined;
      return readiness;
    });
    return running;
  };
}
