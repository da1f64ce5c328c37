import { hideCredentials, type Clock, type PurchaseRequest } from "@ciba-testbed/shared";
import { classifyNetworkError } from "@ciba-testbed/shared/node";

import { PURCHASE_URL_FIX, STOCK_FIX } from "./catalog-check.js";
import { AgentHalt } from "./halt.js";
import { CHECK_ORDERS_FIX } from "./interrupted-purchase.js";
import type { PurchaseResult, Verdict } from "./purchase-result.js";
import { NEVER_SENT, placeOrder, type OrderAnswer } from "./shop-client.js";

/** How an order ended: the order, or why there is none. */
export type OrderVerdict = Verdict & Pick<PurchaseResult, "order">;

/**
 * How long the agent keeps asking when the shop's answer does not say whether the order was
 * placed: attempts in all, the wait for each answer, and the longest pause between two. The
 * same Idempotency-Key makes every attempt the same order to the shop, so asking again is safe,
 * and giving up early would spend the person's approval on nothing (or report "not bought" for
 * an order the shop has).
 *
 * A shop that refuses the connection has the order from no attempt, and is most often one
 * restarting (`pnpm dev` restarts it on every change; a start takes 3 to 5 s): it is asked
 * again, at most every `refusedPauseMs`, for `refusedForMs` in all, however many attempts that
 * takes. The approval's token lives only in this process, so giving up then would make the
 * person approve again; 30 s outlasts a few restarts and keeps the person's wait short, and the
 * token lives far longer (24 hours for the shop's API).
 */
export const ORDER_RETRY = {
  attempts: 4,
  answerTimeoutMs: 20_000,
  maxPauseMs: 5_000,
  refusedForMs: 30_000,
  refusedPauseMs: 2_000,
} as const;

export interface OrderRetry {
  attempts: number;
  answerTimeoutMs: number;
  maxPauseMs: number;
  /** How long, in pauses, connections the shop refuses are tried again; 0 unless given. */
  refusedForMs?: number;
  /** The longest pause after a refused connection; `maxPauseMs` unless given. */
  refusedPauseMs?: number;
}

/**
 * The purchase tool's last step: the approved order, placed once, and the shop's answer sorted
 * into an outcome. A refused token is a setup problem, not the shop judging the purchase.
 *
 * An answer that does not settle the order (no answer, a broken connection, a 5xx, a 429) is
 * asked again with the same Idempotency-Key, after the shop's Retry-After (at most
 * `maxPauseMs`) or a growing pause. When it is still unsettled the outcome is
 * `order_unconfirmed`: the shop may have the order, and the key to look it up by is named.
 */
export async function orderPurchase(options: {
  fetch: typeof fetch;
  clock: Clock;
  shopApiUrl: string;
  accessToken: string;
  /** The order's Idempotency-Key, the approval's `purchase_id`. */
  idempotencyKey: string;
  purchase: PurchaseRequest;
  /**
   * The approval request carried the purchase as authorization_details (false:
   * AGENT_AUTHORIZATION_DETAILS=false, the binding message and the scope alone).
   */
  authorizationDetails?: boolean;
  retry?: OrderRetry;
}): Promise<OrderVerdict> {
  const { shopApiUrl, idempotencyKey } = options;
  const retry: OrderRetry = options.retry ?? ORDER_RETRY;
  let mayHaveReached = false;
  let last = "";
  /** The pauses after refused connections so far. */
  let refusedMs = 0;
  let attempt = 0;
  while (attempt < retry.attempts || (!mayHaveReached && refusedMs < (retry.refusedForMs ?? 0))) {
    attempt += 1;
    let answer: OrderAnswer;
    try {
      answer = await placeOrder({
        fetch: options.fetch,
        url: shopApiUrl,
        accessToken: options.accessToken,
        idempotencyKey,
        purchase: options.purchase,
        timeoutMs: retry.answerTimeoutMs,
      });
    } catch (error) {
      if (error instanceof AgentHalt) throw error;
      const network = classifyNetworkError(error);
      const sent = network === undefined || !NEVER_SENT.has(network.failure);
      mayHaveReached ||= sent;
      last =
        network?.code ??
        network?.failure ??
        (error instanceof Error ? error.message : String(error));
      const refused = !mayHaveReached && network?.failure === "connection_refused";
      const budget = refused ? (retry.refusedForMs ?? 0) - refusedMs : 0;
      if (attempt >= retry.attempts && budget <= 0) break;
      let wait = pause(attempt, undefined, retry.maxPauseMs);
      if (refused) {
        wait = Math.min(
          wait,
          retry.refusedPauseMs ?? wait,
          attempt < retry.attempts ? wait : budget,
        );
        refusedMs += wait;
      }
      await options.clock.sleep(wait);
      continue;
    }
    if (answer.ok) return { outcome: "ORDERED", description: "Ordered.", order: answer.order };
    if (answer.status >= 500 || answer.status === 429) {
      mayHaveReached = true;
      last = `${answer.status} ${answer.error}: ${answer.description}`;
      if (attempt < retry.attempts) {
        await options.clock.sleep(pause(attempt, answer.retryAfterSeconds, retry.maxPauseMs));
      }
      continue;
    }
    return refusal(answer, shopApiUrl, options.authorizationDetails ?? true);
  }
  if (!mayHaveReached) {
    return {
      outcome: "ERROR",
      error: "shop_unreachable",
      description: `Cannot reach the shop at ${hideCredentials(shopApiUrl)} (${last}${(retry.refusedForMs ?? 0) === 0 ? "" : `, for ${String(Math.round(refusedMs / 1000))} s`}); nothing was ordered.`,
      fix: "Start it with pnpm shop-api, or check SHOP_API_URL.",
    };
  }
  return {
    outcome: "ERROR",
    error: "order_unconfirmed",
    description: `The shop did not confirm the order after ${attempt} attempts (last: ${last}), so it may have it. Its Idempotency-Key is ${idempotencyKey}, the purchase id by which the shop keeps it, and it never places two orders under one key.`,
    fix: CHECK_ORDERS_FIX,
  };
}

