/**
 * What the card of a purchase past its wait says, in a person's words: a heading by the
 * purchase's outcome (never the outcome's code), and, for a call that was not tried, the
 * sentence the CLI's report says it with (`describeNotTried` in agent-report.ts). The tool's
 * result for such a call is written for the model: it tells it what to do, and says what held
 * when the call was refused (that a purchase waits), which is no longer so once that purchase
 * is decided. For the browser bundle.
 */
import { UNCONFIRMED } from "./approval-status.js";

/** The outcome of a tool call that was not tried (turn-guard.ts). */
export const NOT_TRIED = "NO_PURCHASE";

/** Its error when the turn had asked for the same purchase already (turn-guard.ts). */
export const REPEATED_PURCHASE = "repeated_purchase";

/** The only currency the sample shop trades in (SHOP_CURRENCY). */
const CURRENCY = "USD";

const HEADINGS: Readonly<Record<string, string>> = {
  // The shop placed the order: approval alone is no order, and no card of one says "ordered".
  // The answer below says what it holds (its id, its total).
  ORDERED: "ordered",
  DENIED: "denied",
  EXPIRED: "expired",
  SHOP_REFUSED: "refused by the shop",
  REQUEST_REFUSED: "refused by Auth0",
  ERROR: "failed",
  CONFIG_ERROR: "not asked",
  [NOT_TRIED]: "not tried",
  NOT_RUN: "not run",
  UNKNOWN: "unknown",
  // The shop may have placed it: "failed" would tell the person nothing was ordered.
  [UNCONFIRMED]: "not confirmed",
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
    typeof priceLimit === "number" ? ` (at most ${askedAmount(priceLimit)} ${CURRENCY})` : "";
  return `${String(qty)} x ${product}${limit}`;
}

/**
 * A price limit as the CLI's report says it (`describePurchase`), which is how the shop applies
 * it and the person was asked it: in whole cents rounded down from the decimal the number is
 * written as (`limitToCents` in @ciba-testbed/shared), so 999.999 is "999.99" and 499.004 is
 * "499". A number written otherwise (an exponent) is said as written.
 */
function askedAmount(limit: number): string {
  const decimal = /^(\d+)(?:\.(\d+))?$/.exec(String(limit));
  if (decimal === null) return String(limit);
  const [, whole = "", fraction = ""] = decimal;
  return String(Number(`${whole}${fraction.padEnd(2, "0").slice(0, 2)}`) / 100);
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

/** The status of a tool call that never ran: the model's input could not be used. */
export const NOT_RUN = "NOT_RUN";

/** The purchase tool's bounds (purchase.ts in @ciba-testbed/shared; its test holds them to it). */
export const INPUT_BOUNDS = { productLength: 100, qty: 1000, priceLimit: 1_000_000 };

/** The members the purchase tool takes (`purchaseRequestSchema`). */
const TAKEN = new Set(["product", "qty", "priceLimit"]);

/** Why the purchase tool refuses `input`, an object, in a person's words; none when it would not. */
function refusedInput(input: Readonly<Record<string, unknown>>): string[] {
  const { product, qty, priceLimit } = input;
  const why: string[] = [];
  const other = Object.keys(input).filter((key) => !TAKEN.has(key));
  if (other.length > 0) {
    why.push(`it gave ${other.join(", ")}, which the purchase tool does not take`);
  }
  if (typeof product !== "string") why.push("it named no product");
  else if (product.trim() === "") why.push("its product name was empty");
  else if (product.trim().length > INPUT_BOUNDS.productLength) {
    why.push(`its product name was over ${String(INPUT_BOUNDS.productLength)} characters`);
  }
  if (typeof qty !== "number") why.push("its quantity was not a number");
  else if (!Number.isInteger(qty)) why.push("its quantity was not a whole number");
  else if (qty < 1 || qty > INPUT_BOUNDS.qty) {
    why.push(`its quantity was not 1 to ${String(INPUT_BOUNDS.qty)}`);
  }
  if (priceLimit !== undefined) {
    if (typeof priceLimit !== "number") why.push("its price limit was not a number");
    else if (priceLimit < 0.01 || priceLimit > INPUT_BOUNDS.priceLimit) {
      why.push(`its price limit was not 0.01 to ${String(INPUT_BOUNDS.priceLimit)} ${CURRENCY}`);
    }
  }
  return why;
}

/**
 * What the card of a tool call that never ran says: `input` is the call's input as the model
 * wrote it (the JSON's value, or the text when it was none), `errorText` the tool part's error.
 * The why is said in the card's own words, read from the input: the
 * part's error is written for the model and the answer (it quotes the input, and for input that
 * is not JSON it carries the AI SDK's parser message), and the answer below says it whole.
 */
export function notRunText(input: unknown, errorText: string): string {
  const what =
    isObject(input) && typeof input.product === "string" && typeof input.qty === "number"
      ? ` for ${describe(input)}`
      : "";
  let why: string;
  if (!isObject(input)) {
    why = /\bnot whole JSON\b/u.test(errorText)
      ? "its input broke off before it was complete"
      : "its input was not JSON the agent can read";
  } else {
    const refused = refusedInput(input);
    why =
      refused.length > 0
        ? refused.join("; ")
        : errorText.startsWith("The model's call of ")
          ? "the purchase tool refused its input"
          : "the model's answer broke off, so none of the calls in it was run";
  }
  return `The model's call${what} was not run: ${why}. Nobody was asked to approve anything for it, and nothing was ordered.`;
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
