import { realpathSync } from "node:fs";

import { systemClock } from "@ciba-testbed/shared";
import type { Clock } from "@ciba-testbed/shared";
import type { Kysely } from "kysely";

import type { Catalog } from "../catalog.js";
import { readOnlyAdvice } from "./database-unavailable.js";
import { migrateToLatest, pendingUpgrade, resetDatabase } from "./migrations.js";
import { DatabaseOpenError, openDatabase } from "./open-database.js";
import { IN_MEMORY, type DatabaseConfig } from "./database-config.js";
import type { OtherClients, ShopDatabase } from "./open-database.js";
import { SqlShopStore, type RecordStart } from "./sql-shop-store.js";
import type { ShopTables } from "./tables.js";

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
      if (options.reset === true) await refuseResetWhileShopsServe(database, db);
      if (options.reset === true) await resetDatabase(db);
      else await refuseUpgradeWhileOthersServe(database, db);
      const ran = await migrateToLatest(db);
      const starting = new SqlShopStore(db);
      const began = await (async () => {
        await starting.addProducts(catalog.seed);
        return starting.beginRecord((options.clock ?? systemClock).now(), folderOf(config));
      })().catch((error: unknown) => {
        throw startFailure(error, config, database.where);
      });
      return { migrated: ran, record: began };
    });
    // An approval issued in the second the record began is refused (`iat` counts whole seconds,
    // and it may have been spent before): a record begun now is waited out to its next second,
    // so that nothing the caller then lets in meets that refusal.
    await untilSecondAfter(record.beganAt, options.clock ?? systemClock);
    const store = new SqlShopStore(database.db, { filesGone: () => database.filesGone() });
    return { store, database, migrated, record, close: () => database.close() };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/**
 * What the database answered when the start wrote the catalog's stock or the record of spent
 * approvals, as one line naming the variable and what to do: a server that is read-only (a
 * standby, `default_transaction_read_only`), or a role that may not write the shop's tables. An
 * error that is no database's answer (no SQLSTATE) is a bug, and goes on as it is.
 */
function startFailure(error: unknown, config: DatabaseConfig, where: string): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (!(error instanceof Error) || typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) {
    return error;
  }
  const variable = config.kind === "postgres" ? "SHOP_API_DATABASE_URL" : "SHOP_API_DATABASE";
  const cause = `${error.message} (${code})`;
  let what: string;
  if (code === "25006") {
    what = `the server is read-only (${cause}): ${readOnlyAdvice(variable)}`;
  } else if (code === "42501") {
    what =
      `this role may not write the shop's tables (${cause}): grant it SELECT, INSERT, UPDATE ` +
      "and DELETE on shop_stock, shop_orders and shop_record_start (and USAGE on their " +
      `schema), or set ${variable} to a role that has them`;
  } else {
    what = `the database refused to store the catalog's stock or the record of spent approvals: ${cause}`;
  }
  return new DatabaseOpenError(`cannot start on ${where} (${variable}): ${what}`, {
    cause: error,
  });
}

/** How many times `--reset` looks for other shops' connections, 0.1 s apart. */
const RESET_LOOKS = 10;

/**
 * A reset drops the tables under any other shop on the database: a replica serving meanwhile
 * answers 500 (no relation `shop_orders`) and may sell against a record of spent approvals
 * that is being remade. Refused while another shop-api process is connected to it. A replica
 * stopped just before may still be listed for a moment (its backend ends after its client
 * went), so the look is repeated for up to a second before the reset is refused.
 */
async function refuseResetWhileShopsServe(
  database: ShopDatabase,
  db: Kysely<ShopTables>,
): Promise<void> {
  let others = await database.otherShopConnections(db);
  for (let look = 1; others > 0 && look < RESET_LOOKS; look++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    others = await database.otherShopConnections(db);
  }
  if (others === 0) return;
  throw new DatabaseOpenError(
    `cannot reset ${database.where}: other shop-api processes are connected to it ` +
      `(${String(others)} connection${others === 1 ? "" : "s"} in pg_stat_activity): stop ` +
      "every other replica, then run --reset again; nothing was changed",
  );
}

/**
 * A start that would migrate a database shops of an earlier version have served changes the
 * tables under any of them still running: such a replica keeps serving on a schema it does not
 * know (before `0002_record_start`, it never reads the record of spent approvals, and after a
 * reset an approval spent before buys again there). So the migrations wait for the other
 * clients to go: shops of another version, sessions of any role that name no shop (a shop of a
 * version that set no application_name, connecting as this role or as an app role), and
 * sessions holding the migration lock. Looked for again for up to a second, for a replica that
 * has just stopped.
 */
async function refuseUpgradeWhileOthersServe(
  database: ShopDatabase,
  db: Kysely<ShopTables>,
): Promise<void> {
  const pending = await pendingUpgrade(db);
  if (pending.length === 0) return;
  const count = (others: OtherClients) => others.otherShops + others.unnamed + others.migrating;
  let others = await database.otherClients(db);
  for (let look = 1; count(others) > 0 && look < RESET_LOOKS; look++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    others = await database.otherClients(db);
  }
  if (count(others) === 0) return;
  const seen = [
    others.otherShops > 0
      ? plural(others.otherShops, "connection") + " of shop-api processes of another version"
      : undefined,
    others.unnamed > 0
      ? plural(others.unnamed, "other session") +
        " naming no shop-api, of any role (a shop-api before 38e7d82 sets no application_name)"
      : undefined,
    others.migrating > 0
      ? plural(others.migrating, "session") + " holding the migration lock"
      : undefined,
  ].filter((part) => part !== undefined);
  throw new DatabaseOpenError(
    `cannot migrate ${database.where} to this version's schema (${pending.join(", ")}): other ` +
      `clients are connected to it (${seen.join(", ")}), and a replica of an older version ` +
      "would go on serving on tables it does not know (a rolling upgrade is not supported). " +
      "See who they are with 'select pid, usename, application_name, client_addr from " +
      "pg_stat_activity where datname = current_database()' on this database (as a superuser " +
      "to see other roles' sessions in full): stop every other replica and close the other " +
      "sessions (or end them with pg_terminate_backend(pid)), then start the new version; " +
      "nothing was changed",
  );
}

function plural(count: number, noun: string): string {
  return `${String(count)} ${noun}${count === 1 ? "" : "s"}`;
}

/** The embedded database's folder, as its real path; null on PostgreSQL and in memory. */
function folderOf(config: DatabaseConfig): string | null {
  if (config.kind !== "embedded" || config.location === IN_MEMORY) return null;
  return realpathSync(config.location);
}

/**
 * Resolves once `clock` reads a second later than the whole second that holds `at` (at once for
 * a record begun at an earlier start): one `clock.sleep`, a timer on the system's clock.
 */
export async function untilSecondAfter(at: number, clock: Clock): Promise<void> {
  const wait = Math.ceil(at / 1000) * 1000 - clock.now();
  if (wait > 0) await clock.sleep(wait);
}
