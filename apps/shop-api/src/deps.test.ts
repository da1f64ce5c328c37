import { readFileSync } from "node:fs";

import { systemClock } from "@ciba-testbed/shared";
import fc from "fast-check";
import request from "supertest";
import { beforeEach, describe, expect, it } from "vitest";

import { createApp } from "./app.js";
import { DEFAULT_PRODUCTS } from "./catalog.js";
import { loadConfig } from "./config.js";
import { createDeps } from "./deps.js";
import { createLogger } from "./logging.js";
import type { ShopStore } from "./store/shop-store.js";
import { emptyTestStore } from "./test-support/test-database.js";

const SWITCH = "benchmarkWithoutAuthentication";

// Names someone might try in an environment to turn the switch on, plus arbitrary ones.
const envName = fc.oneof(
  fc.constantFrom(
    SWITCH,
    "BENCHMARK_WITHOUT_AUTHENTICATION",
    "SHOP_API_BENCHMARK_WITHOUT_AUTHENTICATION",
    "SHOP_API_AUTH",
    "SHOP_API_DISABLE_AUTH",
    "NODE_ENV",
  ),
  fc.string({ minLength: 1, maxLength: 40 }),
);
const envValue = fc.oneof(
  fc.constantFrom("true", "1", "yes", "on", '{"sub":"auth0|testbed-user"}'),
  fc.string({ maxLength: 40 }),
);

function configOrUndefined(env: Record<string, string>) {
  try {
    return loadConfig(env);
  } catch {
    return undefined;
  }
}

describe("benchmarkWithoutAuthentication", () => {
  let store: ShopStore;
  beforeEach(async () => {
    store = await emptyTestStore(DEFAULT_PRODUCTS, systemClock);
  });

  it("is never enabled by deps built from any environment", () => {
    fc.assert(
      fc.property(fc.dictionary(envName, envValue), (env) => {
        const config = configOrUndefined({ ...env, LOG_LEVEL: "silent" });
        fc.pre(config !== undefined);
        const deps = createDeps(config, { store });
        expect(Object.hasOwn(deps, SWITCH)).toBe(false);
        expect(deps.benchmarkWithoutAuthentication).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it("is not set by main.ts or the configuration module", () => {
    for (const file of ["./main.ts", "./config.ts"]) {
      expect(readFileSync(new URL(file, import.meta.url), "utf8")).not.toContain(SWITCH);
    }
  });

  it("leaves the purchase routes closed to callers without a token when unset", async () => {
    const config = loadConfig({ LOG_LEVEL: "silent", BENCHMARK_WITHOUT_AUTHENTICATION: "true" });
    const app = createApp(config, createDeps(config, { store }));

    const res = await request(app).post("/api/purchases").send({ product: "XYZ phone", qty: 1 });

    expect(res.status).toBe(401);
  });

  it("when set by code, orders as the fixed user with no token", async () => {
    const config = loadConfig({ LOG_LEVEL: "silent" });
    const deps = createDeps(config, {
      store,
      logger: createLogger("silent"),
      [SWITCH]: { sub: "auth0|bench-user" },
    });
    const app = createApp(config, deps);

    const created = await request(app)
      .post("/api/purchases")
      .send({ product: "XYZ phone", qty: 1 });
    const listed = await request(app).get("/api/purchases");

    expect(created.status).toBe(201);
    expect(listed.body).toMatchObject({ orders: [{ id: created.body.id }] });
  });
});
