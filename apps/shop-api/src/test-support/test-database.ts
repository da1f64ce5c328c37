import type { Clock } from "@ciba-testbed/shared";
import { sql } from "kysely";
import { beforeAll } from "vitest";

import type { ProductSeed } from "../catalog.js";
import { migrateToLatest } from "../store/migrations.js";
import { IN_MEMORY } from "../store/database-config.js";
import { embeddedDatabase } from "../store/open-database.js";
import type { ShopDatabase } from "../store/open-database.js";
import { SqlShopStore } from "../store/sql-shop-store.js";
import { freshCluster } from "./fresh-cluster.js";

let shared: Promise<ShopDatabase> | undefined;

// A test worker keeps its modules from one file to the next (`isolate: false`), so this module
// runs once per worker and registers this hook in the first file that imports it: that file
// opens the database before its tests (PGlite's start does not fit in a test's timeout on a
// busy machine), and the worker's later files find it open. It is never closed: it lives as
// long as the worker, which Vitest ends, and opening one costs half a second of CPU.
beforeAll(async () => {
  await testDatabase();
}, 120_000);

/**
 * The embedded database (PGlite, in memory, migrated) that the tests of one worker share, file
 * after file. Tests get it emptied (`emptyTestStore`): milliseconds, where a new one costs half
 * a second or more.
 */
export function testDatabase(): Promise<ShopDatabase> {
  shared ??= freshCluster().then(async (lite) => {
    const database = embeddedDatabase(lite, IN_MEMORY);
    await migrateToLatest(database.db);
    return database;
  });
  return shared;
}

/**
 * The database emptied, with these products in stock: a shop that never sold anything, as a
 * freshly migrated database holds it (order numbering restarted), whatever earlier tests and
 * files did, whose record of spent approvals began at `clock`'s time (the test app's clock),
 * as a shop's first start begins it.
 */
export async function emptyTestStore(
  products: readonly ProductSeed[],
  clock: Clock,
): Promise<SqlShopStore> {
  const { db } = await testDatabase();
  await sql`truncate shop_orders, shop_stock, shop_record_start restart identity`.execute(db);
  const store = new SqlShopStore(db);
  await store.addProducts(products);
  await store.beginRecord(clock.now(), null);
  return store;
}
