import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { ManualClock } from "@ciba-testbed/shared";
import pg from "pg";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Catalog } from "../apps/shop-api/src/catalog.js";
import { loadConfig } from "../apps/shop-api/src/config.js";
import { DatabaseOpenError, openDatabase } from "../apps/shop-api/src/store/open-database.js";
import { openShopStore } from "../apps/shop-api/src/store/open-shop-store.js";
import {
  FIXED_NOW,
  TEST_PRODUCTS,
  createTestApp,
} from "../apps/shop-api/src/test-support/test-app.js";
import { startTestIssuer } from "../apps/shop-api/src/test-support/test-issuer.js";
import type { TestIssuer } from "../apps/shop-api/src/test-support/test-issuer.js";
import { makeServerCertificate } from "./support/certificates.js";
import { sharedPostgres, startPostgres } from "./support/postgres.js";
import type { PostgresServer } from "./support/postgres.js";

const DAY_MS = 86_400_000;
const PASSWORD = "right-horse-battery";
const WRONG = "wrong-horse-battery";
const TLS_SECTION = "see 'TLS to PostgreSQL' in the shop's README";
const SETUP_SECTION = "see 'Several replicas (PostgreSQL)' in the shop's README";

// A PostgreSQL that asks its roles for a password over TCP and offers TLS with a certificate
// made for this file: a connection refused for a setting (the password, the role, the database,
// the server's certificate) is said as such, with its fix, at start and while the shop runs,
// never as a server that cannot be reached, and never quoting the password.
describe("PostgreSQL refusing the shop's connection", () => {
  let postgres: PostgresServer;
  let folder: string;
  let database: string;
  let issuer: TestIssuer;

  /** Makes a certificate, gives it to the server, and returns the file of the CA that signed it. */
  async function serverCertificate(options: Parameters<typeof makeServerCertificate>[0]) {
    const made = await makeServerCertificate(options);
    await postgres.replaceTls(made);
    const caFile = path.join(folder, `ca-${Math.random().toString(36).slice(2)}.pem`);
    writeFileSync(caFile, made.ca);
    return caFile;
  }

  async function asSuperuser(text: string): Promise<void> {
    const client = new pg.Client(postgres.url(database));
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }

  async function openingFails(url: string): Promise<string> {
    const opening = openDatabase(loadConfig({ SHOP_API_DATABASE_URL: url }).database);
    await expect(opening).rejects.toBeInstanceOf(DatabaseOpenError);
    return ((await opening.catch((error: unknown) => error)) as Error).message;
  }

  const tcp = (user: string, password?: string) =>
    `postgres://${user}${password === undefined ? "" : `:${password}`}@127.0.0.1:${postgres.port}/${database}`;
  const socket = (user: string) =>
    `postgres://${user}@${encodeURIComponent(postgres.socketDir)}:${postgres.port}/${database}`;

  beforeAll(async () => {
    folder = mkdtempSync(path.join(tmpdir(), "shop-db-refusals-"));
    const first = await makeServerCertificate({ names: ["localhost", "127.0.0.1"] });
    [postgres, issuer] = await Promise.all([
      startPostgres({ tls: first, passwordLogins: true }),
      startTestIssuer(),
    ]);
    database = new URL(await postgres.createDatabase()).pathname.slice(1);
    await asSuperuser(`create role shop_app login password '${PASSWORD}'`);
    await asSuperuser(`alter database ${database} owner to shop_app`);
    await asSuperuser("create role shop_locked nologin");
  }, 60_000);
  afterAll(async () => {
    await issuer.close();
    await postgres.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  describe("at start", () => {
    it("says a wrong password is refused, and how to give the right one, without quoting it", async () => {
      const message = await openingFails(tcp("shop_app", WRONG));
      expect(message).toBe(
        `cannot connect to PostgreSQL at ${tcp("shop_app", "***")}: the server refused the login: password authentication failed for user "shop_app" (28P01). The password is wrong, or the server has no such role (PostgreSQL does not say which to a client): set the user and its password in SHOP_API_DATABASE_URL (postgres://user:password@host/db, a / ? # or @ in the password percent-encoded), or the password in PGPASSWORD or ~/.pgpass for a URL without one; ${SETUP_SECTION}`,
      );
      expect(message).not.toContain(WRONG);
    });

    it("says a server asks for a password the URL does not give", async () => {
      expect(await openingFails(tcp("shop_app"))).toBe(
        `cannot connect to PostgreSQL at ${tcp("shop_app")}: the server asks for a password, and none was given (SASL: client password must be a string). Give the role's password in SHOP_API_DATABASE_URL (postgres://user:password@host/db), or in PGPASSWORD or ~/.pgpass; ${SETUP_SECTION}`,
      );
    });

    it("says a role does not exist, and how to make or name one", async () => {
      expect(await openingFails(socket("nobody_here"))).toBe(
        `cannot connect to PostgreSQL at ${socket("nobody_here")}: the server has no role "nobody_here": role "nobody_here" does not exist (28000). Name an existing role as the user in SHOP_API_DATABASE_URL (postgres://user@host/db, or ?user=), or create it (CREATE ROLE nobody_here LOGIN PASSWORD '...'); ${SETUP_SECTION}`,
      );
    });

    it("says a role may not log in, and how to let it", async () => {
      expect(await openingFails(socket("shop_locked"))).toBe(
        `cannot connect to PostgreSQL at ${socket("shop_locked")}: the server refused the login: role "shop_locked" is not permitted to log in (28000). Let the role log in (ALTER ROLE shop_locked LOGIN), or name a role that may in SHOP_API_DATABASE_URL; ${SETUP_SECTION}`,
      );
    });

    it("says the database does not exist", async () => {
      const url = postgres.url("no_such_shop");
      expect(await openingFails(url)).toBe(
        `cannot connect to PostgreSQL at ${url}: the database the URL names does not exist: database "no_such_shop" does not exist (3D000). Create it (createdb, owned by the shop's role), or name an existing one in SHOP_API_DATABASE_URL (its path, postgres://user@host/<database>); ${SETUP_SECTION}`,
      );
    });

    it("says a certificate is for other host names, naming them", async () => {
      const ca = await serverCertificate({ names: ["db.internal"] });
      const url = `${postgres.url(database)}?sslmode=verify-full&sslrootcert=${ca}`;
      expect(await openingFails(url)).toBe(
        `cannot connect to PostgreSQL at ${url}: its TLS certificate is not for the host the URL names (Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: , ERR_TLS_CERT_ALTNAME_INVALID). Name the server in SHOP_API_DATABASE_URL by a host name or address the certificate holds (its altnames, above), or give the server a certificate whose subjectAltName holds this host. node-postgres checks the host name for sslmode=require and verify-ca too, as for verify-full; ${TLS_SECTION}`,
      );
      const byName = `postgres://shop@localhost:${postgres.port}/${database}?sslmode=require&sslrootcert=${ca}`;
      expect(await openingFails(byName)).toContain(
        `: its TLS certificate is not for the host the URL names (Hostname/IP does not match certificate's altnames: Host: localhost. is not in the cert's altnames: DNS:db.internal, ERR_TLS_CERT_ALTNAME_INVALID). Name the server in SHOP_API_DATABASE_URL by`,
      );
    });

    it("says a certificate has expired", async () => {
      const ca = await serverCertificate({
        names: ["127.0.0.1"],
        notBefore: new Date(Date.now() - 30 * DAY_MS),
        notAfter: new Date(Date.now() - DAY_MS),
      });
      const url = `${postgres.url(database)}?sslmode=verify-full&sslrootcert=${ca}`;
      expect(await openingFails(url)).toBe(
        `cannot connect to PostgreSQL at ${url}: its TLS certificate has expired (certificate has expired, CERT_HAS_EXPIRED). Renew the server's certificate (PostgreSQL's ssl_cert_file; SELECT pg_reload_conf() loads a new one without a restart), or set this machine's clock right if it is wrong; ${TLS_SECTION}`,
      );
    });

    it("says a certificate is not valid yet", async () => {
      const ca = await serverCertificate({
        names: ["127.0.0.1"],
        notBefore: new Date(Date.now() + DAY_MS),
        notAfter: new Date(Date.now() + 30 * DAY_MS),
      });
      const url = `${postgres.url(database)}?sslmode=verify-full&sslrootcert=${ca}`;
      expect(await openingFails(url)).toContain(
        `: its TLS certificate is not valid yet (certificate is not yet valid, CERT_NOT_YET_VALID). Set the clock right`,
      );
    });

    it("says a server without TLS cannot give what sslmode asks", async () => {
      const plain = `${await (await sharedPostgres()).createDatabase()}?sslmode=require`;
      expect(await openingFails(plain)).toBe(
        `cannot connect to PostgreSQL at ${plain}: the URL asks for TLS (sslmode), and the server does not support it (The server does not support SSL connections). Turn TLS on in the server (ssl = on, with ssl_cert_file and ssl_key_file), or take sslmode out of SHOP_API_DATABASE_URL where the network to the server is trusted; ${TLS_SECTION}`,
      );
    });
  });

  describe("while the shop runs", () => {
    /**
     * A shop on `url`, serving; `breakIt` then changes the server so that new connections are
     * refused, and the shop's connections are ended, so that its next request needs a new one.
     */
    async function shopThenBroken(url: string, breakIt: () => Promise<void>) {
      const clock = new ManualClock(FIXED_NOW);
      const opened = await openShopStore({ kind: "postgres", url }, new Catalog(TEST_PRODUCTS), {
        clock,
        onConnectionError: () => undefined,
      });
      const shop = await createTestApp(issuer, { deps: { clock, store: opened.store } });
      expect((await request(shop.app).get("/api/products")).status).toBe(200);
      await breakIt();
      await asSuperuser(
        `select pg_terminate_backend(pid, 10000) from pg_stat_activity where datname = '${database}' and application_name like 'shop-api %'`,
      );
      // A connection the pool held may still be handed out once before it hears it was ended:
      // that request is a 503 too. The next opens a new connection.
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await request(shop.app).get("/api/products"));
      return { shop, opened, answers };
    }

    const errorLines = (logs: string[]) =>
      logs
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .filter((line) => line.level === 50)
        .map((line) => line.msg);

    it("says in the log that the password was changed, and answers 503 saying the database refuses", async () => {
      const { shop, opened, answers } = await shopThenBroken(tcp("shop_app", PASSWORD), () =>
        asSuperuser(`alter role shop_app password '${WRONG}'`),
      );
      try {
        for (const answer of answers) expect(answer.status).toBe(503);
        const last = answers.at(-1);
        expect(last?.body).toEqual({
          error: "temporarily_unavailable",
          error_description:
            "The shop's database refuses the shop's connection right now (the database refuses the shop's password); the shop's log says what to change. Retry after the Retry-After seconds",
        });
        expect(errorLines(shop.logs)).toContain(
          `the shop's database refuses the shop's connection: the server refused the login: password authentication failed for user "shop_app" (28P01). The password is wrong, or the server has no such role (PostgreSQL does not say which to a client): set the user and its password in SHOP_API_DATABASE_URL (postgres://user:password@host/db, a / ? # or @ in the password percent-encoded), or the password in PGPASSWORD or ~/.pgpass for a URL without one; ${SETUP_SECTION}`,
        );
        expect(shop.logs.join("\n")).not.toContain(PASSWORD);
        const ready = await request(shop.app).get("/ready");
        expect(ready.status).toBe(503);
        expect(ready.body.error_description).toContain(
          "The shop's database refuses the shop's connection (the database refuses the shop's password): orders cannot be placed or read",
        );
      } finally {
        await asSuperuser(`alter role shop_app password '${PASSWORD}'`);
        await opened.close();
      }
    });

    it("answers 503, not 500, once the server's certificate has expired, and says so in the log", async () => {
      const ca = await serverCertificate({ names: ["127.0.0.1"] });
      const url = `${tcp("shop_app", PASSWORD)}?sslmode=verify-full&sslrootcert=${ca}`;
      const expired = await makeServerCertificate({
        names: ["127.0.0.1"],
        notBefore: new Date(Date.now() - 30 * DAY_MS),
        notAfter: new Date(Date.now() - DAY_MS),
      });
      const { shop, opened, answers } = await shopThenBroken(url, () =>
        postgres.replaceTls(expired),
      );
      try {
        for (const answer of answers) expect(answer.status).toBe(503);
        expect(answers.at(-1)?.body.error_description).toBe(
          "The shop's database refuses the shop's connection right now (the database's TLS certificate has expired); the shop's log says what to change. Retry after the Retry-After seconds",
        );
        expect(errorLines(shop.logs)).toContain(
          `the shop's database refuses the shop's connection: its TLS certificate has expired (certificate has expired, CERT_HAS_EXPIRED). Renew the server's certificate (PostgreSQL's ssl_cert_file; SELECT pg_reload_conf() loads a new one without a restart), or set this machine's clock right if it is wrong; ${TLS_SECTION}`,
        );
      } finally {
        await opened.close();
      }
    });
  });
});
