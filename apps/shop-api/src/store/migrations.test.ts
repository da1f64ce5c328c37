import { sql } from "kysely";
import type { Migration } from "kysely";
import { describe, expect, it } from "vitest";

import { freshCluster } from "../test-support/fresh-cluster.js";
import { MIGRATIONS, MigrationError, migrateToLatest, resetDatabase } from "./migrations.js";
import { embeddedDatabase } from "./open-database.js";
import { SqlShopStore } from "./sql-shop-store.js";

/** A database of its own (not the file's shared one): these tests create and drop the tables. */
async function blankDatabase() {
  return embeddedDatabase(await freshCluster(), ":memory:");
}

const tables = async (db: Awaited<ReturnType<typeof blankDatabase>>["db"]) =>
  (await db.introspection.getTables({ withInternalKyselyTables: true }))
    .map((table) => table.name)
    .sort();

describe("migrations (embedded database)", { timeout: 120_000 }, () => {
  it("say a read-only database is read-only, not that a newer shop-api migrated it", async () => {
    const database = await blankDatabase();
    try {
      await sql`set default_transaction_read_only = on`.execute(database.db);
      const refused = await migrateToLatest(database.db).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(MigrationError);
      expect((refused as Error).message).toBe(
        "cannot migrate the database: cannot execute CREATE TABLE in a read-only transaction " +
          "(25006): the server is read-only: a standby, or default_transaction_read_only is on " +
          "for this database or role. Set SHOP_API_DATABASE_URL to the primary, or turn " +
          "default_transaction_read_only off",
      );
    } finally {
      await database.close();
    }
  });

  it("create the schema on a new database once; a later start runs none", async () => {
    const database = await blankDatabase();
    try {
      expect(await migrateToLatest(database.db)).toEqual(Object.keys(MIGRATIONS));
      expect(await tables(database.db)).toEqual([
        "shop_migrations",
        "shop_migrations_lock",
        "shop_orders",
        "shop_record_start",
        "shop_stock",
      ]);
      expect(await migrateToLatest(database.db)).toEqual([]);

      // reset: every migration undone and run again; the data is gone, the catalog's stock back.
      const store = new SqlShopStore(database.db);
      await store.addProducts([{ id: "p", name: "P", unitPriceCents: 1, stock: 3 }]);
      await sql`update shop_stock set stock = 0`.execute(database.db);
      await store.beginRecord(Date.parse("2026-01-15T10:00:00Z"), null);
      await resetDatabase(database.db);
      expect(await store.stock()).toEqual(new Map());
      // The record of spent approvals went with the orders: the next start begins it anew.
      expect(await store.recordBegan()).toBeUndefined();
      await store.addProducts([{ id: "p", name: "P", unitPriceCents: 1, stock: 3 }]);
      expect(await store.stock()).toEqual(new Map([["p", 3]]));

      // A database that a newer version migrated further: refused, saying what to do.
      const newer: Record<string, Migration> = {
        ...MIGRATIONS,
        "9999_from_the_future": { up: () => Promise.resolve() },
      };
      await migrateToLatest(database.db, newer);
      const refused = await migrateToLatest(database.db).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(MigrationError);
      expect((refused as Error).message).toMatch(
        /^cannot migrate the database: .*9999_from_the_future.*a newer shop-api may have migrated this database/,
      );
    } finally {
      await database.close();
    }
  });

  it("leave a current database as they find it, and migrate one a migration behind", async () => {
    const database = await blankDatabase();
    try {
      await migrateToLatest(database.db);
      // Kysely's Migrator makes its lock table whenever it runs: a current database is only read.
      await sql`drop table shop_migrations_lock`.execute(database.db);
      expect(await migrateToLatest(database.db)).toEqual([]);
      expect(await tables(database.db)).toEqual([
        "shop_migrations",
        "shop_orders",
        "shop_record_start",
        "shop_stock",
      ]);

      const next: Record<string, Migration> = {
        ...MIGRATIONS,
        "9999_next": {
          async up(db) {
            await db.schema.createTable("shop_next").addColumn("a", "integer").execute();
          },
        },
      };
      expect(await migrateToLatest(database.db, next)).toEqual(["9999_next"]);
      expect(await tables(database.db)).toEqual([
        "shop_migrations",
        "shop_migrations_lock",
        "shop_next",
        "shop_orders",
        "shop_record_start",
        "shop_stock",
      ]);
      expect(await migrateToLatest(database.db, next)).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it("undo a failed migration whole, naming it", async () => {
    const database = await blankDatabase();
    try {
      const broken: Record<string, Migration> = {
        ...MIGRATIONS,
        "0002_broken": {
          async up(db) {
            await db.schema.createTable("half_done").addColumn("a", "integer").execute();
            await sql`select no_such_function()`.execute(db);
          },
        },
      };
      const error = await migrateToLatest(database.db, broken).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(
        /^cannot migrate the database: migration 0002_broken failed: function no_such_function\(\) does not exist/,
      );
      // Migrations run in one transaction: none of them stayed.
      expect(await tables(database.db)).toEqual(["shop_migrations", "shop_migrations_lock"]);
    } finally {
      await database.close();
    }
  });
});
