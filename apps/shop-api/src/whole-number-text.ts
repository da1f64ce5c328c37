import { decimalOf } from "@ciba-testbed/shared";

/**
 * Whether a JSON number, as its text writes it, is a whole number exactly: `2`, `2.0`, `2e0`
 * and `20E-1` are; `1.5` is not, and neither is `0.99999999999999999`, which JSON.parse reads
 * as 1, the nearest double. Read from the decimal digits (`decimalOf`), not from a double:
 * whole when every digit the exponent puts after the point is 0.
 */
export function writesWholeNumber(text: string): boolean {
  const decimal = decimalOf(text);
  if (decimal === undefined) return false;
  const { digits, exponent } = decimal;
  if (exponent >= 0) return true;
  return /^0*$/.test(digits.slice(Math.max(0, digits.length + exponent)));
}
