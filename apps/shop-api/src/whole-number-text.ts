/** A JSON number as written (RFC 8259 section 6): sign, digits, fraction, exponent. */
const JSON_NUMBER = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * Whether a JSON number, as its text writes it, is a whole number exactly: `2`, `2.0`, `2e0`
 * and `20E-1` are; `1.5` is not, and neither is `0.99999999999999999`, which JSON.parse reads
 * as 1, the nearest double. Read from the decimal digits, not from a double: the number is
 * `digits` times ten to the power `exponent - fraction length`, whole when every digit that
 * power puts after the point is 0.
 */
export function writesWholeNumber(text: string): boolean {
  const match = JSON_NUMBER.exec(text);
  if (!match) return false;
  const [, whole = "", fraction = "", exponent = "0"] = match;
  const digits = whole + fraction;
  const scale = Number(exponent) - fraction.length;
  if (scale >= 0) return true;
  return /^0*$/.test(digits.slice(Math.max(0, digits.length + scale)));
}
