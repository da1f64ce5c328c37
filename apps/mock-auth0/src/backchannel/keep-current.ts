import type { Clock } from "@ciba-testbed/shared";

import type { Ticker } from "../ticker.js";
import type { BackchannelStore } from "./backchannel-store.js";

/** How often time is applied to the store: scheduled decisions and expiries show within this. */
const ADVANCE_EVERY_MS = 250;

/**
 * Drives `store.advance(now)` from a ticker, so that time takes effect with nobody reading.
 * A backlog larger than one step's budget continues on the next turn of the event loop, so
 * requests keep being served in between.
 */
export function keepStoreCurrent(
  store: BackchannelStore,
  clock: Clock,
  ticker: Ticker,
): () => void {
  let stopped = false;
  const step = () => {
    if (stopped) return;
    if (store.advance(clock.now()).backlog) setImmediate(step);
  };
  const cancel = ticker.every(ADVANCE_EVERY_MS, step);
  return () => {
    stopped = true;
    cancel();
  };
}
