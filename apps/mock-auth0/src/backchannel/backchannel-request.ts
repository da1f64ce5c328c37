import type { AuthorizationDetail } from "@ciba-testbed/shared";

import type { ApproverOutcome } from "../approver/outcome.js";

export const BACKCHANNEL_STATUSES = [
  "pending",
  "approved",
  "denied",
  "expired",
  "consumed",
] as const;
export type BackchannelStatus = (typeof BACKCHANNEL_STATUSES)[number];

export type Decision = "approve" | "deny";
/** Who decided: a rule of the approver policy, the control API or the approver page. */
export type DecisionSource = "rule" | "control-api" | "approver-page";

export type TimelineEvent =
  | { at: number; type: "created" }
  | { at: number; type: "poll"; answer: string }
  | { at: number; type: "approved" | "denied"; by: DecisionSource }
  | { at: number; type: "expired" }
  | { at: number; type: "token_issued" };

export interface BackchannelRequest {
  readonly authReqId: string;
  readonly clientId: string;
  readonly userId: string;
  readonly scope: readonly string[];
  readonly audience: string | undefined;
  readonly bindingMessage: string;
  readonly authorizationDetails: readonly AuthorizationDetail[] | undefined;
  readonly requestedExpiry: number | undefined;
  readonly channel: "push" | "email";
  readonly createdAt: number;
  /** When the tenant stops honouring the request: `expires_in` later, or sooner by rule. */
  readonly expiresAt: number;
  /** What the approver chose when the request arrived. */
  readonly approverOutcome: ApproverOutcome;
  /** The minimum gap between polls; grows on every `slow_down`. */
  intervalMs: number;
  lastPollAt: number | undefined;
  polls: number;
  status: BackchannelStatus;
  scheduledDecision: { decision: Decision; at: number } | undefined;
  decision: { decision: Decision; at: number; by: DecisionSource } | undefined;
  consumedAt: number | undefined;
  timeline: TimelineEvent[];
}
