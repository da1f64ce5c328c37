import { MAX_PRICE_LIMIT, MAX_QUANTITY, type PurchaseRequest } from "@ciba-testbed/shared";

import {
  findMentions,
  hasPluralName,
  productsWithWord,
  singular,
  type CatalogProduct,
  type ProductMention,
} from "./catalog-match.js";
import { isNumberWord } from "./number-words.js";
import { findPricePhrases, type PricePhrase } from "./price-limits.js";
import { quantityAfter, quantityAt, quantityBefore, type QuantityPhrase } from "./quantity.js";
import { questionsFor, type Unclear } from "./request-questions.js";
import { readSentences, type Sentence } from "./request-tokens.js";
import {
  changeBodyAt,
  isChangeOpening,
  isIntentVerb,
  isMereQuestion,
  isRetraction,
  isPurchaseVerb,
  negatedWords,
  openingOf,
} from "./request-words.js";

export type { CatalogProduct } from "./catalog-match.js";
export type { UnclearReason } from "./request-questions.js";

export interface ParseOptions {
  /**
   * A product the catalog does not list: "ask" (the default) asks which product is meant;
   * "as-named" buys it under the name typed, in the singular, for a reader that knows no shop
   * and leaves the judging to whoever sells (the model server).
   */
  unlisted?: "ask" | "as-named";
}

/** What the offline model understood: purchases, or the one question it must ask first. */
export type ParsedRequest =
  | { kind: "purchases"; items: PurchaseRequest[] }
  | ({ kind: "unclear"; understood: string[] } & Unclear);

/** Where in the request something was read: its sentence and tokens. */
interface Place {
  sentence: number;
  start: number;
  end: number;
}

interface ItemDraft extends Place {
  product: CatalogProduct;
  plural: boolean;
  quantity: QuantityPhrase | undefined;
  /** It changes what was asked before it: "..., I mean an ABC laptop", "Sorry, 3 XYZ phones". */
  change?: true;
}

interface Item extends Place {
  request: PurchaseRequest;
}

type Price = PricePhrase & Place;

interface Problem extends Place {
  unclear: Unclear;
}

interface SentenceReading {
  items: ItemDraft[];
  problems: Problem[];
  prices: Price[];
  /** It asks to buy, though it may not say what. */
  asksToBuy: boolean;
  /** Something in it was taken back: "don't buy", "no case". */
  negation: boolean;
  /** The products it names, whether or not it asks for them ("Do you have XYZ phones?"). */
  mentioned: CatalogProduct[];
  /** A count with no product: "I'd like 2." */
  uncounted: (Place & { quantity: QuantityPhrase }) | undefined;
  /** Counts that change the one asked before: "Actually, make it 3", "I mean one", "no, 3". */
  changes: (Place & { quantity: QuantityPhrase })[];
  /** Clauses that take back everything before them: "Never mind", "no wait, don't". */
  retractions: Place[];
}

/** Words that may follow a changed count: "make it 3 instead", "I mean 2 of them". */
const AFTER_CHANGED_COUNT = new Set(
  "instead please pls then of them pieces units pcs pairs pair sets set thanks".split(" "),
);

const BOUNDARIES = new Set([",", "and", "plus", "&", "+", "also", "then", "with", "but", "or"]);
const POSSESSIVES = new Set(["my", "your", "his", "her", "our", "their", "its"]);
/** Words a request may carry besides its items: "2 XYZ phones please, thanks". */
const FILLERS = new Set(
  (
    "please pls plz thanks thank you ok okay so also too and just now today asap then hi hello " +
    "hey for me us as well right away yes oh , ! : the"
  ).split(" "),
);
/** Words before an object that are not the object: "I'd like to order", "can you get me". */
const LEADING = new Set(
  (
    "i we you u me us can could would will to i'd i'll i'm we'd we'll just up well as really " +
    "please pls also then and hi hey ok okay so like want need is it possible maybe perhaps"
  ).split(" "),
);
/** Words after which an object has ended: "a toaster for my mother". */
const OBJECT_END = new Set(
  "for to from in on at please pls asap now today tomorrow right by because if when that which who".split(
    " ",
  ),
);
/** Objects that name no product: "buy something", "order it". */
const NO_PRODUCT = new Set(
  "something anything stuff things thing it them one that this these those order items item".split(
    " ",
  ),
);
/** What may follow a count written apart from its product: "USB-C cables, 4 of them". */
const COUNT_WORDS = new Set(["of", "them", "pieces", "units", "pcs", "please"]);

