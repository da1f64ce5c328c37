import { ManualClock } from "@ciba-testbed/shared";
import type { Express } from "express";

import { createApp } from "../app.js";
import { Catalog } from "../catalog.js";
import type { ProductSeed } from "../catalog.js";
import type { ShopApiConfig } from "../config.js";
import { createDeps } from "../deps.js";
import type { AppDeps } from "../deps.js";
import { createLogger } from "../logging.js";
import { IN_MEMORY } from "../store/database-config.js";
import type { SqlShopStore } from "../store/sql-shop-store.js";
import { DEFAULT_TOKEN_CACHE_SIZE } from "../verified-token-cache.js";
import { emptyTestStore, testDatabase } from "./test-database.js";
import type { TestIssuer } from "./test-issuer.js";

/** The time on every test app's clock (epoch ms) until a test moves it. */
export const FIXED_NOW = Date.parse("2026-01-15T10:00:00.000Z");

export const TEST_PRODUCTS: readonly ProductSeed[] = [
  { id: "xyz-phone", name: "XYZ phone", unitPriceCents: 49_900, stock: 50 },
  { id: "abc-laptop", name: "ABC laptop", unitPriceCents: 129_900, stock: 10 },
  { id: "usb-c-cable", name: "USB-C cable", unitPriceCents: 999, stock: 500 },
  { id: "last-one", name: "Last one", unitPriceCents: 10_000, stock: 1 },
];

export interface TestApp {
  app: Express;
  config: ShopApiConfig;
  store: SqlShopStore;
  catalog: Catalog;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
  /** How many orders the shop holds, whoever placed them. */
  orderCount(): Promise<number>;
  /** Units left of one product. */
  stockOf(productId: string): Promise<number | undefined>;
  /** Units left of every product, in catalog order. */
  stockList(): Promise<number[]>;
}

export function testConfig(
  issuer: TestIssuer,
  overrides: Partial<ShopApiConfig> = {},
): ShopApiConfig {
  return {
    port: 0,
    host: "127.0.0.1",
    issuer: issuer.issuer,
    audience: issuer.audience,
    requireAuthorizationDetails: false,
    logLevel: "info",
    database: { kind: "embedded", location: IN_MEMORY },
    tokenCacheSize: DEFAULT_TOKEN_CACHE_SIZE,
    shortLived: false,
    ...overrides,
  };
}

/**
 * The app wired to a test issuer, with captured logs and a shop that never sold anything: the
 * embedded database the worker's test files share (`test-database.ts`), emptied and stocked with
 * `products`. One test app at a time: the next one empties the database again.
 */
export async function createTestApp(
  issuer: TestIssuer,
  options: {
    config?: Partial<ShopApiConfig>;
    products?: readonly ProductSeed[];
    deps?: Partial<AppDeps>;
  } = {},
): Promise<TestApp> {
  const config = testConfig(issuer, options.config);
  const logs: string[] = [];
  const products = options.products ?? TEST_PRODUCTS;
  // The shop's record of spent approvals begins on the app's clock, as at a shop's start.
  const clock = options.deps?.clock ?? new ManualClock(FIXED_NOW);
  const store = await emptyTestStore(products, clock);
  const catalog = new Catalog(products);
  let next = 0;
  const deps = createDeps(config, {
    catalog,
    store,
    clock,
    logger: createLogger("trace", { write: (line: string) => void logs.push(line) }),
    newOrderId: () => `ord-${String(++next).padStart(4, "0")}`,
    ...options.deps,
  });
  const { db } = await testDatabase();
  const stockList = async () => {
    const stock = await store.stock();
    return catalog.list().map((product) => stock.get(product.id) ?? 0);
  };
  return {
    app: createApp(config, deps),
    config,
    store,
    catalog,
    logs,
    orderCount: async () => {
      const { count } = await db
        .selectFrom("shop_orders")
        .select((eb) => eb.fn.countAll<string>().as("count"))
        .executeTakeFirstOrThrow();
      return Number(count);
    },
    stockOf: async (productId) => (await store.stock()).get(productId),
    stockList,
  };
}
