import { IN_MEMORY } from "@ciba-testbed/shop-api";
import type { DatabaseConfig } from "@ciba-testbed/shop-api";
import { emptyShopDatabase } from "@ciba-testbed/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Catalog } from "../apps/shop-api/src/catalog.js";
import { openShopStore } from "../apps/shop-api/src/store/open-shop-store.js";
import type { OpenedShopStore } from "../apps/shop-api/src/store/open-shop-store.js";
import { ownerPageQuery } from "../apps/shop-api/src/store/sql-shop-store.js";
import { TEST_PRODUCTS } from "../apps/shop-api/src/test-support/test-app.js";
import { cableOrder } from "../apps/shop-api/src/test-support/test-orders.js";
import { sharedPostgres } from "./support/postgres.js";

const ALICE = "auth0|alice";
const BOB = "auth0|bob";

/**
 * Each store the shop runs on, opened as the shop opens it: PGlite in memory, PGlite in a folder
 * (a copy of an empty database, as a stack's shop gets) and a PostgreSQL server.
 */
const STORES: readonly [
  string,
  () => Promise<{ config: DatabaseConfig; remove?: () => Promise<void> }>,
][] = [
  [
    "embedded, in memory",
    () => Promise.resolve({ config: { kind: "embedded", location: IN_MEMORY } }),
  ],
  [
    "embedded, in a folder",
    async () => {
      const copy = await emptyShopDatabase();
      return { config: { kind: "embedded", location: copy.folder }, remove: () => copy.remove() };
    },
  ],
  [
    "PostgreSQL",
    async () => ({
      config: { kind: "postgres", url: await (await sharedPostgres()).createDatabase() },
    }),
  ],
];

describe.each(STORES)("a person's orders a page at a time (%s)", (_name, open) => {
  let opened: OpenedShopStore;
  let remove: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const where = await open();
    remove = where.remove;
    opened = await openShopStore(where.config, new Catalog(TEST_PRODUCTS));
    // Alice's seven orders, with Bob's between them.
    for (const [id, sub] of [
      ["a1", ALICE],
      ["b1", BOB],
      ["a2", ALICE],
      ["a3", ALICE],
      ["b2", BOB],
      ["a4", ALICE],
      ["a5", ALICE],
      ["a6", ALICE],
      ["b3", BOB],
      ["a7", ALICE],
    ] as const) {
      expect(
        await opened.store.place(cableOrder(id, sub, Date.parse("2026-01-15T10:00:00.000Z"))),
      ).toEqual({ outcome: "placed" });
    }
  }, 120_000);
  afterAll(async () => {
    await opened.close();
    await remove?.();
  });

  const ids = (page: Awaited<ReturnType<OpenedShopStore["store"]["listByOwner"]>>) =>
    page.outcome === "listed" ? { ids: page.orders.map((o) => o.id), more: page.more } : page;

  it("reads the owner's orders in the order they were placed, page after page", async () => {
    const { store } = opened;
    expect(ids(await store.listByOwner(ALICE, { limit: 3 }))).toEqual({
      ids: ["a1", "a2", "a3"],
      more: true,
    });
    expect(ids(await store.listByOwner(ALICE, { limit: 3, after: "a3" }))).toEqual({
      ids: ["a4", "a5", "a6"],
      more: true,
    });
    expect(ids(await store.listByOwner(ALICE, { limit: 3, after: "a6" }))).toEqual({
      ids: ["a7"],
      more: false,
    });
    // A page that ends on the last order says so: no empty page after it.
    expect(ids(await store.listByOwner(ALICE, { limit: 7 }))).toEqual({
      ids: ["a1", "a2", "a3", "a4", "a5", "a6", "a7"],
      more: false,
    });
    expect(ids(await store.listByOwner(ALICE, { limit: 100, after: "a7" }))).toEqual({
      ids: [],
      more: false,
    });
    expect(ids(await store.listByOwner(BOB, { limit: 2, after: "b1" }))).toEqual({
      ids: ["b2", "b3"],
      more: false,
    });
  });

  it("finds no page after an order that is not the owner's, or none", async () => {
    const { store } = opened;
    for (const after of ["b1", "nope", "a1\u0000", "\ud800"]) {
      expect(await store.listByOwner(ALICE, { limit: 3, after })).toEqual({
        outcome: "after-unknown",
      });
    }
    expect(await store.listByOwner(`${ALICE}\u0000`, { limit: 3 })).toEqual({
      outcome: "listed",
      orders: [],
      more: false,
    });
    expect(await store.listByOwner("auth0|nobody", { limit: 3 })).toEqual({
      outcome: "listed",
      orders: [],
      more: false,
    });
  });

  it("reads a page along the index (sub, seq), with no sort and no offset", async () => {
    const { db } = opened.database;
    // The planner would rather scan ten rows than read an index: forbid the scan for this
    // statement's plan, so that the plan shows whether the index can answer it.
    const seqscan = (connection: typeof db, value: "on" | "off") =>
      connection
        .selectNoFrom((eb) =>
          eb.fn("set_config", [eb.val("enable_seqscan"), eb.val(value), eb.val(false)]).as("set"),
        )
        .execute();
    const plan = await db.connection().execute(async (connection) => {
      await seqscan(connection, "off");
      try {
        const anchor = await connection
          .selectFrom("shop_orders")
          .select("seq")
          .where("id", "=", "a3")
          .executeTakeFirstOrThrow();
        return await ownerPageQuery(connection, ALICE, anchor.seq, 4).explain();
      } finally {
        await seqscan(connection, "on");
      }
    });
    const text = plan.map((row) => String(Object.values(row)[0])).join("\n");
    expect(text).toMatch(/Index Scan using shop_orders_sub_seq_idx on shop_orders/);
    expect(text).toMatch(/Index Cond: \(\(sub = .*\) AND \(seq > .*\)\)/);
    expect(text).not.toMatch(/Sort|Offset/);
  });
});
