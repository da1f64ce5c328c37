import { pino } from "pino";
import type { LevelWithSilent, Logger } from "pino";

export function createLogger(level: LevelWithSilent): Logger {
  return pino({
    name: "model-server",
    level,
    redact: { paths: ["req.headers.authorization"], censor: "[redacted]" },
  });
}

/** For tests and embedding: a logger that writes nothing. */
export const silentLogger: Logger = pino({ level: "silent" });