/**
 * Reads a purchase request against the shop's catalog: which products it names (as the catalog
 * names them), how many of each, and the most the person will pay. Anything it is not sure
 * of (a product the shop does not sell, a word that could mean two products, a plural without
 * a number) makes it ask one question instead of guessing. Negations and questions that ask
 * for nothing are not purchases.
 */
export function parsePurchaseRequest(
  text: string,
  catalog: readonly CatalogProduct[],
  options: ParseOptions = {},
): ParsedRequest {
  const questions = questionsFor(catalog);
  const readings = readSentences(text).map((sentence, index) =>
    readSentence(sentence, index, { catalog, questions, options }),
  );
  const changed = applyChanges(readings, questions);
  const problems = readings
    .flatMap((reading) => reading.problems)
    .filter((problem) => changed.from === undefined || byPlace(problem, changed.from) > 0)
    .concat(changed.problems);
  const items: Item[] = [];
  for (const draft of changed.drafts) {
    const quantity = draft.quantity?.quantity;
    if (
      (quantity === undefined && draft.plural) ||
      (quantity !== undefined && "vague" in quantity)
    ) {
      problems.push({ ...placeOf(draft), unclear: questions.quantityMissing(draft.product) });
      continue;
    }
    const qty = quantity?.value ?? 1;
    if (!Number.isInteger(qty) || qty < 1 || qty > MAX_QUANTITY) {
      problems.push({
        ...placeOf(draft),
        unclear: questions.quantityOutOfRange(draft.product, qty),
      });
      continue;
    }
    items.push({ ...placeOf(draft), request: { product: draft.product.name, qty } });
  }
  const understood = items.map(({ request }) => `${request.qty} x ${request.product}`);
  const [problem] = problems.sort(byPlace);
  if (problem !== undefined) return { kind: "unclear", understood, ...problem.unclear };

  if (items.length === 0) {
    const unclear = readings.some((reading) => reading.negation || reading.retractions.length > 0)
      ? questions.negated()
      : readings.some((reading) => reading.asksToBuy)
        ? questions.productMissing()
        : questions.notAPurchase(readings.flatMap((reading) => reading.mentioned)[0]);
    return { kind: "unclear", understood, ...unclear };
  }

  const limits = priceLimitsOf(
    items,
    readings.flatMap((reading) => reading.prices),
  );
  const invalid = limits.find(
    (limit) => limit !== undefined && !(limit > 0 && limit <= MAX_PRICE_LIMIT),
  );
  if (invalid !== undefined) {
    return { kind: "unclear", understood, ...questions.priceOutOfRange(invalid) };
  }
  return {
    kind: "purchases",
    items: items.map(({ request }, index) => {
      const priceLimit = limits[index];
      return priceLimit === undefined ? request : { ...request, priceLimit };
    }),
  };
}

/**
 * The items that stand once what the request takes back or changes as it goes is applied, in
 * the order written: a take-back ("Never mind", "no wait, don't") drops every item and question
 * before it (`from` is the last one); a change ("I mean an ABC laptop", "Sorry, 3 XYZ phones",
 * "make it 3") replaces the item it is about: the last one of the same product, or the only one
 * so far. A change that could be about any of several items is a question, not a guess.
 */
