/**
 * Ends a server on Ctrl-C or SIGTERM: `close` lets in-flight requests finish, then the process
 * exits 0, or 1 when closing failed. One place, so every server stops the same way.
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
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
