import { limitToCents, sanitizeBindingText } from "@ciba-testbed/shared";
import type { AuthorizationDetail } from "@ciba-testbed/shared";

/**
 * Text cut into the words a person reads: accents and case set aside, a number kept whole
 * ("19.99", "1,000"), a currency symbol ("$", "€", "£") kept as a word of its own, a mark that ends a
 * phrase (`,:;#+.!?`) kept as ",", and the rest of the punctuation (a hyphen, an apostrophe) read
 * as a space. "Buy 2 XYZ-phones, for $19.99!" reads `buy 2 xyz phones , for $ 19.99`; a mark
 * that ends the text is dropped.
 */
function words(text: string): string[] {
  const said = (
    text
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .match(/\p{Sc}|\d+(?:[.,]\d+)+|[a-z0-9]+|[,:;#+.!?]+/gu) ?? []
  ).map((word) => (/^[,:;#+.!?]/.test(word) ? "," : word));
  while (said.at(-1) === ",") said.pop();
  return said;
}

const isNumber = (word: string | undefined): boolean => word !== undefined && /^\d/.test(word);

/** A number written as an amount: digits, maybe with thousands apart or decimals ("1,000.50"). */
const isAmount = (word: string | undefined): boolean =>
  word !== undefined && /^\d+(?:[.,]\d+)*$/.test(word);

/** A number as written: "1,000" is a thousand (thousands apart), "9,98" is 9.98 (a decimal comma). */
function numberValue(word: string): number {
  return Number(
    /^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(word) ? word.replace(/,/g, "") : word.replace(",", "."),
  );
}

/** "x2" and "2x", as in "XYZ phone x2": a quantity. */
const TIMES = /^(?:x(\d+)|(\d+)x)$/;

/** The ISO 4217 codes, in lower case. */
const ISO_CODES = new Set(Intl.supportedValuesOf("currency").map((code) => code.toLowerCase()));

/**
 * Codes read as a currency however they are written. Any other ISO code is one only in capitals
 * ("EUR" always, "ALL", "TRY" or "TOP" only so), as they are English words too.
 */
const COMMON_CODES = new Set(
  "usd eur gbp jpy cny inr cad aud nzd chf hkd sgd sek nok dkk pln czk huf mxn brl zar krw".split(
    " ",
  ),
);

/**
 * The currency codes a message may write: the common ones, the ISO codes it writes in capitals,
 * and the entry's own.
 */
function currencyCodes(message: string, currency: unknown): Set<string> {
  const capitals = (message.normalize("NFKD").match(/\b[A-Z]{3}\b/g) ?? [])
    .map((code) => code.toLowerCase())
    .filter((code) => ISO_CODES.has(code));
  return new Set([
    ...COMMON_CODES,
    ...capitals,
    ...(typeof currency === "string" ? [currency.toLowerCase()] : []),
  ]);
}

const isSymbol = (word: string | undefined): boolean =>
  word !== undefined && /^\p{Sc}$/u.test(word);

/** A currency as a message writes it: a code ("usd"), or a symbol ("$") that several share. */
interface Currency {
  code?: string;
  symbol?: string;
  /** As the finding quotes it: "EUR", "$", "US$". */
  written: string;
}

/** The currency written right before the word at `index` ("USD 10", "$10", "US$ 10", "USD $10"). */
function currencyBefore(
  said: readonly string[],
  index: number,
  codes: ReadonlySet<string>,
): { currency: Currency; start: number } | undefined {
  const word = said[index - 1];
  if (word === undefined) return undefined;
  if (isSymbol(word)) {
    const prefix = said[index - 2] ?? "";
    if (prefix === "us") return { currency: { code: "usd", written: "US$" }, start: index - 2 };
    if (codes.has(prefix)) {
      return { currency: { code: prefix, written: prefix.toUpperCase() }, start: index - 2 };
    }
    return { currency: { symbol: word, written: word }, start: index - 1 };
  }
  return codes.has(word)
    ? { currency: { code: word, written: word.toUpperCase() }, start: index - 1 }
    : undefined;
}

/** The currency written right after the word at `index` ("10 USD", "10€"). */
function currencyAfter(
  said: readonly string[],
  index: number,
  codes: ReadonlySet<string>,
): Currency | undefined {
  const word = said[index + 1];
  if (word === undefined) return undefined;
  if (codes.has(word)) return { code: word, written: word.toUpperCase() };
  return isSymbol(word) ? { symbol: word, written: word } : undefined;
}

/** An amount of money the message writes: the number at `index`, its currency, and its words. */
interface Money {
  index: number;
  start: number;
  end: number;
  currency: Currency;
}

/**
 * The number at `index` as money: an amount with its currency before or after it ("USD 10",
 * "$10", "US$ 10", "10 EUR", "10€"). With `countsNext`, the word after it starts the product's
 * name, so a name that starts with a currency code ("20 USD gift cards") is not a currency. A
 * currency word inside the product's name (`taken`) is not one either.
 */
function moneyAt(
  said: readonly string[],
  index: number,
  codes: ReadonlySet<string>,
  {
    countsNext = false,
    taken = new Set<number>(),
  }: { countsNext?: boolean; taken?: ReadonlySet<number> } = {},
): Money | undefined {
  if (!isAmount(said[index])) return undefined;
  const before = currencyBefore(said, index, codes);
  const after = countsNext || taken.has(index + 1) ? undefined : currencyAfter(said, index, codes);
  const start = before === undefined || taken.has(before.start) ? index : before.start;
  const currency =
    after?.code !== undefined || start === index ? after : (before?.currency ?? after);
  if (currency === undefined) return undefined;
  return { index, start, end: after === undefined ? index + 1 : index + 2, currency };
}

/** Words that say what follows is at most an amount. `bare`: a number alone is one too. */
const LIMITS_BEFORE: { words: string[]; bare: boolean }[] = [
  ...["max", "maximum"].map((word) => ({ words: [word], bare: true })),
  ...[
    ["up", "to"],
    ["at", "most"],
    ["no", "more", "than"],
    ["not", "more", "than"],
  ].map((phrase) => ({ words: phrase, bare: true })),
  ...["for", "under", "below", "limit", "total", "totaling", "totalling", "budget", "within"]
    .concat(["cap", "capped", "spend", "pay"])
    .map((word) => ({ words: [word], bare: false })),
  ...[
    ["less", "than"],
    ["not", "to", "exceed"],
    ["not", "exceeding"],
    ["no", "more"],
  ].map((phrase) => ({ words: phrase, bare: false })),
];

/** Words that may stand between a limit and its amount: "max amount of 10 USD", "for a total of $10". */
const FILLERS = new Set([",", "of", "a", "an", "the", "amount", "price", "cost", "sum"]);
for (const word of ["overall", "grand", "combined", "in", "at"]) FILLERS.add(word);

/** Words after an amount that make it a limit: "10 USD max", "$10 or less", "10 USD in total". */
const LIMITS_AFTER = [
  ["max"],
  ["maximum"],
  ["limit"],
  ["total"],
  ["tops"],
  ["at", "most"],
  ["or", "less"],
  ["or", "under"],
  ["or", "below"],
  ["in", "total"],
];

/** Words after "per" that make an amount a total, not each unit's price: "per order". */
const PER_TOTAL = new Set(["order", "purchase", "request", "transaction", "total"]);

const phraseAt = (said: readonly string[], start: number, phrase: readonly string[]): boolean =>
  start >= 0 && phrase.every((word, offset) => said[start + offset] === word);

/**
 * Whether a limit word comes before the words from `start`, maybe with a few fillers between:
 * "max 998", "up to $998", "max amount of 10 USD", "for a total of $10", "no more than 10 USD".
 * With `bare` (a number with no currency), only the words that make one a limit alone: "max",
 * "maximum", "up to", "at most", "no more than"; "for 2 people" states no price.
 */
function limitBefore(said: readonly string[], start: number, bare: boolean): boolean {
  for (let at = start - 1, skipped = 0; at >= 0 && skipped <= 4; at--, skipped++) {
    if (
      LIMITS_BEFORE.some(
        (limit) =>
          (limit.bare || !bare) && phraseAt(said, at - limit.words.length + 1, limit.words),
      )
    ) {
      return true;
    }
    if (!FILLERS.has(said[at] ?? "")) return false;
  }
  return false;
}

/** The first word after `end`, past a mark: "10 USD, max" reads as "10 USD max". */
const nextWord = (said: readonly string[], end: number): number =>
  said[end] === "," ? end + 1 : end;

/** Whether a limit word follows the amount that ends at `end`: "10 USD max", "$10 or less". */
const limitAfter = (said: readonly string[], end: number): boolean =>
  LIMITS_AFTER.some((phrase) => phraseAt(said, nextWord(said, end), phrase));

/** Whether the amount that ends at `end` is each unit's: "499 USD each", "$5 per cable", "$5 apiece". */
function perUnitAfter(said: readonly string[], end: number): boolean {
  const at = nextWord(said, end);
  const word = said[at];
  return (
    word === "each" ||
    word === "apiece" ||
    phraseAt(said, at, ["a", "piece"]) ||
    (word === "per" && said[at + 1] !== undefined && !PER_TOTAL.has(said[at + 1] ?? ""))
  );
}

/**
 * Whether the number at `index` is a limit with no currency written: after "max", "maximum",
 * "up to", "at most" or "no more than", maybe with "of" or a mark between ("max 998", "maximum
 * of 998", "max: 998"). With `countsNext` the word after it starts the product's name, so "up to
 * 2 XYZ phones" counts phones.
 */
const isBareLimitAt = (said: readonly string[], index: number, countsNext = false): boolean =>
  !countsNext && isAmount(said[index]) && limitBefore(said, index, true);

/**
 * Whether the number at `index` is a price rather than a count: money ("998 USD", "USD 998",
 * "$998") or a limit ("max 998"). With `countsNext`, the word after it starts the product's name,
 * so a name that starts with a currency code ("20 USD gift cards") does not make the number a
 * price.
 */
function isPriceAt(
  said: readonly string[],
  index: number,
  codes: ReadonlySet<string>,
  countsNext = false,
): boolean {
  return (
    moneyAt(said, index, codes, { countsNext }) !== undefined ||
    isBareLimitAt(said, index, countsNext)
  );
}

/** Whether a word is a currency: a code the message may write, or a symbol. */
const isCurrency = (word: string, codes: ReadonlySet<string>): boolean =>
  codes.has(word) || isSymbol(word);

/**
 * Words that may follow a product's name without making it another product's: "2 XYZ phones
 * for max 998 USD", "XYZ phone x2", "XYZ phone, qty 2", "2 XYZ phones under $1,000", "2 XYZ
 * phones, order 12". Any other word after the name ("2 XYZ phone cases") names something else.
 */
const CONNECTORS = new Set([",", "for", "at", "from", "to", "and", "each", "max", "maximum", "up"]);
for (const word of ["x", "qty", "quantity", "under", "below", "no", "not", "less", "limit"]) {
  CONNECTORS.add(word);
}
for (const word of ["total", "within", "budget"]) CONNECTORS.add(word);

/** Words that name a quantity: "qty 2", "quantity: 2". */
const QUANTITY_WORDS = new Set(["qty", "quantity"]);

/** Words that count units: "2 units of XYZ phone", "XYZ phone, 2 pcs". */
const UNIT_WORDS = new Set(["unit", "units", "piece", "pieces", "pc", "pcs", "item", "items"]);

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
  codes: ReadonlySet<string>,
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
          (isNumber(next) && isPriceAt(said, end, codes)) ||
          isCurrency(next, codes)
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
  codes: ReadonlySet<string>,
  countsNext = false,
): number | undefined {
  const word = said[index] ?? "";
  const times = TIMES.exec(word);
  if (times) return Number(times[1] ?? times[2]);
  return isNumber(word) && !isPriceAt(said, index, codes, countsNext)
    ? numberValue(word)
    : undefined;
}

/**
 * The number that counts the product before its name, which starts at `start`: "2 XYZ phones",
 * "2x XYZ phone", "2 x XYZ phone", "2 units of XYZ phone", "2 pcs XYZ phone", "qty 2 of XYZ
 * phone"; not a price ("$20 XYZ phone").
 */
function countBefore(
  said: readonly string[],
  start: number,
  codes: ReadonlySet<string>,
): number | undefined {
  const previous = said[start - 1] ?? "";
  if (previous === "x") return countAt(said, start - 2, codes);
  if (UNIT_WORDS.has(previous)) return countAt(said, start - 2, codes);
  if (previous === "of") {
    if (UNIT_WORDS.has(said[start - 2] ?? "")) return countAt(said, start - 3, codes);
    if (QUANTITY_WORDS.has(said[start - 3] ?? "")) return countAt(said, start - 2, codes);
    return undefined;
  }
  return countAt(said, start - 1, codes, true);
}

/**
 * The number that counts the product after its name, which ends at `end`: "XYZ phone x2",
 * "XYZ phone x 2", "XYZ phone, qty 2", "XYZ phone, quantity: 2", "XYZ phone, 2 units".
 */
function countAfter(
  said: readonly string[],
  end: number,
  codes: ReadonlySet<string>,
): number | undefined {
  if (TIMES.test(said[end] ?? "")) return countAt(said, end, codes);
  if (said[end] === "x") return countAt(said, end + 1, codes);
  let at = said[end] === "," ? end + 1 : end;
  if (QUANTITY_WORDS.has(said[at] ?? "")) {
    at++;
    if (said[at] === "," || said[at] === "of") at++;
    return countAt(said, at, codes);
  }
  return UNIT_WORDS.has(said[at + 1] ?? "") ? countAt(said, at, codes) : undefined;
}

/**
 * The numbers that count the product where the message names it: the number before the name
 * (`countBefore`) and the one after it (`countAfter`). A number anywhere else counts something
 * else: "Buy 1 XYZ phone for 2 people" counts one phone.
 */
const countsOf = (said: readonly string[], { start, end }: Naming, codes: ReadonlySet<string>) =>
  [countBefore(said, start, codes), countAfter(said, end, codes)].filter(
    (count) => count !== undefined,
  );

/** A limit the message states: its amount as written, and whether it is each unit's. */
interface StatedLimit {
  amount: string;
  currency: Currency | undefined;
  perUnit: boolean;
}

/**
 * The limits the message states, outside the product's name (`taken`): money after a limit word,
 * maybe with fillers between ("max 998 USD", "max US$ 10", "up to $998", "for 10 USD", "max
 * amount of 10 USD", "no more than 10 USD", "under €10"), money followed by one ("10 USD max",
 * "$10 or less"), or a number with no currency after "max", "maximum", "up to", "at most" or "no
 * more than" ("max 998", "maximum of 998"), unless the product's name follows it ("up to 2 XYZ
 * phones" counts them). An amount followed by "each", "apiece" or "per ..." is each unit's, and
 * is a limit after "at" too ("at $499 each").
 */
function statedLimits(
  said: readonly string[],
  codes: ReadonlySet<string>,
  taken: ReadonlySet<number>,
  namingStarts: ReadonlySet<number>,
): StatedLimit[] {
  const limits: StatedLimit[] = [];
  for (let index = 0; index < said.length; index++) {
    const amount = said[index] ?? "";
    if (!isAmount(amount) || taken.has(index)) continue;
    const money = moneyAt(said, index, codes, { taken });
    const countsNext = namingStarts.has(index + 1) || namingStarts.has(index + 2);
    const limit =
      money === undefined
        ? isBareLimitAt(said, index, countsNext)
        : limitBefore(said, money.start, false) ||
          limitAfter(said, money.end) ||
          (said[money.start - 1] === "at" && perUnitAfter(said, money.end));
    if (!limit) continue;
    limits.push({
      amount,
      currency: money?.currency,
      perUnit: perUnitAfter(said, money?.end ?? index + 1),
    });
  }
  return limits;
}

/** The narrow symbol of a currency ("$" for USD and CAD, "€" for EUR), if it is a currency. */
function symbolOf(code: string): string | undefined {
  try {
    return new Intl.NumberFormat("en", {
      style: "currency",
      currency: code,
      currencyDisplay: "narrowSymbol",
    })
      .formatToParts(0)
      .find((part) => part.type === "currency")?.value;
  } catch {
    return undefined;
  }
}

/** Whether a currency the message writes may be the entry's `currency` ("$" may be USD or CAD). */
function sameCurrency(written: Currency, currency: string): boolean {
  if (written.code !== undefined) return written.code === currency.toLowerCase();
  return written.symbol === symbolOf(currency);
}

/** How a problem is written: a product as JSON writes it, so a stray space or quote shows. */
const quoted = (text: string): string => JSON.stringify(text);

/**
 * Where a request's binding message and its `authorization_details` visibly disagree. For each
 * `product_purchase` entry the message must name its product (see `productNamings`) and its
 * quantity, as the number that counts the product (see `countsOf`: in "buy 1 XYZ phone for 2
 * people" the quantity is 1; "19.99" holds no 19; in "2 XYZ phones for max 20 USD" 20 is a
 * price), and a limit the message states (see `statedLimits`: "max 998 USD", "for $998", "998
 * USD max") must be the entry's `maximum_amount` in whole cents, as the shop applies it (each
 * unit's times the quantity), in the entry's `currency`. Auth0's Guardian shows only the binding
 * message for a custom type, so the person approves what the message says while the token
 * carries the details: an agent that writes one and sends the other is wrong, and the testbed
 * says so. `undefined` when they agree, or when there is nothing to compare.
 */
export function messageMismatch(
  bindingMessage: string,
  details: readonly AuthorizationDetail[] | undefined,
): string | undefined {
  const said = words(bindingMessage);
  const unnamed = new Set<string>();
  const unset = new Set<string>();
  for (const entry of details ?? []) {
    if (entry.type !== "product_purchase") continue;
    const { product, quantity, currency } = entry as {
      product?: unknown;
      quantity?: unknown;
      currency?: unknown;
    };
    const codes = currencyCodes(bindingMessage, currency);
    const namings =
      typeof product === "string"
        ? productNamings(bindingMessage, said, product, codes)
        : undefined;
    const named = namings !== undefined && namings.length > 0;
    if (namings !== undefined && !named) unnamed.add(`the product ${quoted(product as string)}`);
    const inName = new Set(
      (namings ?? []).flatMap(({ start, end }) =>
        Array.from({ length: end - start }, (_, offset) => start + offset),
      ),
    );

    // Where the message names the product, the numbers that count it; where it does not (it is
    // flagged already), any number of its own that is not a price.
    const counts = named
      ? namings.flatMap((naming) => countsOf(said, naming, codes))
      : said.flatMap((_, index) => countAt(said, index, codes) ?? []);
    if (
      typeof quantity === "number" &&
      Number.isFinite(quantity) &&
      (counts.length === 0 || counts.some((count) => count !== quantity))
    ) {
      unnamed.add(`the quantity ${String(quantity)}`);
    }

    const maximum = (entry as { maximum_amount?: unknown }).maximum_amount;
    const starts = new Set((namings ?? []).map(({ start }) => start));
    for (const limit of statedLimits(said, codes, inName, starts)) {
      const stated = limit.perUnit ? `${limit.amount} each` : limit.amount;
      if (typeof maximum !== "number") {
        unset.add(stated);
        continue;
      }
      const cents = limitToCents(numberValue(limit.amount));
      if (
        limit.perUnit
          ? typeof quantity === "number" &&
            Number.isInteger(quantity) &&
            cents * quantity !== limitToCents(maximum)
          : cents !== limitToCents(maximum)
      ) {
        unnamed.add(
          `the maximum_amount ${String(maximum)} (it says ${limit.perUnit ? stated : `max ${stated}`})`,
        );
      }
      if (
        limit.currency !== undefined &&
        typeof currency === "string" &&
        !sameCurrency(limit.currency, currency)
      ) {
        unnamed.add(`the currency ${currency} (it says ${limit.currency.written})`);
      }
    }
  }
  const clauses = [
    ...(unnamed.size > 0
      ? [`does not name ${[...unnamed].join(" or ")} of authorization_details`]
      : []),
    ...(unset.size > 0
      ? [`states a maximum of ${[...unset].join(" and ")} that authorization_details do not set`]
      : []),
  ];
  if (clauses.length === 0) return undefined;
  return `The binding message ${clauses.join(" and ")}: the person would approve the message while the token authorizes the details.`;
}