function applyChanges(
  readings: readonly SentenceReading[],
  questions: ReturnType<typeof questionsFor>,
): { drafts: ItemDraft[]; problems: Problem[]; from: Place | undefined } {
  type Step =
    | { place: Place; draft: ItemDraft }
    | { place: Place; count: QuantityPhrase }
    | { place: Place; retraction: true };
  const steps: Step[] = readings.flatMap((reading, index): Step[] => [
    ...draftsOf(reading, readings[index - 1]).map((draft) => ({ place: draft, draft })),
    ...reading.changes.map((change) => ({ place: change, count: change.quantity })),
    ...reading.retractions.map((place) => ({ place, retraction: true as const })),
  ]);
  let drafts: ItemDraft[] = [];
  const problems: Problem[] = [];
  let from: Place | undefined;
  for (const step of steps.sort((a, b) => byPlace(a.place, b.place))) {
    if ("retraction" in step) {
      drafts = [];
      problems.length = 0;
      from = step.place;
      continue;
    }
    const draft = "draft" in step ? step.draft : undefined;
    if (draft !== undefined && (draft.change !== true || drafts.length === 0)) {
      drafts.push(draft);
      continue;
    }
    if (drafts.length === 0) continue;
    const same =
      draft === undefined ? -1 : drafts.findLastIndex((d) => d.product.name === draft.product.name);
    const target = same >= 0 ? same : drafts.length === 1 ? 0 : -1;
    const replaced = drafts[target];
    if (replaced === undefined) {
      problems.push({
        ...placeOf(step.place),
        unclear: questions.ambiguousChange(drafts.map((d) => d.product)),
      });
    } else if (draft !== undefined) {
      drafts[target] = draft;
    } else if ("count" in step) {
      drafts[target] = { ...replaced, quantity: step.count };
    }
  }
  return { drafts, problems, from };
}

/**
 * The items of a sentence. A count with no product ("I'd like 2.") counts the one product the
 * sentence before named ("Do you have XYZ phones?"); with none or several, it stays a question.
 */
function draftsOf(reading: SentenceReading, before: SentenceReading | undefined): ItemDraft[] {
  const { uncounted } = reading;
  const named = new Set(before?.mentioned);
  const [product] = named;
  if (reading.items.length > 0 || uncounted === undefined || named.size !== 1 || !product) {
    return reading.items;
  }
  return [{ ...placeOf(uncounted), product, plural: false, quantity: uncounted.quantity }];
}

