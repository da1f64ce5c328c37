import { Catalog, DatabaseOpenError, MigrationError, openShopStore } from "@ciba-testbed/shop-api";
import type { Order } from "@ciba-testbed/shop-api";
import { ManualClock } from "@ciba-testbed/shared";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";

import { sharedPostgres } from "../support/postgres.js";
import type { PostgresServer } from "../support/postgres.js";
import { readmeBlockUnder } from "../support/readme-example.js";

const catalog = new Catalog([{ id: "p", name: "P", unitPriceCents: 100, stock: 100 }]);
const postgresql = (url: string) => ({ kind: "postgres", url }) as const;
const STARTED = Date.parse("2026-03-01T12:00:00Z");

const order = (i: number): Order => ({
  id: `o${String(i)}`,
  productId: "p",
  productName: "P",
  quantity: 1,
  unitPriceCents: 100,
  totalCents: 100,
  currency: "USD",
  status: "confirmed",
  createdAt: STARTED + 5_000,
  authorization: {
    sub: `buyer-${String(i)}`,
    azp: "agent",
    authorizationDetailsMatched: true,
    approvalId: `approval-${String(i)}`,
  },
});

/** Sets a default for every session of the database `url` names, as its owner may. */
async function alterDatabase(url: string, setting: string, value: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    await client.query(
      `alter database ${client.escapeIdentifier(name)} set ${setting} = ${client.escapeLiteral(value)}`,
    );
  } finally {
    await client.end();
  }
}

