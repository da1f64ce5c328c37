export { createApp } from "./app.js";
export type { MockAuth0Config, MockAuth0Deps } from "./app.js";
export { PolicyApprover } from "./approver/approver.js";
export type { Approver } from "./approver/approver.js";
export { formatOutcome, parseOutcome } from "./approver/outcome.js";
export type { ApproverOutcome } from "./approver/outcome.js";
export type { ApproverPolicy, ApproverPolicyInput } from "./approver/policy.js";
export { BackchannelStore } from "./backchannel/backchannel-store.js";
export type {
  CreateResult,
  ListPage,
  ListQuery,
  PollResult,
} from "./backchannel/backchannel-store.js";
export type { BackchannelRequest, BackchannelStatus } from "./backchannel/backchannel-request.js";
export { keepStoreCurrent } from "./backchannel/keep-current.js";
export { CA_CERT_FILE, ensureLocalCertificates } from "./certificates.js";
export { ManualClock, systemClock, systemTicker } from "./clock.js";
export type { Clock, Ticker } from "./clock.js";
export { DEFAULT_CERT_DIR, DEFAULT_PORT, REPO_ROOT, isLoopbackAddress } from "./config.js";
export { CONTROL_COOKIE } from "./control-auth.js";
export { DEFAULT_EVENT_STREAM_LIMITS } from "./routes/approver-events.js";
export type { EventStreamLimits } from "./routes/approver-events.js";
export { SigningKeys } from "./signing-keys.js";
export { startMockAuth0 } from "./server.js";
export type { RunningMockAuth0, StartOptions } from "./server.js";
export { DEFAULT_TENANT_FILE, loadTenant, parseTenant } from "./tenant/load-tenant.js";
export type { Tenant, TenantInput } from "./tenant/tenant-schema.js";
