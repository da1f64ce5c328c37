import { limitToCents, sanitizeBindingText } from "@ciba-testbed/shared";
import type { AuthorizationDetail } from "@ciba-testbed/shared";

import {
  ADDED,
  AMOUNT_FOLLOWERS,
  AND_UP,
  ARTICLES_ABROAD,
  AT_LEAST,
  AT_LEAST_AFTER,
  AT_MOST,
  BARE_FOLLOWERS,
  BEFORE_TAX,
  COMMON_CODES,
  CONNECTORS,
  CURRENCY_NAMES,
  EACH_BEFORE,
  FACTORS,
  FILLERS,
  GOODS,
  IN_TOTAL,
  JOINERS,
  LIMITS_AFTER,
  LIMITS_BEFORE,
  LOWER_BOUNDS,
  MEASURES,
  MAGNITUDES,
  NAME_ENDS,
  NAME_WORDS_ABROAD,
  NOT_ITEMS,
  NOT_SPENT,
  NUMBER_WORDS,
  OR_LESS,
  PAYMENTS,
  PERIODS,
  PER_TOTAL,
  PER_WHO,
  QUALIFIED_CURRENCIES,
  QUANTITY_WORDS,
  RECURRING,
  SERVICES,
  TAXES,
  TEN_NUMBERS,
  TIMES,
  TOTAL_AFTER,
  TOTAL_BEFORE,
  UNIT_NUMBERS,
  UNIT_WORDS,
  UNREAD_MAGNITUDES,
} from "./message-mismatch-words.js";
import { BUYING, otherActionBefore } from "./purchase-action.js";

/** A message read as words, with where each word is in the text, to quote it as written. */
interface Reading {
  said: string[];
  text: string;
  spans: [number, number][];
}

/**
 * Text cut into the words a person reads: accents and case set aside, a number kept whole
 * ("19.99", "1,000"), a currency symbol ("$", "€", "£") and a "+" ("998 USD + 10") kept as words of
 * their own, a mark that ends a phrase (`,:;#.!?`) kept as ",", and the rest of the punctuation (a
 * hyphen, an apostrophe) read as a space. "Buy 2 XYZ-phones, for $19.99!" reads `buy 2 xyz phones
 * , for $ 19.99`; a mark that ends the text is dropped.
 */
