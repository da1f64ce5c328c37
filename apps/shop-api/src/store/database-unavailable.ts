/**
 * Whether an error says the shop's database cannot serve now (down, restarting, unreachable, out
 * of connections) rather than that the request or the code is wrong. Such a failure is the
 * shop's `503 temporarily_unavailable` with `Retry-After` (RFC 9110 section 15.6.4), not a 500:
 * a client that read a 500 as "order unknown" would give up a purchase it can safely retry with
 * the same Idempotency-Key.
 *
 * Read from what node-postgres hands on: a socket error's `code` (ECONNREFUSED, ECONNRESET,
 * ...; for `localhost`, Node 20 wraps one per address in an AggregateError), a server's SQLSTATE
 * (class 08, connection exception; 57P01-57P03, the server shutting down or starting; 53300, too
 * many connections), or pg-pool's own messages for a connection that ended or never came.
 */

const SOCKET_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

const SQLSTATE_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;

const POOL_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended)/;

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 4 || typeof error !== "object" || error === null) return false;
  const code = "code" in error && typeof error.code === "string" ? error.code : undefined;
  if (code !== undefined && (SOCKET_CODES.has(code) || SQLSTATE_UNAVAILABLE.test(code))) {
    return true;
  }
  if (error instanceof Error && POOL_MESSAGES.test(error.message)) return true;
  if (
    error instanceof AggregateError &&
    error.errors.some((e) => isDatabaseUnavailable(e, depth + 1))
  ) {
    return true;
  }
  return "cause" in error && isDatabaseUnavailable(error.cause, depth + 1);
}

/** How long a client should wait before it retries, in seconds. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
