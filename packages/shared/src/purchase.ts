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
      // A limit below one cent allows nothing the shop sells, and reads "for max 0 USD".
      .min(0.01, "priceLimit must be at least 0.01 (one cent)")
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
 * A decimal as JavaScript (`9.99`, `-0.5`, `1e-7`, `1.5e+21`) or a JSON text (RFC 8259 section
 * 6: `9.990`, `999E-2`, `1e2`) writes it.
 */
const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * The most whole cents a limit allows: a limit of 9.985 allows 9.98, not the 9.99 rounding
 * would make of it, and 9.989999999 allows 9.98 too. Floored from the decimal the number is
 * written as (the shortest that reads back as it, as in the JSON it came from), not from
 * `amount * 100` in floating point: 9.99 times 100 is 998.9999999999999, and rounding that
 * product first to make it 999 also made 998.9999999 999. The approver page, which has no
 * build step, takes the same steps in its own `details.js` (its tests compare the two).
 */
export function limitToCents(amount: number): number {
  if (!Number.isFinite(amount)) return Math.floor(amount);
  return writtenLimitToCents(String(amount));
}

/**
 * `limitToCents` of a limit as its text writes it, before any reader has made a double of it:
 * `9.989999999999999999` allows 9.98, where the double JSON.parse makes of it, 9.99, allows
 * 9.99. Only for a text whose number is finite: the exponent sets how many zeros are written
 * out.
 */
export function writtenLimitToCents(text: string): number {
  const decimal = decimalOf(text);
  if (decimal === undefined) throw new RangeError(`Cannot read ${text} as a decimal`);
  const { negative, digits, exponent } = decimal;
  // In cents: two more powers of ten.
  const shift = exponent + 2;
  if (shift >= 0) return Number(`${negative ? "-" : ""}${digits}${"0".repeat(shift)}`);
  const kept = Number(digits.slice(0, Math.max(0, digits.length + shift)));
  const dropped = /[1-9]/.test(digits.slice(Math.max(0, digits.length + shift)));
  // Below zero, the floor is one cent further from zero when a fraction of a cent was dropped.
  return negative ? -kept - (dropped ? 1 : 0) : kept;
}

/**
 * A decimal's text (`DECIMAL_TEXT`) read exactly, as no double holds it: the number is `digits`
 * (the whole part's and the fraction's, in order) times ten to the power `exponent`, negative
 * when written with a "-". `undefined` for a text that is no such decimal.
 */
export function decimalOf(
  text: string,
): { negative: boolean; digits: string; exponent: number } | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return undefined;
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = match;
  return {
    negative: sign === "-",
    digits: whole + fraction,
    exponent: Number(exponent) - fraction.length,
  };
}

export function fromCents(cents: number): number {
  return cents / 100;
}
