import {
  findProductByReference,
  hideCredentials,
  limitToCents,
  LOCAL_DEFAULTS,
  quotedValue,
  toCents,
  type PurchaseRequest,
} from "@ciba-testbed/shared";

import { classifyNetworkError } from "@ciba-testbed/shared/node";

import type { Verdict } from "./purchase-result.js";
import { fetchProducts, NEVER_SENT, type EndpointProbe } from "./shop-client.js";

export type CatalogAnswer =
  /** The catalog could not be read: nothing says the shop would sell this, so do not ask. */
  | { kind: "unavailable"; url: string; problem: string }
  | { kind: "unknown" }
  | { kind: "found"; name: string; total: number; stock: number | undefined };

/**
 * How long the check waits for the shop's catalog before it counts as unreachable. A stopped
 * shop refuses the connection at once; this bounds one that accepted it and is slow to answer:
 * starting up, or under load (twenty agents at once on two busy cores took the shop past 1.5 s).
 */
export const CATALOG_CHECK_TIMEOUT_MS = 5000;

/**
 * What the shop's catalog says about a purchase before the person is asked: whether the
 * product exists, what it costs in total today (a real `maximum_amount` for the consent) and
 * the stock. Matching is the shop's own (`findProductByReference`): by id, or by name ignoring
 * case and spacing, and a simple plural.
 */
export async function lookUpCatalog(options: {
  fetch: typeof fetch;
  url: string;
  product: string;
  qty: number;
}): Promise<CatalogAnswer> {
  const read = await fetchProducts({ ...options, timeoutMs: CATALOG_CHECK_TIMEOUT_MS });
  if (!read.ok) return { kind: "unavailable", url: options.url, problem: read.problem };

  const item = findProductByReference(options.product, read.products);
  if (item === undefined) return { kind: "unknown" };
  const name = typeof item.name === "string" ? item.name : options.product;
  if (typeof item.price !== "number") {
    return { kind: "unavailable", url: options.url, problem: `it lists ${name} without a price` };
  }
  return {
    kind: "found",
    name,
    total: toCents(item.price * options.qty) / 100,
    stock: typeof item.stock === "number" ? item.stock : undefined,
  };
}

/**
 * Why not to ask the person at all: the shop would certainly refuse (unknown product, not
 * enough stock, over the person's own limit), or its catalog cannot be read, so nothing says
 * it would sell. A consent the shop will refuse is a push for nothing.
 */
export function refusalBeforeAsking(
  input: PurchaseRequest,
  catalog: CatalogAnswer,
): Verdict | undefined {
  switch (catalog.kind) {
    case "unavailable":
      return {
        outcome: "ERROR",
        error: "catalog_unavailable",
        description: `Cannot read the shop's catalog at ${hideCredentials(catalog.url)} (${catalog.problem}), so the purchase cannot be checked; the person was not asked.`,
        fix: "Start the local stack with pnpm dev (the shop alone: pnpm shop-api, with pnpm mock-auth0 running), or point SHOP_API_URL (or SHOP_CATALOG_URL) at the shop.",
      };
    case "unknown":
      return {
        outcome: "SHOP_REFUSED",
        error: "unknown_product",
        description: `The shop's catalog has no product matching ${quotedValue(input.product)}; the person was not asked.`,
      };
    case "found":
      break;
  }
  if (catalog.stock !== undefined && catalog.stock < input.qty) {
    return {
      outcome: "SHOP_REFUSED",
      error: "insufficient_stock",
      description: `Only ${catalog.stock} x ${catalog.name} in stock, ${input.qty} wanted; the person was not asked.`,
      fix: STOCK_FIX,
    };
  }
  // The shop's own rule, in whole cents with the limit rounded down (limitToCents), and the
  // limit told as the shop applies it, as the binding message does: 9.989999999 allows 9.98.
  const limitCents = input.priceLimit === undefined ? undefined : limitToCents(input.priceLimit);
  if (limitCents !== undefined && toCents(catalog.total) > limitCents) {
    return {
      outcome: "SHOP_REFUSED",
      error: "price_limit_exceeded",
      description: `It costs ${catalog.total.toFixed(2)} USD at today's price, above the limit of ${(limitCents / 100).toFixed(2)} USD; the person was not asked.`,
    };
  }
  return undefined;
}

/**
 * What to do when the shop has too few: nothing restocks a shop, and the testbed's keeps its
 * stock across restarts (`.data/shop-api`), so a quick start repeated often runs out.
 */
export const STOCK_FIX =
  "Ask for what is in stock, or restock the testbed's shop: stop it (or pnpm dev) and start it with pnpm shop-api --reset, which also forgets its orders and refuses every approval given before it.";

/** What to set when SHOP_API_URL takes no orders. */
export const PURCHASE_URL_FIX = `Set SHOP_API_URL to the shop's purchase endpoint, e.g. http://localhost:${LOCAL_DEFAULTS.shopApiPort}/api/purchases.`;

/**
 * Why not to ask the person because of where the order would go (`probePurchaseEndpoint`):
 * the purchase URL takes no orders (404, 405), or no request reaches it. Any other answer asks:
 * 401 or 403 is a shop that wants a token there, as an Auth0-protected API does; a 5xx or a
 * slow answer may pass, and the order step asks again then.
 */
export function purchaseUrlRefusal(probe: EndpointProbe, url: string): Verdict | undefined {
  if (probe.ok) {
    if (probe.status !== 404 && probe.status !== 405) return undefined;
    return {
      outcome: "CONFIG_ERROR",
      error: "no_purchase_endpoint",
      description: `${hideCredentials(url)} takes no orders: it answered ${probe.status} to a POST, so no order sent there could be placed; the person was not asked.`,
      fix: PURCHASE_URL_FIX,
    };
  }
  const network = classifyNetworkError(probe.error);
  if (network === undefined || !NEVER_SENT.has(network.failure)) return undefined;
  return {
    outcome: "ERROR",
    error: "shop_unreachable",
    description: `Cannot reach the shop at ${hideCredentials(url)} (${network.code ?? network.failure}), so no order could be placed; the person was not asked.`,
    fix: "Start it with pnpm shop-api, or check SHOP_API_URL.",
  };
}
