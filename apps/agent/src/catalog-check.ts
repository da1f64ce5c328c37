import {
  normalizeProductReference,
  productReferenceCandidates,
  toCents,
  type PurchaseRequest,
} from "@ciba-testbed/shared";

import type { Verdict } from "./purchase-result.js";
import { fetchProducts } from "./shop-client.js";

export type CatalogAnswer =
  /** The catalog could not be read; the shop judges the order alone. */
  | { kind: "unavailable" }
  | { kind: "unknown" }
  | { kind: "found"; name: string; total: number; stock: number | undefined };

/**
 * What the shop's catalog says about a purchase before the person is asked: whether the
 * product exists, what it costs in total today (a real `maximum_amount` for the consent) and
 * the stock. Matching mirrors the shop's lookup: by id, or by name ignoring case and spacing,
 * and a simple plural.
 */
export async function lookUpCatalog(options: {
  fetch: typeof fetch;
  url: string;
  product: string;
  qty: number;
}): Promise<CatalogAnswer> {
  const products = await fetchProducts(options);
  if (products === undefined) return { kind: "unavailable" };

  const wanted = productReferenceCandidates(options.product);
  for (const item of products) {
    const names = [item.id, item.name].filter((v): v is string => typeof v === "string");
    if (!names.some((name) => wanted.includes(normalizeProductReference(name)))) continue;
    if (typeof item.price !== "number") return { kind: "unavailable" };
    return {
      kind: "found",
      name: typeof item.name === "string" ? item.name : options.product,
      total: toCents(item.price * options.qty) / 100,
      stock: typeof item.stock === "number" ? item.stock : undefined,
    };
  }
  return { kind: "unknown" };
}

/** What the shop would refuse after the person approved: better not to ask them at all. */
export function refusalBeforeAsking(
  input: PurchaseRequest,
  catalog: CatalogAnswer,
): Verdict | undefined {
  if (catalog.kind === "unknown") {
    return {
      outcome: "SHOP_REFUSED",
      error: "unknown_product",
      description: `The shop's catalog has no product matching "${input.product}"; the person was not asked.`,
    };
  }
  if (catalog.kind !== "found") return undefined;
  if (catalog.stock !== undefined && catalog.stock < input.qty) {
    return {
      outcome: "SHOP_REFUSED",
      error: "insufficient_stock",
      description: `Only ${catalog.stock} x ${catalog.name} in stock, ${input.qty} wanted; the person was not asked.`,
    };
  }
  if (input.priceLimit !== undefined && catalog.total > input.priceLimit) {
    return {
      outcome: "SHOP_REFUSED",
      error: "price_limit_exceeded",
      description: `It costs ${catalog.total.toFixed(2)} USD at today's price, above the limit of ${input.priceLimit} USD; the person was not asked.`,
    };
  }
  return undefined;
}
