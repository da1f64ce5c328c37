import type { PurchaseRequest } from "@ciba-testbed/shared";

import type { Outcome } from "./outcome.js";
import type { PurchaseResult } from "./purchase-result.js";

/** Something the person should know before a request goes out; it refuses nothing. */
export interface AgentWarning {
  /** Stable, for scripts: `email_channel`, `model_server_unused`, `redis_eviction`. */
  code: string;
  message: string;
}

/** The approval request of a purchase, as it leaves for the tenant (`/bc-authorize`). */
export interface ApprovalRequestSending {
  threadId: string;
  toolCallId: string;
  bindingMessage: string;
}

/** What the agent reports while it works; the CLI renders these, tests record them. */
export type AgentEvent =
  | { type: "text"; text: string }
  | { type: "warning"; warning: AgentWarning }
  | {
      type: "approval-requested";
      /** True when the request was sent by an earlier run and this one waits for it. */
      resumed: boolean;
      threadId: string;
      toolCallId: string;
      authReqId: string;
      userId: string;
      bindingMessage: string;
      purchase: PurchaseRequest;
      /** Epoch milliseconds by the agent's clock. */
      expiresAt: number;
    }
  | {
      type: "approval-waiting";
      authReqId: string;
      nextPollAt: number;
      slowDown: boolean;
      /** The last poll brought no answer (the tenant unreachable or busy): what happened. */
      problem?: string;
    }
  /** The order request is about to leave for the shop: from here on the shop may have it. */
  | { type: "order-sending"; toolCallId: string }
  /** The shop's answer to it, before the agent records it. */
  | { type: "order-answered"; toolCallId: string; outcome: Outcome; orderId?: string }
  /** `toolCallId`: the purchase's own tool call, which a result without `authReqId` cannot name. */
  | { type: "purchase-finished"; toolCallId: string; result: PurchaseResult };