function readSentence(
  { tokens, asked }: Sentence,
  sentence: number,
  {
    catalog,
    questions,
    options,
  }: {
    catalog: readonly CatalogProduct[];
    questions: ReturnType<typeof questionsFor>;
    options: ParseOptions;
  },
): SentenceReading {
  const reading: SentenceReading = {
    items: [],
    problems: [],
    prices: [],
    asksToBuy: false,
    negation: false,
    mentioned: [],
    uncounted: undefined,
    changes: [],
    retractions: [],
  };
  const words = tokens.map((token) => token.word);
  const opening = openingOf(words);
  const mentions = findMentions(words, (index) => /^\p{L}/u.test(words[index] ?? ""), catalog);
  reading.mentioned = mentions.map((mention) => mention.product);
  if (isMereQuestion(words, asked, opening)) return reading;

  const startsItem = (index: number) =>
    mentions.some((mention) => mention.start >= index && mention.start <= index + 2);
  const prices = findPricePhrases(tokens, startsItem);
  reading.prices = prices.map((price) => ({ ...price, sentence }));
  const inPrice = words.map((_, index) => prices.some((p) => index >= p.start && index < p.end));
  // Price phrases are read: what is left is read as if they were not there.
  const plain = words.map((word, index) => (inPrice[index] ? "" : word));
  const isBoundary = (index: number) => inPrice[index] === true || isBoundaryWord(plain, index);
  const { negated, verbNegated } = negatedWords(plain, isBoundary);
  const intent = plain.findIndex(
    (_, index) => negated[index] !== true && isIntentVerb(plain, index, opening),
  );
  reading.negation = verbNegated || mentions.some((mention) => negated[mention.start] === true);

  const consumed = plain.map((word) => word === "" || FILLERS.has(word));
  let listed = false;
  let previousItems: ItemDraft[] = [];
  // A clause that opens a change on its own ("No, 3", "Actually, make it 3"), and whether it
  // followed an "and" ("2 XYZ phones and, actually, 3 cables" adds the cables).
  let opened = false;
  let lastEnd = 0;
  for (const segment of segmentsOf(tokens, plain, isBoundary)) {
    const adds = plain
      .slice(lastEnd, segment.start)
      .some((word) => ["and", "plus", "also", "with", "&", "+"].includes(word));
    lastEnd = segment.end;
    if (isRetraction(plain, segment.start, segment.end)) {
      reading.retractions.push({ sentence, start: segment.start, end: segment.end });
      markConsumed(consumed, segment.start, segment.end);
      opened = false;
      continue;
    }
    if (isChangeOpening(plain, segment.start, segment.end)) {
      opened = !adds;
      markConsumed(consumed, segment.start, segment.end);
      continue;
    }
    const body = adds ? undefined : changeBodyAt(plain, segment.start, segment.end, opened);
    opened = false;
    const inSegment = mentions.filter((m) => m.start >= segment.start && m.end <= segment.end);
    if (body !== undefined && body < segment.end && inSegment.length === 0) {
      const count = quantityAt(tokens, body, false);
      if (
        count !== undefined &&
        plain.slice(count.end, segment.end).every((word) => AFTER_CHANGED_COUNT.has(word))
      ) {
        reading.changes.push({ sentence, start: segment.start, end: segment.end, quantity: count });
        markConsumed(consumed, segment.start, segment.end);
        continue;
      }
    }
    inSegment.forEach((mention) => {
      markConsumed(consumed, mention.start, mention.end);
    });
    const named = inSegment.filter(
      (mention) =>
        negated[mention.start] !== true && !POSSESSIVES.has(plain[mention.start - 1] ?? ""),
    );
    if (named.length === 0) {
      const object = readObject(segment, intent, negated, catalog);
      if (object.kind === "none") continue;
      if (object.quantity !== undefined) {
        listed = true;
        markConsumed(consumed, segment.start, segment.end);
      }
      if (object.kind === "count") {
        const uncounted = reading.items.findLast((item) => item.quantity === undefined);
        if (uncounted !== undefined) uncounted.quantity = object.quantity;
      } else if (object.kind === "missing") {
        reading.asksToBuy = true;
        const [before] = previousItems;
        if (object.quantity !== undefined && before !== undefined && previousItems.length === 1) {
          // "2 XYZ phones for my mom and 1 for my dad" (3?), "2 XYZ phones, 1 for me and 1 for
          // my wife" (2?): a count after an item, with no product of its own, may add to it or
          // divide it. Ask.
          reading.problems.push({
            sentence,
            start: segment.start,
            end: segment.end,
            unclear: questions.quantityMissing(before.product),
          });
        } else if (object.quantity !== undefined) {
          reading.uncounted = { sentence, ...segment, quantity: object.quantity };
        }
      } else if (options.unlisted === "as-named") {
        const product = { id: object.name, name: object.name };
        const draft = {
          sentence,
          ...segment,
          product,
          plural: object.plural,
          quantity: object.quantity,
        };
        reading.items.push(draft);
        previousItems = [draft];
        continue;
      } else {
        reading.problems.push({
          sentence,
          start: segment.start,
          end: segment.end,
          unclear:
            object.partial === undefined
              ? questions.unknownProduct(object.text)
              : questions.partialName(object.partial.word, object.partial.candidates),
        });
      }
      previousItems = [];
      continue;
    }
    const drafts = named.map((mention, index) => {
      const from = named[index - 1]?.end ?? segment.start;
      const to = named[index + 1]?.start ?? segment.end;
      const quantity =
        quantityBefore(tokens, from, mention.start, hasPluralName(mention.product)) ??
        quantityAfter(tokens, mention.end, to);
      if (quantity !== undefined) {
        listed = true;
        markConsumed(
          consumed,
          Math.min(quantity.start, mention.start),
          Math.max(quantity.end, mention.end),
        );
      }
      const draft = draftOf(mention, sentence, quantity);
      if (body !== undefined && mention.start >= body) draft.change = true;
      if (draft.change === true) markConsumed(consumed, segment.start, mention.start);
      return draft;
    });
    if (segment.separator === "or" && previousItems.length > 0) {
      reading.problems.push({
        sentence,
        start: segment.start,
        end: segment.end,
        unclear: questions.eitherOr([...previousItems, ...drafts].map((draft) => draft.product)),
      });
    }
    reading.items.push(...drafts);
    previousItems = drafts;
  }

  // With no verb, a sentence is a purchase only when it is a list of counted items:
  // "2 XYZ phones please" is, "XYZ phone" and "I have 2 XYZ phones" are not.
  const itemList =
    intent < 0 &&
    listed &&
    consumed.every(Boolean) &&
    reading.items.every((item) => item.quantity !== undefined);
  reading.asksToBuy ||=
    intent >= 0 ||
    itemList ||
    reading.changes.length > 0 ||
    reading.items.some((item) => item.change === true);
  if (!reading.asksToBuy) {
    reading.mentioned = mentions
      .filter((mention) => negated[mention.start] !== true)
      .map((mention) => mention.product);
    reading.items = [];
    reading.problems = [];
  }
  return reading;
}

