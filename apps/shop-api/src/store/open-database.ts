import { mkdirSync } from "node:fs";

import { PGlite } from "@electric-sql/pglite";
import { createPgConfig } from "@electric-sql/pglite/node-postgres";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";

import { lockDataDir } from "./data-dir-lock.js";
import { IN_MEMORY, type DatabaseConfig } from "./database-config.js";
import type { ShopTables } from "./tables.js";

/** The database could not be opened; the message says which and why. */
export class DatabaseOpenError extends Error {
  override readonly name = "DatabaseOpenError";
}

export interface ShopDatabase {
  db: Kysely<ShopTables>;
  /** Where the data lives, fit for logs: the folder, `:memory:`, or the URL without password. */
  where: string;
  close(): Promise<void>;
}

/** A PostgreSQL URL fit for logs and messages: the password replaced. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparsable URL)";
  }
}

/**
 * Opens the shop's database. Both kinds are reached through node-postgres and Kysely's
 * PostgreSQL dialect (PGlite through its own node-postgres connection, one at a time), so one
 * query layer, one SQL dialect, the same types and the same error codes serve both.
 * `onIdleError` hears about a server connection that broke while unused (pg's pool `error`).
 */
export async function openDatabase(
  config: DatabaseConfig,
  onIdleError: (error: Error) => void = () => undefined,
): Promise<ShopDatabase> {
  return config.kind === "embedded"
    ? openEmbedded(config.location)
    : openPostgres(config.url, onIdleError);
}

/**
 * How PGlite starts PostgreSQL for the shop: its own defaults, and 16 MB of shared buffers
 * instead of the 128 MB initdb writes into a cluster's postgresql.conf (a command-line setting,
 * so the folder's file stays as it is). PostgreSQL sets its whole buffer pool up at start, and
 * in WebAssembly that pool is the process's own memory: with 16 MB a database opens for 0.36 s
 * of CPU instead of 0.49 s, and the shop holds about 120 MB less (127 against 249 MB resident,
 * measured on a 2-core machine). The shop's tables (the catalog's stock, orders, used
 * approvals) fit in a fraction of it. Tests that open a PGlite cluster of their own use these
 * too, so they run the shop's configuration.
 */
export const EMBEDDED_START_PARAMS: readonly string[] = [
  ...PGlite.defaultStartParams,
  "-c",
  "shared_buffers=16MB",
];

async function openEmbedded(location: string): Promise<ShopDatabase> {
  const inMemory = location === IN_MEMORY;
  if (!inMemory) mkdirSync(location, { recursive: true });
  const lock = inMemory ? undefined : await lockDataDir(location);
  let lite: PGlite;
  try {
    const startParams = [...EMBEDDED_START_PARAMS];
    lite = await PGlite.create(inMemory ? { startParams } : { dataDir: location, startParams });
  } catch (error) {
    await lock?.release();
    throw new DatabaseOpenError(
      `cannot open the embedded database in ${location}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const database = embeddedDatabase(lite, location);
  return {
    ...database,
    close: async () => {
      await database.close();
      await lock?.release();
    },
  };
}

/**
 * The shop's database on a PGlite instance; closing it closes the instance. PGlite has one
 * connection: the pool hands it to one query or transaction at a time, and never closes it for
 * being idle.
 */
export function embeddedDatabase(lite: PGlite, where: string): ShopDatabase {
  // PGlite's documented use is `new Pool(createPgConfig(lite))`: its fields (the connection,
  // a pool of 1) are the options; the prototype holds nothing that node-postgres reads.
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- see above
  const pool = new pg.Pool({ ...createPgConfig(lite), idleTimeoutMillis: 0 });
  const db = new Kysely<ShopTables>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    where,
    close: async () => {
      await db.destroy();
      await lite.close();
    },
  };
}

async function openPostgres(
  url: string,
  onIdleError: (error: Error) => void,
): Promise<ShopDatabase> {
  const where = redactDatabaseUrl(url);
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 10_000 });
  pool.on("error", onIdleError);
  try {
    await pool.query("select 1");
  } catch (error) {
    await pool.end();
    const { code, message } = error as { code?: string; message: string };
    throw new DatabaseOpenError(
      `cannot reach PostgreSQL at ${where}: ${message}${code ? ` (${code})` : ""}`,
      { cause: error },
    );
  }
  const db = new Kysely<ShopTables>({ dialect: new PostgresDialect({ pool }) });
  return { db, where, close: () => db.destroy() };
}
