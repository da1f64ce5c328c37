import { singular } from "./catalog-match.js";
import { readNumberWords } from "./number-words.js";
import { isNumeral, type Token } from "./request-tokens.js";

/** A price phrase in a sentence, tokens `start` to `end`. */
export interface PricePhrase {
  start: number;
  end: number;
  /** What the phrase says the person will pay at most, in USD; undefined for a minimum. */
  limit: number | undefined;
  /** "$500 each": the limit is per unit, times the quantity. */
  perUnit: boolean;
  /**
   * "$450 per phone": the last word of the product name said after "per", singular ("phone"):
   * the products whose name ends with it are the ones the limit is for.
   */
  perName?: string;
  /** "$520 for both", "$1800 the pair": one limit for several things together. */
  together: boolean;
  /**
   * "my budget is $510", "spend up to $510", "don't pay more than $510": what the person will
   * spend, which for several purchases said apart from each of them is their total.
   */
  budget: boolean;
}

const phrases = (list: string): string[][] => list.split(",").map((p) => p.trim().split(" "));

// Longest first, so "no more than" is read before "more than".
const LIMIT_CUES = phrases(
  "nothing more than, nothing over, nothing above, with a budget of, on a budget of, with a limit of, a maximum of, my budget is, our budget is, " +
    // "with a spending limit of $1000": the article and "with" are the cue's, not a count.
    "with a spending limit of, a spending limit of, with a price limit of, a price limit of, " +
    "with a spending cap of, a spending cap of, with a price cap of, a price cap of, " +
    "with a cap of, with a maximum of, with a max of, a max of, spending cap of, spending cap, " +
    "price cap of, " +
    "the budget is, the limit is, price limit of, price limit is, spending limit of, no more than, " +
    "not more than, no higher than, not exceeding, a budget of, a limit of, a cap of, budget of, " +
    "budget is, limit of, limit is, price limit, spending limit, maximum of, max of, cap of, " +
    "price ceiling, price cap, max price, maximum price, top price, highest price, " +
    "spend at most, spend no more than, spend up to, pay at most, pay no more than, pay up to, " +
    // "no more expensive than $500", "nothing pricier than $500": at most, said of the price.
    "no more expensive than, not more expensive than, nothing more expensive than, " +
    "no pricier than, not pricier than, nothing pricier than, no costlier than, " +
    "not costlier than, less expensive than, " +
    "capped at, cap it at, cap at, ceiling of, ceiling, less than, lower than, cheaper than, at most, up to, not over, not above, budget, " +
    "limit, cap, under, below, beneath, within, maximum, max, <",
).sort((a, b) => b.length - a.length);
const MINIMUM_CUES = phrases("more than, at least, over, above, beyond");
/**
 * Cues of a limit only before an amount said as money: "until 500 dollars", "till $30", as
 * "bis" and "hasta" say "up to" in German and Spanish, and "not more 1250 dollars", as
 * "nicht mehr als" says it without its "than". Before a bare number "until" is a time ("until
 * 2026"), and "no more" a count ("no more 2 phones").
 */
const MONEY_CUES = phrases("up until, until, till, not more, no more");
/**
 * "don't spend more than", "do not go over", "never pay above", "don't exceed", "doesn't cost
 * more than", "isn't over", "not costing more than".
 */
const NEGATIONS = phrases(
  "do not, does not, don't, dont, doesn't, doesnt, does'nt, never, not to, not, can't, cannot, " +
    "can not, shouldn't, should not, won't, will not, wouldn't, would not, mustn't, must not, " +
    "i can't, we can't, isn't, isnt, is not, aren't, arent, are not, " +
    // "I don't want to spend more than $500", "I'd prefer not to pay over $500".
    "don't want to, dont want to, do not want to, prefer not to, rather not, would rather not",
);
/** What a negation is of, before the most: "don't spend", "doesn't cost", "can't be". */
const SPENDING = new Set([
  "spend",
  "pay",
  "go",
  "exceed",
  "cost",
  "costs",
  "costing",
  "exceeding",
  "priced",
  "be",
  "come",
]);
/**
 * What may come before a negated limit and belongs to it: "if it doesn't exceed $500", "as long
 * as it's not more than $500", "an XYZ phone that doesn't cost more than $500".
 */
