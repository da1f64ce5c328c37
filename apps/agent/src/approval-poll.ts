import type { Auth0AI, runWithAIContext as RunWithAIContextFn } from "@auth0/ai-vercel";
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
import { asStoreFailure, isStoreFailure } from "./store-failure.js";
import type { OrderVerdict } from "./order-step.js";
import { purchaseIdOf, type PurchaseRecord } from "./purchase-record.js";
import { asRequestInterrupt, isPollInterrupt, type RequestInterrupt } from "./sdk-interrupt.js";
import { stopPoint } from "./stop-point.js";

export type Authorizer = Pick<Auth0AI, "withAsyncAuthorization">;

/** An authorizer, or how to make one: then it is made when the first purchase is asked about. */
export type AuthorizerSource = Authorizer | (() => Promise<Authorizer>);

/** Asks Auth0 once about a purchase (the first call sends the request). */
export interface ApprovalPoll {
  (input: PurchaseRequest, toolCallId: string): Promise<PollAnswer>;
  /**
   * Loads the Auth0 SDK and makes the authorizer, which the first poll otherwise does: a caller
   * that times a poll awaits this first, so the time is the tenant's, not the module loading's.
   */
  ready(): Promise<void>;
}

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
  authorizer: AuthorizerSource;
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
}): ApprovalPoll {
  const { config, findRecord } = options;
  type Execute = (
    input: PurchaseRequest,
    call: { toolCallId: string; messages: [] },
  ) => Promise<unknown>;
  let wrapped: Promise<{ execute: Execute; runWithAIContext: RunWithAIContext }> | undefined;

  const authorizationDetails = async (
    input: PurchaseRequest,
    { toolCallId }: { toolCallId: string },
  ) => {
    const record = await findRecord(toolCallId);
    return [
      purchaseAuthorizationDetail({
        // The product the binding message names: the catalog's name, as the shop sells it.
        product: record?.productName ?? input.product,
        quantity: input.qty,
        maximumAmount: record?.maximumAmount ?? input.priceLimit,
        // The order's Idempotency-Key: this approval buys this purchase and no other,
        // and two identical purchases approved in one second still get different tokens.
        purchaseId: purchaseIdOf(record ?? { toolCallId }),
      }),
    ];
  };

  // The Auth0 SDK is loaded on the first poll only: a run that asks nobody never loads it.
  async function wrap() {
    const sdk = await import("@auth0/ai-vercel");
    const authorizer =
      typeof options.authorizer === "function" ? await options.authorizer() : options.authorizer;
    const approved = tool({
      description: options.description,
      inputSchema: purchaseRequestSchema,
      execute: (input, { toolCallId }) => {
        // Auth0 issues the token once; from here on it lives in this process only.
        const accessToken = sdk.getAsyncAuthorizationCredentials()?.accessToken;
        stopPoint("token-received");
        return options.onApproved(input, toolCallId, accessToken);
      },
    });

    const { execute } = authorizer.withAsyncAuthorization(
      {
        userID: config.userId,
        // Both come from the record, fixed before the request is sent, so every poll and every
        // resume describes the purchase exactly as the person saw it.
        bindingMessage: async (input: PurchaseRequest, { toolCallId }: { toolCallId: string }) =>
          (await findRecord(toolCallId))?.bindingMessage ?? purchaseBindingMessage(input),
        scopes: ["openid", PRODUCT_BUY_SCOPE],
        audience: config.audience,
        // AGENT_AUTHORIZATION_DETAILS=false: the binding message and the scope alone, which a
        // tenant without Rich Authorization Requests (or the Auth0 Guardian app) accepts.
        ...(config.authorizationDetails ? { authorizationDetails } : {}),
        requestedExpiry: config.requestedExpiry,
        onAuthorizationRequest: "interrupt",
        onUnauthorized: (error: unknown) => new AuthorizationFailure(error),
      },
      approved as Tool,
    );
    if (execute === undefined) throw new Error("The authorizer returned no execute");
    return { execute: execute as Execute, runWithAIContext: sdk.runWithAIContext };
  }

  const poll = async (input: PurchaseRequest, toolCallId: string): Promise<PollAnswer> => {
    const { execute, runWithAIContext } = await (wrapped ??= wrap());
    let value: unknown;
    try {
      value = await runWithAIContext({ threadID: options.threadId }, (): unknown =>
        execute(input, { toolCallId, messages: [] }),
      );
    } catch (error) {
      if (error instanceof AgentHalt) throw error;
      // The journal, the lease check and the SDK's record are read and written inside the SDK's
      // call: a failure of the store is the run's, not a refusal of the purchase.
      if (isStoreFailure(error)) throw asStoreFailure(error);
      const interrupt = asRequestInterrupt(error);
      if (interrupt !== undefined && isPollInterrupt(interrupt)) {
        return { kind: "waiting", interrupt };
      }
      return { kind: "refused", error };
    }
    if (value instanceof AuthorizationFailure) {
      // The SDK hands on what failed while it read the store, a corrupt entry included.
      if (value.error instanceof AgentHalt) throw value.error;
      if (isStoreFailure(value.error)) throw asStoreFailure(value.error);
      return { kind: "refused", error: value.error };
    }
    return { kind: "ordered", verdict: value as OrderVerdict };
  };
  return Object.assign(poll, {
    ready: async () => {
      await (wrapped ??= wrap());
    },
  });
}

type RunWithAIContext = typeof RunWithAIContextFn;
