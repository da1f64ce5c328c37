import type { Catalog } from "../catalog.js";
import { migrateToLatest, resetDatabase } from "./migrations.js";
import { openDatabase } from "./open-database.js";
import type { DatabaseConfig } from "./database-config.js";
import type { ShopDatabase } from "./open-database.js";
import { SqlShopStore } from "./sql-shop-store.js";

export interface OpenShopStoreOptions {
  /**
   * Undo every migration first: the orders are gone and the stock is the catalog's again. An
   * embedded database PostgreSQL does not start on is emptied and made anew (`remakeDamaged`).
   */
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
  const database = await openDatabase(config, options.onConnectionError, {
    remakeDamaged: options.reset === true,
  });
  try {
    // Starting is not a request: the requests' statement timeout is not for it.
    const migrated = await database.withoutStatementTimeout(async (db) => {
      if (options.reset === true) await resetDatabase(db);
      const ran = await migrateToLatest(db);
      await new SqlShopStore(db).addProducts(catalog.seed);
      return ran;
    });
    const store = new SqlShopStore(database.db);
    return { store, database, migrated, close: () => database.close() };
  } catch (error) {
    await database.close();
    throw error;
  }
}
