/**
 * Ends a server on Ctrl-C, SIGTERM or SIGHUP: `close` lets in-flight requests finish, then the
 * process exits 0, or 1 when closing failed. One place, so every server stops the same way.
 * SIGHUP is the terminal closing under `pnpm shop-api` or `pnpm mock-auth0` run alone: left to
 * Node's default it ended the server at once, with no line saying so and the requests it held
 * cut off (the agent and `pnpm dev` already took it as a stop).
 *
 * Every signal is taken, not only the first: a further one while the server closes (Ctrl-C
 * again, a supervisor's SIGTERM on top of a terminal's SIGINT, the end of a dead supervisor's
 * pipe: `stopWhenStdinCloses`) waits for the stop already under way. Left to Node's default, it
 * killed the server while it answered the requests it took. That stop ends by itself: the
 * servers' `serveUntilStopped` closes every connection left after its grace (`STOP_GRACE_MS`).
 */
export function closeOnSignals(
  close: () => Promise<unknown>,
  onSignal: (signal: string) => void,
): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    onSignal(signal);
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const signal of STOPPING_SIGNALS) process.on(signal, stop);
}

/** The signals that stop a server gracefully. */
const STOPPING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
