import { inspect } from "node:util";

import { errorCodes } from "@ciba-testbed/shared/node";
import { Migrator, NO_MIGRATIONS, sql } from "kysely";
import type { Kysely, Migration, MigrationResultSet } from "kysely";

import { isReadOnly, readOnlyAdvice } from "./database-unavailable.js";

/*
 * The schema, as migrations that every start runs (`migrateToLatest`). Names sort in the order
 * they run; a released migration is never edited, a change is a new one. Migrations take a
 * Postgres advisory lock (Kysely's Migrator), so replicas starting at once on one database
 * migrate it once. Shared by the embedded database (PGlite) and PostgreSQL: one dialect.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001_orders_and_stock": {
    async up(db) {
      await db.schema
        .createTable("shop_stock")
        .addColumn("product_id", "text", (col) => col.primaryKey())
        .addColumn("stock", "integer", (col) => col.notNull().check(sql`stock >= 0`))
        .execute();
      await db.schema
        .createTable("shop_orders")
        .addColumn("id", "text", (col) => col.primaryKey())
        .addColumn("seq", "bigint", (col) => col.notNull().generatedAlwaysAsIdentity())
        .addColumn("product_id", "text", (col) => col.notNull().references("shop_stock.product_id"))
        .addColumn("product_name", "text", (col) => col.notNull())
        .addColumn("quantity", "integer", (col) => col.notNull().check(sql`quantity > 0`))
        .addColumn("unit_price_cents", "bigint", (col) => col.notNull())
        .addColumn("total_cents", "bigint", (col) => col.notNull())
        .addColumn("currency", "text", (col) => col.notNull())
        .addColumn("status", "text", (col) => col.notNull())
        .addColumn("created_at", "timestamptz", (col) => col.notNull())
        .addColumn("sub", "text", (col) => col.notNull())
        .addColumn("azp", "text")
        .addColumn("authorization_details_matched", "boolean", (col) => col.notNull())
        // One approval, one order: whichever process tries second.
        .addColumn("approval_id", "text", (col) => col.unique())
        .addColumn("idempotency_key", "text")
        .addColumn("idempotency_fingerprint", "text")
        // An Idempotency-Key names one order per buyer. NULLs are distinct: orders sent without
        // a key never collide.
        .addUniqueConstraint("shop_orders_sub_idempotency_key_key", ["sub", "idempotency_key"])
        .addCheckConstraint(
          "shop_orders_idempotency_pair",
          sql`(idempotency_key is null) = (idempotency_fingerprint is null)`,
        )
        .execute();
      await db.schema
        .createIndex("shop_orders_sub_seq_idx")
        .on("shop_orders")
        .columns(["sub", "seq"])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable("shop_orders").execute();
      await db.schema.dropTable("shop_stock").execute();
    },
  },
  // When the record of spent approvals (shop_orders.approval_id) began: one row, written at
  // the first start on this database (`SqlShopStore.beginRecord`), not here, so that an empty
  // database made once and copied (the package's empty cluster, a test stack's template)
  // carries no start of its own. A --reset drops it with the orders.
  "0002_record_start": {
    async up(db) {
      await db.schema
        .createTable("shop_record_start")
        .addColumn("only_row", "boolean", (col) =>
          col
            .primaryKey()
            .defaultTo(true)
            .check(sql`only_row`),
        )
        .addColumn("began_at", "timestamptz", (col) => col.notNull())
        // The embedded database's folder (its real path) when the record began; null on
        // PostgreSQL and in memory.
        .addColumn("folder", "text")
        .execute();
    },
    async down(db) {
      await db.schema.dropTable("shop_record_start").execute();
    },
  },
};

/** A migration that failed, or a database this version cannot run on. */
export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

/** SQLSTATE insufficient_privilege: no CREATE on the schema, or a table of another owner. */
const INSUFFICIENT_PRIVILEGE = "42501";

/** SQLSTATE read_only_sql_transaction: a standby, or default_transaction_read_only on. */
const READ_ONLY = "25006";

/** Kysely's error for a database that ran a migration this version does not know. */
const NEWER_SCHEMA = /^corrupted migrations: previously executed migration .* is missing$/;

/** Where Kysely's Migrator records the migrations that ran. */
const MIGRATION_TABLE = "shop_migrations";

