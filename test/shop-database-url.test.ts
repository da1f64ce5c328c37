import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { loadConfig } from "../apps/shop-api/src/config.js";
import { DatabaseOpenError, openDatabase } from "../apps/shop-api/src/store/open-database.js";
import { sharedPostgres } from "./support/postgres.js";
import type { PostgresServer } from "./support/postgres.js";

/** Opens the shop's database as a start would, from SHOP_API_DATABASE_URL; returns its `where`. */
async function connectBy(url: string): Promise<string> {
  const database = await openDatabase(loadConfig({ SHOP_API_DATABASE_URL: url }).database);
  try {
    // No server address: the session came over the Unix socket.
    const { address } = await database.db
      .selectNoFrom((eb) => eb.fn<string | null>("inet_server_addr", []).as("address"))
      .executeTakeFirstOrThrow();
    expect(address).toBeNull();
    return database.where;
  } finally {
    await database.close();
  }
}

// libpq's URL forms for a Unix socket (PostgreSQL 15, "Connection URIs"), against a server that
// listens on one.
describe("SHOP_API_DATABASE_URL naming a Unix socket", () => {
  let postgres: PostgresServer;
  let name: string;
  beforeAll(async () => {
    postgres = await sharedPostgres();
    name = new URL(await postgres.createDatabase()).pathname.slice(1);
  });

  it("connects by the socket's folder as the host parameter", async () => {
    const url = `postgresql:///${name}?host=${postgres.socketDir}&port=${String(postgres.port)}&user=shop`;
    expect(await connectBy(url)).toBe(url);
  });

  it("connects by the socket's folder percent-encoded as the host", async () => {
    const folder = encodeURIComponent(postgres.socketDir);
    const url = `postgresql://shop@${folder}:${String(postgres.port)}/${name}`;
    expect(await connectBy(url)).toBe(url);
  });

  it("connects with a user and password and no host, the folder as the host parameter", async () => {
    const url = `postgresql://shop:hunter2@/${name}?host=${postgres.socketDir}&port=${String(postgres.port)}`;
    expect(await connectBy(url)).toBe(
      `postgresql://shop:***@/${name}?host=${postgres.socketDir}&port=${String(postgres.port)}`,
    );
  });
});

// A container or CI job often has no USER: node-postgres then sends no user, and PostgreSQL's
// refusal read as an unreachable server.
describe("SHOP_API_DATABASE_URL naming no user, with neither PGUSER nor USER set", () => {
  let url: string;
  const saved = { pguser: process.env.PGUSER, user: pg.defaults.user };
  beforeAll(async () => {
    const named = new URL(await (await sharedPostgres()).createDatabase());
    named.username = "";
    url = named.href;
    delete process.env.PGUSER;
    pg.defaults.user = undefined;
  });
  afterAll(() => {
    if (saved.pguser !== undefined) process.env.PGUSER = saved.pguser;
    pg.defaults.user = saved.user;
  });

  it("says that no user was given and how to give one", async () => {
    const opening = openDatabase(loadConfig({ SHOP_API_DATABASE_URL: url }).database);
    await expect(opening).rejects.toBeInstanceOf(DatabaseOpenError);
    await expect(opening).rejects.toThrow(
      `cannot connect to PostgreSQL at ${url}: SHOP_API_DATABASE_URL names no user, and neither PGUSER nor USER is set (as in many containers and CI jobs): give the user in the URL, 'postgres://shop@db.internal:5432/shop' (or ?user=shop), or set PGUSER`,
    );
  });

  it("connects with the user as a query parameter", async () => {
    const withUser = `${url}?user=shop`;
    const database = await openDatabase(loadConfig({ SHOP_API_DATABASE_URL: withUser }).database);
    await database.close();
  });
});
