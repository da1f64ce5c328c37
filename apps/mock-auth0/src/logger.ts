import { withSourceMappedStack } from "@ciba-testbed/shared/node";
import { pino } from "pino";
import type { DestinationStream, LevelWithSilent, Logger, SerializedError } from "pino";

/** Paths that could carry a secret or a token: never written to the log. */
const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
  "client_secret",
  "access_token",
  "id_token",
];

/**
 * pino's error serializer, with the stack pointing at the TypeScript sources when Node does not
 * map stacks itself: mock-auth0 runs from its build without `--enable-source-maps`.
 */
export function serializeError(error: Error): SerializedError {
  return withSourceMappedStack(pino.stdSerializers.err(error));
}

export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  const options = {
    name: "mock-auth0",
    level,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    serializers: { err: serializeError },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** For tests: a logger that writes nothing. */
export const silentLogger: Logger = pino({ level: "silent" });
