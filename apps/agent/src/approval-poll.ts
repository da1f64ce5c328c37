import type { Auth0AI } from "@auth0/ai-vercel";
import { getAsyncAuthorizationCredentials, runWithAIContext } from "@auth0/ai-vercel";
import {
  PRODUCT_BUY_SCOPE,
  purchaseAuthorizationDetail,
  purchaseBindingMessage,
  purchaseRequestSchema,
  type PurchaseRequest,
} from "@ciba-testbed/shared";
import { tool, type Tool } from "ai";

import type { AgentConfig } from "./config.js";
import { AgentHalt } from "./halt.js";
import type { OrderVerdict } from "./order-step.js";
import type { PurchaseRecord } from "./purchase-record.js";
import { asRequestInterrupt, isPollInterrupt, type RequestInterrupt } from "./sdk-interrupt.js";
import { stopPoint } from "./stop-point.js";

export type Authorizer = Pick<Auth0AI, "withAsyncAuthorization">;

/** What one poll came back with. */
export type PollAnswer =
  /** Auth0 has no decision yet (pending, or slow_down). */
  | { kind: "waiting"; interrupt: RequestInterrupt }
  /** No token: denied, expired, refused, or the tenant could not be asked. */
  | { kind: "refused"; error: unknown }
  /** Approved: the order step ran and this is how it ended. */
  | { kind: "ordered"; verdict: OrderVerdict };

class AuthorizationFailure {
  constructor(readonly error: unknown) {}
}

/**
 * `@auth0/ai`'s CIBA wrapper in interrupt mode, as one poll: the first call sends the approval
 * request, each later one asks Auth0 once about it. The caller owns time, expiry and the
 * journal; this only turns what the SDK returns, throws or hands to `onUnauthorized` into a
 * `PollAnswer`. Once Auth0 issued the token, `onApproved` runs with it (in memory only).
 */
export function createApprovalPoll(options: {
  authorizer: Authorizer;
  config: AgentConfig;
  threadId: string;
  /** The journal's record of a purchase, which fixes what the person is asked. */
  findRecord: (toolCallId: string) => Promise<PurchaseRecord | undefined>;
  onApproved: (
    input: PurchaseRequest,
    toolCallId: string,
    accessToken: string | undefined,
  ) => Promise<OrderVerdict>;
  /** The tool's description; the SDK wraps a tool, not a function. */
  description: string;
}): (input: PurchaseRequest, toolCallId: string) => Promise<PollAnswer> {
  const { config, findRecord } = options;
  const approved = tool({
    description: options.description,
    inputSchema: purchaseRequestSchema,
    execute: (input, { toolCallId }) => {
      // Auth0 issues the token once; from here on it lives in this process only.
      const accessToken = getAsyncAuthorizationCredentials()?.accessToken;
      stopPoint("token-received");
      return options.onApproved(input, toolCallId, accessToken);
    },
  });

  const { execute } = options.authorizer.withAsyncAuthorization(
    {
      userID: config.userId,
      // Both come from the record, fixed before the request is sent, so every poll and every
      // resume describes the purchase exactly as the person saw it.
      bindingMessage: async (input: PurchaseRequest, { toolCallId }: { toolCallId: string }) =>
        (await findRecord(toolCallId))?.bindingMessage ?? purchaseBindingMessage(input),
      scopes: ["openid", PRODUCT_BUY_SCOPE],
      audience: config.audience,
      authorizationDetails: async (
        input: PurchaseRequest,
        { toolCallId }: { toolCallId: string },
      ) => [
        purchaseAuthorizationDetail({
          product: input.product,
          quantity: input.qty,
          maximumAmount: (await findRecord(toolCallId))?.maximumAmount ?? input.priceLimit,
          // The order's Idempotency-Key: this approval buys this purchase and no other, and
          // two identical purchases approved in one second still get different tokens.
          purchaseId: toolCallId,
        }),
      ],
      requestedExpiry: config.requestedExpiry,
      onAuthorizationRequest: "interrupt",
      onUnauthorized: (error: unknown) => new AuthorizationFailure(error),
    },
    approved as Tool,
  );
  if (execute === undefined) throw new Error("The authorizer returned no execute");

  return async (input, toolCallId) => {
    let value: unknown;
    try {
      value = await runWithAIContext({ threadID: options.threadId }, (): unknown =>
        execute(input, { toolCallId, messages: [] }),
      );
    } catch (error) {
      if (error instanceof AgentHalt) throw error;
      const interrupt = asRequestInterrupt(error);
      if (interrupt !== undefined && isPollInterrupt(interrupt)) {
        return { kind: "waiting", interrupt };
      }
      return { kind: "refused", error };
    }
    if (value instanceof AuthorizationFailure) {
      // The SDK hands on what failed while it read the store, a corrupt entry included.
      if (value.error instanceof AgentHalt) throw value.error;
      return { kind: "refused", error: value.error };
    }
    return { kind: "ordered", verdict: value as OrderVerdict };
  };
}
