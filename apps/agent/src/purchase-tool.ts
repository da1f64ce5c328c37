import { isDeepStrictEqual } from "node:util";

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

import type { AgentEvent } from "./agent-event.js";
import type { AgentStore } from "./agent-store.js";
import { authRequestKey, discardAuthorization, readAuthRequest } from "./auth0-store.js";
import { classifyAuthorizationError } from "./authorization-error.js";
import { lookUpCatalog, refusalBeforeAsking } from "./catalog-check.js";
import type { Clock } from "./clock.js";
import type { AgentConfig } from "./config.js";
import { AgentHalt } from "./halt.js";
import type { PurchaseResult, Verdict } from "./purchase-result.js";
import { INTERRUPTED } from "./interrupted-purchase.js";
import {
  asRequestInterrupt,
  INTERRUPT,
  isPollInterrupt,
  type RequestInterrupt,
} from "./sdk-interrupt.js";
import { placeOrder } from "./shop-client.js";
import { stopPoint } from "./stop-point.js";
import type { PurchaseRecord, ThreadJournal } from "./thread-journal.js";

export const SHOP_TOOL_NAME = "shop_online";

const SHOP_TOOL_DESCRIPTION =
  "Buy a product in the online shop for the person. The person approves each purchase on " +
  "their phone. Call it once per product, one call at a time. Never call it again after a " +
  "purchase was denied, expired or refused: report that to the person instead.";

/** CIBA Core 1.0, section 7.3: a missing `interval` means 5 seconds. */
const DEFAULT_INTERVAL_S = 5;
/** CIBA Core 1.0, section 11: `slow_down` adds at least 5 seconds to every later poll. */
const SLOW_DOWN_STEP_S = 5;

export type Authorizer = Pick<Auth0AI, "withAsyncAuthorization">;

export interface PurchaserContext {
  config: AgentConfig;
  fetch: typeof fetch;
  clock: Clock;
  store: AgentStore;
  journal: ThreadJournal;
  authorizer: Authorizer;
  emit: (event: AgentEvent) => void;
  threadId: string;
  /** Block: poll until decided. Otherwise poll once and report PENDING. */
  wait: boolean;
  /** Throws (an AgentHalt) once another process has claimed the thread since this one did. */
  fence: () => Promise<void>;
  /** Called synchronously right before an order leaves; throws (an AgentHalt) to stop it. */
  beforeOrder: () => void;
}

class AuthorizationFailure {
  constructor(readonly error: unknown) {}
}

/**
 * The shop tool for one thread: `@auth0/ai`'s CIBA wrapper in interrupt mode, driven by a
 * poll loop of our own. The loop owns time (an injected clock), expiry, `slow_down` and the
 * durable record, which is how it avoids the SDK's second pushes and repeated purchases.
 */
