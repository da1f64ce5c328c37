import { realpathSync } from "node:fs";

import { systemClock } from "@ciba-testbed/shared";
import type { Clock } from "@ciba-testbed/shared";

import type { Catalog } from "../catalog.js";
import { migrateToLatest, resetDatabase } from "./migrations.js";
import { openDatabase } from "./open-database.js";
import { IN_MEMORY, type DatabaseConfig } from "./database-config.js";
import type { ShopDatabase } from "./open-database.js";
import { SqlShopStore, type RecordStart } from "./sql-shop-store.js";

export interface OpenShopStoreOptions {
  /**
   * Undo every migration first: the orders are gone and the stock is the catalog's again. An
   * embedded database PostgreSQL does not start on is emptied and made anew (`remakeDamaged`).
   */
  reset?: boolean;
  /** See `openDatabase`. */
  onConnectionError?: (error: Error) => void;
  /**
   * The shop's clock (`AppDeps.clock`): a database whose record of spent approvals has not
   * begun begins it now (`SqlShopStore.beginRecord`).
   */
  clock?: Clock;
}

export interface OpenedShopStore {
  store: SqlShopStore;
  database: ShopDatabase;
  /** The migrations this start ran (none when the schema was already current). */
  migrated: string[];
  /** When the record of spent approvals began; an approval issued before it buys nothing. */
  record: RecordStart;
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
    const { migrated, record } = await database.withoutStatementTimeout(async (db) => {
      if (options.reset === true) await resetDatabase(db);
      const ran = await migrateToLatest(db);
      const starting = new SqlShopStore(db);
      await starting.addProducts(catalog.seed);
      const began = await starting.beginRecord(
        (options.clock ?? systemClock).now(),
        folderOf(config),
      );
      return { migrated: ran, record: began };
    });
    // An approval issued in the second the record began is refused (`iat` counts whole seconds,
    // and it may have been spent before): a record begun now is waited out to its next second,
    // so that nothing the caller then lets in meets that refusal.
    await untilSecondAfter(record.beganAt, options.clock ?? systemClock);
    const store = new SqlShopStore(database.db);
    return { store, database, migrated, record, close: () => database.close() };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** The embedded database's folder, as its real path; null on PostgreSQL and in memory. */
function folderOf(config: DatabaseConfig): string | null {
  if (config.kind !== "embedded" || config.location === IN_MEMORY) return null;
  return realpathSync(config.location);
}

/**
 * Resolves once `clock` reads a second later than the whole second that holds `at` (at once for
 * a record begun at an earlier start). One timer, however the clock runs.
 */
export async function untilSecondAfter(at: number, clock: { now(): number }): Promise<void> {
  const wait = Math.ceil(at / 1000) * 1000 - clock.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
