import { readNumberWords } from "./number-words.js";
import { matchAt } from "./price-limits.js";
import { isNumeral, type Token } from "./request-tokens.js";

/** How many of a product the person asked for: a number, or words like "some" that are none. */
export type Quantity = { value: number } | { vague: true };

/** A quantity phrase, tokens `start` to `end`. */
export interface QuantityPhrase {
  quantity: Quantity;
  start: number;
  end: number;
}

const VAGUE = [
  ["a", "few"],
  ["a", "lot", "of"],
  ["a", "bunch", "of"],
  ["lots", "of"],
  ["some"],
  ["several"],
  ["few"],
  ["many"],
  ["multiple"],
  ["any"],
];
const SCALE_WORDS: Record<string, number> = { hundred: 100, thousand: 1000 };
/** Words allowed between a quantity and its product: "2 of the", "two more", "3 x". */
const BETWEEN = new Set(
  (
    "of the these those new more extra additional brand x × * pairs pair sets set units unit " +
    "pieces piece pcs single spare identical same"
  ).split(" "),
);
/**
 * Words that end a quantity's reach: another clause has begun, or the count is an order's ("a
 * purchase of XYZ phones" counts no phone).
 */
const NOT_BETWEEN = new Set(
  "and or but for to from with without no not my your his her our their buy order get purchase".split(
    " ",
  ),
);

/**
 * Reads a quantity at `at`: "2", "two", "twenty five", "a", "a dozen", "half a dozen", "½ dozen", "two
 * dozen", "a couple (of)", "a pair of" (one of a product that is a pair, like headphones),
 * "another", or a vague "some", "a few", "several".
 */
export function quantityAt(
  tokens: readonly Token[],
  at: number,
  pairIsOne: boolean,
): QuantityPhrase | undefined {
  const words = tokens.map((token) => token.word);
  const phrase = (value: number | "vague", length: number): QuantityPhrase => ({
    quantity: value === "vague" ? { vague: true } : { value },
    start: at,
    end: at + length,
  });
  // "two dozen", "2 pairs of", "3 sets of": a number and the unit it counts in.
  const inUnits = (value: number, length: number) => {
    if (words[at + length] === "dozen") return phrase(value * 12, length + 1);
    const pairs = pairsOrSetsAt(words, at + length, value, pairIsOne);
    return pairs === undefined ? phrase(value, length) : phrase(pairs.value, length + pairs.length);
  };

  const numeral = tokens[at];
  // "(2) XYZ phones": a count in brackets, as lists and forms write it.
  const bracketed = tokens[at + 1];
  if (words[at] === "(" && isNumeral(bracketed) && words[at + 2] === ")") {
    return phrase(bracketed.number, 3);
  }
  // "2 hundred", "3 thousand": a numeral times the word after it, not the numeral alone.
  const scale = SCALE_WORDS[words[at + 1] ?? ""];
  if (isNumeral(numeral) && scale !== undefined) return phrase(numeral.number * scale, 2);
  if (isNumeral(numeral)) return inUnits(numeral.number, 1);
  const vague = matchAt(words, at, VAGUE);
  if (vague > 0) return phrase("vague", vague);
  const word = words[at];
  const next = words[at + 1];
  if (word === "half" && next === "a" && words[at + 2] === "dozen") return phrase(6, 3);
  // "half dozen", "a half dozen": six, as "half a dozen" is.
  if (word === "half" && next === "dozen") return phrase(6, 2);
  if ((word === "a" || word === "an") && next === "half" && words[at + 2] === "dozen") {
    return phrase(6, 3);
  }
  if (word === "dozen") return phrase(12, 1);
  if (word === "another" || word === "single") return phrase(1, 1);
  if (word === "couple") return phrase(2, next === "of" ? 2 : 1);
  if (word === "pair" && next === "of") return phrase(pairIsOne ? 1 : 2, 2);
  if (word === "a" || word === "an") {
    if (next === "dozen") return phrase(12, 2);
    if (next === "couple") return phrase(2, words[at + 2] === "of" ? 3 : 2);
    if (next === "pair" && words[at + 2] === "of") return phrase(pairIsOne ? 1 : 2, 3);
    if (next === "single") return phrase(1, 2);
  }
  const spelled = readNumberWords(words, at);
  // "two (2) XYZ phones": the count in words, then in digits, as contracts write it. The same
  // number twice is one count; another number ("two (3)") is read as two counts, and asked.
  const repeated = spelled === undefined ? undefined : tokens[at + spelled.length + 1];
  if (
    spelled !== undefined &&
    words[at + spelled.length] === "(" &&
    repeated?.number === spelled.value &&
    words[at + spelled.length + 2] === ")"
  ) {
    return phrase(spelled.value, spelled.length + 3);
  }
  if (spelled !== undefined) return inUnits(spelled.value, spelled.length);
  if (word === "a" || word === "an") return phrase(1, 1);
  return undefined;
}

