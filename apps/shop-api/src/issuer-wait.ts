import { setTimeout as sleep } from "node:timers/promises";

import { IssuerCheckError } from "./issuer-check.js";
import type { IssuerCheckResult } from "./issuer-check.js";

export interface IssuerWaitOptions {
  /** How long a refused connection is tried again (`SHOP_API_ISSUER_WAIT_MS`); 0: not at all. */
  waitMs: number;
  /** Between two tries. */
  retryMs?: number;
  /** Called once, at the first refusal that will be tried again. */
  onWait?: (error: IssuerCheckError) => void;
  /** Tests only: the clock and the pause between tries. */
  now?: () => number;
  pause?: (ms: number) => Promise<void>;
}

/**
 * The start-up issuer check, tried again while the issuer refuses connections, for up to
 * `waitMs`. Under `pnpm dev` a change to code the tenant and the shop are both built from
 * starts both again at once, and the shop may ask before the tenant listens again. Any other
 * problem (an untrusted certificate, an issuer mismatch), and a refusal once the time is up,
 * is thrown at once, as without a wait.
 */
export async function checkIssuerWaiting(
  check: () => Promise<IssuerCheckResult>,
  options: IssuerWaitOptions,
): Promise<IssuerCheckResult> {
  const { waitMs, retryMs = 100, onWait, now = Date.now, pause = sleep } = options;
  const deadline = now() + waitMs;
  let waiting = false;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      const refused = error instanceof IssuerCheckError && error.problem === "connection_refused";
      if (!refused || now() + retryMs > deadline) throw error;
      if (!waiting) onWait?.(error);
      waiting = true;
      await pause(retryMs);
    }
  }
}
