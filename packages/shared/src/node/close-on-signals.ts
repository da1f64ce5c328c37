/**
 * Ends a server on Ctrl-C or SIGTERM: `close` lets in-flight requests finish, then the process
 * exits 0, or 1 when closing failed. One place, so every server stops the same way.
 */
export function closeOnSignals(
  close: () => Promise<unknown>,
  onSignal: (signal: string) => void,
): void {
  const stop = (signal: string) => {
    onSignal(signal);
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