/**
 * The quantity of a product that starts at `productStart`, read leftwards no further than
 * `from`: the phrase closest to the product, with only words like "of the" or one adjective
 * between ("2 new XYZ phones").
 */
export function quantityBefore(
  tokens: readonly Token[],
  from: number,
  productStart: number,
  pairIsOne: boolean,
): QuantityPhrase | undefined {
  let found: QuantityPhrase | undefined;
  for (let at = productStart - 1; at >= from; at -= 1) {
    const phrase = quantityAt(tokens, at, pairIsOne);
    if (found !== undefined) {
      // A longer phrase that ends where the one found ends: "half a dozen", "two dozen".
      if (phrase !== undefined && phrase.end >= found.end) found = phrase;
      if (at < found.start - 3) break;
      continue;
    }
    if (phrase !== undefined && onlyBetween(tokens, phrase.end, productStart)) found = phrase;
    if (NOT_BETWEEN.has(tokens[at]?.word ?? "")) break;
  }
  if (
    found !== undefined &&
    (endsRange(tokens, found.start, pairIsOne) || countsTwice(tokens, found))
  ) {
    return { ...found, quantity: { vague: true } };
  }
  return found;
}

/**
 * Whether the quantity at `start` is the end of a range: "2 or 3", "two to three", "2-3" (the
 * hyphen is dropped: "2 3"), "between 2 and 3". A range names no one number: the model asks.
 */
function endsRange(tokens: readonly Token[], start: number, pairIsOne: boolean): boolean {
  const before = tokens[start - 1]?.word ?? "";
  if (isNumeral(tokens[start]) && isNumeral(tokens[start - 1])) return true;
  const joined = before === "or" || before === "to" || before === "and";
  if (!joined) return false;
  for (let at = start - 2; at >= Math.max(0, start - 4); at -= 1) {
    const phrase = quantityAt(tokens, at, pairIsOne);
    if (phrase?.end === start - 1 && "value" in phrase.quantity) {
      return before !== "and" || tokens[at - 1]?.word === "between";
    }
  }
  return false;
}

/**
 * Whether an article or "one" stands right before a numeral of another count: "a 2 XYZ phones",
 * "an 8 USB-C cables", "one 2 cables". One, or the number? Read by the numeral alone, it bought 2.
 */
function countsTwice(tokens: readonly Token[], found: QuantityPhrase): boolean {
  const before = tokens[found.start - 1]?.word ?? "";
  return (
    (isNumeral(tokens[found.start]) || tokens[found.start]?.word === "(") &&
    ["a", "an", "one"].includes(before) &&
    "value" in found.quantity &&
    found.quantity.value !== 1
  );
}

/**
 * "pairs" or "sets" after a count of `count` at `at`, with its "of": "two pair of wireless
 * headphones" is two, "a pair of" having been read as one before, and so is "two sets of" a
 * product that is itself a pair. A pair of another product is two ("one pair of USB-C
 * cables"); more pairs of it ("2 pairs of cables") are asked about, since whether the number
 * counts pairs or cables is not said, and so are sets of it ("2 sets of USB-C cables"), whose
 * size is not said at all. Read as the count alone, each bought fewer than meant.
 */
function pairsOrSetsAt(
  words: readonly string[],
  at: number,
  count: number,
  pairIsOne: boolean,
): { value: number | "vague"; length: number } | undefined {
  const unit = words[at];
  if (unit !== "pair" && unit !== "pairs" && unit !== "set" && unit !== "sets") return undefined;
  const length = words[at + 1] === "of" ? 2 : 1;
  if (pairIsOne) return { value: count, length };
  if (unit === "set" || unit === "sets") return { value: "vague", length };
  return { value: count === 1 ? 2 : "vague", length };
}

function onlyBetween(tokens: readonly Token[], from: number, to: number): boolean {
  let others = 0;
  for (let at = from; at < to; at += 1) {
    const token = tokens[at];
    if (token === undefined || BETWEEN.has(token.word)) continue;
    if (NOT_BETWEEN.has(token.word) || !/^\p{L}+$/u.test(token.word)) return false;
    others += 1;
  }
  return others <= 1;
}

