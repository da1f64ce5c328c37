import type { AuthorizationDetail } from "@ciba-testbed/shared";

import type { ApproverOutcome } from "../approver/outcome.js";
import type { NotificationChannel } from "../tenant/tenant-model.js";

export const BACKCHANNEL_STATUSES = [
  "pending",
  "approved",
  "denied",
  "expired",
  "consumed",
] as const;
export type BackchannelStatus = (typeof BACKCHANNEL_STATUSES)[number];

export type Decision = "approve" | "deny";
/**
 * Who decided: a rule of the approver policy, the control API, the approver page, or the
 * person through the consent link of the request's email.
 */
export type DecisionSource = "rule" | "control-api" | "approver-page" | "email-link";

export type TimelineEvent =
  | { at: number; type: "created" }
  | { at: number; type: "poll"; answer: string }
  | { at: number; type: "approved" | "denied"; by: DecisionSource }
  | { at: number; type: "expired" }
  | { at: number; type: "token_issued" };

/**
 * One backchannel authentication request as the store's readers see it: read-only, because
 * only the store's transitions (`create`, `poll`, `decide`, `advance`) change a request.
 */
export interface BackchannelRequest {
  readonly authReqId: string;
  readonly clientId: string;
  readonly userId: string;
  readonly scope: readonly string[];
  readonly audience: string | undefined;
  readonly bindingMessage: string;
  readonly authorizationDetails: readonly AuthorizationDetail[] | undefined;
  readonly requestedExpiry: number | undefined;
  /** How the person is asked, by Auth0's channel names (`async_approval_notification_channels`). */
  readonly channel: NotificationChannel;
  /** The person's e-mail address when asked by e-mail (Auth0 sends to a verified one only). */
  readonly userEmail: string;
  readonly createdAt: number;
  /** When the tenant stops honouring the request: `expires_in` later, or sooner by rule. */
  readonly expiresAt: number;
  /** What the approver chose when the request arrived. */
  readonly approverOutcome: ApproverOutcome;
  /** The minimum gap between polls; grows on every `slow_down`. */
  readonly intervalMs: number;
  readonly lastPollAt: number | undefined;
  readonly polls: number;
  readonly status: BackchannelStatus;
  readonly scheduledDecision: { decision: Decision; at: number } | undefined;
  readonly decision: { decision: Decision; at: number; by: DecisionSource } | undefined;
  readonly consumedAt: number | undefined;
  readonly timeline: readonly TimelineEvent[];
}

/** Still waiting to be answered or collected: these count against `maxOpenRequests`. */
export const OPEN_STATUSES: readonly BackchannelStatus[] = ["pending", "approved"];
/** Finished: kept for the retention window (or until space is needed), then purged. */
export const FINISHED_STATUSES: readonly BackchannelStatus[] = ["denied", "expired", "consumed"];
