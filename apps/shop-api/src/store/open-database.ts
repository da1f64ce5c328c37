import {
  accessSync,
  constants as fsConstants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { hideCredentials, hideUrlPasswords } from "@ciba-testbed/shared";
import { installedPackageOf, makeFolder } from "@ciba-testbed/shared/node";
import { PGlite } from "@electric-sql/pglite";
import type { PGliteOptions } from "@electric-sql/pglite";
import { createPgConfig } from "@electric-sql/pglite/node-postgres";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { parse as parseConnectionString, toClientConfig } from "pg-connection-string";

import { lockDataDir, type ForeignSocket } from "./data-dir-lock.js";
import { DEFAULT_POOL_SIZE, IN_MEMORY, type DatabaseConfig } from "./database-config.js";
import { connectionRefusal } from "./connection-refusal.js";
import { databaseUrlText, parseDatabaseUrl } from "./database-url.js";
import { isStatementTimeout, STATEMENT_TIMEOUT_MS } from "./database-unavailable.js";
import { MIGRATIONS, migrateToLatest } from "./migrations.js";
import { closeToOthers } from "./private-folder.js";
import type { ShopTables } from "./tables.js";

/** The database could not be opened; the message says which and why. */
export class DatabaseOpenError extends Error {
  override readonly name = "DatabaseOpenError";
}

export interface ShopDatabase {
  db: Kysely<ShopTables>;
  /** Where the data lives, fit for logs: the folder, `:memory:`, or the URL without password. */
  where: string;
  /** The file a new embedded database was loaded from (`emptyClusterFile`), if it was. */
  createdFrom?: string;
  /**
   * The mode the embedded database's folder had when this start closed it to other users
   * (`closeToOthers`): made open by an earlier version. Undefined when it was closed already.
   */
  closedToOthers?: number;
  /**
   * A socket of another user's where shop-api versions before 9e0f5c1 put the folder's lock, in
   * the temporary folder (`DataDirLock.foreignLegacySocket`): passed over, not taken for a shop
   * holding the folder.
   */
  foreignLockSocket?: ForeignSocket;
  /**
   * Why PostgreSQL did not start on the embedded database `--reset` emptied and made anew
   * (`OpenDatabaseOptions.remakeDamaged`); undefined when it started.
   */
  remadeBecause?: string;
  /**
   * True when the folder held a database whose making a start or `--reset` never finished
   * (`MAKING_MARKER`): it was emptied and made anew.
   */
  remadeUnfinished?: boolean;
  /**
   * Runs `work` on one connection that has no statement timeout from its first statement on
   * (`STATEMENT_TIMEOUT_MS` is for requests): a migration may take long on a large table, and a
   * replica waits for another's migrations to end before it runs its own.
   */
  withoutStatementTimeout<T>(work: (db: Kysely<ShopTables>) => Promise<T>): Promise<T>;
  /**
   * How many connections other shop-api processes hold to this database (on PostgreSQL: those
   * whose `application_name` is a shop's, `SHOP_APPLICATION_NAME`, and not this one's); 0 on the
   * embedded database, which the folder's lock keeps to one process.
   */
  otherShopConnections(db: Kysely<ShopTables>): Promise<number>;
  /**
   * The other sessions on this database that an upgrade of its schema would change the tables
   * under (`OtherClients`); none on the embedded database.
   */
  otherClients(db: Kysely<ShopTables>): Promise<OtherClients>;
  /**
   * What to tell the person running the shop when the embedded database's folder is gone
   * (deleted while the shop runs: no `PG_VERSION` in it), else undefined; always undefined on
   * PostgreSQL and in memory.
   */
  filesGone(): string | undefined;
  close(): Promise<void>;
}

/**
 * Who else is connected to a PostgreSQL database that a start would migrate, as
 * `pg_stat_activity` and `pg_locks` show them. A shop of this version (its `application_name`
 * ends in this version's `schema <n>`) is none of them: it runs the same migrations.
 */
export interface OtherClients {
  /** Connections of shop-api processes of another version (`shop-api <id>` without this schema). */
  otherShops: number;
  /**
   * Other client sessions on this database, of any role, that do not name themselves a shop: a
   * shop-api before application_name was set (connecting as this role or, as the README's
   * least-privilege setup has it, as an app role), or psql and the like. A session of a role
   * this one may not see in full shows no `backend_type`: it counts as a client.
   */
  unnamed: number;
  /** Sessions (no shop of this version) that hold Kysely's migration lock: migrating now. */
  migrating: number;
}

const NO_OTHER_CLIENTS: OtherClients = { otherShops: 0, unnamed: 0, migrating: 0 };

/** Kysely's advisory lock around its migrations (postgres-adapter.js), as `pg_locks` shows it. */
const MIGRATION_LOCK_ID = 3853314791062309107n;

/**
 * The `application_name` of a shop's PostgreSQL connections: `shop-api` and an id of the
 * process, so that `--reset` can tell another shop's connections from its own
 * (`otherShopConnections`). A URL that sets its own `application_name` wins, and such a shop is
 * not seen.
 */
export const SHOP_APPLICATION_NAME = "shop-api";

/**
 * What ends the `application_name` of this version's shops: the number of migrations it knows
 * (`shop-api <id> schema 2`), so that a start that must migrate tells the shops of its own
 * version, which migrate alike, from older ones (`otherClients`).
 */
export const SHOP_SCHEMA_TAG = `schema ${String(Object.keys(MIGRATIONS).length)}`;

/**
 * A PostgreSQL URL fit for logs and messages: its passwords replaced (`hideUrlPasswords`). A
 * password typed without percent-encoding may hold an "@", "/", "?" or "#", which a URL parser
 * reads as the host, path, query or fragment and would show (`buyer:p@ss/w?rd@db`): such a URL
 * is shown as `hideCredentials` shows any value, its whole user part and query hidden.
 */
export function redactDatabaseUrl(url: string): string {
  // Without "//" nothing tells where the user part ends ('postgresql:shop:secret@db/shop').
  if (!url.includes("//")) return hideCredentials(url);
  const authority = url.slice(url.indexOf("//") + 2);
  const at = authority.lastIndexOf("@");
  if (at !== -1 && /[@/?#]/u.test(authority.slice(0, at))) return hideCredentials(url);
  const parsed = parseDatabaseUrl(url);
  if (parsed === undefined) return "(an unparsable URL)";
  hideUrlPasswords(parsed.url);
  return databaseUrlText(parsed);
}

/**
 * Opens the shop's database. Both kinds are reached through node-postgres and Kysely's
 * PostgreSQL dialect (PGlite through its own node-postgres connection, one at a time), so one
 * query layer, one SQL dialect, the same types and the same error codes serve both.
 * `onConnectionError` hears about a server connection that broke, idle in the pool or in use.
 */
export async function openDatabase(
  config: DatabaseConfig,
  onConnectionError: (error: Error) => void = () => undefined,
  { remakeDamaged = false }: OpenDatabaseOptions = {},
): Promise<ShopDatabase> {
  return config.kind === "embedded"
    ? openEmbedded(config.location, config.shortLived === true, remakeDamaged)
    : openPostgres(config.url, config.poolSize ?? DEFAULT_POOL_SIZE, onConnectionError);
}

export interface OpenDatabaseOptions {
  /**
   * For `--reset`, which empties the database anyway: an embedded database of this user's that
   * PostgreSQL does not start on (damaged, or of another PostgreSQL version) is emptied and made
   * anew instead of refused (`ShopDatabase.remadeBecause` says why).
   */
  remakeDamaged?: boolean;
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
 *
 * And `wal_init_zero=off`: PostgreSQL writes each new 16 MB WAL file full of zeros before it
 * uses it, to have the disk space allocated. PGlite runs PostgreSQL on the shop's own event
 * loop, so that write stops every request in flight: about every 22,000 orders, one order took
 * 150-270 ms in a database in memory (whose files grow a buffer at a time) and about 30 ms in a
 * folder, where the other orders take under 1 ms (60,000 orders one after the other, 2-core AMD
 * EPYC). At 50 connections each such pause set the p99 of a 4 s run of the resource-server
 * bench. Off, PostgreSQL writes only a new file's last byte; nothing else changes: every WAL
 * record is written and flushed as before, and recovery reads records by their checksums, never
 * by the zeros.
 */
export const EMBEDDED_START_PARAMS: readonly string[] = [
  ...PGlite.defaultStartParams,
  "-c",
  "shared_buffers=16MB",
  "-c",
  "wal_init_zero=off",
];

/**
 * How PGlite starts PostgreSQL for a shop that lives for one test, demo or testbed
 * (`SHOP_API_SHORT_LIVED`): 1 MB of shared buffers, and the shared memory for the locks and
 * processes of 5 connections instead of 100 (PGlite serves one). PostgreSQL writes its whole
 * shared memory at start, and in WebAssembly each page of it is one the kernel hands to the
 * process: a stack's shop starts with 4,600 fewer page faults, for 80 ms less CPU, and is ready
 * 80 ms sooner (paired medians of 12 alternating starts, 2-core AMD EPYC VM). A throw-away
 * shop's tables fit in 1 MB; a shop that keeps its orders for long leaves it unset.
 */
export const SHORT_LIVED_START_PARAMS: readonly string[] = [
  ...EMBEDDED_START_PARAMS,
  "-c",
  "shared_buffers=1MB",
  "-c",
  "max_connections=5",
];

/**
 * The installed PGlite's version, read from its package.json (which its `exports` do not
 * name); undefined when it cannot be found.
 */
function pgliteVersion(): string | undefined {
  let installed;
  try {
    installed = installedPackageOf(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
  } catch {
    // Not resolvable from here: no empty cluster is used.
  }
  return installed?.name === "@electric-sql/pglite" ? installed.version : undefined;
}

/**
 * Where the published package carries an empty shop database as PGlite dumps it
 * (`dumpDataDir`): a PostgreSQL cluster with the shop's schema (every migration run) and no
 * data, made by its build for the PGlite version it pins (package.json `bundle.generated`,
 * empty-cluster-files.ts). A new embedded database loads it instead of running initdb and then
 * the migrations: on a 2-core AMD EPYC, about 1.9 s of CPU instead of 5.3 s in a folder in RAM
 * (2.0 s instead of 4.5 s for `:memory:`) for initdb, for the first shop of a fresh install (a
 * testbed's in a CI job after `npm ci`) and every `:memory:` one, and the migrations' 0.2 s at
 * every new database. The workspace has none, and runs initdb.
 */
export const EMPTY_CLUSTER_DIR = fileURLToPath(new URL("../../empty-cluster/", import.meta.url));

/** The empty cluster for the installed PGlite in `dir`, whether or not it is there. */
export function emptyClusterFile(dir = EMPTY_CLUSTER_DIR): string | undefined {
  const version = pgliteVersion();
  return version === undefined ? undefined : path.join(dir, `pglite-${version}.tar.gz`);
}

/**
 * Writes the empty shop database for the installed PGlite into `dir` (the package build runs
 * this).
 */
export async function writeEmptyCluster(dir: string): Promise<string> {
  const file = emptyClusterFile(dir);
  if (file === undefined) throw new Error("cannot tell the installed PGlite's version");
  await withNewDatabase({}, async (lite) => {
    const dump = await lite.dumpDataDir("gzip");
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  });
  return file;
}

/**
 * Makes a new embedded database in the folder `dataDir`: the shop's schema and no data, as the
 * empty cluster holds them. What a shop then opens there has nothing left to migrate.
 */
export function createEmptyDatabase(dataDir: string): Promise<void> {
  return withNewDatabase({ dataDir }, () => Promise.resolve());
}

/** A new PGlite database (`options`) at the shop's schema, given to `use`, then closed. */
async function withNewDatabase(
  options: PGliteOptions,
  use: (lite: PGlite) => Promise<void>,
): Promise<void> {
  const lite = await PGlite.create({ ...options, startParams: [...EMBEDDED_START_PARAMS] });
  const database = embeddedDatabase(lite, options.dataDir ?? IN_MEMORY);
  try {
    await migrateToLatest(database.db);
    await use(lite);
  } finally {
    await database.close();
  }
}

/**
 * A hidden file the shop puts in a database's folder before it writes a new database there, and
 * removes once PostgreSQL started on it. PGlite writes a new cluster's files over about two
 * seconds, `PG_VERSION` among the last: a start or `--reset` stopped meanwhile (Ctrl-C during
 * the first `pnpm dev`, `kill -9`) left files without `PG_VERSION`, or a cluster PostgreSQL
 * does not start on, which looks like a damaged database that may have taken orders. With this
 * file there, the folder holds no database that was ever ready to take orders, and the next
 * start makes it anew when it has no `PG_VERSION` or PostgreSQL does not start on it; one
 * PostgreSQL starts on is opened as it is (a shop of a version before this file ignores it).
 * Hidden, as a database's own files never are: an emptied folder keeps it
 * (`removeDatabaseFiles`) until the database is made.
 */
export const MAKING_MARKER = ".shop-api-making";

const MAKING_TEXT =
  "shop-api is making a new database in this folder, or was stopped while it did: the next shop-api start makes it anew. Never put this file in a database that took orders.\n";

/** The empty cluster a database at `location` starts from, when it is new and one is shipped. */
function startingCluster(location: string, inMemory: boolean): string | undefined {
  if (!inMemory && existsSync(path.join(location, "PG_VERSION"))) return undefined;
  if (!inMemory) refuseUnknownContent(location);
  const file = emptyClusterFile();
  return file !== undefined && existsSync(file) ? file : undefined;
}

/**
 * A folder with no `PG_VERSION` is made a new database, which writes over what is in it: a
 * damaged database (its `PG_VERSION` lost) would start empty, its orders and its record of the
 * approvals already spent gone, and each of those approvals would buy again. So only a folder
 * holding nothing but hidden files (the shop's lock, a `.gitkeep`) is made a database: a
 * database's own files are never hidden.
 */
function refuseUnknownContent(location: string): void {
  const held = readdirSync(location).filter((name) => !name.startsWith("."));
  if (held.length === 0) return;
  const shown = held.slice(0, 3).join(", ") + (held.length > 3 ? ", ..." : "");
  throw new Error(
    `it holds files (${shown}) but no PG_VERSION, so it is not an embedded database, or a damaged one: the shop makes a new database only in a folder with no files but hidden ones, since making one here would write over them (and a damaged database's orders, and the approvals they spent, would be forgotten). Set SHOP_API_DATABASE to a new folder, or restore this one from a backup (a backup forgets the approvals spent after it was made, which can then buy again until their tokens expire); remove it only if it was never a database that took orders`,
  );
}

const RESTORE =
  "Restore the folder from a backup (a backup forgets the approvals spent after it was made, which can then buy again until their tokens expire), or set SHOP_API_DATABASE to a new folder";

/** What PostgreSQL cannot start without, in a cluster's folder. */
const CLUSTER_ESSENTIALS = ["global/pg_control", "base", "pg_wal", "pg_xact", "pg_multixact"];

/**
 * Up to three files or folders in `location` this user may not read or write (made by a run
 * with sudo), as paths relative to it. Reads every file's permissions.
 */
function filesRefused(location: string): string[] {
  const refused: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (refused.length === 3) return;
      const file = path.join(folder, entry.name);
      try {
        accessSync(file, fsConstants.R_OK | fsConstants.W_OK);
        if (entry.isDirectory()) walk(file);
      } catch {
        refused.push(path.relative(location, file));
      }
    }
  };
  try {
    walk(location);
  } catch {
    // A folder that cannot be listed is one of the refused.
  }
  return refused;
}

/**
 * Why PostgreSQL may have failed on an existing database folder, as far as the files tell:
 * PGlite says only "Aborted()" or "PGlite failed to initialize properly". Looked for only
 * after a failure: it reads every file's permissions.
 */
function whatIsWrong(location: string): string {
  const missing = CLUSTER_ESSENTIALS.filter((name) => !existsSync(path.join(location, name)));
  if (missing.length > 0)
    return `: the folder is damaged, it has no ${missing.join(", ")}. ${RESTORE}`;
  const refused = filesRefused(location);
  if (refused.length > 0) {
    return `: this user may not read or write ${refused.join(", ")}${refused.length === 3 ? ", ..." : ""}. Give this user the folder and every file in it (files another user made, such as a run with sudo, are theirs)`;
  }
  let version = "";
  try {
    version = readFileSync(path.join(location, "PG_VERSION"), "utf8").trim();
  } catch {
    // Said without it.
  }
  return `: the folder is damaged, or a database of another PostgreSQL version than this PGlite's${version === "" ? "" : ` (its PG_VERSION says ${version.slice(0, 20)})`}. ${RESTORE}`;
}

async function openEmbedded(
  location: string,
  shortLived: boolean,
  remakeDamaged: boolean,
): Promise<ShopDatabase> {
  const inMemory = location === IN_MEMORY;
  if (!inMemory) {
    // This user's alone: PGlite writes its files 0666, whatever the umask (`closeToOthers`).
    await makeFolder(location, 0o700).catch((error: unknown) => {
      throw new DatabaseOpenError(
        `cannot make the embedded database's folder ${location} (${(error as Error).message}): set SHOP_API_DATABASE to a folder this user may write`,
        { cause: error },
      );
    });
    // Said here, in one line: past this, the lock's socket and PostgreSQL's files fail with a
    // stack trace ("listen EACCES", 'could not open file "base/5/16384"').
    try {
      accessSync(location, fsConstants.R_OK | fsConstants.W_OK | fsConstants.X_OK);
    } catch (error) {
      throw new DatabaseOpenError(
        `cannot write the embedded database's folder ${location} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): set SHOP_API_DATABASE to a folder this user may write, or give this user the folder (one made by another user, such as a run with sudo, is theirs)`,
        { cause: error },
      );
    }
  }
  const lock = inMemory ? undefined : await lockDataDir(location);
  let closedToOthers: number | undefined;
  try {
    if (!inMemory) closedToOthers = await closeToOthers(location);
  } catch (error) {
    await lock?.release();
    throw new DatabaseOpenError(
      `cannot close the embedded database's folder ${location} to other users (${(error as Error).message}): give this user the folder and every file in it`,
      { cause: error },
    );
  }
  const startParams = [...(shortLived ? SHORT_LIVED_START_PARAMS : EMBEDDED_START_PARAMS)];
  let started: { lite: PGlite; createdFrom: string | undefined };
  let remadeBecause: string | undefined;
  // Left by a start or `--reset` stopped while it made the database (`MAKING_MARKER`).
  const unfinished = !inMemory && existsSync(path.join(location, MAKING_MARKER));
  let remadeUnfinished = false;
  try {
    if (unfinished && !existsSync(path.join(location, "PG_VERSION"))) {
      // Stopped before the cluster was whole: no PostgreSQL ever started on it.
      remadeUnfinished = true;
      try {
        removeDatabaseFiles(location);
      } catch (error) {
        throw new DatabaseOpenError(
          `cannot empty the unfinished embedded database in ${location} (${(error as Error).message}): give this user the folder and every file in it, or delete the folder`,
          { cause: error },
        );
      }
    }
    started = await startEmbedded(location, inMemory, startParams);
  } catch (error) {
    if (
      !(error instanceof DatabaseOpenError) ||
      !(remakeDamaged || unfinished) ||
      !isRemakeable(location)
    ) {
      await lock?.release();
      throw error;
    }
    // `--reset` on a database PostgreSQL does not start on: emptied, as the person asked, and
    // made anew; or a database whose making was stopped, which never took an order. Only a
    // folder of this user's that holds a database (PG_VERSION) gets here.
    if (unfinished && !remakeDamaged) remadeUnfinished = true;
    else remadeBecause = error.message;
    try {
      removeDatabaseFiles(location);
      started = await startEmbedded(location, inMemory, startParams);
    } catch (remakeError) {
      await lock?.release();
      throw remakeError instanceof DatabaseOpenError
        ? remakeError
        : new DatabaseOpenError(
            `cannot empty the embedded database in ${location} for --reset (${(remakeError as Error).message}): stop every shop-api and delete the folder`,
            { cause: remakeError },
          );
    }
  }
  const { lite, createdFrom } = started;
  const database = embeddedDatabase(lite, location);
  return {
    ...database,
    ...(createdFrom === undefined ? {} : { createdFrom }),
    ...(closedToOthers === undefined ? {} : { closedToOthers }),
    ...(remadeBecause === undefined ? {} : { remadeBecause }),
    ...(remadeUnfinished ? { remadeUnfinished } : {}),
    ...(lock?.foreignLegacySocket === undefined
      ? {}
      : { foreignLockSocket: lock.foreignLegacySocket }),
    close: async () => {
      await database.close();
      await lock?.release();
    },
  };
}

/**
 * PGlite started on `location` (or in memory), from the shipped empty cluster when the database
 * is new; a failure is a `DatabaseOpenError` saying what is wrong where the files tell.
 */
async function startEmbedded(
  location: string,
  inMemory: boolean,
  startParams: string[],
): Promise<{ lite: PGlite; createdFrom: string | undefined }> {
  let createdFrom: string | undefined;
  const marker = path.join(location, MAKING_MARKER);
  try {
    createdFrom = startingCluster(location, inMemory);
    const loadDataDir =
      createdFrom === undefined ? {} : { loadDataDir: new Blob([readFileSync(createdFrom)]) };
    // A new database: marked as being made until PostgreSQL started on it.
    if (!inMemory && !existsSync(path.join(location, "PG_VERSION"))) {
      writeFileSync(marker, MAKING_TEXT, { mode: 0o600 });
    }
    const lite = await PGlite.create(
      inMemory
        ? { startParams, ...loadDataDir }
        : { dataDir: location, startParams, ...loadDataDir },
    );
    if (!inMemory) rmSync(marker, { force: true });
    return { lite, createdFrom };
  } catch (error) {
    const { message } = error as Error;
    throw new DatabaseOpenError(
      !inMemory && createdFrom === undefined && existsSync(path.join(location, "PG_VERSION"))
        ? `cannot open the embedded database in ${location}: PostgreSQL did not start on it (${message})${whatIsWrong(location)}`
        : `cannot open the embedded database in ${location}: ${message}`,
      { cause: error },
    );
  }
}

/**
 * Whether `--reset`, or a start on a folder whose making was stopped (`MAKING_MARKER`), may
 * empty `location`, a folder PostgreSQL did not start on: it holds a database (PG_VERSION), and
 * every file in it is this user's to remove. A folder without
 * PG_VERSION may be anything (a home folder named by mistake) and is refused as at any start;
 * files of another user's (a run with sudo) would leave it half removed.
 */
function isRemakeable(location: string): boolean {
  return existsSync(path.join(location, "PG_VERSION")) && filesRefused(location).length === 0;
}

/**
 * Removes the database's files from `location`: everything but the hidden files (the shop's
 * lock, a `.gitkeep`), as `refuseUnknownContent` counts them; a database's own are never hidden.
 */
function removeDatabaseFiles(location: string): void {
  for (const name of readdirSync(location)) {
    if (!name.startsWith(".")) rmSync(path.join(location, name), { recursive: true, force: true });
  }
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
    // Nothing sets a statement timeout on PGlite's one connection.
    withoutStatementTimeout: (work) => work(db),
    otherShopConnections: () => Promise.resolve(0),
    otherClients: () => Promise.resolve(NO_OTHER_CLIENTS),
    filesGone: () =>
      where === IN_MEMORY || existsSync(path.join(where, "PG_VERSION"))
        ? undefined
        : `the embedded database's folder ${where} is gone (deleted while this shop ran): it ` +
          "cannot take orders, and its orders and the record of spent approvals went with it. " +
          "Stop this shop; restore the folder from a backup taken after the last order, or start " +
          "it again to make a new, empty database (an approval issued before is then refused). " +
          "Delete the folder only while no shop runs",
    close: async () => {
      await db.destroy();
      await lite.close();
    },
  };
}

async function openPostgres(
  url: string,
  poolSize: number,
  onConnectionError: (error: Error) => void,
): Promise<ShopDatabase> {
  const where = redactDatabaseUrl(url);
  const applicationName = `${SHOP_APPLICATION_NAME} ${randomUUID()} ${SHOP_SCHEMA_TAG}`;
  let settings;
  try {
    settings = connectionSettings(url);
  } catch (error) {
    // pg-connection-string reads the files sslrootcert, sslcert and sslkey name as it parses.
    throw new DatabaseOpenError(
      `cannot connect to PostgreSQL at ${where}: a TLS file the URL names (sslrootcert, ` +
        `sslcert or sslkey) cannot be read (${(error as Error).message}): set it in ` +
        "SHOP_API_DATABASE_URL to a PEM file this user may read",
      { cause: error },
    );
  }
  refuseWithoutUser(settings, where);
  // The URL's own query parameters win over these, but for the start options, where this
  // version's isolation level comes last (`connectionSettings`).
  const pool = new pg.Pool({
    connectionTimeoutMillis: 10_000,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: applicationName,
    ...settings,
    // After the URL's settings, which hold none of the pool's options (`connectionSettings`).
    max: poolSize,
  });
  // An idle connection that breaks is the pool's `error`. One in use (PostgreSQL restarted or
  // stopped, a backend terminated, mid-query) emits `error` on its client, which the pool
  // listens to only while the client is idle: without a listener of its own, Node ends the
  // process with it. Its query fails anyway, and the request gets 503 (isDatabaseUnavailable);
  // the pool drops the client when it is released.
  pool.on("error", onConnectionError);
  pool.on("connect", (client) => {
    client.on("error", onConnectionError);
  });
  try {
    await pool.query("select 1");
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    // Cancelled by the URL's own statement_timeout, however short (a loaded machine can take
    // more than a millisecond even for this): PostgreSQL answered, so it is reachable.
    if (!isStatementTimeout(error)) {
      await pool.end();
      const refusal = connectionRefusal(error);
      throw new DatabaseOpenError(
        refusal
          ? `cannot connect to PostgreSQL at ${where}: ${refusal.what}. ${refusal.fix}`
          : `cannot reach PostgreSQL at ${where}: ${message}${code ? ` (${code})` : ""}`,
        { cause: error },
      );
    }
  }
  const db = new Kysely<ShopTables>({ dialect: new PostgresDialect({ pool }) });
  const presence = holdPresence(
    { application_name: applicationName, ...untimedConnection(url) },
    onConnectionError,
  );
  return {
    db,
    where,
    withoutStatementTimeout: async (work) => {
      const untimed = new pg.Pool({
        application_name: applicationName,
        ...untimedConnection(url),
        max: 1,
      });
      untimed.on("error", onConnectionError);
      untimed.on("connect", (client) => {
        client.on("error", onConnectionError);
      });
      const untimedDb = new Kysely<ShopTables>({ dialect: new PostgresDialect({ pool: untimed }) });
      try {
        return await untimedDb.connection().execute(work);
      } finally {
        await untimedDb.destroy();
      }
    },
    otherShopConnections: async (on) => {
      const { rows } = await sql<{ others: number }>`
        select count(*)::int as others from pg_stat_activity
        where datname = current_database() and application_name <> ${applicationName}
          and (application_name = ${SHOP_APPLICATION_NAME}
            or application_name like ${`${SHOP_APPLICATION_NAME} %`})
      `.execute(on);
      return rows[0]?.others ?? 0;
    },
    otherClients: async (on) => {
      const thisVersion = `${SHOP_APPLICATION_NAME} % ${SHOP_SCHEMA_TAG}`;
      // Another role's session shows its pid, role and application_name to any role, but its
      // backend_type only to a superuser, a member of that role or of pg_read_all_stats: a
      // session with none is taken for a client. Background processes (autovacuum) have no role.
      const { rows } = await sql<OtherClients>`
        with sessions as (
          select pid, coalesce(application_name, '') as application_name from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()
            and usesysid is not null
            and coalesce(backend_type, 'client backend') = 'client backend'
        ),
        others as (select * from sessions where application_name not like ${thisVersion})
        select
          (select count(*)::int from others
            where application_name = ${SHOP_APPLICATION_NAME}
              or application_name like ${`${SHOP_APPLICATION_NAME} %`}) as "otherShops",
          (select count(*)::int from others
            where application_name <> ${SHOP_APPLICATION_NAME}
              and application_name not like ${`${SHOP_APPLICATION_NAME} %`}) as "unnamed",
          (select count(*)::int from pg_locks l join others o on o.pid = l.pid
            where l.locktype = 'advisory' and l.granted
              and l.classid::bigint = ${String(MIGRATION_LOCK_ID >> 32n)}::bigint
              and l.objid::bigint = ${String(MIGRATION_LOCK_ID & 0xffffffffn)}::bigint) as "migrating"
      `.execute(on);
      return rows[0] ?? NO_OTHER_CLIENTS;
    },
    filesGone: () => undefined,
    close: async () => {
      await presence.close();
      await db.destroy();
      // Kysely ends only a pool it has used: one that served only the check above would keep
      // its connection open, a shop's to `otherShopConnections`, until it idled out.
      if (!pool.ended) await pool.end();
    },
  };
}

/** How long a shop waits before it opens its held connection again, at first and at most. */
export const PRESENCE_RETRY_MS = { first: 500, most: 5_000 } as const;

/**
 * One connection the shop holds for as long as its database is open, named as its pool's are
 * (`config.application_name`), so that it is always in `pg_stat_activity`: node-postgres' pool
 * closes a connection idle for 10 s, and a replica that served nothing for that long held none,
 * so that `--reset` (`otherShopConnections`) and an upgrade's start (`otherClients`) took it for
 * gone and changed the tables under it. It sends no statement but one at its start, which turns
 * off a server's `idle_session_timeout` (PostgreSQL 14 and newer; an older server does not know
 * it) for it alone. Broken (PostgreSQL restarted, the session ended), it is said once to
 * `onConnectionError` and opened again after `PRESENCE_RETRY_MS.first`, then at most every
 * `PRESENCE_RETRY_MS.most` while it fails.
 */
function holdPresence(
  config: pg.ClientConfig,
  onConnectionError: (error: Error) => void,
): { close(): Promise<void> } {
  let closed = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let waitMs: number = PRESENCE_RETRY_MS.first;
  const again = () => {
    client = undefined;
    if (closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void open();
    }, waitMs);
    timer.unref();
    waitMs = Math.min(waitMs * 2, PRESENCE_RETRY_MS.most);
  };
  const open = async () => {
    const opening = new pg.Client({ ...config, keepAlive: true });
    client = opening;
    let broke = false;
    const lost = (error?: Error) => {
      if (broke) return;
      broke = true;
      if (error !== undefined && !closed) onConnectionError(error);
      again();
    };
    opening.on("error", lost);
    opening.on("end", () => {
      lost();
    });
    try {
      await opening.connect();
      await opening.query("set idle_session_timeout = 0").catch((error: unknown) => {
        // 42704: a server before PostgreSQL 14, which has no such timeout.
        if ((error as { code?: unknown }).code !== "42704") throw error;
      });
      waitMs = PRESENCE_RETRY_MS.first;
    } catch {
      // Unreachable for now: the pool's requests say why. Tried again later.
      await opening.end().catch(() => undefined);
      lost();
    }
  };
  void open();
  return {
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}

/**
 * node-postgres takes the user from the URL, else PGUSER, else the login's USER (USERNAME on
 * Windows), as libpq does. A container or CI job often has none of them: PostgreSQL then
 * refuses the connection ("no PostgreSQL user name specified in startup packet"), which read as
 * an unreachable server. Said before connecting, with how to give one.
 */
function refuseWithoutUser(settings: pg.ClientConfig, where: string): void {
  // Each read as node-postgres reads it: an empty one counts as none.
  const candidates = [settings.user, process.env.PGUSER, pg.defaults.user];
  if (candidates.some((user) => typeof user === "string" && user !== "")) return;
  throw new DatabaseOpenError(
    `cannot connect to PostgreSQL at ${where}: SHOP_API_DATABASE_URL names no user, and ` +
      "neither PGUSER nor USER is set (as in many containers and CI jobs): give the user in " +
      "the URL, 'postgres://shop@db.internal:5432/shop' (or ?user=shop), or set PGUSER",
  );
}

/**
 * How to connect to `url` with no statement timeout: as node-postgres reads the URL, but with
 * `-c statement_timeout=0` among the options PostgreSQL reads at the connection's start, and
 * not the URL's own `statement_timeout` (which PostgreSQL would apply after the options). A
 * `set statement_timeout = 0` would itself run under the URL's timeout, and a loaded machine
 * can take more than a short one (`?statement_timeout=1`) for it.
 */
function untimedConnection(url: string): pg.PoolConfig {
  // The URL's settings, parsed by the parser node-postgres uses for `connectionString`.
  const { statement_timeout: _requests, ...settings } = connectionSettings(url);
  return {
    ...settings,
    options: `${settings.options} -c statement_timeout=0`,
    connectionTimeoutMillis: 10_000,
  };
}

/**
 * The isolation level the shop's statements are written for (`SqlShopStore.place`), set at
 * each connection's start whatever the database's or role's default
 * (`default_transaction_isolation`): under REPEATABLE READ or SERIALIZABLE, two purchases of one
 * product at once fail one with a serialization failure (40001) where READ COMMITTED re-checks
 * the stock on the newest row and places both.
 */
export const SHOP_ISOLATION_OPTION = String.raw`-c default_transaction_isolation=read\ committed`;

/**
 * `url` as node-postgres reads it (the parser it uses for `connectionString`), with this
 * version's start options after the URL's own (`options`, else `PGOPTIONS`), so that they win,
 * and without the pool's own options (`POOL_OPTIONS`).
 */
export function connectionSettings(url: string): pg.ClientConfig & { options: string } {
  const { options, ...settings } = parseConnectionString(url);
  const startOptions = (options ?? process.env.PGOPTIONS ?? "").trim();
  // The pool's own options are not the URL's to set, as with `connectionString` (`?max=abc`
  // would compare the pool's size with NaN): only a connection's settings come from it.
  const client = Object.fromEntries(
    Object.entries(toClientConfig(settings)).filter(
      ([name]) => !(POOL_OPTIONS as readonly string[]).includes(name),
    ),
  ) as pg.ClientConfig;
  return {
    ...client,
    options: `${startOptions} ${SHOP_ISOLATION_OPTION}`.trimStart(),
  };
}

/** pg-pool's options, which a query parameter of the URL would otherwise set. */
const POOL_OPTIONS = [
  "max",
  "min",
  "idleTimeoutMillis",
  "connectionTimeoutMillis",
  "maxUses",
  "maxLifetimeSeconds",
  "allowExitOnIdle",
  "log",
  "Promise",
  "Client",
  "verify",
] as const;