/**
 * Units a count is written in, right after it: "USB-C cable 3 pcs", "3pcs", "3 pieces", "one
 * piece", "2 nos" (numbers, as Indian English writes it).
 */
export const COUNT_UNITS = new Set("pcs pc pieces piece units unit nos".split(" "));
/**
 * What units before it describe rather than count: "an XYZ phone case 3-piece set" is one set of
 * three pieces, or three sets, not three cases.
 */
const PACKAGINGS = new Set(
  "set sets pack packs kit kits bundle bundles box boxes combo combos package packages bag bags".split(
    " ",
  ),
);

/**
 * A quantity written after the product: "XYZ phone x2", "x 3", "(qty 5)", "quantity: 4", or a
 * count in units ("USB-C cable 3 pcs"): the unit says the number counts, not costs or names.
 * Not units right before another product's name (`to` is where it starts, when `beforeProduct`):
 * "USB-C cable 3 pcs XYZ phone" may count either, and both took the 3. A colon after the name
 * also marks its count, as a list writes one ("XYZ phones: 2", "XYZ phone: qty 2"), when the
 * count ends what is said of the product: "XYZ phone: 2 cases" is not 2 phones.
 */
export function quantityAfter(
  tokens: readonly Token[],
  productEnd: number,
  to: number,
  pairIsOne: boolean,
  beforeProduct = false,
): QuantityPhrase | undefined {
  const words = tokens.map((token) => token.word);
  const counted = tokens[productEnd];
  const unitsEnd = productEnd + 2;
  const unitsFit = unitsEnd < to || (unitsEnd === to && !beforeProduct);
  // In digits or words ("ABC laptop one pc"); not before "of", where the units are the next
  // thing's ("XYZ phone 2 pcs of USB-C cable").
  const inUnits = isNumeral(counted)
    ? { value: counted.number, length: 1 }
    : readNumberWords(words, productEnd);
  const unitsWord = productEnd + (inUnits?.length ?? 0);
  const countedEnd = unitsWord + 1;
  if (
    inUnits !== undefined &&
    COUNT_UNITS.has(words[unitsWord] ?? "") &&
    words[countedEnd] !== "of" &&
    !PACKAGINGS.has(words[countedEnd] ?? "") &&
    (countedEnd < to || (countedEnd === to && !beforeProduct))
  ) {
    return { quantity: { value: inUnits.value }, start: productEnd, end: countedEnd };
  }
  // "wireless headphones 2 pairs": counted in pairs, as "2 pairs of wireless headphones" is.
  const pairs = isNumeral(counted)
    ? pairsOrSetsAt(words, productEnd + 1, counted.number, pairIsOne)
    : undefined;
  if (pairs?.length === 1 && unitsFit) {
    const quantity = pairs.value === "vague" ? { vague: true as const } : { value: pairs.value };
    return { quantity, start: productEnd, end: unitsEnd };
  }
  let at = productEnd;
  if (words[at] === "(") at += 1;
  const colon = at === productEnd && words[at] === ":" ? 1 : 0;
  at += colon;
  const marker = matchAt(words, at, [["x"], ["×"], ["*"], ["times"], ["qty"], ["quantity"]]);
  if (marker === 0 && at === productEnd) return undefined;
  at += marker;
  if (colon + marker > 0 && (words[at] === ":" || words[at] === "of")) at += 1;
  if (at >= to) return undefined;
  const numeral = tokens[at];
  const spelled = isNumeral(numeral) ? undefined : readNumberWords(words, at);
  const value = isNumeral(numeral) ? numeral.number : spelled?.value;
  if (value === undefined) return undefined;
  let end = at + (spelled?.length ?? 1);
  // "XYZ phone cases x 2 pairs", "wireless headphones: 2 pairs".
  const counting = pairsOrSetsAt(words, end, value, pairIsOne);
  if (counting?.length === 1) end += 1;
  if (words[end] === ")") end += 1;
  if (marker === 0 && colon > 0 && (end !== to || beforeProduct)) return undefined;
  const count =
    counting?.length !== 1 ? value : counting.value === "vague" ? undefined : counting.value;
  const quantity = count === undefined ? { vague: true as const } : { value: count };
  return { quantity, start: productEnd, end };
}
