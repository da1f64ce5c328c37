import { SHOP_CURRENCY, fromCents, limitToCents, toCents } from "@ciba-testbed/shared";

export { fromCents, limitToCents, toCents };

/** "998.00 USD": for messages a person reads. */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, "0")} ${SHOP_CURRENCY}`;
}
