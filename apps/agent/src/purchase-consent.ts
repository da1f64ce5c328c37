import {
  limitToCents,
  normalizeProductReference,
  toCents,
  type PurchaseRequest,
} from "@ciba-testbed/shared";

import type { CatalogAnswer } from "./catalog-check.js";

/**
 * The most the person approves a purchase for: their limit as the shop applies it, whole cents
 * rounded down, as the binding message says it (19.989 was sent as is, which a consent screen
 * shows rounded up, $19.99), else the catalog's total when the catalog knows the product.
 */
export function maximumAmountOf(
  input: PurchaseRequest,
  catalog: CatalogAnswer,
): number | undefined {
  if (input.priceLimit !== undefined) return limitToCents(input.priceLimit) / 100;
  return catalog.kind === "found" ? catalog.total : undefined;
}

/**
 * What the person is asked to approve for a purchase, as one string: the catalog's product (the
 * shop's match of the name, so "XYZ Phone", "xyz phone" and "xyz-phone" are one), the quantity
 * and the maximum amount in whole cents. Two purchases with the same consent read alike on the
 * person's phone and buy alike: nobody can tell a second one from a repeated push.
 * `maximumAmount`: the amount the purchase was asked with, when it was (its record's).
 */
export function consentOf(
  input: PurchaseRequest,
  catalog: CatalogAnswer,
  maximumAmount: number | undefined = maximumAmountOf(input, catalog),
): string {
  const product = catalog.kind === "found" ? catalog.name : input.product;
  return JSON.stringify([
    normalizeProductReference(product),
    input.qty,
    maximumAmount === undefined ? null : toCents(maximumAmount),
  ]);
}
