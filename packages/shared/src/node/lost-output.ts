/**
 * What this process writes to stdout or stderr once that stream cannot take it is lost, and
 * nothing else changes: a reader that has gone (`| head -1`, a crashed `| tee`, EPIPE) or a full
 * disk (ENOSPC) no longer raises an unhandled error that ends the process with exit 1.
 */
export function loseWhatCannotBeWritten(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
}

/**
 * Keeps a server (or a stack's supervisor) serving when its stdout or stderr can no longer be
 * written (loseWhatCannotBeWritten): without this, the first write there (the ready record, a
 * log line) killed the server, leaving a supervisor that had read its ready record holding a
 * dead server. When stdout fails, one line on stderr says so; when stderr fails, nothing can.
 * A pino logger writes to file descriptor 1 through its own stream, not `process.stdout`: see
 * dropLogWhenUnwritable (`@ciba-testbed/shared/node/unwritable-log`).
 */
export function keepServingWithoutOutput(service: string): void {
  process.stdout.once("error", (error: NodeJS.ErrnoException) => {
    process.stderr.write(
      `${service}: stdout cannot be written (${error.code ?? error.message}): what it prints there is lost from here on, and it goes on serving\n`,
    );
  });
  loseWhatCannotBeWritten();
}
