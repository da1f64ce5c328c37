/**
 * `@ciba-testbed/stack`: the testbed's servers started as supervised processes, and the clients
 * that drive them. The process supervisor, the agent CLI runner (esbuild) and the browser
 * (playwright-core) have their own entry points, so importing the stack loads neither.
 */
export { ControlClient } from "./control-client.js";
export type { ApproverPolicyText, ConsentRecord } from "./control-client.js";
export { httpsJson } from "./https-json.js";
export type { JsonAnswer, JsonRequest } from "./https-json.js";
export { REPO_ROOT, TSX_BIN } from "./repo-root.js";
export {
  DEFAULT_CLIENT,
  INTERACTIVE_TENANT_SETTINGS,
  WATCHED_SHOP_ENV,
  agentEnvOf,
  shopTenantEnv,
  startStack,
  webAppEnvOf,
} from "./stack.js";
export type { AgentEnv, Stack, StackOptions } from "./stack.js";
export { ignoredLines, ignoredSettings } from "./ignored-settings.js";
export { emptyShopDatabase } from "./shop-database.js";
