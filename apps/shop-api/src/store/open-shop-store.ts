import { sql } from "kysely";
import type { Kysely } from "kysely";

import type { Catalog } from "../catalog.js";
import { migrateToLatest, resetDatabase } from "./migrations.js";
import { openDatabase } from "./open-database.js";
import type { DatabaseConfig } from "./database-config.js";
import type { ShopDatabase } from "./open-database.js";
import { SqlShopStore } from "./sql-shop-store.js";

export interface OpenShopStoreOptions {
  /** Undo every migration first: the orders are gone and the stock is the catalog's again. */
  reset?: boolean;
  /** See `openDatabase`. */
  onConnectionError?: (error: Error) => void;
}

export interface OpenedShopStore {
  store: SqlShopStore;
  database: ShopDatabase;
  /** The migrations this start ran (none when the schema was already current). */
  migrated: string[];
  close(): Promise<void>;
}

/**
 * The shop's store, ready to sell: the database opened, migrated to the newest schema, and
 * every catalog product given its starting stock unless the database already counts it.
 */
export async function openShopStore(
  config: DatabaseConfig,
  catalog: Catalog,
  options: OpenShopStoreOptions = {},
): Promise<OpenedShopStore> {
  const database = await openDatabase(config, options.onConnectionError);
  try {
    const migrated = await withoutStatementTimeout(database.db, async (db) => {
      if (options.reset === true) await resetDatabase(db);
      return migrateToLatest(db);
    });
    const store = new SqlShopStore(database.db);
    await store.addProducts(catalog.seed);
    return { store, database, migrated, close: () => database.close() };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/**
 * Runs `work` on one connection with no statement timeout (`STATEMENT_TIMEOUT_MS` is for
 * requests): a migration may take long on a large table, and a replica waits for another's
 * migrations to end before it runs its own.
 */
async function withoutStatementTimeout<DB, T>(
  db: Kysely<DB>,
  work: (db: Kysely<DB>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`set statement_timeout = 0`.execute(connection);
    try {
      return await work(connection);
    } finally {
      await sql`reset statement_timeout`.execute(connection);
    }
  });
}
