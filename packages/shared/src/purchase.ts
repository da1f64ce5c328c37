import { z } from "zod";

export const MAX_PRODUCT_NAME_LENGTH = 100;
export const MAX_QUANTITY = 1000;
export const MAX_PRICE_LIMIT = 1_000_000;

/**
 * The body of `POST /api/purchases`: the same shape as the input of the Auth0 quickstart's
 * `shopOnlineTool` (`{ product, qty, priceLimit? }`), so that tool can post to the shop API
 * unchanged. The rules are stricter than the quickstart's bare types because an API must
 * refuse what it cannot honour.
 */
export const purchaseRequestSchema = z
  .object({
    product: z
      .string({
        required_error: "product is required",
        invalid_type_error: "product must be a string",
      })
      .trim()
      .min(1, "product must not be empty")
      .max(MAX_PRODUCT_NAME_LENGTH, `product must be at most ${MAX_PRODUCT_NAME_LENGTH} characters`)
      .describe("The product to buy, by id or by name, e.g. 'XYZ phone'"),
    qty: z
      .number({ required_error: "qty is required", invalid_type_error: "qty must be a number" })
      .int("qty must be a whole number")
      .min(1, "qty must be at least 1")
      .max(MAX_QUANTITY, `qty must be at most ${MAX_QUANTITY}`)
      .describe("How many units to buy"),
    priceLimit: z
      .number({ invalid_type_error: "priceLimit must be a number" })
      .positive("priceLimit must be greater than 0")
      .max(MAX_PRICE_LIMIT, `priceLimit must be at most ${MAX_PRICE_LIMIT}`)
      .optional()
      .describe("The most the person will pay for the whole order, in USD"),
  })
  .strict();

export type PurchaseRequest = z.infer<typeof purchaseRequestSchema>;

/** Whole cents, so that money is never compared as floating point. */
export function toCents(amount: number): number {
  return Math.round(amount * 100);
}

/**
 * The most whole cents a limit allows: a limit of 9.985 allows 9.98, not the 9.99 rounding
 * would make of it. The product by 100 is first rounded to a millionth of a cent, so that
 * 9.99 (998.9999999999999 cents in floating point) stays 999.
 */
export function limitToCents(amount: number): number {
  return Math.floor(Number((amount * 100).toFixed(6)));
}

export function fromCents(cents: number): number {
  return cents / 100;
}