/** The pause before the next attempt: the shop's Retry-After, else 0.5, 1, 2 s ..., capped. */
function pause(attempt: number, retryAfterSeconds: number | undefined, maxPauseMs: number): number {
  const wanted =
    retryAfterSeconds === undefined ? 500 * 2 ** (attempt - 1) : retryAfterSeconds * 1000;
  return Math.min(Math.max(wanted, 0), maxPauseMs);
}

/**
 * A refusal of the token's time claims: jose (under express-oauth2-jwt-bearer) says `"exp" claim
 * timestamp check failed`, and the same of `iat` and `nbf`.
 */
const TIME_CLAIM = /\b(?:exp|iat|nbf)\b["']? claim/;

/**
 * The fix for a shop that requires authorization_details (SHOP_API_REQUIRE_AUTHORIZATION_DETAILS,
 * true by default) refusing a token the agent asked for without them: no approval of this
 * setting can ever buy there.
 */
export const NO_AUTHORIZATION_DETAILS_FIX =
  "This agent asks for approvals without authorization_details (AGENT_AUTHORIZATION_DETAILS=false), and this shop requires them, so no approval it asks for can buy here: leave AGENT_AUTHORIZATION_DETAILS on (unset or true), or, for a tenant without Rich Authorization Requests or the Auth0 Guardian app, start the shop with SHOP_API_REQUIRE_AUTHORIZATION_DETAILS=false too; then ask again.";

/** A 4xx: the shop judged the order, or refused the token or the request. */
function refusal(
  answer: Extract<OrderAnswer, { ok: false }>,
  shopApiUrl: string,
  authorizationDetails: boolean,
): OrderVerdict {
  // RFC 9396: the approval does not cover this order. That is the shop judging the purchase;
  // any other 401/403 means the token itself was refused.
  const judged = answer.error === "insufficient_authorization_details";
  if ((answer.status === 401 || answer.status === 403) && !judged) {
    return {
      outcome: "ERROR",
      error: answer.error,
      description: `The shop refused the approved token (${answer.status}): ${answer.description}`,
      fix: TIME_CLAIM.test(answer.description)
        ? "The shop refused the token as expired or not yet valid, which a fresh token is only when the shop's clock and the tenant's disagree: check the clocks of the shop and the tenant (NTP), then ask again."
        : "Check that the shop trusts this tenant (AUTH0_DOMAIN) and expects SHOP_API_AUDIENCE.",
    };
  }
  if (answer.status === 404 || answer.status === 405) {
    return {
      outcome: "CONFIG_ERROR",
      error: answer.error,
      description: `${hideCredentials(shopApiUrl)} takes no orders (${answer.status}): ${answer.description}`,
      fix: PURCHASE_URL_FIX,
    };
  }
  return {
    outcome: "SHOP_REFUSED",
    error: answer.error,
    description: answer.description,
    ...(answer.error === "insufficient_stock" ? { fix: STOCK_FIX } : {}),
    // With none sent, the shop's only such refusal is its requirement of them.
    ...(judged && !authorizationDetails ? { fix: NO_AUTHORIZATION_DETAILS_FIX } : {}),
  };
}
