import { limitToCents, sanitizeBindingText } from "@ciba-testbed/shared";
import type { AuthorizationDetail } from "@ciba-testbed/shared";

/**
 * Text cut into the words a person reads: accents and case set aside, a number kept whole
 * ("19.99", "1,000"), "$" kept as a word of its own, a mark that ends a phrase (`,:;#+.!?`) kept
 * as ",", and the rest of the punctuation (a hyphen, an apostrophe) read as a space. "Buy 2
 * XYZ-phones, for $19.99!" reads `buy 2 xyz phones , for $ 19.99`; a mark that ends the text is
 * dropped.
 */
function words(text: string): string[] {
  const said = (
    text
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .match(/\$|\d+(?:[.,]\d+)+|[a-z0-9]+|[,:;#+.!?]+/g) ?? []
  ).map((word) => (/^[,:;#+.!?]/.test(word) ? "," : word));
  while (said.at(-1) === ",") said.pop();
  return said;
}

const isNumber = (word: string | undefined): boolean => word !== undefined && /^\d/.test(word);

/** A number as written: "1,000" is a thousand (thousands apart), "9,98" is 9.98 (a decimal comma). */
function numberValue(word: string): number {
  return Number(
    /^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(word) ? word.replace(/,/g, "") : word.replace(",", "."),
  );
}

/** "x2" and "2x", as in "XYZ phone x2": a quantity. */
const TIMES = /^(?:x(\d+)|(\d+)x)$/;

/**
 * Words that may follow a product's name without making it another product's: "2 XYZ phones
 * for max 998 USD", "XYZ phone x2", "2 XYZ phones, order 12". Any other word after the name ("2 XYZ phone cases") names
 * something else.
 */
const CONNECTORS = new Set([",", "for", "at", "from", "to", "and", "each", "max", "maximum", "up"]);

/** Words after which a number is an amount the person may pay: "max 998", "up to 998", "at most 998". */
function isLimitAt(said: readonly string[], index: number): boolean {
  const before = said[index - 1];
  const twoBefore = said[index - 2];
  return (
    before === "max" ||
    before === "maximum" ||
    (before === "to" && twoBefore === "up") ||
    (before === "most" && twoBefore === "at")
  );
}

/**
 * Whether the number at `index` is a price rather than a count: a limit ("max 998", "up to
 * 998"), after "$", or beside a currency code ("998 USD", "USD 998").
 */
function isPriceAt(
  said: readonly string[],
  index: number,
  currencies: ReadonlySet<string>,
): boolean {
  const before = said[index - 1];
  const after = said[index + 1];
  return (
    isLimitAt(said, index) ||
    before === "$" ||
    (before !== undefined && currencies.has(before)) ||
    (after !== undefined && currencies.has(after))
  );
}

/** The forms a name's last word may take in a message: as it is, or in the plural. */
function lastWordForms(word: string): string[] {
  return [word, `${word}s`, `${word}es`, `${word.replace(/y$/, "")}ies`];
}

/**
 * Where the message names the product, as word positions (to keep the numbers of a name such as
 * "Model 3 charger" from counting as the quantity), or `undefined` when it does not. The name
 * must be there as whole words in a row, its last word maybe in the plural ("battery" in "2
 * batteries"), and followed by the end of the message, a connector ("for", "at", "max", "x2"…)
 * or a price, never by another word of a product: "XYZ phone" is not named by "2 XYZ phone
 * cases". A message cut short with "..." may end inside the name ("Extraordinarily long pro...").
 * The name is taken as written and as the shared builder writes it into a binding message,
 * which Auth0 limits to `A-Za-z0-9+-_.,:#` and spaces: "AT&T SIM card" as "AT and T SIM card",
 * "Kid's toy" as "Kids toy" (`sanitizeBindingText`). A name with no such letter or digit
 * ("τηλέφωνο") cannot be named by any binding message.
 */
function productPositions(
  message: string,
  said: readonly string[],
  product: string,
  currencies: ReadonlySet<string>,
): Set<number> | undefined {
  const cutShort = message.trimEnd().endsWith("...");
  for (const name of [words(product), words(sanitizeBindingText(product))]) {
    if (name.length === 0) continue;
    for (let start = 0; start < said.length; start++) {
      let length = 0;
      while (
        length < name.length &&
        start + length < said.length &&
        (length === name.length - 1
          ? lastWordForms(name[length] ?? "").includes(said[start + length] ?? "")
          : said[start + length] === name[length])
      ) {
        length++;
      }
      const end = start + length;
      const positions = new Set(Array.from({ length }, (_, offset) => start + offset));
      if (length === name.length) {
        const next = said[end];
        if (
          next === undefined ||
          CONNECTORS.has(next) ||
          TIMES.test(next) ||
          (isNumber(next) && isPriceAt(said, end, currencies)) ||
          currencies.has(next)
        ) {
          return positions;
        }
      } else if (
        cutShort &&
        end === said.length - 1 &&
        (name[length] ?? "").startsWith(said[end] ?? "_")
      ) {
        // The message stops inside the name: its last word is the start of the name's next one.
        positions.add(end);
        return positions;
      } else if (cutShort && length > 0 && end === said.length) {
        return positions;
      }
    }
  }
  return undefined;
}

/** How a problem is written: a product as JSON writes it, so a stray space or quote shows. */
const quoted = (text: string): string => JSON.stringify(text);

/**
 * Where a request's binding message and its `authorization_details` visibly disagree. For each
 * `product_purchase` entry the message must name its product (see `productPositions`) and its
 * quantity, as a number of its own that is not a price ("19.99" holds no 19; in "2 XYZ phones
 * for max 20 USD" 20 is a price, not a quantity), and a maximum the message states ("max 998
 * USD", "up to 998") must be the entry's `maximum_amount` in whole cents, as the shop applies
 * it. Auth0's Guardian shows only the binding message for a custom type, so the person approves
 * what the message says while the token carries the details: an agent that writes one and sends
 * the other is wrong, and the testbed says so. `undefined` when they agree, or when there is
 * nothing to compare.
 */
export function messageMismatch(
  bindingMessage: string,
  details: readonly AuthorizationDetail[] | undefined,
): string | undefined {
  const said = words(bindingMessage);
  const unnamed: string[] = [];
  const unset: string[] = [];
  for (const entry of details ?? []) {
    if (entry.type !== "product_purchase") continue;
    const { product, quantity, currency } = entry as {
      product?: unknown;
      quantity?: unknown;
      currency?: unknown;
    };
    const currencies = new Set([
      "usd",
      ...(typeof currency === "string" ? [currency.toLowerCase()] : []),
    ]);
    const inName =
      typeof product === "string"
        ? productPositions(bindingMessage, said, product, currencies)
        : new Set<number>();
    if (inName === undefined) unnamed.push(`the product ${quoted(product as string)}`);

    const counts = said.flatMap((word, index) => {
      const times = TIMES.exec(word);
      if (times) return [Number(times[1] ?? times[2])];
      if (!isNumber(word) || inName?.has(index) || isPriceAt(said, index, currencies)) return [];
      return [numberValue(word)];
    });
    if (typeof quantity === "number" && Number.isFinite(quantity) && !counts.includes(quantity)) {
      unnamed.push(`the quantity ${String(quantity)}`);
    }

    const limits = said.flatMap((word, index) =>
      isNumber(word) && isLimitAt(said, index) && !inName?.has(index) ? [word] : [],
    );
    const maximum = (entry as { maximum_amount?: unknown }).maximum_amount;
    for (const limit of new Set(limits)) {
      if (typeof maximum !== "number") {
        unset.push(limit);
      } else if (limitToCents(numberValue(limit)) !== limitToCents(maximum)) {
        unnamed.push(`the maximum_amount ${String(maximum)} (it says max ${limit})`);
      }
    }
  }
  const clauses = [
    ...(unnamed.length > 0
      ? [`does not name ${unnamed.join(" or ")} of authorization_details`]
      : []),
    ...(unset.length > 0
      ? [`states a maximum of ${unset.join(" and ")} that authorization_details do not set`]
      : []),
  ];
  if (clauses.length === 0) return undefined;
  return `The binding message ${clauses.join(" and ")}: the person would approve the message while the token authorizes the details.`;
}
