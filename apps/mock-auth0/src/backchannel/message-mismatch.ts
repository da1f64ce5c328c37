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

/**
 * Whether the number at `index` is an amount the person may pay: after "max", "maximum", "up to"
 * or "at most", with the currency maybe written first ("max 998", "max USD 998", "up to $998"),
 * and maybe "of" or a mark between ("maximum of 998", "max: 998").
 */
function isLimitAt(
  said: readonly string[],
  index: number,
  currencies: ReadonlySet<string>,
): boolean {
  let at = index - 1;
  if (said[at] === "$" || currencies.has(said[at] ?? "")) at--;
  if (said[at] === "of") at--;
  if (said[at] === ",") at--;
  const before = said[at];
  const twoBefore = said[at - 1];
  return (
    before === "max" ||
    before === "maximum" ||
    (before === "to" && twoBefore === "up") ||
    (before === "most" && twoBefore === "at")
  );
}

/**
 * Whether the number at `index` is a price rather than a count: a limit ("max 998", "up to
 * USD 998"), after "$", or beside a currency code ("998 USD", "USD 998"). With `countsNext`,
 * the word after it starts the product's name, so a name that starts with a currency code
 * ("20 USD gift cards") does not make the number a price.
 */
function isPriceAt(
  said: readonly string[],
  index: number,
  currencies: ReadonlySet<string>,
  countsNext = false,
): boolean {
  const before = said[index - 1];
  const after = said[index + 1];
  return (
    isLimitAt(said, index, currencies) ||
    before === "$" ||
    (before !== undefined && currencies.has(before)) ||
    (!countsNext && after !== undefined && currencies.has(after))
  );
}

/** The forms a name's last word may take in a message: as it is, or in the plural. */
function lastWordForms(word: string): string[] {
  return [word, `${word}s`, `${word}es`, `${word.replace(/y$/, "")}ies`];
}

/** Where a message names a product: the positions of its words, from `start` up to `end`. */
interface Naming {
  start: number;
  end: number;
}

/**
 * Everywhere the message names the product, as word positions (to keep the numbers of a name
 * such as "Model 3 charger" from counting as the quantity); empty when it does not. The name
 * must be there as whole words in a row, its last word maybe in the plural ("battery" in "2
 * batteries"), and followed by the end of the message, a connector ("for", "at", "max", "x2"…)
 * or a price, never by another word of a product: "XYZ phone" is not named by "2 XYZ phone
 * cases". A message cut short with "..." may end inside the name ("Extraordinarily long pro...").
 * The name is taken as written and as the shared builder writes it into a binding message,
 * which Auth0 limits to `A-Za-z0-9+-_.,:#` and spaces: "AT&T SIM card" as "AT and T SIM card",
 * "Kid's toy" as "Kids toy" (`sanitizeBindingText`). A name with no such letter or digit
 * ("τηλέφωνο") cannot be named by any binding message.
 */
function productNamings(
  message: string,
  said: readonly string[],
  product: string,
  currencies: ReadonlySet<string>,
): Naming[] {
  const cutShort = message.trimEnd().endsWith("...");
  const namings = new Map<number, Naming>();
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
      if (length === name.length) {
        const next = said[end];
        if (
          next === undefined ||
          CONNECTORS.has(next) ||
          TIMES.test(next) ||
          (isNumber(next) && isPriceAt(said, end, currencies)) ||
          currencies.has(next)
        ) {
          namings.set(start, { start, end });
        }
      } else if (
        cutShort &&
        end === said.length - 1 &&
        (name[length] ?? "").startsWith(said[end] ?? "_")
      ) {
        // The message stops inside the name: its last word is the start of the name's next one.
        namings.set(start, { start, end: said.length });
      } else if (cutShort && length > 0 && end === said.length) {
        namings.set(start, { start, end });
      }
    }
  }
  return [...namings.values()];
}

/** The count a word states: a number that is not a price ("2", "1,000"), or "2x" and "x2". */
function countAt(
  said: readonly string[],
  index: number,
  currencies: ReadonlySet<string>,
  countsNext = false,
): number | undefined {
  const word = said[index] ?? "";
  const times = TIMES.exec(word);
  if (times) return Number(times[1] ?? times[2]);
  return isNumber(word) && !isPriceAt(said, index, currencies, countsNext)
    ? numberValue(word)
    : undefined;
}

/**
 * The numbers that count the product where the message names it: the number directly before
 * the name ("2 XYZ phones", "1,000 USB-C cables", "2x XYZ phone", "2 x XYZ phone"), unless it
 * is a price ("$20 XYZ phone"), and "x2" right after it ("XYZ phone x2"). A number anywhere
 * else counts something else: "Buy 1 XYZ phone for 2 people" counts one phone.
 */
function countsOf(
  said: readonly string[],
  { start, end }: Naming,
  currencies: ReadonlySet<string>,
): number[] {
  const before =
    said[start - 1] === "x"
      ? countAt(said, start - 2, currencies)
      : countAt(said, start - 1, currencies, true);
  const after = TIMES.test(said[end] ?? "") ? countAt(said, end, currencies) : undefined;
  return [before, after].filter((count) => count !== undefined);
}

/** How a problem is written: a product as JSON writes it, so a stray space or quote shows. */
const quoted = (text: string): string => JSON.stringify(text);

/**
 * Where a request's binding message and its `authorization_details` visibly disagree. For each
 * `product_purchase` entry the message must name its product (see `productNamings`) and its
 * quantity, as the number that counts the product (see `countsOf`: in "buy 1 XYZ phone for 2
 * people" the quantity is 1; "19.99" holds no 19; in "2 XYZ phones for max 20 USD" 20 is a
 * price), and a maximum the message states ("max 998 USD", "max USD 998", "up to $998") must
 * be the entry's `maximum_amount` in whole cents, as the shop applies it. Auth0's Guardian
 * shows only the binding message for a custom type, so the person approves what the message
 * says while the token carries the details: an agent that writes one and sends the other is
 * wrong, and the testbed says so. `undefined` when they agree, or when there is nothing to
 * compare.
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
    const namings =
      typeof product === "string"
        ? productNamings(bindingMessage, said, product, currencies)
        : undefined;
    const named = namings !== undefined && namings.length > 0;
    if (namings !== undefined && !named) unnamed.push(`the product ${quoted(product as string)}`);
    const inName = new Set(
      (namings ?? []).flatMap(({ start, end }) =>
        Array.from({ length: end - start }, (_, offset) => start + offset),
      ),
    );

    // Where the message names the product, the numbers that count it; where it does not (it is
    // flagged already), any number of its own that is not a price.
    const counts = named
      ? namings.flatMap((naming) => countsOf(said, naming, currencies))
      : said.flatMap((_, index) => countAt(said, index, currencies) ?? []);
    if (
      typeof quantity === "number" &&
      Number.isFinite(quantity) &&
      (counts.length === 0 || counts.some((count) => count !== quantity))
    ) {
      unnamed.push(`the quantity ${String(quantity)}`);
    }

    const limits = said.flatMap((word, index) =>
      isNumber(word) && isLimitAt(said, index, currencies) && !inName.has(index) ? [word] : [],
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