const NEGATION_LEADS = phrases(
  "if it, if it's, if they, if they're, if the price, if the total, if the cost, as long as it, " +
    "as long as it's, as long as they, as long as they're, as long as the price, so long as it, " +
    "so long as it's, so long as they, provided it, provided it's, provided they, provided that it, " +
    "provided that it's, provided that they, only if it, only if it's, only if they, that, which, " +
    "it, it's, they, they're, but it, but it's, but they, and it, and it's",
);
/** Words of a cue that make its amount what is spent in all: "budget", "spend", "pay". */
const BUDGET_WORDS = new Set(["budget", "budget's", "budgets", "spend", "spending", "pay"]);
/** What may come between "unless" and "more than": "unless it costs", "unless they're". */
const UNLESS_SUBJECT = new Set(
  "it they it's they's they're its the total price cost costs is are goes go comes come to".split(
    " ",
  ),
);
const LEADS = phrases(
  // A condition the agent can check is a limit: "if it's under $1,400", "as long as it's below".
  "if it's, if it is, if they're, if they are, if the price is, if it costs, if they cost, " +
    "as long as it's, as long as it is, as long as they're, as long as they are, " +
    "as long as the price is, as long as it costs, so long as it's, so long as it is, " +
    "provided it's, provided it is, provided that it's, only if it's, only if it is, " +
    "provided it costs, provided they cost, provided that it costs, provided they're, " +
    "provided they are, assuming it's, assuming it is, assuming it costs, assuming they're, " +
    "assuming they are, assuming they cost, so long as it costs, as long as they cost, " +
    "keep it, keep the total, keep the price, keep the cost, keep everything, keep, stay, " +
    "only if it costs, only if they cost, if it sells for, as long as it sells for, " +
    // "an XYZ phone that costs less than $500", "costing under $500", "priced at most $500": a
    // limit said as what the thing costs.
    "that costs, that cost, which costs, which cost, it costs, they cost, costing, " +
    "that is priced at, that's priced at, which is priced at, that is priced, that's priced, " +
    "which is priced, priced at, priced, that sells for, which sells for, that sell for, " +
    "selling for, that is, that's, which is, that are, which are, " +
    // "price under $500", "the price ≤ $500": what the limit is of, said before its word.
    "spend, spending, pay, for, at, and, but, price, the price, " +
    // "total under $1000", "in total not over 100 USD": the whole order's, before its cue.
    "total, in total, the total, total price, the total price, total cost, the total cost, " +
    "grand total, the grand total, " +
    // "with price maximum 480", "with a total under $1000".
    "with price, with a price, with the price, with total, with a total, with the total",
);
const CURRENCY_AFTER = phrases("us dollars, dollars, dollar, bucks, usd, $");
// "US$500": NFKC and the reader keep "US" and "$" apart.
const CURRENCY_BEFORE = phrases("usd, us $, $");
const SPENT_ON = phrases("on it, on them");
/** Each, before a limit: "each under $500", "each one at most $20". */
const EACH_BEFORE = phrases("each, each one, each item, each of them");
// "ea": each, as price lists write it ("$500/ea").
const PER_UNIT = phrases("each, ea, apiece, a piece, per unit, per item, per piece, per one");
/**
 * What "each" may be of that is no unit: "under $50 each order", "$1000 each purchase" cap an
 * order or a time, not a cable or a phone, as "per order" does; asked about, never read as per
 * unit, which would multiply the limit by the count.
 */
const NOT_UNITS = new Set(
  (
    "order orders purchase purchases buy time times transaction transactions checkout payment " +
    "payments delivery deliveries shipment shipments cart basket request requests visit week " +
    "month day year"
  ).split(" "),
);

