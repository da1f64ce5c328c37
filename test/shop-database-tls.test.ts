import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { loadConfig } from "../apps/shop-api/src/config.js";
import { DatabaseOpenError, openDatabase } from "../apps/shop-api/src/store/open-database.js";
import { localTls } from "../apps/shop-api/src/test-support/test-issuer.js";
import { startPostgres } from "./support/postgres.js";
import type { PostgresServer } from "./support/postgres.js";

// A PostgreSQL with TLS on and a certificate for localhost that a private CA, made for this
// test, signed: as a team's server behind its own CA.
describe("SHOP_API_DATABASE_URL asking for TLS", () => {
  let postgres: PostgresServer;
  let folder: string;
  let caFile: string;
  let base: string;

  beforeAll(async () => {
    const tls = await localTls();
    postgres = await startPostgres({ tls: { cert: tls.cert, key: tls.key } });
    folder = mkdtempSync(path.join(tmpdir(), "shop-db-tls-"));
    caFile = path.join(folder, "ca.pem");
    writeFileSync(caFile, tls.ca);
    const url = new URL(await postgres.createDatabase());
    url.hostname = "localhost";
    base = url.href;
  }, 60_000);
  afterAll(async () => {
    await postgres.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  /**
   * Opens the database as a start would; resolves to whether its connection, as the server
   * sees it, is over TLS.
   */
  async function overTls(url: string): Promise<boolean> {
    const database = await openDatabase(loadConfig({ SHOP_API_DATABASE_URL: url }).database);
    const watcher = new pg.Client(postgres.url(new URL(url).pathname.slice(1)));
    await watcher.connect();
    try {
      const { rows } = await watcher.query<{ ssl: boolean }>(
        "select ssl from pg_stat_ssl join pg_stat_activity using (pid) where datname = current_database() and application_name like 'shop-api %'",
      );
      // The pool's connection and the one the shop holds for its life, each over TLS.
      expect(rows.length).toBeGreaterThanOrEqual(1);
      return rows.every((row) => row.ssl);
    } finally {
      await watcher.end();
      await database.close();
    }
  }

  it("connects with sslmode=verify-full and the CA as sslrootcert", async () => {
    expect(await overTls(`${base}?sslmode=verify-full&sslrootcert=${caFile}`)).toBe(true);
  });

  it("connects with sslmode=require and the CA as sslrootcert", async () => {
    expect(await overTls(`${base}?sslmode=require&sslrootcert=${caFile}`)).toBe(true);
  });

  // node-postgres verifies the certificate for require too: a private CA's is refused without
  // sslrootcert, and the message names it.
  it.each(["require", "verify-full"])(
    "refuses sslmode=%s without sslrootcert, naming the setting that trusts the CA",
    async (mode) => {
      const url = `${base}?sslmode=${mode}`;
      const opening = overTls(url);
      await expect(opening).rejects.toBeInstanceOf(DatabaseOpenError);
      await expect(opening).rejects.toThrow(
        `cannot connect to PostgreSQL at ${url}: its TLS certificate is not trusted (unable to verify the first certificate, UNABLE_TO_VERIFY_LEAF_SIGNATURE). node-postgres verifies the server's certificate for sslmode=require as for verify-full (libpq's require does not): name the CA that signed it with sslrootcert in SHOP_API_DATABASE_URL, '?sslmode=verify-full&sslrootcert=/path/to/ca.pem'; see 'TLS to PostgreSQL' in the shop's README`,
      );
    },
  );

  it("refuses an sslrootcert that cannot be read, naming the file", async () => {
    const missing = path.join(folder, "no-such-ca.pem");
    const url = `${base}?sslmode=verify-full&sslrootcert=${missing}`;
    const opening = openDatabase(loadConfig({ SHOP_API_DATABASE_URL: url }).database);
    await expect(opening).rejects.toBeInstanceOf(DatabaseOpenError);
    await expect(opening).rejects.toThrow(
      `cannot connect to PostgreSQL at ${url}: a TLS file the URL names (sslrootcert, sslcert or sslkey) cannot be read (ENOENT: no such file or directory, open '${missing}'): set it in SHOP_API_DATABASE_URL to a PEM file this user may read`,
    );
  });
});
