import { afterAll, beforeAll } from "vitest";

import type { ProductSeed } from "../catalog.js";
import { migrateToLatest } from "../store/migrations.js";
import { IN_MEMORY, embeddedDatabase } from "../store/open-database.js";
import type { ShopDatabase } from "../store/open-database.js";
import { SqlShopStore } from "../store/sql-shop-store.js";
import { freshCluster } from "./fresh-cluster.js";

let shared: Promise<ShopDatabase> | undefined;

// Registered when a test file imports this module: the file opens its database before its
// tests (PGlite's start does not fit in a test's timeout on a busy machine) and closes it after.
beforeAll(async () => {
  await testDatabase();
}, 120_000);
afterAll(async () => {
  const database = shared;
  shared = undefined;
  await (await database)?.close();
});

/**
 * The embedded database (PGlite, in memory, migrated) that the tests of one file share. Tests
 * get it emptied (`emptyTestStore`): milliseconds, where a new one costs a second or more.
 */
export function testDatabase(): Promise<ShopDatabase> {
  shared ??= freshCluster().then(async (lite) => {
    const database = embeddedDatabase(lite, IN_MEMORY);
    await migrateToLatest(database.db);
    return database;
  });
  return shared;
}

/** The file's database emptied, with these products in stock: a shop that never sold anything. */
export async function emptyTestStore(products: readonly ProductSeed[]): Promise<SqlShopStore> {
  const { db } = await testDatabase();
  await db.deleteFrom("shop_orders").execute();
  await db.deleteFrom("shop_stock").execute();
  const store = new SqlShopStore(db);
  await store.addProducts(products);
  return store;
}
