/**
 * `@ciba-testbed/testkit`: the ciba-testbed for a test suite. `startTestbed()` starts a local
 * Auth0 tenant (mock-auth0) and the sample shop API on free ports; the test points its agent at
 * them with `env()`, then approves, denies or expires the consent requests the agent makes and
 * reads the orders the shop took.
 */
export { startTestbed } from "./testbed.js";
export type { RateLimits, Testbed, TestbedOptions } from "./testbed.js";
export { ensureTestbedCa } from "./testbed-ca.js";
export type { TestbedCa, TestbedCaOptions } from "./testbed-ca.js";
export { TestbedOptionsError } from "./option-problems.js";
export { TestbedError } from "./testbed-error.js";
export type { TestbedErrorCode } from "./testbed-error.js";
export type { LogLevel } from "./option-problems.js";
export type { Approver } from "./approver.js";
export type { WaitOptions } from "./wait-for-request.js";
export type { AgentWaitOptions } from "./wait-for-agent.js";
export type { RequestFilter } from "./request-filter.js";
export { RequestFilterError } from "./request-filter.js";
export type { Shop } from "./shop.js";
export type {
  ApproverOutcome,
  ApproverPolicy,
  ConsentEvent,
  ConsentRequest,
  ConsentStatus,
  ShopOrder,
  TenantRefusal,
  TenantUser,
} from "./wire.js";
