import { rmSync } from "node:fs";

import express from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { emptyShopDatabase } from "../../../scripts/stack/shop-database.js";
import { Catalog } from "./catalog.js";
import { errorHandler } from "./error-handler.js";
import { createLogger } from "./logging.js";
import { openShopStore } from "./store/open-shop-store.js";
import { createTestApp, TEST_PRODUCTS } from "./test-support/test-app.js";
import { startTestIssuer } from "./test-support/test-issuer.js";
import type { TestIssuer } from "./test-support/test-issuer.js";

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});

/** A test app whose store's stock() fails as node-postgres hands on a server's error. */
async function failingShop(code: string, message: string) {
  const shop = await createTestApp(issuer);
  const failure = Object.assign(new Error(message), { code });
  Object.assign(shop.store, { stock: () => Promise.reject(failure) });
  return shop;
}

// A 503 for the database says why in the log (its SQLSTATE and message), not only its status.
describe("the shop's database unable to serve", () => {
  it("logs PostgreSQL's code and message at warn: too many clients", async () => {
    const shop = await failingShop("53300", "sorry, too many clients already");
    const res = await request(shop.app).get("/api/products");
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBe("5");
    expect(res.body).toMatchObject({
      error_description: expect.stringMatching(/^The shop's database cannot be reached right now/),
    });
    const warned = shop.logs
      .map((line) => JSON.parse(line) as { level: number; msg: string; database?: unknown })
      .filter((line) => line.level === 40);
    expect(warned).toContainEqual(
      expect.objectContaining({
        msg: "the shop's database cannot serve this request now: sorry, too many clients already (53300)",
        database: { code: "53300", message: "sorry, too many clients already" },
      }),
    );
  });

  it("says a read-only server is read-only, not unreachable", async () => {
    const shop = await failingShop("25006", "cannot execute UPDATE in a read-only transaction");
    const res = await request(shop.app).get("/api/products");
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      error: "temporarily_unavailable",
      error_description: expect.stringMatching(
        /^The shop's database is read-only right now \(a standby, or a primary during a failover\), so it cannot take orders\. Retry after/,
      ),
    });
    expect(shop.logs.join("\n")).toContain("(25006)");
  });
  // States of the database that a retry may outlast: 503 with Retry-After, the cause logged.
  it.each([
    ["55000", 'database "shop3" is not currently accepting connections', "cannot be reached"],
    ["42501", "permission denied for table shop_orders", "cannot serve this request"],
    ["58P01", 'could not open file "base/5/16412": No such file or directory', "cannot serve"],
  ])("answers %s with 503 and Retry-After, and logs it", async (code, message, words) => {
    const shop = await failingShop(code, message);
    const res = await request(shop.app).get("/api/products");
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBe("5");
    expect(res.body).toMatchObject({
      error: "temporarily_unavailable",
      error_description: expect.stringContaining(`The shop's database ${words}`),
    });
    const said = shop.logs.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(said).toContain(
      `the shop's database cannot serve this request now: ${message} (${code})`,
    );
  });

  // A connection refused for a setting: the log says what is wrong and what to change, at error.
  it.each([
    [
      "28000",
      'role "shop" is not permitted to log in',
      "the database's role for the shop may not log in",
      "Let the role log in (ALTER ROLE shop LOGIN)",
    ],
    [
      "3D000",
      'database "shop3" does not exist',
      "the database the shop names does not exist",
      "Create it (createdb, owned by the shop's role)",
    ],
  ])(
    "answers %s with 503 naming the refusal, and its fix in the log",
    async (code, message, short, fix) => {
      const shop = await failingShop(code, message);
      const res = await request(shop.app).get("/api/products");
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBe("5");
      expect(res.body).toEqual({
        error: "temporarily_unavailable",
        error_description: `The shop's database refuses the shop's connection right now (${short}); the shop's log says what to change. Retry after the Retry-After seconds`,
      });
      const said = shop.logs
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .filter((line) => line.level === 50)
        .map((line) => line.msg);
      expect(said).toContainEqual(expect.stringContaining(`${message} (${code}). ${fix}`));
    },
  );

  it("is not ready when a purchase's write is refused, though its reads are answered", async () => {
    const shop = await createTestApp(issuer, { deps: { readinessTtlMs: 0 } });
    const refused = Object.assign(new Error("permission denied for table shop_orders"), {
      code: "42501",
    });
    Object.assign(shop.store, { ready: () => Promise.reject(refused) });
    expect((await request(shop.app).get("/api/products")).status).toBe(200);
    const res = await request(shop.app).get("/ready");
    expect(res.status).toBe(503);
    expect(res.body.error_description).toMatch(/^The shop's database refuses the shop's work/);
  });
});

// The audit: a client that closed its connection in the middle of a purchase's body (a dropped
// network, its own timeout) was answered and logged as the database failing, since body-parser's
// error for it carries ECONNABORTED: "the shop's database cannot serve this request now" at warn,
// and the 503 at error, which anyone could repeat to raise a database alarm.
describe("a body its client stopped sending", () => {
  it("is 400 invalid_request, and says nothing of the database", async () => {
    const logs: string[] = [];
    let databaseFailures = 0;
    const app = express();
    app.post("/purchase", (_req, _res, next) => {
      // What raw-body (under express.json) passes on when the request emits 'aborted'.
      next(
        Object.assign(new Error("request aborted"), {
          status: 400,
          statusCode: 400,
          expose: true,
          code: "ECONNABORTED",
          expected: 100,
          length: 100,
          received: 10,
          type: "request.aborted",
        }),
      );
    });
    app.use(
      errorHandler(
        createLogger("info", { write: (line: string) => logs.push(line) }),
        () => (databaseFailures += 1),
      ),
    );
    const res = await request(app).post("/purchase");
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: 400,
      body: { error: "invalid_request", error_description: "The request body ended early" },
    });
    expect(databaseFailures).toBe(0);
    expect(logs).toEqual([]);
  });
});

// The embedded database's folder deleted under a running shop (the README allows it only while
// no shop runs): not ready, and the log says so once, with what to do.
describe("a shop whose embedded database's folder is deleted", { timeout: 120_000 }, () => {
  it("is not ready and says so once in its log", async () => {
    const copy = await emptyShopDatabase();
    const opened = await openShopStore(
      { kind: "embedded", location: copy.folder },
      new Catalog(TEST_PRODUCTS),
    );
    try {
      const shop = await createTestApp(issuer, {
        deps: { store: opened.store, readinessTtlMs: 0 },
      });
      expect((await request(shop.app).get("/ready")).status).toBe(200);
      rmSync(copy.folder, { recursive: true, force: true });
      for (let i = 0; i < 2; i++) {
        const res = await request(shop.app).get("/ready");
        expect(res.status).toBe(503);
        expect(res.body.error_description).toMatch(/its files gone/);
      }
      const told = shop.logs
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .filter((line) => line.msg.includes("is gone (deleted while this shop ran)"));
      expect(told).toEqual([
        expect.objectContaining({
          level: 50,
          msg: expect.stringMatching(
            /^the embedded database's folder .* is gone \(deleted while this shop ran\): it cannot take orders, .* Stop this shop; restore the folder from a backup taken after the last order, or start it again to make a new, empty database/,
          ),
        }),
      ]);
    } finally {
      await opened.close().catch(() => undefined);
      await copy.remove();
    }
  });
});
