import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";

import { loadConfig } from "../apps/shop-api/src/config.js";
import { openDatabase } from "../apps/shop-api/src/store/open-database.js";
import { sharedPostgres } from "./support/postgres.js";

/**
 * The most connections of the shop's pool at work on the database `url` names while `queries`
 * statements of 0.3 s each ran at once on it, as pg_stat_activity showed them.
 */
async function mostConnections(env: Record<string, string>, queries: number): Promise<number> {
  const url = env.SHOP_API_DATABASE_URL ?? "";
  const database = await openDatabase(loadConfig(env).database);
  const watcher = new pg.Client(url);
  await watcher.connect();
  let most = 0;
  try {
    const state = { running: true };
    const all = Promise.all(
      Array.from({ length: queries }, () =>
        database.db.selectNoFrom((eb) => eb.fn("pg_sleep", [eb.val(0.3)]).as("slept")).execute(),
      ),
    ).finally(() => {
      state.running = false;
    });
    while (state.running) {
      const { rows } = await watcher.query<{ held: number }>(
        // The pool's connections at work: the shop's other one, which it holds for its life so
        // that --reset and an upgrade see it when idle, runs no statement.
        "select count(*)::int as held from pg_stat_activity where datname = current_database() and application_name like 'shop-api %' and state = 'active' and query like '%pg_sleep%'",
      );
      most = Math.max(most, rows[0]?.held ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await all;
  } finally {
    await watcher.end();
    await database.close();
  }
  return most;
}

describe("the shop's pool of PostgreSQL connections", () => {
  let url: string;
  beforeAll(async () => {
    url = await (await sharedPostgres()).createDatabase();
  });

  it("holds at most SHOP_API_DATABASE_POOL_SIZE connections, however many statements wait", async () => {
    expect(
      await mostConnections({ SHOP_API_DATABASE_URL: url, SHOP_API_DATABASE_POOL_SIZE: "2" }, 6),
    ).toBe(2);
  });

  it("holds at most 10 unset, node-postgres' default", async () => {
    expect(await mostConnections({ SHOP_API_DATABASE_URL: url }, 14)).toBe(10);
  });
});
