import { fileURLToPath } from "node:url";

export { createApp } from "./app.js";
export type { MockAuth0Config, MockAuth0Deps } from "./app.js";
export { PolicyApprover } from "./approver/approver.js";
export type { Approver } from "./approver/approver.js";
export { formatOutcome, parseOutcome } from "./approver/outcome.js";
export type { ApproverOutcome } from "./approver/outcome.js";
export type { ApproverPolicy } from "./approver/policy.js";
export { BackchannelStore } from "./backchannel/backchannel-store.js";
export type {
  CreateResult,
  ListPage,
  ListQuery,
  PollResult,
} from "./backchannel/backchannel-store.js";
export type { BackchannelRequest, BackchannelStatus } from "./backchannel/backchannel-request.js";
export { keepStoreCurrent } from "./backchannel/keep-current.js";
export { KEPT_REFUSALS, RefusalLog } from "./backchannel/refusal-log.js";
export { ensureLocalCertificates } from "./certificates.js";
export type {
  ControlRequestDetailJson,
  ControlRequestJson,
  ControlRefusalJson,
  ControlRequestPageJson,
  ControlUserJson,
} from "./routes/control-api.js";
export { DEFAULT_EVENT_STREAM_LIMITS } from "./routes/approver-events.js";
export type { EventStreamLimits } from "./routes/approver-events.js";
export { SigningKeys } from "./signing-keys.js";
export { startMockAuth0 } from "./server.js";
export type { RunningMockAuth0, StartOptions } from "./server.js";
export {
  DEFAULT_TENANT_FILE,
  TenantFileError,
  loadTenant,
  loadTenantReport,
  tenantWith,
} from "./tenant/load-tenant.js";
export type { LoadedTenant, TenantChanges, TenantLocation } from "./tenant/load-tenant.js";
export type { Tenant } from "./tenant/tenant-model.js";
export type { Ticker } from "./ticker.js";

// Kept for callers outside this app: test/e2e drives the tenant on the shared manual clock,
// and test/support finds the repository from here.
export { ManualClock } from "@ciba-testbed/shared";
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
