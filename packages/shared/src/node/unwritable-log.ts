import type { EventEmitter } from "node:events";

import { pino, type Logger } from "pino";

// Apart from lost-output.ts, which the testkit loads: only the servers, which log with pino,
// import pino through this.

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
