export { createAgent, type Agent, type AgentDeps } from "./agent.js";
export type { AgentEvent } from "./agent-event.js";
export {
  toAgentReportJson,
  type AgentReport,
  type AgentReportJson,
  type ReportTimings,
} from "./agent-report.js";
export { createMemoryStore, type AgentStore } from "./agent-store.js";
export type { Authorizer } from "./approval-poll.js";
export { auth0Store } from "./auth0-store.js";
export {
  ENVIRONMENT_HELP,
  SERVE_ENVIRONMENT_HELP,
  loadConfig,
  readEnvironment,
  type AgentConfig,
  type AgentMode,
  type ConfigOverrides,
  type StoreLocation,
} from "./config.js";
export { createFileStore } from "./file-store.js";
export { WEB_ENVIRONMENT } from "./web/web-config.js";
export { createRedisStore, type RedisStore } from "./redis-store.js";
export { parseRedisUrl, type RedisLocation } from "./redis-url.js";
export { AgentHalt, StoreEntryError } from "./halt.js";
export { isStale, type Claim, type Lease, type LeaseRequest } from "./lease.js";
export { parseEntry, type EntrySchema } from "./store-entry.js";
export { createModel } from "./model.js";
export { isDead, readProcess } from "./process-info.js";
export { createOfflineModel } from "./offline-model.js";
export { exitCodeOf, OUTCOMES, type Outcome } from "./outcome.js";
export {
  parsePurchaseRequest,
  type CatalogProduct,
  type ParsedRequest,
  type ParseOptions,
  type UnclearReason,
} from "./parse-request.js";
export { BUILT_IN_CATALOG } from "./built-in-catalog.js";
export { builtInCatalog, shopCatalog, type CatalogSource } from "./catalog-source.js";
export { createPurchaseTool, PURCHASE_TOOL_NAME } from "./purchase-tool.js";
export {
  describePurchase,
  describeResult,
  isPurchaseResult,
  orderSummary,
  type Order,
  type PurchaseResult,
} from "./purchase-result.js";