/**
 * What says a price is per unit at `words[at]`, and its length (0: nothing does): `PER_UNIT`,
 * or "per" and the words of a product's name (`namesProduct`): "$450 per phone", "$20 per XYZ
 * phone case", whose name's last word, singular, is `perName`. Not "per" and anything else:
 * "$50 per month" is a rate, "$900 per order" a total.
 */
function perUnitAt(
  words: readonly string[],
  at: number,
  namesProduct: (index: number) => boolean,
): { length: number; perName?: string } {
  const said = matchAt(words, at, PER_UNIT);
  if (said > 0 && NOT_UNITS.has(words[at + said] ?? "")) return { length: 0 };
  if (said > 0 || words[at] !== "per") return { length: said };
  let end = at + 1;
  while (namesProduct(end)) end += 1;
  return end > at + 1
    ? { length: end - at, perName: singular(words[end - 1] ?? "") }
    : { length: 0 };
}
/** "within 2 days": a bare number before one of these is no amount of money. */
const NOT_MONEY = new Set(
  "day days week weeks hour hours minute minutes month months year years % percent".split(" "),
);
const HALF = phrases("and a half, and half");
/**
 * A group named right after an amount: "an XYZ phone and a case for $520 both" is $520 for the
 * two together, not $520 for each, and so is "$1800 for them" (or, if "them" are people, for
 * what they get together).
 */
const TOGETHER = phrases(
  "together, all together, altogether, combined, in all, both, for both, the pair, " +
    "for the pair, the two, for the two, for the two of them, the lot, for the lot, the set, " +
    "for the set, the bundle, for the bundle, for the order, " +
    "for the whole order, for the whole thing, for all of them, for them all, for all, " +
    "for them, for these, for those, for my order, for our order, for my whole order, " +
    "on both, on the two, on them, on the pair, between them, between the two, between both",
);
/**
 * Words that make one limit cover several purchases together: "$2000 for everything", and an
 * amount said with "@" one for several ("@ $1000 total", "in all").
 */
export const TOTAL_WORDS: ReadonlySet<string> = new Set(
  "total everything altogether combined overall together all sum".split(" "),
);
/** What opens a range of prices: "between $400 and $500", "priced from $400 to $500". */
const RANGE_LEADS = phrases(
  "between, from, for between, for anywhere between, anywhere between, priced between, " +
    "priced from, priced at between, costing between, that costs between, which costs between, " +
    "in the range of, in the range, range of",
);
/** A group named right before "for" and an amount: "Both for $510.", "the two for $510". */
const TOGETHER_BEFORE = phrases("both, the two, the pair, the lot, the set, the bundle");
const LIMIT_AFTER = phrases(
  "or less, or under, or below, or cheaper, at most, at the most, maximum, max, tops, in total, total, all in, " +
    // "$1000 total max", "$1000 max in total".
    "total max, total maximum, max total, maximum total, max in total, maximum in total, " +
    "in total max, total tops, tops in total, " +
    // "$1000 grand total": the total, said as a sum's bottom line.
    "grand total, in grand total, grand total max, " +
    // "$500 limit", "a $500 budget": the word of a limit after its amount.
    "limit, cap, budget",
);

/**
 * Finds the price phrases of a sentence: a limit word and an amount ("under $500", "max 300
 * dollars", "my budget is $1,200", "don't spend more than 1000 USD", "$1.5k max", "$10 each"),
 * or an amount with a currency alone ("for $1,200"). A bare number after a limit word is a
 * quantity when a product follows it ("at most 3 XYZ phones"): `startsItem` says so.
 */
