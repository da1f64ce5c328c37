export { createAgent, type Agent, type AgentDeps, type AgentReport } from "./agent.js";
export type { AgentEvent } from "./agent-event.js";
export { createMemoryStore, type AgentStore } from "./agent-store.js";
export { auth0Store } from "./auth0-store.js";
export { systemClock, type Clock } from "./clock.js";
export {
  ConfigError,
  parseConfig,
  readEnvironment,
  type AgentConfig,
  type AgentMode,
  type ConfigOverrides,
} from "./config.js";
export { createFileStore } from "./file-store.js";
export { AgentHalt, StoreEntryError } from "./halt.js";
export { isStale, type Claim, type Lease, type LeaseRequest } from "./lease.js";
export { parseEntry, type EntrySchema } from "./store-entry.js";
export { createModel } from "./model.js";
export { createOfflineModel } from "./offline-model.js";
export { exitCodeOf, OUTCOMES, type Outcome } from "./outcome.js";
export { parsePurchaseRequest, type ParsedRequest } from "./parse-request.js";
export { createPurchaser, SHOP_TOOL_NAME, type Authorizer } from "./purchase-tool.js";
export { describeResult, type Order, type PurchaseResult } from "./purchase-result.js";
