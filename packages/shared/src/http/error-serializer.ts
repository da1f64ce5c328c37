import { pino, type SerializedError } from "pino";

import { sourceMappedStack } from "../node/source-mapped-stack.js";

/**
 * The servers' pino error serializer: pino's own, with the stack pointing at the TypeScript
 * sources when Node does not map stacks itself. mock-auth0 and shop-api run from their build
 * without `--enable-source-maps` (LAZY_SOURCE_MAPS in scripts/build.js), so a stack is mapped
 * only when an error is logged.
 */
export function serializeError(error: Error): SerializedError {
  const serialized = pino.stdSerializers.err(error);
  if (!process.sourceMapsEnabled && typeof serialized.stack === "string") {
    serialized.stack = sourceMappedStack(serialized.stack);
  }
  return serialized;
}