export function findPricePhrases(
  tokens: readonly Token[],
  startsItem: (index: number) => boolean,
  namesProduct: (index: number) => boolean = () => false,
): PricePhrase[] {
  const words = tokens.map((token) => token.word);
  const found: PricePhrase[] = [];
  for (let index = 0; index < tokens.length;) {
    const phrase = phraseAt(tokens, words, index, startsItem, namesProduct);
    if (phrase === undefined) {
      index += 1;
    } else {
      found.push(phrase);
      index = phrase.end;
    }
  }
  return found;
}

function phraseAt(
  tokens: readonly Token[],
  words: readonly string[],
  start: number,
  startsItem: (index: number) => boolean,
  namesProduct: (index: number) => boolean,
): PricePhrase | undefined {
  let at = start;
  let cue: "limit" | "minimum" | undefined;
  // The cue is one of `MONEY_CUES`: no limit unless the amount names its currency.
  let moneyOnly = false;
  // "2 XYZ phones @ $499", "@ 1300 max": a price list's price of one, so much each.
  const atSign = words[at] === "@" ? 1 : 0;
  at += atSign;
  // "an XYZ phone and a case, each under $500": each, said before the limit's cue. Not in a
  // sentence that also says "total": each, or in all? Left unread, and asked.
  const eachBefore =
    atSign === 0 && !NOT_UNITS.has(words[at + 1] ?? "") ? matchAt(words, at, EACH_BEFORE) : 0;
  const eachSaid =
    eachBefore > 0 &&
    limitCueAt(words, at + eachBefore).length > 0 &&
    !words.some((word) => TOTAL_WORDS.has(word));
  if (eachSaid) at += eachBefore;
  // "between $400 and $500": read only as a range; "from $400" alone is read from its amount on.
  const rangeLead = matchAt(words, at, RANGE_LEADS);
  if (rangeLead > 0) {
    const low = amountAt(tokens, words, at + rangeLead, true);
    if (low === undefined || rangeTop(tokens, words, low, true) === undefined) return undefined;
  }
  const negationLead = matchAt(words, at, NEGATION_LEADS);
  const negated = negationLead + matchAt(words, at + negationLead, NEGATIONS);
  const spending = negated > negationLead && SPENDING.has(words[at + negated] ?? "") ? 1 : 0;
  const negatedMinimum =
    negated > negationLead ? matchAt(words, at + negated + spending, MINIMUM_CUES) : 0;
  const negatedLimit =
    spending > 0 && negatedMinimum === 0 ? matchAt(words, at + negated + 1, LIMIT_CUES) : 0;
  if (negatedLimit > 0) {
    // "doesn't cost less than $400", "don't go below $400": the least it costs, not the most.
    at += negated + 1 + negatedLimit;
    cue = "minimum";
  } else if (negated > negationLead && spending + negatedMinimum > 0) {
    at += negated + spending + negatedMinimum;
    // "don't exceed $500", "don't spend more than $500", "isn't over $500": a limit either way.
    cue = "limit";
  } else if (rangeLead > 0) {
    at += rangeLead;
    cue = "limit";
  } else if (atSign > 0) {
    cue = "limit";
  } else if (words[at] === "unless") {
    // "unless it costs more than $500": a limit, said the other way round.
    let next = at + 1;
    while (next <= at + 4 && UNLESS_SUBJECT.has(words[next] ?? "")) next += 1;
    const minimum = matchAt(words, next, MINIMUM_CUES);
    if (minimum === 0) return undefined;
    at = next + minimum;
    cue = "limit";
  } else {
    // A lead ("keep it", "for") counts only before a cue: "at most" is a cue, not "at". Of the
    // leads that start here, the longest before a cue: "priced at most $500" is "priced" and
    // "at most", not "priced at" and "most".
    let longest = 0;
    let longestBeforeCue = 0;
    for (const phrase of LEADS) {
      if (phrase.length <= longestBeforeCue || !startsWith(words, at, phrase)) continue;
      longest = Math.max(longest, phrase.length);
      if (matchAt(words, at + phrase.length, LIMIT_CUES) > 0) longestBeforeCue = phrase.length;
    }
    const lead = longestBeforeCue || longest;
    if (matchAt(words, at + lead, LIMIT_CUES) > 0 || matchAt(words, at, LIMIT_CUES) === 0) {
      at += lead;
    }
    const limitCue = limitCueAt(words, at);
    const limit = limitCue.length;
    const minimum = limit > 0 ? 0 : matchAt(words, at, MINIMUM_CUES);
    moneyOnly = limitCue.moneyOnly;
    if (limit > 0) cue = "limit";
    else if (minimum > 0) cue = "minimum";
    at += limit + minimum;
  }
  if (cue !== undefined && (words[at] === ":" || words[at] === "of")) at += 1;

  // "1.3k max", "800 tops": a limit said after its amount.
  if (cue === undefined && isNumeral(tokens[at]) && matchAt(words, at + 1, LIMIT_AFTER) > 0) {
    cue = "limit";
  }
  // "for 500 each", "at 499 apiece": a price per unit, though no word says it is a limit.
  const perUnitPrice =
    at > start && isNumeral(tokens[at]) && perUnitAt(words, at + 1, namesProduct).length > 0;
  // "$400 to $500", "between $400 and $500", "400 to 500 dollars": the most is the range's top.
  // A bare number is an amount only after a cue or in a range (`amountAt`'s `cued`).
  const bare = amountAt(tokens, words, at, true);
  const top = bare === undefined ? undefined : rangeTop(tokens, words, bare, rangeLead > 0);
  const cued = cue !== undefined || perUnitPrice || top !== undefined;
  const low = (cued && !moneyOnly) || bare?.currency === true ? bare : undefined;
  if (low === undefined) return undefined;
  const amount = top ?? low;
  if (!amount.currency && (startsItem(amount.end) || NOT_MONEY.has(words[amount.end] ?? ""))) {
    return undefined;
  }
  let end = amount.end;
  let perUnitSaid = perUnitAt(words, end, namesProduct);
  end += perUnitSaid.length;
  const after = matchAt(words, end, LIMIT_AFTER);
  end += after;
  // "800 tops each": per unit after the limit word too.
  if (perUnitSaid.length === 0 && after > 0) {
    perUnitSaid = perUnitAt(words, end, namesProduct);
    end += perUnitSaid.length;
  }
  const { length: perUnitLength, perName } = perUnitSaid;
  const together = perUnitLength > 0 ? 0 : matchAt(words, end, TOGETHER);
  end += together;
  // What it is spent on, which says nothing more: "don't spend more than $1300 on it".
  end += matchAt(words, end, SPENT_ON);
  // "@ $499" is each, unless the sentence says it is for several: "@ $998 for both", "@ $1000
  // total", "..., $1000 in all". Read as each, such a limit would be twice what was said.
  const perUnit =
    perUnitLength > 0 ||
    eachSaid ||
    (atSign > 0 && together === 0 && !words.some((w) => TOTAL_WORDS.has(w) || w === "both"));
  const groupBefore =
    perUnitLength === 0 &&
    words[start] === "for" &&
    TOGETHER_BEFORE.some((group) => matchAt(words, start - group.length, [group]) > 0);
  // "< $500" is below $500: the most it allows is a cent less, not $500 itself.
  const below = words.slice(start, at).includes("<");
  return {
    start,
    end,
    limit:
      cue === "minimum"
        ? undefined
        : below
          ? Math.round(amount.value * 100 - 1) / 100
          : amount.value,
    perUnit,
    ...(perName === undefined ? {} : { perName }),
    together: together > 0 || groupBefore,
    // The word before counts too: "my budget's $510" is read from its amount.
    budget:
      !perUnit &&
      [...words.slice(Math.max(0, start - 1), at), ...words.slice(amount.end, end)].some((word) =>
        BUDGET_WORDS.has(word),
      ),
  };
}

