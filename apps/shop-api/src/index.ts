export { createApp } from "./app.js";
export { createHttpServer } from "./http-server.js";
export { loadConfig } from "./config.js";
export type { ShopApiConfig } from "./config.js";
export { createDeps } from "./deps.js";
export type { AppDeps } from "./deps.js";
export { InMemoryCatalog, DEFAULT_PRODUCTS } from "./catalog.js";
export type { Catalog, Product, ProductSeed } from "./catalog.js";
export { InMemoryOrderStore } from "./order-store.js";
export type { Order, OrderStore } from "./order-store.js";
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
