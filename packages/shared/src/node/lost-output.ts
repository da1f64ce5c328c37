import type { EventEmitter } from "node:events";

import { pino, type Logger } from "pino";

/**
 * Keeps a server serving when its stdout or stderr can no longer be written: a reader that has
 * gone (`mock-auth0 | head -1`, a crashed `| tee`, EPIPE) or a full disk (ENOSPC). What it
 * writes there from then on is lost, and nothing else changes: without this, the first write
 * (the ready record, a log line) raised an unhandled error and the server died, leaving a
 * supervisor that had read its ready record holding a dead server. When stdout fails, one line
 * on stderr says so; when stderr fails, nothing can. A pino logger writes to file descriptor 1
 * through its own stream, not `process.stdout`: see dropLogWhenUnwritable.
 */
export function keepServingWithoutOutput(service: string): void {
  process.stdout.once("error", (error: NodeJS.ErrnoException) => {
    process.stderr.write(
      `${service}: stdout cannot be written (${error.code ?? error.message}): its ready record and log are lost from here on, and it goes on serving\n`,
    );
  });
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
}

interface LogDestination extends EventEmitter {
  write?: (text: string) => unknown;
  flush?: () => void;
  flushSync?: () => void;
  end?: () => void;
}

/**
 * Once `logger`'s destination fails to write, its writes, flushes and end do nothing: as pino
 * does itself for EPIPE alone. Any other error was emitted unhandled (a crash), and the flush
 * pino runs at exit threw it again (exit 7).
 */
export function dropLogWhenUnwritable(logger: Logger): void {
  const destination = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    LogDestination | undefined;
  if (typeof destination?.on !== "function") return;
  destination.on("error", () => {
    destination.write = () => true;
    destination.flush = () => undefined;
    destination.flushSync = () => undefined;
    destination.end = () => undefined;
  });
}