/**
 * The limit's cue at `at` and its length (0: none), `LIMIT_CUES` first; `moneyOnly` when it is
 * one of `MONEY_CUES`, which only an amount of money follows.
 */
function limitCueAt(words: readonly string[], at: number): { length: number; moneyOnly: boolean } {
  const cue = matchAt(words, at, LIMIT_CUES);
  if (cue > 0) return { length: cue, moneyOnly: false };
  const money = matchAt(words, at, MONEY_CUES);
  return { length: money, moneyOnly: money > 0 };
}

/**
 * The top of a range of prices that starts with `low`: "to" and a second amount ("$400 to
 * $500", "400 to 500 dollars"), or "and" one after "between". One of the two names a currency,
 * and the top is not below the bottom; otherwise there is no range.
 */
function rangeTop(
  tokens: readonly Token[],
  words: readonly string[],
  low: { value: number; end: number; currency: boolean },
  between: boolean,
): { value: number; end: number; currency: boolean } | undefined {
  const joiner = words[low.end];
  if (joiner !== "to" && !(between && joiner === "and")) return undefined;
  const top = amountAt(tokens, words, low.end + 1, true);
  if (top === undefined || !(top.currency || low.currency) || top.value < low.value) {
    return undefined;
  }
  return { ...top, currency: true };
}