function read(text: string): Reading {
  const plain = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  const lower = plain.toLowerCase();
  const said: string[] = [];
  const spans: [number, number][] = [];
  for (const match of lower.matchAll(/\p{Sc}|\+|\d+(?:[.,]\d+)+|[a-z0-9]+|[,:;#.!?]+/gu)) {
    said.push(/^[,:;#.!?]/.test(match[0]) ? "," : match[0]);
    spans.push([match.index, match.index + match[0].length]);
  }
  while (said.at(-1) === ",") {
    said.pop();
    spans.pop();
  }
  return { said, text: lower.length === plain.length ? plain : lower, spans };
}

const words = (text: string): string[] => read(text).said;

/** The words from `start` up to `end` as the message writes them: "max 998e3 USD". */
const quote = ({ text, spans }: Reading, start: number, end: number): string =>
  text.slice(spans[start]?.[0] ?? 0, spans[end - 1]?.[1] ?? 0);

const isNumber = (word: string | undefined): boolean => word !== undefined && /^\d/.test(word);

/** A number written as an amount: digits, maybe with thousands apart or decimals ("1,000.50"). */
const isAmount = (word: string | undefined): boolean =>
  word !== undefined && /^\d+(?:[.,]\d+)*$/.test(word);

/**
 * A number as written: "1,000" and "1.000" are a thousand (thousands apart, as in English and as
 * in most of Europe: an amount has no third decimal, a count no decimal at all), "1.000,50" and
 * "1,000.50" a thousand and a half, "9,98" is 9.98 (a decimal comma).
 */
function numberValue(word: string): number {
  if (/^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(word)) return Number(word.replace(/,/g, ""));
  if (/^\d{1,3}(?:\.\d{3})+(?:,\d+)?$/.test(word)) {
    return Number(word.replace(/\./g, "").replace(",", "."));
  }
  return Number(word.replace(",", "."));
}

/**
 * The number written with spaces apart that ends at `at` ("1 000", "1 000 000"): where it starts
 * and its value, or `undefined`. Only a group of three digits after one of one to three is read
 * so: "Buy 2 256 GB drives" counts 2 of "256 GB drive".
 */
function spacedNumberEndingAt(
  said: readonly string[],
  at: number,
): { start: number; value: number } | undefined {
  const group = (index: number): boolean => /^\d{3}$/.test(said[index] ?? "");
  if (!group(at)) return undefined;
  let start = at;
  while (group(start - 1)) start--;
  if (/^\d{1,2}$/.test(said[start - 1] ?? "")) start--;
  if (start === at || isAmount(said[start - 1])) return undefined;
  return { start, value: Number(said.slice(start, at + 1).join("")) };
}

/** The ISO 4217 codes, in lower case. */
const ISO_CODES = new Set(Intl.supportedValuesOf("currency").map((code) => code.toLowerCase()));

/**
 * The currency codes a message may write: the common ones, the ISO codes it writes in capitals,
 * and the entry's own.
 */
function currencyCodes(message: string, currency: unknown): Set<string> {
  const capitals = (message.normalize("NFKD").match(/(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])/g) ?? [])
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

const phraseAt = (said: readonly string[], start: number, phrase: readonly string[]): boolean =>
  start >= 0 && phrase.every((word, offset) => said[start + offset] === word);

/**
 * Where a phrase of `phrases` ends right before the words from `start`, maybe with a few fillers
 * between: the index of its first word, or `undefined`. With `bare` (a number with no currency),
 * only the phrases that make a number alone what they say.
 */
function phraseBefore(
  said: readonly string[],
  start: number,
  phrases: readonly { words: string[]; bare: boolean }[],
  bare: boolean,
): number | undefined {
  for (let at = start - 1, skipped = 0; at >= 0 && skipped <= 4; at--, skipped++) {
    const phrase = phrases.find(
      (candidate) =>
        (candidate.bare || !bare) &&
        phraseAt(said, at - candidate.words.length + 1, candidate.words),
    );
    if (phrase !== undefined) return at - phrase.words.length + 1;
    if (!FILLERS.has(said[at] ?? "")) return undefined;
  }
  return undefined;
}

/**
 * Whether a limit word comes before the words from `start`, maybe with a few fillers between:
 * "max 998", "up to $998", "max amount of 10 USD", "for a total of $10", "no more than 10 USD".
 * With `bare` (a number with no currency), only the words that make one a limit alone: "max",
 * "maximum", "up to", "at most", "no more than"; "for 2 people" states no price.
 */
const limitBefore = (said: readonly string[], start: number, bare: boolean): boolean =>
  phraseBefore(said, start, LIMITS_BEFORE, bare) !== undefined;

/** The first word after `end`, past a mark: "10 USD, max" reads as "10 USD max". */
const nextWord = (said: readonly string[], end: number): number =>
  said[end] === "," ? end + 1 : end;

/** Whether a limit word follows the amount that ends at `end`: "10 USD max", "$10 or less". */
const limitAfter = (said: readonly string[], end: number): boolean =>
  LIMITS_AFTER.some((phrase) => phraseAt(said, nextWord(said, end), phrase));

/**
 * Whether the amount that ends at `end` is each unit's: "499 USD each", "$5 per cable", "$5 per
 * unit", "$5 apiece", "$5 a piece". `unitWords`: the forms of the last word of the product's name.
 */
function perUnitAfter(
  said: readonly string[],
  end: number,
  unitWords: ReadonlySet<string>,
): boolean {
  const at = nextWord(said, end);
  const word = said[at];
  const unit = said[at + 1] ?? "";
  return (
    word === "each" ||
    word === "apiece" ||
    phraseAt(said, at, ["a", "piece"]) ||
    (word === "per" && (UNIT_WORDS.has(unit) || unitWords.has(unit)))
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

/** The forms a name's last word may take in a message: as it is, or in the plural. */
function lastWordForms(word: string): string[] {
  return [word, `${word}s`, `${word}es`, `${word.replace(/y$/, "")}ies`];
}

/**
 * The words a message may write for a word of a product's name: the word (in the plural too, as
 * its `last`) and the word in another language ("Handy", "Handys" for "phone").
 */
function nameWordForms(word: string, last: boolean): string[] {
  return [...(last ? lastWordForms(word) : [word]), ...(NAME_WORDS_ABROAD.get(word) ?? [])];
}

/** A number with its measure written into it: "256GB", "1m", "15.6inch". */
const isMeasured = (word: string): boolean => {
  const unit = /^\d+(?:[.,]\d+)?([a-z]+)$/.exec(word)?.[1];
  return unit !== undefined && MEASURES.has(unit);
};

/**
 * Where words from `at` that describe the product before them end: a measure ("128 GB",
 * "256GB", "15.6 inch"), a term of the purchase ("2 day shipping", "1 year warranty", also after
 * "with"), or a share of its count ("1 per person"); `undefined` when none start there. Their
 * number counts no product.
 */
function descriptionEnd(said: readonly string[], at: number): number | undefined {
  const word = said[at] ?? "";
  if (isMeasured(word)) return at + 1;
  if (word === "with") {
    const end = descriptionEnd(said, at + 1);
    return end !== undefined && said[at + 2] !== "per" ? end : undefined;
  }
  if (!isNumber(word)) return undefined;
  const next = said[at + 1] ?? "";
  if (MEASURES.has(next)) return at + 2;
  if (PERIODS.has(next) && SERVICES.has(said[at + 2] ?? "")) return at + 3;
  if (next === "per" && PER_WHO.has(said[at + 2] ?? "")) return at + 3;
  return undefined;
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
        nameWordForms(name[length] ?? "", length === name.length - 1).includes(
          said[start + length] ?? "",
        )
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
          isCurrency(next, codes) ||
          descriptionEnd(said, end) !== undefined
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

/** A count the message states, and the words that state it, from `start` up to `end`. */
interface Count {
  value: number;
  start: number;
  end: number;
  /** A lower bound on the count, as the message writes it: "at least 2", "2 or more". */
  atLeast?: string;
}

/** The count a word states at `index`, as a `Count` of the words from `start`. */
function countFrom(
  said: readonly string[],
  start: number,
  index: number,
  codes: ReadonlySet<string>,
  countsNext = false,
): Count | undefined {
  const value = countAt(said, index, codes, countsNext);
  return value === undefined ? undefined : { value, start: Math.min(start, index), end: index + 1 };
}

/**
 * A count written in words, all of `words`: "a", "an", "another", "a single", "one", "twelve", "twenty
 * five", "a hundred and five", "a dozen", "two dozen", "a pair of". `undefined` for anything else.
 */
function countInWords(words: readonly string[]): number | undefined {
  let at = 0;
  const belowHundred = (): number | undefined => {
    const unit = UNIT_NUMBERS.indexOf(words[at] ?? "");
    if (unit >= 0) {
      at++;
      return unit;
    }
    const ten = TEN_NUMBERS.indexOf(words[at] ?? "");
    if (ten < 0) return undefined;
    at++;
    const next = UNIT_NUMBERS.indexOf(words[at] ?? "");
    if (next < 1 || next > 9) return (ten + 2) * 10;
    at++;
    return (ten + 2) * 10 + next;
  };
  const article =
    words[0] === "a" ||
    words[0] === "an" ||
    words[0] === "another" ||
    ARTICLES_ABROAD.has(words[0] ?? "");
  if (article) at++;
  let value = article ? 1 : belowHundred();
  if (value === undefined) return undefined;
  if (words[at] === "single" && words[0] === "a") {
    at++;
  } else if (words[at] === "hundred") {
    at++;
    const rest = at;
    if (words[at] === "and") at++;
    const below = belowHundred();
    if (below === undefined) at = rest;
    value = value * 100 + (below ?? 0);
  } else if (words[at] === "dozen") {
    at++;
    value *= 12;
  } else if (words[at] === "pair" && words[at + 1] === "of") {
    at += 2;
    value *= 2;
  }
  return at === words.length ? value : undefined;
}

/** The count written in words right before the word at `end` ("a pair of", "twenty five"), the longest. */
function countInWordsBefore(said: readonly string[], end: number): Count | undefined {
  for (let start = Math.max(0, end - 6); start < end; start++) {
    const value = countInWords(said.slice(start, end));
    if (value !== undefined) return { value, start, end };
  }
  return undefined;
}

/**
 * The number that counts the product before its name, which starts at `start`: "2 XYZ phones",
 * "2x XYZ phone", "2 x XYZ phone", "2 units of XYZ phone", "2 pcs XYZ phone", "qty 2 of XYZ
 * phone", or in words: "a XYZ phone", "one XYZ phone", "two XYZ phones", "a pair of XYZ phones",
 * "a dozen XYZ phones"; not a price ("$20 XYZ phone").
 */
function countBefore(
  said: readonly string[],
  start: number,
  codes: ReadonlySet<string>,
): Count | undefined {
  if (ADDED.has(said[start - 1] ?? "")) {
    const count = countBefore(said, start - 1, codes);
    return count && { ...count, end: start };
  }
  const inWords = countInWordsBefore(said, start);
  if (inWords !== undefined) return inWords;
  const count = countInDigitsBefore(said, start, codes);
  return count && { ...count, end: start };
}

/** The count written in digits before the product's name, which starts at `start`. */
function countInDigitsBefore(
  said: readonly string[],
  start: number,
  codes: ReadonlySet<string>,
): Count | undefined {
  const previous = said[start - 1] ?? "";
  if (previous === "x") return countFrom(said, start - 2, start - 2, codes);
  if (UNIT_WORDS.has(previous)) return countFrom(said, start - 2, start - 2, codes);
  if (previous === "of") {
    if (UNIT_WORDS.has(said[start - 2] ?? "")) return countFrom(said, start - 3, start - 3, codes);
    if (QUANTITY_WORDS.has(said[start - 3] ?? "")) {
      return countFrom(said, start - 3, start - 2, codes);
    }
    return undefined;
  }
  const spaced = spacedNumberEndingAt(said, start - 1);
  if (spaced !== undefined) return { ...spaced, end: start };
  return countFrom(said, start - 1, start - 1, codes, true);
}

/**
 * The number that counts the product after its name, which ends at `end`: "XYZ phone x2",
 * "XYZ phone x 2", "XYZ phone, qty 2", "XYZ phone, quantity: 2", "XYZ phone, 2 units". `factor`:
 * written as a factor ("x2", "x 2"), which after a count ("2 XYZ phones x 2") may multiply it.
 */
function countAfter(
  said: readonly string[],
  end: number,
  codes: ReadonlySet<string>,
): (Count & { factor: boolean }) | undefined {
  const factor = (count: Count | undefined) => count && { ...count, factor: true };
  if (TIMES.test(said[end] ?? "")) return factor(countFrom(said, end, end, codes));
  if (said[end] === "x") return factor(countFrom(said, end, end + 1, codes));
  let at = said[end] === "," ? end + 1 : end;
  const first = at;
  if (QUANTITY_WORDS.has(said[at] ?? "")) {
    at++;
    if (said[at] === "," || said[at] === "of") at++;
    const count = countFrom(said, first, at, codes);
    return count && { ...count, factor: false };
  }
  if (!UNIT_WORDS.has(said[at + 1] ?? "")) return undefined;
  const count = countFrom(said, at, at, codes);
  return count && { ...count, end: at + 2, factor: false };
}

/** The phrase of `phrases` that ends right before `at`, the longest: where it starts. */
function phraseEndingAt(
  said: readonly string[],
  at: number,
  phrases: readonly string[][],
): number | undefined {
  const starts = phrases
    .filter((phrase) => phraseAt(said, at - phrase.length, phrase))
    .map((phrase) => at - phrase.length);
  return starts.length === 0 ? undefined : Math.min(...starts);
}

/** A count written as a lower bound before the name at `start`: "2 or more XYZ phones", "2+ XYZ phones". */
function lowerCountBefore(said: readonly string[], start: number): Count | undefined {
  const orMore = phraseAt(said, start - 2, ["or", "more"]);
  const plus = said[start - 1] === "+";
  if (!orMore && !plus) return undefined;
  const at = start - (orMore ? 3 : 2);
  if (!/^\d+$/.test(said[at] ?? "")) return undefined;
  return { value: Number(said[at]), start: at, end: start, atLeast: "" };
}

/**
 * The count before a name that ends at `nameEnd`, with the words around it that bound it or
 * correct it: an upper bound ("no more than 2 XYZ phones", the most the token buys: taken as the
 * count), a lower bound ("at least 2", "min 2", "2 or more", "2+", "2 XYZ phones minimum"),
 * which the token does not grant, since it lets the shop sell fewer, never more: `atLeast`
 * quotes it), and a corrected count ("2, not 3 XYZ phones" counts 2).
 */
function boundedCount(
  reading: Reading,
  count: Count,
  nameEnd: number,
  codes: ReadonlySet<string>,
): Count {
  const { said } = reading;
  if (said[count.start - 1] === "not") {
    const at = said[count.start - 2] === "," ? count.start - 3 : count.start - 2;
    const corrected = countFrom(said, at, at, codes);
    if (corrected !== undefined) return { ...corrected, end: count.end };
  }
  const atMost = phraseEndingAt(said, count.start, AT_MOST);
  if (atMost !== undefined) return { ...count, start: atMost };
  const atLeast = phraseEndingAt(said, count.start, AT_LEAST) ?? count.start;
  // "2 XYZ phones minimum 10 USD" bounds the amount, not the count.
  const after = AT_LEAST_AFTER.find(
    (phrase) =>
      phraseAt(said, nameEnd, phrase) &&
      !isNumber(said[nameEnd + phrase.length]) &&
      !isCurrency(said[nameEnd + phrase.length] ?? "", codes),
  );
  if (atLeast === count.start && after === undefined && count.atLeast === undefined) return count;
  const last = after === undefined ? count.end : nameEnd + after.length;
  return {
    ...count,
    start: atLeast,
    atLeast: quote(reading, atLeast, after === undefined ? count.end : last),
  };
}

/**
 * The numbers that count the product where the message names it: the number before the name
 * (`countBefore`) and the one after it (`countAfter`). A number anywhere else counts something
 * else: "Buy 1 XYZ phone for 2 people" counts one phone. A count followed by a factor ("2 XYZ
 * phones x 2", "2 XYZ phones 2x") may be either or their product: `unread` quotes it.
 */
function countsOf(
  reading: Reading,
  { start, end }: Naming,
  codes: ReadonlySet<string>,
): { counts: Count[]; unread?: string } {
  const found = countBefore(reading.said, start, codes) ?? lowerCountBefore(reading.said, start);
  const before = found && boundedCount(reading, found, end, codes);
  const after = countAfter(reading.said, end, codes);
  const counts = [before, after].filter((count) => count !== undefined);
  if (before === undefined || !after?.factor) return { counts };
  return { counts, unread: quote(reading, before.start, after.end) };
}

/** The currency written as a place and a name from `at` ("Canadian dollars"), and where it ends. */
function qualifiedCurrencyAt(
  said: readonly string[],
  at: number,
): { code: string; end: number } | undefined {
  for (const [words, code] of QUALIFIED_CURRENCIES) {
    if (phraseAt(said, at, words)) return { code, end: at + words.length };
  }
  return undefined;
}

/**
 * An amount the message writes: where it starts (with a currency written before it) and ends,
 * its value (`undefined` when the check cannot read it: "ten", "998e3", "2 grand"), its currency
 * (`null` when the message names one the check cannot read: "998 cents"), and its number as
 * written ("10k", "998 thousand").
 */
interface Amount {
  start: number;
  end: number;
  value: number | undefined;
  currency: Currency | null | undefined;
  number: string;
}

/**
 * The number at `index`, read with the words around it that make it an amount: a currency code
 * written into it ("10USD", "USD10"), a scale ("10k", "998 thousand"), a currency after it (a
 * code, a symbol or a name: "10 USD", "10\u20ac", "10 euros") or before it ("USD 10", "$10",
 * "US$ 10"). A number written as words ("ten") or with another suffix ("998e3") is an amount the
 * check cannot read. Words of the product's name (`taken`), and those another amount took
 * (before `from`), are no currency; with `countsNext` neither is the word after the number,
 * which starts the product's name ("20 USD gift cards").
 */
function amountAt(
  said: readonly string[],
  index: number,
  codes: ReadonlySet<string>,
  { countsNext, taken, from }: { countsNext: boolean; taken: ReadonlySet<number>; from: number },
): Amount | undefined {
  const word = said[index] ?? "";
  let value: number | undefined;
  let code: string | undefined;
  let end = index + 1;
  const suffixed = /^(\d+(?:[.,]\d+)*)([a-z][a-z0-9]*)$/.exec(word);
  const prefixed = /^([a-z]+)(\d+(?:[.,]\d+)*)$/.exec(word);
  if (isAmount(word)) {
    // "1 000 USD", "1 499,99 EUR": groups of three digits apart, read as one number.
    let digits = word;
    while (
      !countsNext &&
      /^\d{1,3}$/.test(word) &&
      /^\d+$/.test(digits) &&
      /^\d{3}(?:[.,]\d{1,2})?$/.test(said[end] ?? "") &&
      !taken.has(end)
    ) {
      digits += said[end] ?? "";
      end++;
    }
    value = numberValue(digits);
  } else if (TIMES.test(word)) return undefined;
  else if (suffixed !== null) {
    const [, digits = "", suffix = ""] = suffixed;
    const scale = MAGNITUDES.get(suffix);
    if (codes.has(suffix)) code = suffix;
    value =
      scale !== undefined || code !== undefined ? numberValue(digits) * (scale ?? 1) : undefined;
  } else if (prefixed !== null && codes.has(prefixed[1] ?? "")) {
    code = prefixed[1];
    value = numberValue(prefixed[2] ?? "");
  } else if (NUMBER_WORDS.has(word)) {
    while (NUMBER_WORDS.has(said[end] ?? "") && !taken.has(end)) end++;
  } else {
    return undefined;
  }
  if (code !== undefined) {
    const number = suffixed?.[1] ?? prefixed?.[2] ?? word;
    return { start: index, end, value, currency: { code, written: code.toUpperCase() }, number };
  }

  const scale = said[end] ?? "";
  if (!countsNext && !taken.has(end)) {
    if (MAGNITUDES.has(scale)) {
      if (value !== undefined) value *= MAGNITUDES.get(scale) ?? 1;
      end++;
    } else if (UNREAD_MAGNITUDES.has(scale)) {
      value = undefined;
      end++;
    }
  }
  const number = said.slice(index, end).join(" ");

  let after: Currency | null | undefined;
  const next = said[end] ?? "";
  if (!countsNext && !taken.has(end)) {
    const named = CURRENCY_NAMES.get(next);
    const qualified = qualifiedCurrencyAt(said, end);
    if (qualified !== undefined) {
      after = { code: qualified.code, written: said.slice(end, qualified.end).join(" ") };
      end = qualified.end - 1;
    } else if (codes.has(next)) after = { code: next, written: next.toUpperCase() };
    else if (isSymbol(next)) after = { symbol: next, written: next };
    else if (named !== undefined) after = named === null ? null : { ...named, written: next };
    if (after !== undefined) end++;
  }
  const before = currencyBefore(said, index, codes);
  const start =
    before === undefined || before.start < from || taken.has(before.start) ? index : before.start;
  const currency =
    after === null || after?.code !== undefined || start === index
      ? after
      : (before?.currency ?? after);
  return { start, end, value, currency, number };
}

/** A limit or price the message states. */
interface Stated {
  amount: Amount;
  /** A limit ("max 10 USD"), each unit's price ("10 USD each"), or a price ("at 10 USD"). */
  kind: "limit" | "price";
  perUnit: boolean;
  /** The words it takes, from its limit word to what follows the amount. */
  start: number;
  end: number;
  /** Why the check cannot read it as the details' limit, quoted as the message writes it. */
  unread?: string;
}

/**
 * Where words from `at` that say the amount before them is before tax end ("excl tax", "excl.
 * tax", "plus VAT", "before taxes"), or `undefined`. The shop charges no tax: the amount is all
 * the token lets it charge, and the person approves it and maybe more, never less.
 */
function beforeTaxEnd(said: readonly string[], at: number): number | undefined {
  if (!BEFORE_TAX.has(said[at] ?? "")) return undefined;
  const tax = said[at + 1] === "," ? at + 2 : at + 1;
  return TAXES.has(said[tax] ?? "") ? tax + 1 : undefined;
}

const isCountWord = (word: string | undefined): boolean =>
  isNumber(word) || NUMBER_WORDS.has(word ?? "") || word === "a" || word === "an";

/** What a message's amounts are read with: the product's words and counts, and its currencies. */
interface Context {
  reading: Reading;
  codes: ReadonlySet<string>;
  /** The words of the product's name. */
  taken: ReadonlySet<number>;
  /** Where the product's name starts. */
  namingStarts: ReadonlySet<number>;
  /** The words that count the product. */
  counted: ReadonlySet<number>;
  /** The forms of the last word of the product's name: "phone", "phones". */
  unitWords: ReadonlySet<string>;
  /** The counts of the product, where the message names it. */
  countValues: readonly number[];
}

/**
 * Where the words that follow the amount that ends at `end` stop, when they may make it another
 * amount than the one the check reads ("per month", "a month", "each week", "monthly", "plus
 * 10", "+ 10", "x 10", "or more", "and up", "in EUR", "for 12 months", "off", "cashback");
 * `undefined` when they leave it as it is (see `AMOUNT_FOLLOWERS`), or when none follow.
 */
function unreadAfter(end: number, context: Context): number | undefined {
  const { said } = context.reading;
  const word = said[end];
  const next = said[end + 1] ?? "";
  if (word === undefined || word === "," || context.counted.has(end)) return undefined;
  if (context.namingStarts.has(end)) return undefined;
  const taxEnd = beforeTaxEnd(said, end);
  if (taxEnd !== undefined) {
    // "998 USD plus tax and fees": what follows the tax may make it another amount.
    const rest = said[taxEnd];
    return rest === undefined || rest === "," ? undefined : Math.min(taxEnd + 2, said.length);
  }
  const withNumber = (at: number): number => (isCountWord(said[at]) ? at + 1 : at);
  const isMoney = (at: number): boolean =>
    amountAt(said, at, context.codes, { countsNext: false, taken: context.taken, from: at })
      ?.currency !== undefined;
  switch (word) {
    case "per":
      return UNIT_WORDS.has(next) || context.unitWords.has(next) || PER_TOTAL.has(next)
        ? undefined
        : end + 2;
    case "a":
    case "an":
      return next === "piece" || UNIT_WORDS.has(next) || context.unitWords.has(next)
        ? undefined
        : end + 2;
    case "each":
    case "every":
      return PERIODS.has(next) || word === "every" ? end + 2 : undefined;
    case "or":
      return OR_LESS.has(next) || (isNumber(next) && isMoney(end + 1))
        ? undefined
        : withNumber(end + 2);
    case "and":
      if (AND_UP.has(next)) return end + 2;
      if (isCountWord(next) && !context.counted.has(end + 1) && !isMoney(end + 1)) return end + 2;
      return undefined;
    case "in":
      if (IN_TOTAL.has(next) || isOnePayment(said, end + 1)) return undefined;
      if (isCountWord(next) && PERIODS.has(said[end + 2] ?? "")) return end + 3;
      return isCurrency(next, context.codes) || CURRENCY_NAMES.has(next) ? end + 2 : undefined;
    case "for":
    case "within":
      return isCountWord(next) && PERIODS.has(said[end + 2] ?? "") ? end + 3 : undefined;
    case "to":
    case "from":
    case "with":
      return isCountWord(next) && !context.counted.has(end + 1) ? end + 2 : undefined;
    default: {
      if (AMOUNT_FOLLOWERS.has(word)) return undefined;
      // With what it adds or multiplies by ("plus tax", "x 10"), and a period ("over 12 months").
      const stop = FACTORS.has(word) && said[end + 1] !== "," ? end + 2 : withNumber(end + 1);
      return PERIODS.has(said[stop] ?? "") ? stop + 1 : Math.min(stop, said.length);
    }
  }
}

/** Whether the words from `at` are one payment: "1 payment", "one payment", "a payment". */
const isOnePayment = (said: readonly string[], at: number): boolean =>
  ["1", "one", "a"].includes(said[at] ?? "") && said[at + 1] === "payment";

/**
 * The limits and prices the message states, outside the product's name (`taken`): money after
 * a limit word, maybe with fillers between ("max 998 USD", "max US$ 10", "up to $998", "for 10
 * USD", "max amount of 10 USD", "no more than 10 USD", "under \u20ac10"), money followed by one
 * ("10 USD max", "$10 or less"), a number with no currency after "max", "maximum", "up to", "at
 * most" or "no more than" ("max 998", "maximum of 998"), unless the product's name follows it
 * ("up to 2 XYZ phones" counts them), and any other money ("at $10", "cost 10 USD", "or 10
 * EUR"), a price. An amount followed by "each", "apiece" or "per" and a unit or the product is
 * each unit's. What the check cannot read as a maximum is `unread`: an amount or currency it
 * cannot read ("10 bn", "ten", "998 cents"), a limit with no currency followed by a word that
 * may be one ("max 998 kroner"), any lower bound ("minimum 10 USD", "over 10 USD", "998 USD or
 * more"), money the person gets ("save 998 USD"), and an amount followed by words that may
 * make it another ("998 USD per month", "998 USD plus 10": see `unreadAfter`).
 */
function statedAmounts(context: Context): Stated[] {
  const { reading, codes, taken, namingStarts } = context;
  const { said } = reading;
  const stated: Stated[] = [];
  let from = 0;
  for (let index = 0; index < said.length; index++) {
    if (taken.has(index) || context.counted.has(index)) continue;
    const countsNext = namingStarts.has(index + 1) || namingStarts.has(index + 2);
    const amount = amountAt(said, index, codes, { countsNext, taken, from });
    if (amount === undefined) continue;
    const money = amount.currency !== undefined;
    const limitStart = phraseBefore(said, amount.start, LIMITS_BEFORE, !money);
    const boundStart = phraseBefore(said, amount.start, LOWER_BOUNDS, !money);
    const notSpent = phraseBefore(said, amount.start, NOT_SPENT, !money);
    let kind: Stated["kind"] | undefined;
    let first = amount.start;
    let sure = amount.value !== undefined && amount.currency !== null;
    let end = amount.end;
    if (notSpent !== undefined) {
      kind = "price";
      first = notSpent;
      sure = false;
    } else if (limitStart !== undefined && (money || !countsNext)) {
      kind = "limit";
      first = limitStart;
      const follower = said[amount.end];
      if (!money && follower !== undefined && !BARE_FOLLOWERS.has(follower)) {
        sure = false;
        end = amount.end + 1;
      }
    } else if (money && limitAfter(said, amount.end)) {
      kind = "limit";
    } else if (boundStart !== undefined && (money || !countsNext)) {
      kind = "price";
      first = boundStart;
      sure = false;
    } else if (money) {
      kind = "price";
    }
    if (kind === undefined) continue;
    const unreadEnd = unreadAfter(amount.end, context);
    if (unreadEnd !== undefined) {
      sure = false;
      end = Math.max(end, unreadEnd);
    }
    stated.push({
      amount,
      kind,
      perUnit:
        perUnitAfter(said, amount.end, context.unitWords) ||
        phraseBefore(said, amount.start, EACH_BEFORE, !money) !== undefined,
      start: first,
      end,
      ...(sure ? {} : { unread: quote(reading, first, end) }),
    });
    from = end;
    index = end - 1;
  }
  return stated;
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

/** The whole numbers from `start` up to `end`. */
const range = (start: number, end: number): number[] =>
  Array.from({ length: Math.max(0, end - start) }, (_, offset) => start + offset);

/**
 * Whether the number at `at` (a word no other reading took) shares out a count the message
 * names: "1 per person" after "2 XYZ phones", a number that goes into it more than once. "2 per
 * person" after 2 phones may be 2 for each of many people, and "1 per person, 5 people" after 4
 * phones counts 5: neither is read.
 */
function sharesCount(
  { reading, countValues }: Context,
  at: number,
  free: (at: number) => boolean,
): boolean {
  const { said } = reading;
  const share = said[at] ?? "";
  if (!free(at) || !/^\d+$/.test(share)) return false;
  if (said.some((word, index) => PER_WHO.has(word) && isCountWord(said[index - 1]))) return false;
  const each = Number(share);
  return countValues.some((count) => each > 0 && count > each && count % each === 0);
}

/**
 * Words outside what the check reads (`consumed`: the product's name, its counts, the amounts)
 * that may change the quantity or the amount the message states, quoted with the numbers next to
 * them: a factor or an addition ("x 10", "times 10", "3 times", "2x", "plus 10", "+ 10",
 * "twice", "9 more"), a period ("per month", "a day", "each week", "monthly", "for 12 months",
 * "12 payments"; not a time such as "in 2 days"), and "per" followed by anything but a unit, the
 * product or the order ("per person").
 */
function unreadWordsOf(context: Context, consumed: ReadonlySet<number>): string[] {
  const { reading, unitWords } = context;
  const { said } = reading;
  const free = (at: number): boolean => at >= 0 && at < said.length && !consumed.has(at);
  const found: string[] = [];
  for (let index = 0; index < said.length; index++) {
    if (!free(index)) continue;
    const word = said[index] ?? "";
    const next = said[index + 1] ?? "";
    const previous = said[index - 1] ?? "";
    let start = index;
    let end: number | undefined;
    const taxEnd = beforeTaxEnd(said, index);
    if (taxEnd !== undefined) {
      index = taxEnd - 1;
      continue;
    }
    if (FACTORS.has(word)) {
      if (isNumber(previous) && free(index - 1)) start = index - 1;
      end = isCountWord(next) && free(index + 1) ? index + 2 : index + 1;
    } else if (TIMES.test(word) || RECURRING.has(word)) {
      end = index + 1;
    } else if (word === "more" && isNumber(previous) && free(index - 1)) {
      start = index - 1;
      end = index + 1;
    } else if (["per", "a", "an", "each", "every"].includes(word) && PERIODS.has(next)) {
      end = index + 2;
    } else if (word === "per" && PER_WHO.has(next) && sharesCount(context, index - 1, free)) {
      // "2 XYZ phones, 1 per person": the 2 shared out, one each.
      index++;
      continue;
    } else if (
      word === "per" &&
      !(UNIT_WORDS.has(next) || unitWords.has(next) || PER_TOTAL.has(next))
    ) {
      end = index + 2;
    } else if (
      isCountWord(word) &&
      PERIODS.has(next) &&
      !SERVICES.has(said[index + 2] ?? "") &&
      !isOnePayment(said, index) &&
      (PAYMENTS.has(next) || !["in", "within", "by", "after"].includes(previous))
    ) {
      if (["for", "over"].includes(previous) && free(index - 1)) start = index - 1;
      end = index + 2;
    }
    if (end === undefined) continue;
    found.push(quote(reading, start, end));
    index = end - 1;
  }
  return found;
}

/**
 * The currencies the message writes outside what the check reads (`consumed`): "pay in EUR,
 * max 998" writes EUR as the limit's currency.
 */
function strayCurrencies(context: Context, consumed: ReadonlySet<number>): Currency[] {
  const { said } = context.reading;
  const found: Currency[] = [];
  for (let index = 0; index < said.length; index++) {
    if (consumed.has(index)) continue;
    const word = said[index] ?? "";
    const qualified = qualifiedCurrencyAt(said, index);
    const named = CURRENCY_NAMES.get(word);
    if (qualified !== undefined) {
      found.push({
        code: qualified.code,
        written: said.slice(index, qualified.end).join(" "),
      });
      index = qualified.end - 1;
    } else if (context.codes.has(word)) {
      found.push({ code: word, written: word.toUpperCase() });
    } else if (isSymbol(word)) {
      found.push({ symbol: word, written: word });
    } else if (named !== undefined && named !== null) {
      found.push({ ...named, written: word });
    }
  }
  return found;
}

/** How a problem is written: a product as JSON writes it, so a stray space or quote shows. */
const quoted = (text: string): string => JSON.stringify(text);

/** Where the message names an entry's product. */
interface Owner {
  start: number;
  entry: AuthorizationDetail;
}

/** Where the message names each `product_purchase` entry's product, in the message's order. */
function namedEntries(
  message: string,
  said: readonly string[],
  details: readonly AuthorizationDetail[],
): Owner[] {
  return details
    .flatMap((entry) => {
      const { product, currency } = entry as { product?: unknown; currency?: unknown };
      if (entry.type !== "product_purchase" || typeof product !== "string") return [];
      const codes = currencyCodes(message, currency);
      return productNamings(message, said, product, codes).map(({ start }) => ({ start, entry }));
    })
    .sort((a, b) => a.start - b.start);
}

/**
 * The entry a stated amount from `at` is of, where the message names several products: the one
 * named last before it ("2 XYZ phones max 998 USD, 1 ABC laptop max 1500 USD"), or, before any,
 * the first named after it. `undefined` where the message names none.
 */
function ownerAt(owners: readonly Owner[], at: number): AuthorizationDetail | undefined {
  return (owners.findLast(({ start }) => start < at) ?? owners[0])?.entry;
}

/** An item the message says to buy, from `start` to `end`: its count and its name. */
interface Item {
  start: number;
  end: number;
  /** Where the name starts, after the count (`start` when it has none), and where it ends. */
  name: number;
  nameEnd: number;
  value: number | undefined;
}

/**
 * The items the message says to buy besides what `claimed` holds (the products of the details
 * it names, and their counts), quoted as the message writes them: "Buy 2 XYZ phones and 1 ABC
 * laptop" buys an ABC laptop too, which a request for 2 XYZ phones does not. An item is a count
 * (a number that is no price, "a", "an", "one", "2x") where a purchase lists one (at the start,
 * after a buying verb, a mark, a joiner such as "and", "plus", "+", "with", or a named product),
 * followed by the words of a name, up to a connector, a mark or a number: "1 ABC laptop", "2 XYZ
 * phone cases". Words that name no product ("2 day shipping", "64 GB", "1 per person", "1 for
 * Anna") are none. So as not to take "Buy 2 XYZ phones, 2 colours" for a purchase, a name of
 * one word counts only after a buying verb or a joiner ("and a laptop", "plus 2 chargers"),
 * and not where such items split a named count ("2 XYZ phones, 1 black and 1 white": 1 + 1 is
 * the 2). A name with no count counts after a joiner when it shares a word with a product of
 * the details ("and XYZ tablet"): another product of the same make or kind.
 */
function otherItems(
  said: readonly string[],
  codes: ReadonlySet<string>,
  claimed: ReadonlySet<number>,
  productWords: ReadonlySet<string>,
  namedCounts: readonly Count[],
): Item[] {
  const nameEnd = (from: number): number => {
    let end = from;
    while (
      end < said.length &&
      !claimed.has(end) &&
      /[a-z]/.test(said[end] ?? "") &&
      !NAME_ENDS.has(said[end] ?? "") &&
      !codes.has(said[end] ?? "") &&
      !CURRENCY_NAMES.has(said[end] ?? "") &&
      !TIMES.test(said[end] ?? "")
    ) {
      end++;
    }
    return end;
  };
  const candidates: (Item & { joined: boolean })[] = [];
  for (let start = 0; start < said.length; start++) {
    if (claimed.has(start)) continue;
    const previous = said[start - 1];
    const joined = previous !== undefined && (JOINERS.has(previous) || BUYING.has(previous));
    if (!(previous === undefined || previous === "," || joined || claimed.has(start - 1))) {
      continue;
    }
    const count = itemCountAt(said, start, codes, joined);
    const name = count?.end ?? start;
    if (NOT_ITEMS.has(said[name] ?? "")) continue;
    const nameEnds = nameEnd(name);
    if (nameEnds === name) continue;
    // "ABC laptop x1": the count after the name.
    const after = count === undefined ? TIMES.exec(said[nameEnds] ?? "") : null;
    const value = count?.value ?? (after ? Number(after[1] ?? after[2]) : undefined);
    const end = after ? nameEnds + 1 : nameEnds;
    const shared = said.slice(name, nameEnds).some((word) => productWords.has(word));
    if (value === undefined && !(joined && nameEnds - name > 1 && shared)) continue;
    candidates.push({ start, end, name, nameEnd: nameEnds, value, joined });
    start = end - 1;
  }
  return candidates.filter((item, index) => {
    if (item.nameEnd - item.name > 1) return true;
    // "1 souris", "1 charger": a thing sold, never a colour or a share of the named count.
    const word = said[item.name] ?? "";
    if (GOODS.has(word) && !productWords.has(word)) return true;
    if (!item.joined) return false;
    return !splitsCount(candidates, index, namedCounts, said);
  });
}

/**
 * The count that starts an item at `start`: a number that is no price ("1", "1,000", "2x"), or
 * with `inWords` (after a joiner or a verb) "a", "an", "one", "two", "a pair of".
 */
function itemCountAt(
  said: readonly string[],
  start: number,
  codes: ReadonlySet<string>,
  inWords: boolean,
): { value: number; end: number } | undefined {
  const word = said[start] ?? "";
  const times = TIMES.exec(word);
  if (times) return { value: Number(times[1] ?? times[2]), end: start + 1 };
  if (isNumber(word)) {
    const value = countAt(said, start, codes, true);
    if (value === undefined) return undefined;
    return { value, end: said[start + 1] === "x" ? start + 2 : start + 1 };
  }
  if (!inWords) return undefined;
  for (let end = Math.min(said.length, start + 4); end > start; end--) {
    const value = countInWords(said.slice(start, end));
    if (value !== undefined) return { value, end };
  }
  return undefined;
}

/**
 * Whether the one-word item at `index` is part of a run of such items, joined by a mark or
 * "and", that follows a named count and adds up to it: "2 XYZ phones, 1 black and 1 white".
 */
function splitsCount(
  items: readonly (Item & { joined: boolean })[],
  index: number,
  namedCounts: readonly Count[],
  said: readonly string[],
): boolean {
  let first = index;
  const adjoins = (before: Item, after: Item): boolean =>
    after.start - before.end === 1 && [",", "and"].includes(said[before.end] ?? "");
  while (first > 0) {
    const before = items[first - 1];
    const item = items[first];
    if (before === undefined || item === undefined || !adjoins(before, item)) break;
    first--;
  }
  let last = index;
  while (last + 1 < items.length) {
    const item = items[last];
    const after = items[last + 1];
    if (item === undefined || after === undefined || !adjoins(item, after)) break;
    last++;
  }
  const run = items.slice(first, last + 1);
  if (run.length < 2 || run.some((item) => item.nameEnd - item.name !== 1)) return false;
  const total = run.reduce((sum, item) => sum + (item.value ?? Number.NaN), 0);
  const head = run[0]?.start ?? 0;
  return namedCounts.some(
    (count) => count.value === total && count.start < head && head - count.end <= 6,
  );
}

/**
 * What the message lists to buy: the words of the details' products it names and their counts,
 * the items it names besides them (`others`, quoted: see `otherItems`), and the joiners between
 * any of these ("+" in "2 XYZ phones + 1 ABC laptop" adds an item, not an amount). `words` holds
 * the positions of all of them.
 */
function listedItems(
  message: string,
  reading: Reading,
  details: readonly AuthorizationDetail[],
): { words: Set<number>; others: string[] } {
  const { said } = reading;
  const claimed = new Set<number>();
  const productWords = new Set<string>();
  const namedCounts: Count[] = [];
  let codes = currencyCodes(message, undefined);
  let products = 0;
  let allNamed = true;
  for (const entry of details) {
    const { product, currency } = entry as { product?: unknown; currency?: unknown };
    if (entry.type !== "product_purchase" || typeof product !== "string") continue;
    codes = currencyCodes(message, currency);
    products++;
    for (const word of [...words(product), ...words(sanitizeBindingText(product))]) {
      for (const form of nameWordForms(word, true)) productWords.add(form);
    }
    const namings = productNamings(message, said, product, codes);
    if (namings.length === 0) allNamed = false;
    for (const naming of namings) {
      for (const at of range(naming.start, naming.end)) claimed.add(at);
      for (const count of countsOf(reading, naming, codes).counts) {
        namedCounts.push(count);
        for (const at of range(count.start, count.end)) claimed.add(at);
      }
    }
  }
  // With no product to compare, the message is not read; where it leaves a product out, that is
  // its finding: an item it names instead is most likely that product misnamed.
  const items =
    products > 0 && allNamed ? otherItems(said, codes, claimed, productWords, namedCounts) : [];
  const listedWords = new Set([
    ...claimed,
    ...items.flatMap(({ start, end }) => range(start, end)),
  ]);
  for (let at = 1; at < said.length - 1; at++) {
    if (JOINERS.has(said[at] ?? "") && listedWords.has(at - 1) && listedWords.has(at + 1)) {
      listedWords.add(at);
    }
  }
  return {
    words: listedWords,
    others: items.map(({ start, end }) => quote(reading, start, end)),
  };
}

/** An amount as a finding writes it: "1.000" and "1 000" are a thousand, which a reader may not see. */
function writtenAmount(amount: Amount): string {
  const value = amount.value ?? Number.NaN;
  return /^\d[\d., ]*$/.test(amount.number) &&
    /[. ]/.test(amount.number) &&
    Number(amount.number) !== value
    ? `${amount.number}, read as ${String(value)}`
    : amount.number;
}

/**
 * Whether `stated` is the one amount of a message that names several entries' products, written
 * after them all or before them all: a person reads it as the whole list's, not as the product's
 * it stands next to. "Buy an XYZ phone and an ABC laptop, up to 500 USD" says 500 USD for both,
 * whatever the laptop's own `maximum_amount`.
 */
function coversList(stated: Stated, amounts: readonly Stated[], owners: readonly Owner[]): boolean {
  if (new Set(owners.map(({ entry }) => entry)).size < 2 || amounts.length !== 1) return false;
  const first = owners[0]?.start ?? 0;
  const last = owners.at(-1)?.start ?? 0;
  return !(stated.start > first && stated.start < last);
}

/**
 * Whether `stated`, where the message names several entries' products, is a limit on them all:
 * a total the words around it say ("max 2498 USD total", "total max 2498 USD", "2498 USD in
 * total", "2498 USD for both"), or the one amount of the message, stated after every product
 * or before them all (`coversList`: "Buy 2 XYZ phones and 1 ABC laptop for max 2498 USD"). An
 * amount each unit's ("per item", "each") is none: it is each entry's (see `messageMismatch`).
 */
function totalOf(
  stated: Stated,
  amounts: readonly Stated[],
  { reading }: Context,
  owners: readonly Owner[],
): boolean {
  const { said } = reading;
  const { amount, perUnit, start, unread } = stated;
  if (new Set(owners.map(({ entry }) => entry)).size < 2 || perUnit || unread !== undefined) {
    return false;
  }
  // Right after it: in "998 USD, 1 ABC laptop 1500 USD, total 2498 USD" the total is 2498.
  return (
    range(start, amount.start).some((at) => TOTAL_BEFORE.has(said[at] ?? "")) ||
    TOTAL_AFTER.some((phrase) => phraseAt(said, amount.end, phrase)) ||
    coversList(stated, amounts, owners)
  );
}

/** The `product_purchase` entries' `maximum_amount`s, their sum in cents, their currencies, and the products with none. */
function maximaOf(details: readonly AuthorizationDetail[]): {
  maxima: number[];
  cents: number;
  currencies: Set<unknown>;
  without: unknown[];
} {
  const entries = details.filter((entry) => entry.type === "product_purchase") as {
    product?: unknown;
    maximum_amount?: unknown;
    currency?: unknown;
  }[];
  const maxima = entries.flatMap(({ maximum_amount: maximum }) =>
    typeof maximum === "number" ? [maximum] : [],
  );
  return {
    maxima,
    cents: maxima.reduce((sum, maximum) => sum + limitToCents(maximum), 0),
    currencies: new Set(entries.map(({ currency }) => currency)),
    without: entries
      .filter(({ maximum_amount: maximum }) => typeof maximum !== "number")
      .map(({ product }) => product),
  };
}

/** A finding of the check, by the clause it goes in. */
interface Finding {
  clause: "unnamed" | "unset" | "unread";
  text: string;
}

/**
 * What a total the message states (`totalOf`) gets wrong about the details: the shop applies
 * each entry's `maximum_amount` to that entry, so the most the token lets it charge for them all
 * is their sum, in their one currency. A total where an entry has no maximum is a limit the
 * details do not set; one over entries of several currencies cannot be read.
 */
function totalFindings(
  { amount, kind }: Stated,
  reading: Reading,
  details: readonly AuthorizationDetail[],
): Finding[] {
  const sum = maximaOf(details);
  const written = `${writtenAmount(amount)} in total`;
  if (sum.without.length > 0) {
    const products = sum.without.map((product) => quoted(String(product))).join(" and ");
    return [{ clause: "unset", text: `${written} (the product ${products} has none)` }];
  }
  const [currency, ...others] = [...sum.currencies];
  if (others.length > 0 || typeof currency !== "string") {
    return [{ clause: "unread", text: JSON.stringify(quote(reading, amount.start, amount.end)) }];
  }
  const findings: Finding[] = [];
  if (limitToCents(amount.value ?? Number.NaN) !== sum.cents) {
    const says = kind === "price" ? written : `max ${written}`;
    const maxima = sum.maxima.map(String).join(" + ");
    findings.push({
      clause: "unnamed",
      text: `the maximum_amounts ${maxima} = ${String(sum.cents / 100)} in total (it says ${says})`,
    });
  }
  if (amount.currency && !sameCurrency(amount.currency, currency)) {
    findings.push({
      clause: "unnamed",
      text: `the currency ${currency} (it says ${amount.currency.written})`,
    });
  }
  return findings;
}

/**
 * Where a request's binding message and its `authorization_details` visibly disagree. For each
 * `product_purchase` entry the message must name its product (see `productNamings`) and its
 * quantity, as the number that counts the product (see `countsOf`: in "buy 1 XYZ phone for 2
 * people" the quantity is 1; "19.99" holds no 19; in "2 XYZ phones for max 20 USD" 20 is a
 * price), and a limit the message states (see `statedAmounts`: "max 998 USD", "for $998", "998
 * USD max", "max 1k") must be the entry's `maximum_amount` in whole cents, as the shop applies it
 * (each unit's times the quantity), in the entry's `currency`; a price ("at 499 USD") must be it
 * or, times the quantity, make it; what the check cannot read as the limit ("max ten USD",
 * "minimum 10 USD") is flagged as such, quoted. Auth0's Guardian shows only the binding
 * message for a custom type, so the person approves what the message says while the token
 * carries the details: an agent that writes one and sends the other is wrong, and the testbed
 * says so. `undefined` when they agree, or when there is nothing to compare.
 */
export function messageMismatch(
  bindingMessage: string,
  details: readonly AuthorizationDetail[] | undefined,
): string | undefined {
  const reading = read(bindingMessage);
  const { said } = reading;
  const unnamed = new Set<string>();
  const unset = new Set<string>();
  const unread = new Set<string>();
  const unreadWords = new Set<string>();
  const otherActions = new Set<string>();
  const owners = namedEntries(bindingMessage, said, details ?? []);
  const listed = listedItems(bindingMessage, reading, details ?? []);
  /** Amounts the message states for all the products at once, by where they start. */
  const totals = new Map<number, Stated>();
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
    const inName = new Set((namings ?? []).flatMap(({ start, end }) => range(start, end)));

    // Where the message names the product, the numbers that count it; where it does not (it is
    // flagged already), any number of its own that is not a price.
    const counts = named
      ? namings.flatMap((naming) => {
          const found = countsOf(reading, naming, codes);
          if (found.unread !== undefined) unreadWords.add(JSON.stringify(found.unread));
          return found.counts;
        })
      : said.flatMap((_, index) => countFrom(said, index, index, codes) ?? []);
    if (
      typeof quantity === "number" &&
      Number.isFinite(quantity) &&
      (counts.length === 0 ||
        counts.some((count) => count.value !== quantity || count.atLeast !== undefined))
    ) {
      const others = [
        ...new Set(
          counts.flatMap(({ value, atLeast }) =>
            atLeast !== undefined
              ? [
                  `${quoted(atLeast)}, a lower bound, where the token buys at most ${String(quantity)}`,
                ]
              : value !== quantity
                ? [String(value)]
                : [],
          ),
        ),
      ];
      const says = others.length > 0 ? `it says ${others.join(" and ")}` : "it states no count";
      unnamed.add(`the quantity ${String(quantity)} (${says})`);
    }

    const maximum = (entry as { maximum_amount?: unknown }).maximum_amount;
    const lastWord = typeof product === "string" ? words(product).at(-1) : undefined;
    const context: Context = {
      reading,
      codes,
      taken: inName,
      namingStarts: new Set((namings ?? []).map(({ start }) => start)),
      counted: new Set(counts.flatMap(({ start, end }) => range(start, end))),
      unitWords: new Set(lastWord === undefined ? [] : nameWordForms(lastWord, true)),
      countValues: counts.flatMap(({ value, atLeast }) => (atLeast === undefined ? [value] : [])),
    };
    const amounts = statedAmounts(context);
    const consumed = new Set([
      ...context.taken,
      ...context.counted,
      ...amounts.flatMap(({ start, end }) => range(start, end)),
      ...listed.words,
    ]);
    for (const phrase of unreadWordsOf(context, consumed)) unreadWords.add(JSON.stringify(phrase));
    for (const naming of namings ?? []) {
      let start = naming.start;
      while (context.counted.has(start - 1)) start--;
      const action = otherActionBefore(said, start, {
        skip: consumed,
        endsClause: (index) => !/^:+$/.test(quote(reading, index, index + 1)),
      });
      if (action !== undefined) {
        otherActions.add(
          `says ${quoted(quote(reading, action.start, naming.end))} (authorization_details buy the product ${quoted(product as string)})`,
        );
      }
    }
    for (const written of strayCurrencies(context, consumed)) {
      if (typeof currency === "string" && !sameCurrency(written, currency)) {
        unnamed.add(`the currency ${currency} (it says ${written.written})`);
      }
    }
    for (const found of amounts) {
      const { amount, kind, perUnit, start, unread: quoted } = found;
      if (totalOf(found, amounts, context, owners)) {
        totals.set(start, found);
        continue;
      }
      // One amount each unit's after or before the list ("..., 499 USD each") is every entry's.
      const everyEntrys = perUnit && coversList(found, amounts, owners);
      if (!everyEntrys && (ownerAt(owners, start) ?? entry) !== entry) continue;
      if (quoted !== undefined) {
        unread.add(JSON.stringify(quoted));
        continue;
      }
      const value = amount.value ?? Number.NaN;
      const written = writtenAmount(amount);
      const stated = perUnit ? `${written} each` : written;
      if (typeof maximum !== "number") {
        if (kind === "limit") unset.add(stated);
        else unread.add(JSON.stringify(quote(reading, amount.start, amount.end)));
        continue;
      }
      const cents = limitToCents(value);
      const times = typeof quantity === "number" && Number.isInteger(quantity) ? quantity : 1;
      const agrees = perUnit
        ? cents * times === limitToCents(maximum)
        : cents === limitToCents(maximum) ||
          (kind === "price" && cents * times === limitToCents(maximum));
      if (!agrees) {
        const says = perUnit || kind === "price" ? stated : `max ${stated}`;
        unnamed.add(`the maximum_amount ${String(maximum)} (it says ${says})`);
      }
      if (
        amount.currency !== undefined &&
        amount.currency !== null &&
        typeof currency === "string" &&
        !sameCurrency(amount.currency, currency)
      ) {
        unnamed.add(`the currency ${currency} (it says ${amount.currency.written})`);
      }
    }
  }
  const clauseSets = { unnamed, unset, unread };
  for (const total of totals.values()) {
    for (const { clause, text } of totalFindings(total, reading, details ?? [])) {
      clauseSets[clause].add(text);
    }
  }
  const clauses = [
    ...otherActions,
    ...(listed.others.length > 0
      ? [`names ${listed.others.map(quoted).join(" and ")}, which authorization_details do not buy`]
      : []),
    ...(unnamed.size > 0
      ? [`does not name ${[...unnamed].join(" or ")} of authorization_details`]
      : []),
    ...(unset.size > 0
      ? [`states a maximum of ${[...unset].join(" and ")} that authorization_details do not set`]
      : []),
    ...(unread.size > 0
      ? [
          `states ${[...unread].join(" and ")}, which the testbed cannot read as the maximum_amount of authorization_details`,
        ]
      : []),
    ...(unreadWords.size > 0
      ? [
          `says ${[...unreadWords].join(" and ")}, which may change the quantity or the amount the person approves, and which the testbed cannot read`,
        ]
      : []),
  ];
  if (clauses.length === 0) return undefined;
  return `The binding message ${clauses.join(" and ")}: the person would approve the message while the token authorizes the details.`;
}