function migrator<DB>(db: Kysely<DB>, migrations: Readonly<Record<string, Migration>>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...migrations }) },
    // Prefixed like the shop's tables, so the shop can share a database with other schemas.
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: "shop_migrations_lock",
  });
}

function check({ error, results = [] }: MigrationResultSet, doing: string): string[] {
  if (error !== undefined) {
    const failed = results.find((result) => result.status === "Error");
    const cause = error instanceof Error ? error.message : inspect(error);
    const codes = errorCodes(error);
    const what = `${doing}: ${failed ? `migration ${failed.migrationName} failed: ` : ""}${cause}`;
    if (codes.includes(INSUFFICIENT_PRIVILEGE)) {
      throw new MigrationError(
        `${what} (${INSUFFICIENT_PRIVILEGE}): this role cannot create the shop's tables. Run the ` +
          "migrations once as the schema's owner (start this version once with " +
          "SHOP_API_DATABASE_URL naming that role), then give this role USAGE on the schema and " +
          "SELECT, INSERT, UPDATE and DELETE on its tables (the README's Several replicas shows " +
          "the grants)",
        { cause: error },
      );
    }
    if (isReadOnly(error)) {
      throw new MigrationError(
        `${what} (${READ_ONLY}): the server is read-only: ${readOnlyAdvice("SHOP_API_DATABASE_URL")}`,
        { cause: error },
      );
    }
    // Kysely's words for a database migrated by a newer version ("corrupted migrations:
    // previously executed migration X is missing") say what is wrong; say what to do too.
    if (failed === undefined && NEWER_SCHEMA.test(cause)) {
      throw new MigrationError(
        `${what} (a newer shop-api may have migrated this database: run that version, or ` +
          "point SHOP_API_DATABASE / SHOP_API_DATABASE_URL at another database)",
        { cause: error },
      );
    }
    const code = codes.find((found) => /^[0-9A-Z]{5}$/.test(found));
    throw new MigrationError(code === undefined ? what : `${what} (${code})`, { cause: error });
  }
  return results.map((result) => result.migrationName);
}

/**
 * The names of the migrations the database has run, or undefined when it has no migration table
 * yet. Looked up first, so that a start that finds none there asks nothing that fails.
 */
async function migrationsRun<DB>(db: Kysely<DB>): Promise<string[] | undefined> {
  const table = await sql<{
    found: boolean;
  }>`select to_regclass(${MIGRATION_TABLE}) is not null as found`.execute(db);
  if (table.rows[0]?.found !== true) return undefined;
  const run = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}`.execute(
    db,
  );
  return run.rows.map((row) => row.name);
}

/**
 * The migrations a database that has run some of them is yet to run: an upgrade of a database
 * that shops of an earlier version have served (none for a new database or a current one).
 */
export async function pendingUpgrade<DB>(
  db: Kysely<DB>,
  migrations: Readonly<Record<string, Migration>> = MIGRATIONS,
): Promise<string[]> {
  const run = await migrationsRun(db);
  if (run === undefined || run.length === 0) return [];
  return Object.keys(migrations)
    .sort()
    .filter((name) => !run.includes(name));
}

/**
 * Brings the database to the newest schema; returns the migrations it ran (none when current).
 *
 * A database that has run exactly `migrations` is current, and is left as it is: two reads,
 * instead of Kysely's Migrator creating its tables if they are missing, taking its lock and
 * reading what ran (about 60 ms of CPU at each start of an embedded shop). Anything else (a new
 * database, one a migration behind, one a newer version migrated further) goes to the Migrator,
 * which migrates under its lock or refuses.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  migrations: Readonly<Record<string, Migration>> = MIGRATIONS,
): Promise<string[]> {
  const run = await migrationsRun(db);
  const known = Object.keys(migrations).sort();
  const current = run?.sort().join("\n") === known.join("\n");
  if (current) return [];
  return check(await migrator(db, migrations).migrateToLatest(), "cannot migrate the database");
}

/** Undoes every migration (the shop's tables and their data are gone), then migrates again. */
export async function resetDatabase<DB>(
  db: Kysely<DB>,
  migrations: Readonly<Record<string, Migration>> = MIGRATIONS,
): Promise<void> {
  check(await migrator(db, migrations).migrateTo(NO_MIGRATIONS), "cannot reset the database");
  await migrateToLatest(db, migrations);
}
