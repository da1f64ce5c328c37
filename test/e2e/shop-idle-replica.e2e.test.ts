import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { sharedPostgres } from "../support/postgres.js";
import type { PostgresServer } from "../support/postgres.js";
import { ShopApiProcess, sharedTenant, shopApiEnv } from "../support/shop-api-process.js";

// A replica that serves nothing for a while still counts: node-postgres' pool closes its idle
// connections (after 10 s), and a --reset that saw no shop's connection went ahead under it.
describe("a shop-api replica that has been idle on PostgreSQL", () => {
  let tenant: RunningMockAuth0;
  let postgres: PostgresServer;
  let admin: pg.Client;

  beforeAll(async () => {
    [tenant, postgres] = await Promise.all([sharedTenant(), sharedPostgres()]);
    admin = new pg.Client(postgres.url());
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
  });

  /**
   * The connections of shop-api processes to `database`, as pg_stat_activity lists them: those
   * of their pools, and the one each holds (whose last statement was its first).
   */
  const shopConnections = async (database: string) => {
    const { rows } = await admin.query<{ pool: number; held: number }>(
      `select count(*) filter (where query <> 'set idle_session_timeout = 0')::int as pool,
        count(*) filter (where query = 'set idle_session_timeout = 0')::int as held
      from pg_stat_activity where datname = $1 and application_name like 'shop-api %'`,
      [database],
    );
    return rows[0];
  };

  /** A `--reset` started as a process on `url`: what it printed when it stopped, or "started". */
  const reset = async (url: string) => {
    const child = SupervisedChild.spawn({
      name: "shop-api-reset",
      script: "apps/shop-api/src/main.ts",
      args: ["--reset"],
      runner: {},
      env: { ...shopApiEnv(tenant, { url }), LOG_LEVEL: "silent" },
    });
    return child.waitForReady(60_000).then(
      async () => {
        await child.stop();
        return "started";
      },
      (e: unknown) => (e as Error).message,
    );
  };

  it("keeps one connection for its life, so a --reset elsewhere is refused, and serves on", async () => {
    const url = await postgres.createDatabase();
    const name = new URL(url).pathname.slice(1);
    // Replica A: the server closes its sessions idle for 300 ms (PostgreSQL's
    // idle_session_timeout, set in its URL), as its pool closes them after 10 s.
    const idling = new URL(url);
    idling.searchParams.set("options", "-c idle_session_timeout=300");
    const replica = await ShopApiProcess.start(tenant, { url: idling.href }, "shop-api-idle");
    try {
      expect((await fetch(`${replica.url}/api/products`)).status).toBe(200);
      // Idle: every connection of its pool is gone; the one it holds stays.
      await expect
        .poll(() => shopConnections(name), { timeout: 10_000 })
        .toEqual({ pool: 0, held: 1 });

      expect(await reset(url)).toMatch(
        /shop-api cannot start: cannot reset postgres:\/\/.*: other shop-api processes are connected to it \(1 connection in pg_stat_activity\): stop every other replica, then run --reset again; nothing was changed/,
      );

      // Ended (a restart of PostgreSQL, an administrator): opened again.
      await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name like 'shop-api %'",
        [name],
      );
      await expect.poll(() => shopConnections(name)).toEqual({ pool: 0, held: 0 });
      await expect
        .poll(() => shopConnections(name), { timeout: 10_000 })
        .toEqual({ pool: 0, held: 1 });
      expect(await reset(url)).toMatch(/cannot reset .*: other shop-api processes are connected/);

      expect((await fetch(`${replica.url}/api/products`)).status).toBe(200);
    } finally {
      await replica.stop();
    }
    // Stopped, it is gone: the reset goes ahead.
    expect(await reset(url)).toBe("started");
  });
});
