import { errorCodes, errorMessages } from "@ciba-testbed/shared/node";

import { connectionRefusal } from "./connection-refusal.js";

/**
 * Whether an error says the shop's database cannot serve now (down, restarting, unreachable, out
 * of connections) rather than that the request or the code is wrong. Such a failure is the
 * shop's `503 temporarily_unavailable` with `Retry-After` (RFC 9110 section 15.6.4), not a 500:
 * a client that read a 500 as "order unknown" would give up a purchase it can safely retry with
 * the same Idempotency-Key.
 *
 * Read from what node-postgres hands on: a socket error's `code` (ECONNREFUSED, ECONNRESET,
 * ...; for `localhost`, Node 20 wraps one per address in an AggregateError), a server's SQLSTATE
 * (class 08, connection exception; 57P01-57P03, the server shutting down or starting; class 53,
 * insufficient resources: a full disk, out of memory, too many connections; 25006, a write on a
 * server that is read-only now, as a primary becomes during a failover; 57014, a statement
 * cancelled at the statement timeout; 40001, 40P01 and 55P03, a statement given up for another
 * transaction, `isTransactionConflict`; a database that takes no connections now: 55000, ALLOW_CONNECTIONS
 * false, 3D000 and 57P04, dropped, class 28, a role that may not log in or a password changed;
 * 42501 and class 58, `isRefusedByDatabase`), pg-pool's own messages for a connection that
 * ended or never came, or a new connection refused for the shop's settings or the server's
 * certificate (`connectionRefusal`: an expired certificate, one for other host names), which
 * was a 500.
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

const SQLSTATE_UNAVAILABLE =
  /^(08...|57P0[1234]|53...|25006|57014|40001|40P01|55P03|55000|28...|3D000|42501|58...)$/;

/**
 * A database that answers but refuses this work for the state it is in, which its administrator
 * changes, not the request: a privilege taken from the role (42501: INSERT revoked on
 * shop_orders), or files PostgreSQL cannot read or write (class 58: 58P01 "could not open file",
 * an embedded database's folder deleted under the shop; 58030, an I/O error). Read as
 * unavailable (503, to come again), with words of their own (`isRefusedByDatabase`).
 */
const SQLSTATE_REFUSED = /^(42501|58...)$/;

/** Whether the database refused the work for its own state (`SQLSTATE_REFUSED`). */
export function isRefusedByDatabase(error: unknown): boolean {
  return errorCodes(error).some((code) => SQLSTATE_REFUSED.test(code));
}

/**
 * A statement given up for another transaction at the same time: a serialization failure
 * (40001), a deadlock (40P01), or a lock not had within the `lock_timeout` the database, its
 * role or the URL sets (55P03). The statement's transaction is rolled back whole (a purchase's
 * is one statement: no stock taken, no order, the approval unspent), so the same request sent
 * again is safe: 503, to come again.
 */
const SQLSTATE_CONFLICT = /^(40001|40P01|55P03)$/;

/** Whether the database refused a write for being read-only now (25006: a standby, a failover). */
export function isReadOnly(error: unknown): boolean {
  return errorCodes(error).includes("25006");
}

/**
 * What a server that refused a write for being read-only (`isReadOnly`) is, and what to do, for
 * a start that must write: `variable` names the database (SHOP_API_DATABASE_URL).
 */
export function readOnlyAdvice(variable: string): string {
  return (
    "a standby, or default_transaction_read_only is on for this database or role. Set " +
    `${variable} to the primary, or turn default_transaction_read_only off`
  );
}

/** Whether the database gave the statement up for another transaction at the same time. */
export function isTransactionConflict(error: unknown): boolean {
  return errorCodes(error).some((code) => SQLSTATE_CONFLICT.test(code));
}

/** query_canceled: here only ever the statement timeout (a lock held elsewhere, an overload). */
const STATEMENT_TIMEOUT = "57014";

/** Whether the database answered, but not within the statement timeout (`STATEMENT_TIMEOUT_MS`). */
export function isStatementTimeout(error: unknown): boolean {
  return errorCodes(error).includes(STATEMENT_TIMEOUT);
}

/**
 * How long one statement may take on PostgreSQL before the server cancels it (its
 * `statement_timeout`): a lock held elsewhere or an overloaded server then costs a request 5 s
 * and a 503, not a connection of the pool for as long as it lasts. A `statement_timeout` in
 * SHOP_API_DATABASE_URL's query (`?statement_timeout=2000`) overrides it.
 */
export const STATEMENT_TIMEOUT_MS = 5_000;

/** pg-pool's own messages, anywhere along the cause chain ("query failed: Connection ..."). */
const POOL_MESSAGES =
  /(?:^|: )(?:Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended)/;

export function isDatabaseUnavailable(error: unknown): boolean {
  // The codes of the error, its causes and an AggregateError's members, as the network errors
  // of every app are read (`@ciba-testbed/shared/node`).
  const unavailable = (code: string) => SOCKET_CODES.has(code) || SQLSTATE_UNAVAILABLE.test(code);
  if (errorCodes(error).some(unavailable)) return true;
  if (connectionRefusal(error) !== undefined) return true;
  return error instanceof Error && POOL_MESSAGES.test(errorMessages(error));
}

/** How long a client should wait before it retries, in seconds. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