// Settings a database (or its role) may carry that the shop's statements are not written for.
describe("shop-api on a PostgreSQL database with settings of its own", () => {
  let postgres: PostgresServer;
  beforeAll(async () => {
    postgres = await sharedPostgres();
  });

  it.each(["serializable", "repeatable read"])(
    "places concurrent purchases under default_transaction_isolation=%s, each once",
    async (isolation) => {
      const url = await postgres.createDatabase();
      await alterDatabase(url, "default_transaction_isolation", isolation);
      const opened = await openShopStore(postgresql(url), catalog, {
        clock: new ManualClock(STARTED),
      });
      try {
        const level = await opened.database.db
          .selectNoFrom((eb) =>
            eb.fn<string>("current_setting", [eb.val("transaction_isolation")]).as("level"),
          )
          .executeTakeFirstOrThrow();
        expect(level).toEqual({ level: "read committed" });
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, i) => opened.store.place(order(i))),
        );
        expect(outcomes).toEqual(Array.from({ length: 10 }, () => ({ outcome: "placed" })));
        expect(await opened.store.stock()).toEqual(new Map([["p", 90]]));
        // And again with the same approvals: each bought once.
        const again = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            opened.store.place({ ...order(i), id: `x${String(i)}` }),
          ),
        );
        expect(again.map((outcome) => outcome.outcome)).toEqual(
          Array.from({ length: 10 }, () => "approval-spent"),
        );
        expect(await opened.store.stock()).toEqual(new Map([["p", 90]]));
      } finally {
        await opened.close();
      }
    },
  );

  // A database the shop can read but not write, found by the start's first write (the catalog's
  // stock): one line naming the variable and what to do, no stack.
  it("a read-only server: one DatabaseOpenError naming SHOP_API_DATABASE_URL", async () => {
    const url = await postgres.createDatabase();
    await (
      await openShopStore(postgresql(url), catalog, { clock: new ManualClock(STARTED) })
    ).close();
    await alterDatabase(url, "default_transaction_read_only", "on");
    const refused = openShopStore(postgresql(url), catalog, { clock: new ManualClock(STARTED) });
    await expect(refused).rejects.toBeInstanceOf(DatabaseOpenError);
    await expect(refused).rejects.toThrow(
      /^cannot start on postgres:\/\/\S+ \(SHOP_API_DATABASE_URL\): the server is read-only \(cannot execute INSERT in a read-only transaction \(25006\)\): a standby, or default_transaction_read_only is on for this database or role\. Set SHOP_API_DATABASE_URL to the primary, or turn default_transaction_read_only off$/,
    );
  });

  // Read-only before the first migration: told as read-only, not as migrated by a newer shop.
  it("a read-only server at the first migration: one MigrationError saying it is read-only", async () => {
    const url = await postgres.createDatabase();
    await alterDatabase(url, "default_transaction_read_only", "on");
    const refused = openShopStore(postgresql(url), catalog, { clock: new ManualClock(STARTED) });
    await expect(refused).rejects.toBeInstanceOf(MigrationError);
    await expect(refused).rejects.toThrow(
      /^cannot migrate the database: cannot execute CREATE TABLE in a read-only transaction \(25006\): the server is read-only: a standby, or default_transaction_read_only is on for this database or role\. Set SHOP_API_DATABASE_URL to the primary, or turn default_transaction_read_only off$/,
    );
  });

  it("a role without INSERT: one DatabaseOpenError naming the grants", async () => {
    const url = await postgres.createDatabase();
    await (
      await openShopStore(postgresql(url), catalog, { clock: new ManualClock(STARTED) })
    ).close();
    const role = `reader_${String(process.pid)}_${String(Date.now())}`;
    const owner = new pg.Client(url);
    await owner.connect();
    try {
      await owner.query(`create role ${role} login`);
      await owner.query(`grant select on all tables in schema public to ${role}`);
    } finally {
      await owner.end();
    }
    const asReader = new URL(url);
    asReader.username = role;
    asReader.password = "";
    const refused = openShopStore(postgresql(asReader.href), catalog, {
      clock: new ManualClock(STARTED),
    });
    await expect(refused).rejects.toBeInstanceOf(DatabaseOpenError);
    await expect(refused).rejects.toThrow(
      /^cannot start on postgres:\/\/\S+ \(SHOP_API_DATABASE_URL\): this role may not write the shop's tables \(permission denied for table shop_stock \(42501\)\): grant it SELECT, INSERT, UPDATE and DELETE on shop_stock, shop_orders and shop_record_start \(and USAGE on their schema\), or set SHOP_API_DATABASE_URL to a role that has them$/,
    );
  });

  it("say the migrations must run once as the schema's owner; then the role serves with the grants the README gives", async () => {
    const url = await postgres.createDatabase();
    const role = `app_${String(process.pid)}_${String(Date.now())}`;
    const owner = new pg.Client(url);
    await owner.connect();
    const asApp = new URL(url);
    asApp.username = role;
    asApp.password = "";
    try {
      await owner.query(`create role ${role} login`);
      await owner.query(`revoke create on schema public from public`);
      const refused = openShopStore(postgresql(asApp.href), catalog, {
        clock: new ManualClock(STARTED),
      });
      await expect(refused).rejects.toBeInstanceOf(MigrationError);
      await expect(refused).rejects.toThrow(
        /^cannot migrate the database: permission denied for schema public \(42501\): this role cannot create the shop's tables\. Run the migrations once as the schema's owner \(start this version once with SHOP_API_DATABASE_URL naming that role\), then give this role USAGE on the schema and SELECT, INSERT, UPDATE and DELETE on its tables \(the README's Several replicas shows the grants\)$/,
      );
      // The README's least-privilege setup, as written: the role gets the grants, and the owner
      // migrates once.
      const grants = readmeBlockUnder(
        "apps/shop-api/README.md",
        "## Several replicas (PostgreSQL)",
        "sql",
      );
      expect(grants).toContain(" TO shop_app;");
      await owner.query(grants.replaceAll("shop_app", role));
      await (
        await openShopStore(postgresql(url), catalog, { clock: new ManualClock(STARTED) })
      ).close();
      const served = await openShopStore(postgresql(asApp.href), catalog, {
        clock: new ManualClock(STARTED + 1_000),
      });
      try {
        expect(served.migrated).toEqual([]);
        expect(await served.store.place(order(1))).toEqual({ outcome: "placed" });
      } finally {
        await served.close();
      }
    } finally {
      await owner.end();
    }
  });
});