type ObjectReading =
  | { kind: "none"; quantity?: undefined }
  | { kind: "missing"; quantity: QuantityPhrase | undefined }
  | { kind: "count"; quantity: QuantityPhrase }
  | {
      kind: "unlisted";
      quantity: QuantityPhrase | undefined;
      /** As typed: "AA batteries". */
      text: string;
      /** As a product name: "AA battery". */
      name: string;
      plural: boolean;
      /** A word of it that is part of catalog names ("phones"): which products it may mean. */
      partial: { word: string; candidates: CatalogProduct[] } | undefined;
    };

/**
 * Reads a clause that names no catalog product: the object of "buy" ("buy a toaster"), or a
 * counted thing in a list ("and 3 toasters"). It is something the shop does not sell, a word
 * that is part of product names ("a phone"), no product at all ("something", "2"), or a count
 * of the item before it ("4 of them").
 */
function readObject(
  segment: Segment,
  intent: number,
  negated: readonly boolean[],
  catalog: readonly CatalogProduct[],
): ObjectReading {
  const { words, texts } = segment;
  let at = segment.start;
  while (at < segment.end && (LEADING.has(words[at] ?? "") || isPurchaseVerb(words[at] ?? ""))) {
    at += 1;
  }
  if (negated[at] === true) return { kind: "none" };
  const quantity = at < segment.end ? quantityAt(segment.tokens, at, false) : undefined;
  const hasVerb = intent >= segment.start && intent < segment.end;
  if (quantity === undefined && !hasVerb) return { kind: "none" };
  if (quantity !== undefined) at = quantity.end;
  while (at < segment.end && ["of", "the", "those", "these"].includes(words[at] ?? "")) at += 1;
  const object: number[] = [];
  for (; at < segment.end && !OBJECT_END.has(words[at] ?? ""); at += 1) {
    if ((words[at] ?? "") !== "") object.push(at);
  }
  const objectWords = object.map((index) => words[index] ?? "");
  if (objectWords.length === 0) return { kind: "missing", quantity };
  if (
    quantity !== undefined &&
    "value" in quantity.quantity &&
    objectWords.every((w) => COUNT_WORDS.has(w))
  ) {
    return { kind: "count", quantity };
  }
  const partialAt = object.find(
    (index) => productsWithWord(words[index] ?? "", catalog).length > 0,
  );
  if (partialAt === undefined && NO_PRODUCT.has(objectWords[0] ?? "")) {
    return { kind: "missing", quantity };
  }
  const typed = object.map((index) => texts[index] ?? "");
  const last = typed.at(-1) ?? "";
  return {
    kind: "unlisted",
    quantity,
    text: typed.join(" "),
    name: [...typed.slice(0, -1), singular(last)].join(" "),
    plural: singular(last) !== last,
    partial:
      partialAt === undefined
        ? undefined
        : {
            word: texts[partialAt] ?? "",
            candidates: productsWithWord(words[partialAt] ?? "", catalog),
          },
  };
}