function amountAt(
  tokens: readonly Token[],
  words: readonly string[],
  at: number,
  cued: boolean,
): { value: number; end: number; currency: boolean } | undefined {
  const before = matchAt(words, at, CURRENCY_BEFORE);
  const numeral = tokens[at + before];
  // "a grand", "1.5 grand", "two grand": thousands of dollars, said as money. Not after a
  // currency: "$1000 grand total" is the total, and "$1,000 grand" is asked about, "grand" left
  // unread, rather than read as a thousand times what was said.
  const grand = before > 0 ? undefined : grandAt(tokens, words, at);
  if (grand !== undefined) return { ...grand, currency: true };
  if (isNumeral(numeral)) {
    const after = matchAt(words, at + before + 1, CURRENCY_AFTER);
    const currency = before > 0 || after > 0;
    if (!currency && !cued) return undefined;
    return { value: numeral.number, end: at + before + 1 + after, currency };
  }
  if (before > 0) return undefined;
  const spelled = readNumberWords(words, at);
  if (spelled === undefined) return undefined;
  const after = matchAt(words, at + spelled.length, CURRENCY_AFTER);
  if (after === 0 && !cued) return undefined;
  return { value: spelled.value, end: at + spelled.length + after, currency: after > 0 };
}

function grandAt(
  tokens: readonly Token[],
  words: readonly string[],
  at: number,
): { value: number; end: number } | undefined {
  const numeral = tokens[at];
  const count = isNumeral(numeral)
    ? { value: numeral.number, length: 1 }
    : words[at] === "a"
      ? { value: 1, length: 1 }
      : readNumberWords(words, at);
  if (count === undefined) return undefined;
  // "one and a half grand", "a grand and a half": half a thousand more.
  const half = (from: number) => matchAt(words, from, HALF);
  const before = half(at + count.length);
  if (words[at + count.length + before] !== "grand") return undefined;
  let end = at + count.length + before + 1;
  const after = before > 0 ? 0 : half(end);
  end += after;
  const value = (count.value + (before + after > 0 ? 0.5 : 0)) * 1000;
  return { value, end: end + matchAt(words, end, CURRENCY_AFTER) };
}

/** The length of the longest of `phrases` that starts at `words[at]`, else 0. */
export function matchAt(words: readonly string[], at: number, list: readonly string[][]): number {
  let longest = 0;
  for (const phrase of list) {
    if (phrase.length > longest && startsWith(words, at, phrase)) longest = phrase.length;
  }
  return longest;
}

/** Whether `phrase` starts at `words[at]`. */
function startsWith(words: readonly string[], at: number, phrase: readonly string[]): boolean {
  return phrase.every((word, offset) => words[at + offset] === word);
}
