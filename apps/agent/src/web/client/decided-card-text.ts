/**
 * What the card of a purchase past its wait says, in a person's words: a heading by the
 * purchase's outcome (never the outcome's code), and, for a call that was not tried, the
 * sentence the CLI's report says it with (`describeNotTried` in agent-report.ts). The tool's
 * result for such a call is written for the model: it tells it what to do, and says what held
 * when the call was refused (that a purchase waits), which is no longer so once that purchase
 * is decided. For the browser bundle.
 */

/** The outcome of a tool call that was not tried (turn-guard.ts). */
export const NOT_TRIED = "NO_PURCHASE";

/** Its error when the turn had asked for the same purchase already (turn-guard.ts). */
export const REPEATED_PURCHASE = "repeated_purchase";

/** The only currency the sample shop trades in (SHOP_CURRENCY). */
const CURRENCY = "USD";

const HEADINGS: Readonly<Record<string, string>> = {
  ORDERED: "ordered",
  DENIED: "denied",
  EXPIRED: "expired",
  SHOP_REFUSED: "refused by the shop",
  REQUEST_REFUSED: "refused by Auth0",
  ERROR: "failed",
  CONFIG_ERROR: "not asked",
  [NOT_TRIED]: "not tried",
  UNKNOWN: "unknown",
};

/** The heading of a decided purchase's card ("Purchase: refused by the shop"). */
export function decidedHeading(status: string): string {
  return `Purchase: ${HEADINGS[status] ?? status.toLowerCase().replaceAll("_", " ")}`;
}

/** A purchase as a tool call asks for it (its input), or as its result names it. */
export interface AskedPurchase {
  product?: unknown;
  qty?: unknown;
  priceLimit?: unknown;
}

/** `purchase` as the CLI's report names it: "2 x XYZ phone (at most 500 USD)". */
function describe({ product, qty, priceLimit }: AskedPurchase): string {
  if (typeof product !== "string" || typeof qty !== "number") return "A purchase";
  const limit =
    typeof priceLimit === "number" ? ` (at most ${String(priceLimit)} ${CURRENCY})` : "";
  return `${String(qty)} x ${product}${limit}`;
}

/**
 * What the card of a call not tried says: `purchase` is what the call asked for, `error` its
 * result's error, if it has one.
 */
export function notTriedText(purchase: AskedPurchase, error: unknown): string {
  const what = describe(purchase);
  return error === REPEATED_PURCHASE
    ? `Another ${what}, asked for again in this turn, was not tried: the same purchase is not asked for twice in one turn, so nobody was asked again and nothing more was ordered; ask again for another.`
    : `${what} was not tried: nobody was asked to approve it, and nothing was ordered.`;
}
