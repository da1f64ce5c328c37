import { ManualClock } from "@ciba-testbed/shared";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { IssuerCheckError, checkIssuer } from "../issuer-check.js";
import { readySchema } from "../schemas.js";
import { FIXED_NOW, createTestApp } from "../test-support/test-app.js";
import { startTestIssuer } from "../test-support/test-issuer.js";
import type { TestIssuer } from "../test-support/test-issuer.js";

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});

describe("GET /health", () => {
  it("is 200 even when the issuer is down", async () => {
    const shop = await createTestApp(issuer, {
      deps: { checkIssuer: () => Promise.reject(new Error("down")) },
    });
    const res = await request(shop.app).get("/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });
});

describe("GET /ready", () => {
  it("is 200 when the issuer's metadata and keys are reachable", async () => {
    const shop = await createTestApp(issuer);
    const res = await request(shop.app).get("/ready");
    expect(res.status).toBe(200);
    expect(readySchema.parse(res.body)).toEqual({
      status: "ready",
      issuer: issuer.issuer,
      jwks_keys: 1,
      checked_at: new Date(FIXED_NOW).toISOString(),
    });
  });

  it("is 503 naming the cause when the issuer is not", async () => {
    const shop = await createTestApp(issuer, {
      deps: {
        checkIssuer: () =>
          Promise.reject(new IssuerCheckError("connection_refused", "nothing is listening")),
      },
    });
    const res = await request(shop.app).get("/ready");
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      error: "temporarily_unavailable",
      error_description: "nothing is listening",
    });
  });

  it("does not leak an unexpected error's message", async () => {
    const shop = await createTestApp(issuer, {
      deps: { checkIssuer: () => Promise.reject(new Error("secret internals")) },
    });
    const res = await request(shop.app).get("/ready");
    expect(res.status).toBe(503);
    expect(res.body.error_description).toBe("The readiness check failed unexpectedly");
  });

  it("is not ready while the database does not answer, and says so", async () => {
    const shop = await createTestApp(issuer);
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
      code: "ECONNREFUSED",
    });
    shop.store.stock = () => Promise.reject(refused);
    const res = await request(shop.app).get("/ready");
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      error: "temporarily_unavailable",
      error_description: "The shop's database cannot be reached: orders cannot be placed or read",
    });
  });

  it("caches the result briefly and shares one check between concurrent callers", async () => {
    const clock = new ManualClock(FIXED_NOW);
    let checks = 0;
    const shop = await createTestApp(issuer, {
      deps: {
        clock,
        monotonicMs: () => clock.now(),
        readinessTtlMs: 5_000,
        checkIssuer: () => {
          checks += 1;
          return checkIssuer({ issuer: issuer.issuer });
        },
      },
    });

    await Promise.all([1, 2, 3].map(() => request(shop.app).get("/ready")));
    expect(checks).toBe(1);
    clock.advance(4_999);
    await request(shop.app).get("/ready");
    expect(checks).toBe(1);
    clock.advance(1);
    await request(shop.app).get("/ready");
    expect(checks).toBe(2);
  });
});

describe("unknown routes", () => {
  it.each([
    ["get", "/"],
    ["get", "/api/nothing-here"],
    ["delete", "/api/nothing-here"],
    ["put", "/api/purchases/ord-1/items"],
  ] as const)("%s %s -> 404 JSON", async (method, path) => {
    const shop = await createTestApp(issuer);
    const res = await request(shop.app)[method](path);
    expect(res.status).toBe(404);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      error: "not_found",
      error_description: `No route for ${method.toUpperCase()} ${path}`,
    });
  });

  it("sends no framework fingerprint", async () => {
    const shop = await createTestApp(issuer);
    const res = await request(shop.app).get("/health");
    expect(res.headers["x-powered-by"]).toBeUndefined();
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
  });
});
