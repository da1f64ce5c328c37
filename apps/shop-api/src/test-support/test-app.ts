import { ManualClock } from "@ciba-testbed/shared";
import type { Express } from "express";

import { createApp } from "../app.js";
import { InMemoryCatalog } from "../catalog.js";
import type { ProductSeed } from "../catalog.js";
import type { ShopApiConfig } from "../config.js";
import { createDeps } from "../deps.js";
import type { AppDeps } from "../deps.js";
import { createLogger } from "../logging.js";
import { InMemoryOrderStore } from "../order-store.js";
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
  orders: InMemoryOrderStore;
  catalog: InMemoryCatalog;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
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
    ...overrides,
  };
}

/** The app wired to a test issuer, with an in-memory catalog and store and captured logs. */
export function createTestApp(
  issuer: TestIssuer,
  options: {
    config?: Partial<ShopApiConfig>;
    products?: readonly ProductSeed[];
    deps?: Partial<AppDeps>;
  } = {},
): TestApp {
  const config = testConfig(issuer, options.config);
  const logs: string[] = [];
  const orders = new InMemoryOrderStore();
  const catalog = new InMemoryCatalog(options.products ?? TEST_PRODUCTS);
  let next = 0;
  const deps = createDeps(config, {
    catalog,
    orders,
    clock: new ManualClock(FIXED_NOW),
    logger: createLogger("trace", { write: (line: string) => void logs.push(line) }),
    newOrderId: () => `ord-${String(++next).padStart(4, "0")}`,
    ...options.deps,
  });
  return { app: createApp(config, deps), config, orders, catalog, logs };
}