interface Segment {
  start: number;
  end: number;
  /** The boundary word before it, such as "or". */
  separator: string | undefined;
  words: readonly string[];
  texts: readonly string[];
  tokens: Sentence["tokens"];
}

/** The clauses of a sentence, split at "and", commas, "with", "or" and price phrases. */
function segmentsOf(
  tokens: Sentence["tokens"],
  words: readonly string[],
  isBoundary: (index: number) => boolean,
): Segment[] {
  const texts = tokens.map((token) => token.text);
  const segments: Segment[] = [];
  let start = 0;
  let separator: string | undefined;
  for (let index = 0; index <= words.length; index += 1) {
    if (index < words.length && !isBoundary(index)) continue;
    if (index > start) segments.push({ start, end: index, separator, words, texts, tokens });
    separator = words[index];
    start = index + 1;
  }
  return segments;
}

function isBoundaryWord(words: readonly string[], index: number): boolean {
  const word = words[index] ?? "";
  if (word === "as" && words[index + 1] === "well" && words[index + 2] === "as") return true;
  if (!BOUNDARIES.has(word)) return false;
  // "one hundred and twenty" is one number.
  const previous = words[index - 1] ?? "";
  return !(
    word === "and" &&
    (previous === "hundred" || previous === "thousand") &&
    isNumberWord(words[index + 1] ?? "")
  );
}

function markConsumed(consumed: boolean[], start: number, end: number): void {
  for (let index = start; index < end; index += 1) consumed[index] = true;
}

function draftOf(
  mention: ProductMention,
  sentence: number,
  quantity: QuantityPhrase | undefined,
): ItemDraft {
  return {
    sentence,
    start: mention.start,
    end: mention.end,
    product: mention.product,
    plural: mention.plural,
    quantity,
  };
}

function placeOf(place: Place): Place {
  return { sentence: place.sentence, start: place.start, end: place.end };
}

function byPlace(a: Place, b: Place): number {
  return a.sentence - b.sentence || a.start - b.start;
}

/**
 * The price limit of each item. A limit between two items of a sentence, or right after an item
 * when the request has several limits, is that item's ("2 XYZ phones under $1000 and a cable").
 * Any other limit is the request's ("..., max 300 dollars", "My budget is $1200.") and caps
 * each item that has none of its own; of several, the lowest. "$10 each" is per unit.
 */
function priceLimitsOf(items: readonly Item[], prices: readonly Price[]): (number | undefined)[] {
  const limits = prices.filter((price) => price.limit !== undefined);
  const own = new Map<number, Price>();
  const shared: Price[] = [];
  for (const price of limits) {
    const before = items.findLastIndex(
      (i) => i.sentence === price.sentence && i.end <= price.start,
    );
    const after = items.some((i) => i.sentence === price.sentence && i.start >= price.end);
    if (before >= 0 && (after || limits.length > 1) && !own.has(before)) own.set(before, price);
    else shared.push(price);
  }
  const lowest = shared.sort((a, b) => (a.limit ?? 0) - (b.limit ?? 0))[0];
  return items.map((item, index) => {
    const price = own.get(index) ?? lowest;
    if (price?.limit === undefined) return undefined;
    const total = price.perUnit ? price.limit * item.request.qty : price.limit;
    return Math.round(total * 100) / 100;
  });
}