export function createPurchaser(context: PurchaserContext) {
  const { config, clock, store, journal, threadId } = context;

  const buy = tool({
    description: SHOP_TOOL_DESCRIPTION,
    inputSchema: purchaseRequestSchema,
    execute: async (input, { toolCallId }): Promise<PurchaseResult | Verdict> => {
      // Auth0 issues the token once; from here on it lives in this process only.
      const accessToken = getAsyncAuthorizationCredentials()?.accessToken;
      stopPoint("token-received");
      await takeApproval(toolCallId);
      stopPoint("approval-taken");
      if (accessToken === undefined) {
        return { outcome: "ERROR", description: "Approved, but Auth0 returned no access token." };
      }
      await clearToOrder(toolCallId);
      return order(input, toolCallId, accessToken);
    },
  });

  /** The approval is spent: say so in the journal, then drop the SDK's record of it. */
  async function takeApproval(toolCallId: string): Promise<void> {
    await context.fence();
    await note(toolCallId, "approvedAt");
    await discardAuthorization(store, threadId, toolCallId);
  }

  /** The last checks; between the final one and the request leaving, nothing is awaited. */
  async function clearToOrder(toolCallId: string): Promise<void> {
    await context.fence();
    context.beforeOrder();
    await note(toolCallId, "orderSentAt");
    context.beforeOrder();
  }

  async function order(
    input: PurchaseRequest,
    toolCallId: string,
    accessToken: string,
  ): Promise<PurchaseResult | Verdict> {
    try {
      const answer = await placeOrder({
        fetch: context.fetch,
        url: config.shopApiUrl,
        accessToken,
        idempotencyKey: toolCallId,
        purchase: input,
      });
      if (answer.ok) {
        return {
          outcome: "ORDERED",
          purchase: input,
          description: "Ordered.",
          order: answer.order,
        };
      }
      // RFC 9396: the approval does not cover this order. That is the shop judging the
      // purchase; any other 401/403 means the token itself was refused.
      const judged = answer.error === "insufficient_authorization_details";
      if ((answer.status === 401 || answer.status === 403) && !judged) {
        return {
          outcome: "ERROR",
          error: answer.error,
          description: `The shop refused the approved token (${answer.status}): ${answer.description}`,
          fix: "Check that the shop trusts this tenant (AUTH0_DOMAIN) and expects SHOP_API_AUDIENCE.",
        };
      }
      return { outcome: "SHOP_REFUSED", error: answer.error, description: answer.description };
    } catch (error) {
      if (error instanceof AgentHalt) throw error;
      return {
        outcome: "ERROR",
        description: `Cannot reach the shop at ${config.shopApiUrl}: ${error instanceof Error ? error.message : String(error)}.`,
        fix: "Start it with pnpm shop-api, or check SHOP_API_URL.",
      };
    }
  }

  const guarded = context.authorizer.withAsyncAuthorization(
    {
      userID: config.userId,
      // Both come from the record, fixed before the request is sent, so every poll and every
      // resume describes the purchase exactly as the person saw it.
      bindingMessage: async (input: PurchaseRequest, options: { toolCallId: string }) =>
        (await findRecord(options.toolCallId))?.bindingMessage ?? purchaseBindingMessage(input),
      scopes: ["openid", PRODUCT_BUY_SCOPE],
      audience: config.audience,
      authorizationDetails: async (input: PurchaseRequest, options: { toolCallId: string }) => [
        purchaseAuthorizationDetail({
          product: input.product,
          quantity: input.qty,
          maximumAmount: (await findRecord(options.toolCallId))?.maximumAmount ?? input.priceLimit,
        }),
      ],
      requestedExpiry: config.requestedExpiry,
      onAuthorizationRequest: "interrupt",
      onUnauthorized: (error: unknown) => new AuthorizationFailure(error),
    },
    buy as Tool,
  );
  const guardedExecute = guarded.execute;
  if (guardedExecute === undefined) throw new Error("The authorizer returned no execute");
  const execute: NonNullable<Tool["execute"]> = guardedExecute;

  const announced = new Set<string>();

  /** Records a step of the way from approval to order, so a crash in between is known. */
  async function note(toolCallId: string, step: "approvedAt" | "orderSentAt"): Promise<void> {
    const record = await findRecord(toolCallId);
    if (record === undefined || record[step] !== undefined) return;
    record[step] = clock.now();
    await journal.putPurchase(threadId, record);
  }

  async function findRecord(toolCallId: string): Promise<PurchaseRecord | undefined> {
    return (await journal.get(threadId))?.purchases.find((p) => p.toolCallId === toolCallId);
  }

  async function finish(record: PurchaseRecord, outcome: Verdict | PurchaseResult) {
    const latest = (await findRecord(record.toolCallId)) ?? record;
    if (latest.result !== undefined) return latest.result;
    await context.fence();
    const finishedAt = clock.now();
    const sentAt = latest.request?.sentAt;
    const result: PurchaseResult = {
      ...outcome,
      purchase: latest.purchase,
      bindingMessage: latest.bindingMessage,
      ...(latest.request ? { authReqId: latest.request.id } : {}),
      timings: {
        ...(sentAt === undefined ? {} : { approvalMs: (latest.approvedAt ?? finishedAt) - sentAt }),
        ...(latest.approvedAt === undefined ? {} : { orderMs: finishedAt - latest.approvedAt }),
      },
    };
    await journal.putPurchase(threadId, { ...latest, finishedAt, result });
    await discardAuthorization(store, threadId, record.toolCallId);
    context.emit({ type: "purchase-finished", result });
    return result;
  }

  function pending(record: PurchaseRecord): PurchaseResult {
    const request = record.request;
    return {
      outcome: "PENDING",
      purchase: record.purchase,
      bindingMessage: record.bindingMessage,
      description: "Waiting for the person to approve.",
      ...(request
        ? {
            authReqId: request.id,
            expiresAt: new Date(request.sentAt + request.expiresIn * 1000).toISOString(),
          }
        : {}),
    };
  }

  /**
   * Makes sure the SDK finds the request the journal knows, so it polls it instead of sending a
   * new one. False when there is no request to poll: the journal never learnt its id.
   */
  async function requestToPoll(record: PurchaseRecord): Promise<boolean> {
    if ((await readAuthRequest(store, threadId, record.toolCallId)) !== undefined) return true;
    const known = record.request;
    if (known === undefined) return false;
    // The tenant says what became of it: pending, denied, or invalid_grant for a spent token.
    await store.put(authRequestKey(threadId, record.toolCallId), {
      id: known.id,
      // The SDK ages the request by Date.now(): give it the age the agent's clock measured.
      requestedAt: (Date.now() - (clock.now() - known.sentAt)) / 1000,
      expiresIn: known.expiresIn,
      interval: known.interval,
    });
    return true;
  }

  /** Runs one purchase to its outcome; a decided purchase is returned, never repeated. */
  async function purchase(input: PurchaseRequest, toolCallId: string): Promise<PurchaseResult> {
    let record = await findRecord(toolCallId);
    if (record !== undefined && !isDeepStrictEqual(record.purchase, input)) {
      // The id is the shop's Idempotency-Key: reusing it would return the other order.
      return {
        outcome: "ERROR",
        purchase: input,
        error: "tool_call_id_reused",
        description: `The model reused the tool call id ${toolCallId} for a different purchase.`,
      };
    }
    if (record?.result) return record.result;
    if (record?.approvedAt !== undefined) {
      // A process took the token and stopped before it recorded the order's outcome.
      return finish(
        record,
        record.orderSentAt === undefined ? INTERRUPTED.beforeOrder : INTERRUPTED.whileOrdering,
      );
    }
    const fresh = record === undefined;
    if (record === undefined) {
      await context.fence();
      const catalog = await lookUpCatalog({
        fetch: context.fetch,
        url: config.catalogUrl,
        product: input.product,
        qty: input.qty,
      });
      const maximumAmount =
        input.priceLimit ?? (catalog.kind === "found" ? catalog.total : undefined);
      record = {
        toolCallId,
        purchase: input,
        bindingMessage: purchaseBindingMessage({ ...input, priceLimit: maximumAmount }),
        ...(maximumAmount === undefined ? {} : { maximumAmount }),
        startedAt: clock.now(),
      };
      await journal.putPurchase(threadId, record);
      // The shop would refuse these after the person approved: do not ask them at all.
      const refusal = refusalBeforeAsking(input, catalog);
      if (refusal !== undefined) return finish(record, refusal);
    }

    for (let attempt = 0; ; attempt++) {
      const request = record.request;
      const expired =
        request !== undefined && clock.now() >= request.sentAt + request.expiresIn * 1000;
      if (expired) {
        return finish(record, {
          outcome: "EXPIRED",
          description: "The approval request expired before the person answered.",
        });
      }
      // Without a stored request the SDK would send a new one: a second push for a purchase
      // the person may already have answered. Report instead.
      if (!(fresh && attempt === 0) && !(await requestToPoll(record))) {
        return finish(record, INTERRUPTED.requestLost);
      }

      let value: unknown;
      try {
        value = await runWithAIContext({ threadID: threadId }, (): unknown =>
          execute(input, { toolCallId, messages: [] }),
        );
      } catch (error) {
        if (error instanceof AgentHalt) throw error;
        const interrupt = asRequestInterrupt(error);
        if (interrupt === undefined || !isPollInterrupt(interrupt)) {
          value = new AuthorizationFailure(error);
        } else {
          record = await noteRequest(record, interrupt);
          if (!context.wait) return pending(record);
          const { request: sent } = record as Required<Pick<PurchaseRecord, "request">>;
          const expiresAt = sent.sentAt + sent.expiresIn * 1000;
          const nextPollAt = Math.min(clock.now() + sent.interval * 1000, expiresAt);
          context.emit({
            type: "approval-waiting",
            authReqId: sent.id,
            nextPollAt,
            slowDown: interrupt.code === INTERRUPT.slowDown,
          });
          await clock.sleep(Math.max(0, nextPollAt - clock.now()));
          continue;
        }
      }

      if (value instanceof AuthorizationFailure) {
        // The SDK hands on what failed while it read the store, a corrupt entry included.
        if (value.error instanceof AgentHalt) throw value.error;
        // Auth0 issues a token once and then answers invalid_grant. At the first poll of a
        // request an earlier process sent, that process has the token.
        const invalidGrant = (value.error as { code?: unknown }).code === INTERRUPT.invalidGrant;
        if (invalidGrant && !fresh && attempt === 0) {
          return finish(record, INTERRUPTED.beforeOrder);
        }
        // Decided at the first poll: the request is known only from the SDK's interrupt.
        const decided = asRequestInterrupt(value.error);
        if (record.request === undefined && decided !== undefined) {
          record = { ...record, request: requestRecord(record, decided) };
          await journal.putPurchase(threadId, record);
        }
        const now = clock.now();
        const sent = record.request;
        return finish(
          record,
          classifyAuthorizationError(value.error, {
            config,
            expired: sent !== undefined && now >= sent.sentAt + sent.expiresIn * 1000,
          }),
        );
      }
      return finish(record, value as Verdict);
    }
  }

  async function noteRequest(
    record: PurchaseRecord,
    interrupt: RequestInterrupt,
  ): Promise<PurchaseRecord> {
    const latest = (await findRecord(record.toolCallId)) ?? record;
    const known = latest.request?.id === interrupt.request.id ? latest.request : undefined;
    let interval = known?.interval ?? interrupt.request.interval ?? DEFAULT_INTERVAL_S;
    if (interrupt.code === INTERRUPT.slowDown) {
      // Auth0 says how long to wait in Retry-After; without it, CIBA's +5 s applies.
      const retryAfter = interrupt.retryAfter ?? 0;
      interval = retryAfter > 0 ? Math.max(interval, retryAfter) : interval + SLOW_DOWN_STEP_S;
    }
    const request = { ...requestRecord(latest, interrupt), interval };
    const updated = { ...latest, request };
    if (known?.interval !== interval) {
      await journal.putPurchase(threadId, updated);
    }
    // Announced once per process, so a resumed wait shows its countdown too.
    if (!announced.has(request.id)) {
      announced.add(request.id);
      context.emit({
        type: "approval-requested",
        resumed: known !== undefined,
        threadId,
        toolCallId: latest.toolCallId,
        authReqId: request.id,
        userId: config.userId,
        bindingMessage: latest.bindingMessage,
        purchase: latest.purchase,
        expiresAt: request.sentAt + request.expiresIn * 1000,
      });
    }
    return updated;
  }

  // One consent at a time, and none after a purchase of this turn did not go through: a model
  // that retries after a denial would otherwise push to the person again.
  let queue: Promise<unknown> = Promise.resolve();
  let stopped: PurchaseResult | undefined;
  let halted: AgentHalt | undefined;
  const shopTool = tool({
    description: SHOP_TOOL_DESCRIPTION,
    inputSchema: purchaseRequestSchema,
    execute: (input, { toolCallId }): Promise<PurchaseResult> => {
      const run = async (): Promise<PurchaseResult> => {
        if (halted !== undefined) throw halted;
        if (stopped !== undefined) {
          return {
            outcome: "NO_PURCHASE",
            purchase: input,
            error: "turn_ended",
            description: `Not attempted: an earlier purchase ended ${stopped.outcome}. Report that to the person instead of trying again.`,
          };
        }
        try {
          const result = await purchase(input, toolCallId);
          if (result.outcome !== "ORDERED") stopped = result;
          return result;
        } catch (error) {
          // The AI SDK turns a thrown error into a tool result; the agent must see it instead.
          if (error instanceof AgentHalt) halted = error;
          throw error;
        }
      };
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    },
  });

  return { purchase, tool: shopTool, halted: () => halted };
}

function requestRecord(
  record: PurchaseRecord,
  interrupt: RequestInterrupt,
): NonNullable<PurchaseRecord["request"]> {
  const known = record.request?.id === interrupt.request.id ? record.request : undefined;
  return {
    id: interrupt.request.id,
    expiresIn: interrupt.request.expiresIn,
    interval: known?.interval ?? interrupt.request.interval ?? DEFAULT_INTERVAL_S,
    sentAt: known?.sentAt ?? record.startedAt,
  };
}
