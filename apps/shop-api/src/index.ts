export { createApp } from "./app.js";
export { createHttpServer } from "./http-server.js";
export { loadConfig } from "./config.js";
export type { ShopApiConfig } from "./config.js";
export { createDeps } from "./deps.js";
export type { AppDeps } from "./deps.js";
export { Catalog, DEFAULT_PRODUCTS } from "./catalog.js";
export type { CatalogProduct, Product, ProductSeed } from "./catalog.js";
export type { Order } from "./order.js";
export { defaultDatabaseDir } from "./config.js";
export { openShopStore } from "./store/open-shop-store.js";
export type { OpenShopStoreOptions, OpenedShopStore } from "./store/open-shop-store.js";
export { IN_MEMORY, type DatabaseConfig } from "./store/database-config.js";
export { DatabaseOpenError, createEmptyDatabase, openDatabase } from "./store/open-database.js";
export type { ShopDatabase } from "./store/open-database.js";
export { DataDirInUseError } from "./store/data-dir-lock.js";
export { MIGRATIONS, MigrationError, migrateToLatest, resetDatabase } from "./store/migrations.js";
export { SqlShopStore } from "./store/sql-shop-store.js";
export type { PlaceOutcome, ShopStore } from "./store/shop-store.js";
export { IssuerCheckError, checkIssuer, discoveryUrl } from "./issuer-check.js";
export type { IssuerCheckResult, IssuerProblem } from "./issuer-check.js";
export { buildOpenApiDocument } from "./openapi.js";
export { createLogger } from "./logging.js";
// The wire: what clients (the agent, the end-to-end tests) import instead of retyping.
export type {
  HealthJson,
  OrderJson,
  OrderListJson,
  ProductJson,
  ProductListJson,
  ReadyJson,
} from "./schemas.js";
export { errors } from "./errors.js";
export type { ShopApiErrorCode } from "./errors.js";
