import { serializeError } from "@ciba-testbed/shared/http";
import { pino } from "pino";
import type { LevelWithSilent, Logger } from "pino";

/** Paths that could carry a secret or a token: never written to the log. */
const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
  "client_secret",
  "access_token",
  "id_token",
];

export function createLogger(level: LevelWithSilent): Logger {
  return pino({
    name: "mock-auth0",
    level,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    // Stacks mapped to the TypeScript: mock-auth0 runs without `--enable-source-maps`.
    serializers: { err: serializeError },
  });
}

/** For tests: a logger that writes nothing. */
export const silentLogger: Logger = pino({ level: "silent" });
