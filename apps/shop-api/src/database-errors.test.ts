import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestApp } from "./test-support/test-app.js";
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
});
