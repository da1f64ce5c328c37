import { randomBytes } from "node:crypto";

import {
  Catalog,
  DatabaseOpenError,
  MIGRATIONS,
  MigrationError,
  migrateToLatest,
  openDatabase,
  openShopStore,
} from "@ciba-testbed/shop-api";
import { ManualClock } from "@ciba-testbed/shared";
import pg from "pg";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import { beforeAll, describe, expect, it } from "vitest";

import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";

import { sharedPostgres } from "../support/postgres.js";
import type { PostgresServer } from "../support/postgres.js";
import { allOrdersOf } from "../../apps/shop-api/src/test-support/test-orders.js";
import { shopApiEnv, sharedTenant } from "../support/shop-api-process.js";

const catalog = new Catalog([{ id: "p", name: "P", unitPriceCents: 100, stock: 3 }]);
const postgresql = (url: string) => ({ kind: "postgres", url }) as const;
type Migration = (typeof MIGRATIONS)[string];
/** When a test's first shop starts, on its clock: a whole second. */
const STARTED = Date.parse("2026-03-01T12:00:00Z");

// Issue 18: migrations run at every start, on a real PostgreSQL server.
describe("shop-api's migrations on PostgreSQL", () => {
  let postgres: PostgresServer;
  let tenant: RunningMockAuth0;
  // The server and the tenant this worker's files share: each test migrates a database of its
  // own, and the tenant is only there for the shop-api process that must refuse to start.
  beforeAll(async () => {
    [postgres, tenant] = await Promise.all([sharedPostgres(), sharedTenant()]);
  });

  it("create the schema once when replicas start at the same time on an empty database", async () => {
    const url = await postgres.createDatabase();
    const opened = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        openShopStore(postgresql(url), catalog, { clock: new ManualClock(STARTED + i * 1000) }),
      ),
    );
    try {
      // One of them ran the migrations (under Kysely's advisory lock); the others found them done.
      expect(opened.map((o) => o.migrated).sort()).toEqual([[], [], Object.keys(MIGRATIONS)]);
      expect(await opened[0]!.store.stock()).toEqual(new Map([["p", 3]]));
      // They share one record of spent approvals, begun by one of them.
      const began = new Set(opened.map((o) => o.record.beganAt));
      expect(began.size).toBe(1);
      expect([STARTED, STARTED + 1000, STARTED + 2000]).toContain([...began][0]);
      const again = await openShopStore(postgresql(url), catalog, {
        clock: new ManualClock(STARTED + 60_000),
      });
      expect(again.migrated).toEqual([]);
      expect(again.record).toEqual({ beganAt: [...began][0] });
      await again.close();
    } finally {
      await Promise.all(opened.map((o) => o.close()));
    }
  });

  it("run with no statement timeout, however short the requests' is", async () => {
    const url = new URL(await postgres.createDatabase());
    // 1 ms: more than no statement of a request needs, less than migrating does.
    url.searchParams.set("statement_timeout", "1");
    // The URL's own start options are kept.
    url.searchParams.set("options", "-c lock_timeout=2000");
    const opened = await openShopStore(postgresql(url.href), catalog);
    const settingsOf = (db: typeof opened.database.db) =>
      db
        .selectNoFrom((eb) => [
          eb.fn<string>("current_setting", [eb.val("statement_timeout")]).as("statement"),
          eb.fn<string>("current_setting", [eb.val("lock_timeout")]).as("lock"),
        ])
        .executeTakeFirstOrThrow();
    const sleep = (db: typeof opened.database.db) =>
      db.selectNoFrom((eb) => eb.fn("pg_sleep", [eb.val(0.05)]).as("slept")).execute();
    try {
      expect(opened.migrated).toEqual(Object.keys(MIGRATIONS));
      // A request's statement still has the URL's timeout.
      await expect(sleep(opened.database.db)).rejects.toMatchObject({ code: "57014" });
      // Starting had none from the connection's start: no statement of its own (a `set
      // statement_timeout`, which a loaded machine can take more than 1 ms for) ran first.
      const untimed = await opened.database.withoutStatementTimeout(async (db) => {
        const first = await settingsOf(db);
        await sleep(db);
        return first;
      });
      expect(untimed).toEqual({ statement: "0", lock: "2s" });
    } finally {
      await opened.close();
    }
  });

  it("reset: every order gone and the catalog's stock back, the schema current", async () => {
    const url = await postgres.createDatabase();
    const first = await openShopStore(postgresql(url), catalog, {
      clock: new ManualClock(STARTED),
    });
    expect(first.record).toEqual({ beganAt: STARTED });
    await first.database.db.updateTable("shop_stock").set({ stock: 0 }).execute();
    await first.close();

    const reset = await openShopStore(postgresql(url), catalog, {
      reset: true,
      clock: new ManualClock(STARTED + 60_000),
    });
    try {
      expect(await reset.store.stock()).toEqual(new Map([["p", 3]]));
      expect(await allOrdersOf(reset.store, "anyone")).toEqual([]);
      // The approvals spent before are forgotten: the record begins anew.
      expect(reset.record).toEqual({ beganAt: STARTED + 60_000 });
    } finally {
      await reset.close();
    }
  });

  it("reset: refused while another shop is connected to the database, nothing changed", async () => {
    const url = await postgres.createDatabase();
    const serving = await openShopStore(postgresql(url), catalog, {
      clock: new ManualClock(STARTED),
    });
    // A client that is no shop (psql, a dashboard) does not count.
    const other = new pg.Client({ connectionString: url, application_name: "psql" });
    await other.connect();
    try {
      await serving.database.db.updateTable("shop_stock").set({ stock: 1 }).execute();
      const refused = openShopStore(postgresql(url), catalog, {
        reset: true,
        clock: new ManualClock(STARTED + 60_000),
      });
      await expect(refused).rejects.toThrow(DatabaseOpenError);
      // Its pool's connection and the one it holds for its life.
      await expect(refused).rejects.toThrow(
        /^cannot reset postgres:\/\/.*: other shop-api processes are connected to it \(2 connections in pg_stat_activity\): stop every other replica, then run --reset again; nothing was changed$/,
      );
      expect(await serving.store.stock()).toEqual(new Map([["p", 1]]));
      expect(await serving.store.recordBegan()).toBe(STARTED);
    } finally {
      await serving.close();
    }
    try {
      const reset = await openShopStore(postgresql(url), catalog, {
        reset: true,
        clock: new ManualClock(STARTED + 60_000),
      });
      expect(await reset.store.stock()).toEqual(new Map([["p", 3]]));
      await reset.close();
    } finally {
      await other.end();
    }
  });

  it("upgrade: refused while a replica of an older version or another session that names no shop is connected", async () => {
    const url = await postgres.createDatabase();
    // A database an older version (before 0002_record_start) migrated and serves.
    const older = await openDatabase(postgresql(url));
    const [first] = Object.keys(MIGRATIONS).sort();
    await migrateToLatest(older.db, { [first!]: MIGRATIONS[first!]! });
    await older.close();
    // A replica that names itself a shop, without this version's schema, and one of a version
    // that set no application_name (a session that names no shop).
    const named = new pg.Client({ connectionString: url, application_name: "shop-api 1234" });
    const unnamed = new pg.Client({ connectionString: url, application_name: "" });
    await Promise.all([named.connect(), unnamed.connect()]);
    try {
      const refused = openShopStore(postgresql(url), catalog, { clock: new ManualClock(STARTED) });
      await expect(refused).rejects.toThrow(DatabaseOpenError);
      await expect(refused).rejects.toThrow(
        /^cannot migrate postgres:\/\/.*: other clients are connected to it \(1 connection of shop-api processes of another version, 1 other session naming no shop-api, of any role \(a shop-api before 38e7d82 sets no application_name\)\), .* See who they are with 'select pid, usename, application_name, client_addr from pg_stat_activity where datname = current_database\(\)' .*: stop every other replica and close the other sessions .*, then start the new version; nothing was changed$/,
      );
      await named.end();
      await expect(
        openShopStore(postgresql(url), catalog, { clock: new ManualClock(STARTED) }),
      ).rejects.toThrow(/\(1 other session naming no shop-api, of any role /);
      const tables = new pg.Client(url);
      await tables.connect();
      const { rows } = await tables.query("select name from shop_migrations");
      await tables.end();
      expect(rows).toEqual([{ name: first }]);
    } finally {
      await Promise.all([named.end().catch(() => undefined), unnamed.end()]);
    }
    const upgraded = await openShopStore(postgresql(url), catalog, {
      clock: new ManualClock(STARTED),
    });
    expect(upgraded.migrated).toEqual(Object.keys(MIGRATIONS).sort().slice(1));
    await upgraded.close();
  });

  it("upgrade: refused while an older replica connects as an app role, naming no shop (the README's least privilege)", async () => {
    // The schema's owner migrates; replicas connect as an app role. Neither is a superuser, so
    // the owner sees the app role's sessions without their backend_type.
    const suffix = randomBytes(4).toString("hex");
    const [owner, app, name] = [`owner_${suffix}`, `app_${suffix}`, `least_${suffix}`];
    const admin = new pg.Client(postgres.url());
    await admin.connect();
    try {
      await admin.query(`create role ${owner} login`);
      await admin.query(`create role ${app} login`);
      await admin.query(`create database ${name} owner ${owner}`);
    } finally {
      await admin.end();
    }
    const as = (role: string) => postgres.url(name).replace("//shop@", `//${role}@`);
    // The older version, at the first migration, migrated by the owner; its replica as the app.
    const older = await openDatabase(postgresql(as(owner)));
    const [first] = Object.keys(MIGRATIONS).sort();
    await migrateToLatest(older.db, { [first!]: MIGRATIONS[first!]! });
    await older.close();
    const grants = new pg.Client(as(owner));
    await grants.connect();
    await grants.query(
      `grant select, insert, update, delete on all tables in schema public to ${app}`,
    );
    await grants.end();
    const replica = new pg.Client({ connectionString: as(app), application_name: "" });
    await replica.connect();
    try {
      const refused = openShopStore(postgresql(as(owner)), catalog, {
        clock: new ManualClock(STARTED),
      });
      await expect(refused).rejects.toThrow(DatabaseOpenError);
      await expect(refused).rejects.toThrow(
        /^cannot migrate postgres:\/\/owner_.*\(0002_record_start\): other clients are connected to it \(1 other session naming no shop-api, of any role .*pg_stat_activity.*nothing was changed$/,
      );
    } finally {
      await replica.end();
    }
    const upgraded = await openShopStore(postgresql(as(owner)), catalog, {
      clock: new ManualClock(STARTED),
    });
    expect(upgraded.migrated).toEqual(Object.keys(MIGRATIONS).sort().slice(1));
    await upgraded.close();
  });

  it("leave nothing of a migration that fails", async () => {
    const database = await openDatabase(postgresql(await postgres.createDatabase()));
    try {
      const broken: Record<string, Migration> = {
        ...MIGRATIONS,
        "0002_broken": {
          async up(db) {
            await db.schema.createTable("half_done").addColumn("a", "integer").execute();
            await db.schema.createTable("half_done").addColumn("a", "integer").execute();
          },
        },
      };
      await expect(migrateToLatest(database.db, broken)).rejects.toThrow(
        /^cannot migrate the database: migration 0002_broken failed: relation "half_done" already exists/,
      );
      const tables = await database.db.introspection.getTables({ withInternalKyselyTables: true });
      expect(tables.map((t) => t.name).sort()).toEqual(["shop_migrations", "shop_migrations_lock"]);
    } finally {
      await database.close();
    }
  });

  it("refuse a database that a newer shop-api migrated, and shop-api will not start on it", async () => {
    const url = await postgres.createDatabase();
    const database = await openDatabase(postgresql(url));
    await migrateToLatest(database.db, {
      ...MIGRATIONS,
      "9999_from_a_newer_version": { up: () => Promise.resolve() },
    });
    await database.close();

    await expect(openShopStore(postgresql(url), catalog)).rejects.toBeInstanceOf(MigrationError);

    const child = SupervisedChild.spawn({
      name: "shop-api",
      script: "apps/shop-api/src/main.ts",
      runner: {},
      env: { ...shopApiEnv(tenant, { url }), LOG_LEVEL: "silent" },
    });
    const error = await child.waitForReady(60_000).then(
      () => new Error("it started"),
      (e: unknown) => e as Error,
    );
    expect(error.message).toContain(
      "shop-api cannot start: cannot migrate the database: corrupted migrations: previously " +
        "executed migration 9999_from_a_newer_version is missing (a newer shop-api may have " +
        "migrated this database",
    );
  });

  it("say where they could not connect, without the password", async () => {
    const unreachable = postgres
      .url()
      .replace(/:(\d+)\//, ":1/")
      .replace("shop@", "shop:s3cret@");
    const error = await openDatabase(postgresql(unreachable)).then(
      () => new Error("opened"),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(DatabaseOpenError);
    expect(error.message).toMatch(
      /^cannot reach PostgreSQL at postgres:\/\/shop:\*\*\*@127\.0\.0\.1:1\/postgres: .*ECONNREFUSED/,
    );
    expect(error.message).not.toContain("s3cret");
  });
});
