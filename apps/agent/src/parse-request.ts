import { MAX_PRICE_LIMIT, MAX_QUANTITY, type PurchaseRequest } from "@ciba-testbed/shared";

import {
  findMentions,
  hasPluralName,
  nameTokens,
  productsWithWord,
  singular,
  type CatalogProduct,
  type ProductMention,
} from "./catalog-match.js";
import { DOUBTFUL_EMOJI_BY_CODE, GLAD_EMOJI } from "./doubtful-emoji.js";
import { isNumberWord } from "./number-words.js";
import { withoutEnvelope } from "./message-envelope.js";
import { TOTAL_WORDS, findPricePhrases, type PricePhrase } from "./price-limits.js";
import {
  COUNT_UNITS,
  quantityAfter,
  quantityAt,
  quantityBefore,
  type QuantityPhrase,
} from "./quantity.js";
import { questionsFor, type Unclear } from "./request-questions.js";
import {
  isContextNumber,
  isNumeral,
  joinThousands,
  readSentences,
  SIGNED_AMOUNT,
  type Sentence,
  withoutGladSigns,
  type Token,
  typedWords,
} from "./request-tokens.js";
import {
  changeBodyAt,
  doubtIn,
  isChangeOpening,
  courtesyAt,
  isBareDenial,
  isCartAt,
  isDenial,
  isHarmlessWord,
  FOREIGN_CURRENCIES,
  isIntentVerb,
  isNegationWord,
  isMereQuestion,
  isPunctuation,
  isTakingBack,
  isRetraction,
  isPurchaseVerb,
  orderPhraseAt,
  negatedWords,
  noLimitAt,
  ONLY,
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
  /** A change to this item alone: "Actually, just the cable" drops the rest. */
  only?: true;
  /** Asked in addition to the same product before it: "2 more", "another", "an extra". */
  more?: true;
}

interface Item extends Place {
  request: PurchaseRequest;
}

type Price = PricePhrase &
  Place & {
    total: boolean;
    /** Set off between a list's joiner and the next item: "an XYZ phone and, under $20, 2 cables". */
    opensItem: boolean;
  };

interface Problem extends Place {
  unclear: Unclear;
  /**
   * What it asks is the count of the items it spans ("the 128GB XYZ phone"): the answer's "I
   * understood" names them without the number it did not read as a count.
   */
  uncounts?: true;
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
  /** The items read before a sentence that asks nothing drops them: "My wife wants ...". */
  heard: ItemDraft[];
  /** Its words, lower case. */
  words: string[];
  /** Its tokens, with its words as the person typed them. */
  tokens: Token[];
  /** Whether each word is a word of a product's name. */
  named: boolean[];
  /**
   * A pronoun ordered: "Please order them", what the sentence before named; `word`, the
   * pronoun, and `said`, the order as typed from its verb ("order them").
   */
  pronoun: (Place & { word: string; said: string }) | undefined;
  /** It confirms what was asked: "Yes, one ABC laptop.", "..., to confirm." */
  confirms: boolean;
  /** A question of the person's, as typed, when the sentence asks only that: "Is shipping free?" */
  question?: string;
  /** A count with no product: "I'd like 2." */
  uncounted: (Place & { quantity: QuantityPhrase }) | undefined;
  /** Counts that change the one asked before: "Actually, make it 3", "I mean one", "no, 3". */
  changes: (Place & { quantity: QuantityPhrase })[];
  /**
   * Counts written apart from any item, with none before them in their sentence: "Qty: 2."
   * after "Order: XYZ phone." They count the one item asked before, if it has no count yet.
   */
  counts: (Place & { quantity: QuantityPhrase })[];
  /** Clauses that take back everything before them: "Never mind", "no wait, don't". */
  retractions: Place[];
  /**
   * A clause that only opens a change, with nothing after it in its sentence: "Wait.", "...,
   * oops", "Correction:". Read only when the next sentence says the change.
   */
  opening: Place | undefined;
  /**
   * Products taken out by name, "but not the laptop", "forget the phone", "minus the cable":
   * the ones the words may mean (a word of several names, "phone", may mean several), and the
   * count said with them, if any ("remove one case").
   */
  exclusions: (Place & { products: CatalogProduct[]; said: string; count?: number })[];
  /** Where the words read as nothing are: no item, count, limit, change or courtesy. */
  unread: number[];
  /**
   * What makes buying now doubtful though items were read: hesitation, another time, someone
   * else's words, a denial the reader did not follow, a word beside a product it did not read,
   * a number or an amount of money it did not read. Any of them makes the request a question.
   */
  doubts: Problem[];
  /**
   * A cart the sentence fills and does not order ("Add an XYZ phone to my cart"): a doubt
   * unless the next sentence orders it ("Then buy it.").
   */
  cart: Problem | undefined;
  /** It ends with a question mark. */
  asked: boolean;
}

/** Words that may follow a changed count: "make it 3 instead", "I mean 2 of them". */
const AFTER_CHANGED_COUNT = new Set(
  "instead please pls then of them pieces units pcs pairs pair sets set thanks actually".split(" "),
);

const BOUNDARIES = new Set([",", "and", "plus", "&", "+", "also", "then", "with", "but", "or"]);
const POSSESSIVES = new Set(["my", "your", "his", "her", "our", "their", "its"]);
/**
 * A letter of a script other than Latin: a request in Japanese or Chinese ("2台のXYZ電話を買って")
 * is not read as the name of something to buy as named; the reader asks instead.
 */
const NON_LATIN_LETTER = /[^\P{L}\p{Script=Latin}]/u;

/** Words after a count that say "in addition", never part of a product's name. */
const ADDITION_WORDS = new Set(["more", "extra", "additional"]);

/** Words that ask for the same product again, in addition: "2 more XYZ phones". */
const MORE_WORDS = new Set("more another extra additional second".split(" "));
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
/** Words of doubt among `LEADING`'s. */
const HEDGES = new Set(["maybe", "perhaps"]);
/**
 * Words after which an object has ended: "a toaster for my mother", and a time, which is no
 * part of a thing's name ("a toaster later", "a laptop next month").
 */
const OBJECT_END = new Set(
  "for to from in on at please pls asap now today tomorrow tonight tonite later soon next until unless after before right by because if when that which who".split(
    " ",
  ),
);
/** Words that may end an object and are not part of it: "a toaster too, please". */
const AFTER_OBJECT = new Set("too also please pls plz thanks thx again".split(" "));
/** Objects that name no product: "buy something", "order it". */
const NO_PRODUCT = new Set(
  "something anything stuff things thing it them one that this these those order items item".split(
    " ",
  ),
);
/** What stands for what the lines after name: "Please order the following:". */
const POINTING_AHEAD = new Set(["following", "below", "follows", "listed"]);
/** What stands for what the sentence before named: "Please order them for her." */
const PRONOUNS = new Set(["them", "it", "those", "these", "that", "this"]);
/** What stands for the two things the sentences before named: "Please order both." */
const BOTH = new Set([
  "both",
  "both of them",
  "both of those",
  "both of these",
  "them both",
  "those both",
  "these both",
  "both items",
  "both things",
  "both products",
]);
/**
 * What stands for the two things named before when "the" leads it: "Order the two of them."
 * Without "the" ("Order two of them.") it may count two of one thing, and is asked about.
 */
const THE_TWO = new Set(
  ["two", "2"].flatMap((two) => ["of them", "of those", "of these"].map((of) => `${two} ${of}`)),
);
/** Words that add to what was said: "Order one for me too". */
const ADDING = new Set(["too", "also", "another", "more", "extra", "additional"]);
/** Who a sentence may speak of besides the person: "My kids want ...", "She needs ...". */
const OTHERS = new Set("my our his her their he she they".split(" "));
/** Words that open a confirmation of what was asked: "Yes, one ABC laptop." */
const AFFIRMATIONS = new Set("yes yep yeah yup confirmed correct".split(" "));
/** Words that ask for one of every product: "one of everything", "one of each". */
const EVERY = new Set(["everything", "each"]);
/** Words that take a product out of "everything": "but the laptop", "except the case". */
const TAKE_OUT_WORDS = new Set("but except minus besides excluding without not no".split(" "));
/** Words of money: left unread beside a purchase, they are a limit the reader missed. */
const MONEY_WORDS = new Set([
  ..."$ dollars dollar bucks usd budget spend spending afford ceiling cap max maximum cost costs grand cents".split(
    " ",
  ),
  ...FOREIGN_CURRENCIES,
]);
/** Money's names after an amount: "600 euros max" is no product "euros max". */
const AMOUNT_NAMES = new Set(["dollars", "dollar", "bucks", "usd", "cents", ...FOREIGN_CURRENCIES]);
/** Words that join what follows to the money before them, no part of it: "500 euros and a case". */
const AFTER_MONEY_JOINERS = new Set(["and", "or", "but", "then", "plus", ",", ";"]);
/** Words that may follow a product's name and say nothing about it: "XYZ phone, please". */
const AFTER_NAME = new Set(
  (
    "each apiece total instead too x as in now asap right away lol thx ty though tho again " +
    "anyway quickly fast urgently soon is are thanks thank please pls plz for to of without " +
    "except not rather instead delivered shipped sent"
  ).split(" "),
);
/** Words that may come before a product's name and change nothing about it: "a new XYZ phone". */
const BEFORE_NAME = new Set(
  (
    "a an the this that these those of new more extra additional brand pairs pair sets set " +
    "units unit pieces piece pcs single spare identical same another couple dozen few some " +
    "several both just only me us him her them it one x : for get buy want need like also " +
    "then but instead and or with plus more mean meant wants needs"
  ).split(" "),
);
/** Words before a count that make it one thing: "the 499 XYZ phone", "that 20 cable". */
const SINGLE_DETERMINERS = new Set(["the", "this", "that"]);
/** A bare count this high before a singular name reads as its price: "buy 499 XYZ phone". */
const PRICE_LIKE_COUNT = 100;
/** Whose a thing is: "my phone", "our old laptop". */
const OWNERS = new Set(["my", "our", "old", "current"]);
/** Words that say a thing of the person's broke or went missing: the reason for an order. */
const DAMAGE = new Set(
  (
    "broke broken died dead cracked crack lost stolen frayed fried snapped busted shattered " +
    "smashed dying worn quit failed failing stopped"
  ).split(" "),
);
/** Words that would turn a sentence about a broken thing into something else: "or fix it". */
const NOT_REASON = new Set(
  "or but maybe fix repair repaired fixed instead if still though".split(" "),
);
/** Words after a denial that take nothing back: "don't worry", "no rush", "not a problem". */
const NOT_DENYING = new Set("forget worry problem rush hurry matter mind".split(" "));
/** What may follow a count written apart from its product: "USB-C cables, 4 of them". */
const COUNT_WORDS = new Set(["of", "them", "please", ...COUNT_UNITS]);

/**
 * The longest request the offline model reads: a shopping request is a few sentences, and the
 * reading of a long one grows faster than its length (a 300 KB one took seconds, holding the
 * agent's connections until they went stale).
 */
export const MAX_REQUEST_CHARACTERS = 2_000;

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
  if (text.length > MAX_REQUEST_CHARACTERS) {
    const questions = questionsFor(catalog);
    return {
      kind: "unclear",
      understood: [],
      ...questions.tooLong(text.length, MAX_REQUEST_CHARACTERS),
    };
  }
  // A message pasted from an email or a chat tool: its request, without its signature.
  const request = withoutEnvelope(text, catalog);
  // A short name ("case", "laptop") is read only in a list of several purchases, where the
  // catalog's full names stand beside it ("an XYZ phone and a case"); alone ("Buy a laptop")
  // the person may not know the shop sells one kind, so it is asked about as before.
  const listed = parseWith(request, catalog, options, true);
  if (
    listed.parsed.kind === "purchases" &&
    listed.named >= 2 &&
    !fewerAccessories(listed.parsed.items)
  ) {
    return listed.parsed;
  }
  return parseWith(request, catalog, options, false).parsed;
}

/**
 * "2 XYZ phones and a case": fewer of a product whose name holds another's (the XYZ phone
 * case, the XYZ phone's) than of that other: one case for both, or one each? Asked.
 */
function fewerAccessories(items: readonly PurchaseRequest[]): boolean {
  return items.some((main) =>
    items.some((accessory) => {
      const [mainName, accessoryName] = [main.product, accessory.product].map(nameTokens);
      return (
        accessory !== main &&
        accessory.qty < main.qty &&
        mainName !== undefined &&
        accessoryName !== undefined &&
        accessoryName.length > mainName.length &&
        mainName.every((token, index) => accessoryName[index] === token)
      );
    }),
  );
}

function parseWith(
  text: string,
  catalog: readonly CatalogProduct[],
  options: ParseOptions,
  shortNames: boolean,
): { parsed: ParsedRequest; named: number } {
  const questions = questionsFor(catalog);
  const sentences = readSentences(normalizeContractions(text));
  const heading = sentences.findIndex(isHeading);
  const readings = sentences.map((sentence, index) =>
    readSentence(sentence, index, {
      catalog,
      questions,
      options,
      shortNames,
      underHeading: heading >= 0 && index > heading,
    }),
  );
  // The products named as items or take-outs: a short name stands in a list of several
  // ("an XYZ phone and a case") or for a product named in full ("... Actually, just the laptop").
  const named = new Set(
    readings.flatMap((reading) => [
      ...reading.items.map((item) => item.product.name),
      ...reading.exclusions.flatMap((exclusion) => exclusion.products.map((p) => p.name)),
    ]),
  );
  return { parsed: interpret(text, readings, questions), named: named.size };
}

/** Words a heading of a list to buy is made of: "Shopping list:", "Please order these:". */
const HEADING_WORDS = new Set(
  "shopping list to buy order get purchase please these the following items i need want".split(" "),
);

/**
 * The product a bare count answers "How many do you want (in all)?" for, as the whole request:
 * when its only doubts are how many of that product ("Buy an XYZ phone. And another one.", "2
 * USB-C cables for me, and the same for my wife", "an XYZ phone for me and one for my wife"),
 * every item is of it, and nothing else was said that a count alone would drop: no price, no
 * word left unread. Put into the request instead, the count left its other counts in place,
 * and the question came back after every answer.
 */
function totalAsked(
  problems: readonly Problem[],
  drafts: readonly ItemDraft[],
  readings: readonly SentenceReading[],
): CatalogProduct | undefined {
  const [first] = drafts;
  if (
    first === undefined ||
    !problems.every((problem) =>
      ["repeated", "quantity_missing"].includes(problem.unclear.reason),
    ) ||
    !drafts.every((draft) => draft.product.name === first.product.name) ||
    readings.some((reading) => reading.prices.length > 0 || reading.unread.length > 0)
  ) {
    return undefined;
  }
  return first.product;
}

/** A line that heads a list of what to buy: "To buy:", "Shopping list:", "Order these:". */
function isHeading({ tokens }: Sentence): boolean {
  const words = tokens.map((token) => token.word);
  return (
    words.at(-1) === ":" &&
    words.length > 1 &&
    words.slice(0, -1).every((word) => HEADING_WORDS.has(word)) &&
    words.some((word) => word === "list" || isPurchaseVerb(word))
  );
}

/** What the sentences read say together: purchases, or the one question to ask first. */
function interpret(
  text: string,
  readings: SentenceReading[],
  questions: ReturnType<typeof questionsFor>,
): ParsedRequest {
  adoptNamed(readings);
  countsOfUnasked(readings, questions);
  hangOnQuestions(readings, questions);
  openingsLeft(readings, questions);
  deniedOrders(readings, questions);
  cartsLeft(readings, questions);
  pronounsOfSeveral(readings, questions);
  bothOfOthers(readings, questions);
  dropConfirmations(readings, questions);
  correctPrices(readings);
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
  const understood = items.map(understoodAs);
  if (items.length > 0) {
    const doubts = requestDoubts(text, questions)
      .concat(readings.flatMap((reading) => reading.doubts))
      .filter((doubt) => changed.from === undefined || byPlace(doubt, changed.from) > 0);
    problems.push(...doubts, ...changed.repeats, ...strayCounts(readings, changed.from, questions));
    // A product named after the purchases but not asked for: "... or maybe the ABC laptop".
    const firstItem = items.map((item) => item as Place).sort(byPlace)[0];
    readings.forEach((reading, index) => {
      const [other] = reading.items.length === 0 && !reading.confirms ? reading.mentioned : [];
      if (other !== undefined && firstItem !== undefined && index > firstItem.sentence) {
        const place = { sentence: index, start: 0, end: 0 };
        problems.push({ ...place, unclear: questions.alsoMentioned(other) });
      }
    });
  }
  const [problem] = problems.sort(byPlace);
  if (problem !== undefined) {
    const total = totalAsked(problems, changed.drafts, readings);
    const fills = total === undefined ? {} : { fills: { kind: "total" as const, product: total } };
    const spanned = (item: Item) =>
      problem.uncounts === true &&
      item.sentence === problem.sentence &&
      item.start >= problem.start &&
      item.end <= problem.end;
    const shown = items.map((item) => (spanned(item) ? item.request.product : understoodAs(item)));
    return { kind: "unclear", understood: shown, ...problem.unclear, ...fills };
  }

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
  if (typeof limits === "object" && "total" in limits) {
    return {
      kind: "unclear",
      understood,
      ...questions.totalLimit(
        limits.total,
        items.map((item) => item.request),
      ),
    };
  }
  if (limits === "unpaired") return { kind: "unclear", understood, ...questions.unpairedLimits() };
  const invalid = limits.find(
    (limit) => limit !== undefined && !(limit > 0 && limit <= MAX_PRICE_LIMIT),
  );
  if (invalid !== undefined) {
    return { kind: "unclear", understood, ...questions.priceOutOfRange(invalid) };
  }
  // The safety net: a word of an item's sentence, or a later sentence, that was read as nothing.
  const firstSentence = Math.min(...items.map((item) => item.sentence));
  // Before it, only the sentences that may say not to buy now, or that head what follows as
  // something else than a purchase (`holdsBack`): the others are context ("Hi team,", "I'm
  // starting college.", "Shopping list:").
  const unread = readings.find(
    (reading, index) =>
      (changed.from === undefined || index >= changed.from.sentence) &&
      (index >= firstSentence
        ? reading.unread.length > 0 && (reading.items.length > 0 || index > firstSentence)
        : reading.items.length === 0 &&
          holdsBack(
            reading,
            readings.slice(0, index).every((before) => before.mentioned.length === 0),
          )),
  );
  if (unread !== undefined) {
    // "Don't do it.", "Hold off.": read, but as holding back what follows.
    const unclear =
      unread.unread.length === 0
        ? questions.hesitant(typedWords(unread.tokens))
        : questions.unreadWords(quotedWords(unread));
    return { kind: "unclear", understood, ...unclear };
  }
  return {
    kind: "purchases",
    items: items.map(({ request }, index) => {
      const priceLimit = limits[index];
      return priceLimit === undefined ? request : { ...request, priceLimit };
    }),
  };
}

/** What puts things in a cart: "to my cart", "in the basket", "on my wish list". */
const INTO = new Set(["to", "in", "into", "on"]);
/** A cart's word after the cart's, quoted with it: "saved items", "wish list". */
const CART_TAILS = new Set(["items", "list", "bag", "cart", "basket"]);
/** Verbs that order what a cart holds: "and buy it", "and checkout", "and check out", "and pay". */
const CHECKOUT_VERBS = new Set(["buy", "order", "purchase", "checkout", "pay"]);

/** Whether `words[at]` orders what a cart holds: a checkout verb, or "check out". */
const checksOutAt = (words: readonly string[], at: number): boolean =>
  CHECKOUT_VERBS.has(words[at] ?? "") || (words[at] === "check" && words[at + 1] === "out");

/**
 * Whether `words[at]` is a word of a checkout's verb: "checkout", "pay", or "check" and "out",
 * and the "for" of "pay for it". Read in the sentence after a cart ("Then check out."), where
 * the reader leaves them unread, as it has no cart of its own there to check out.
 */
const checkoutWordAt = (words: readonly string[], at: number): boolean =>
  checksOutAt(words, at) ||
  (["out", "for"].includes(words[at] ?? "") && checksOutAt(words, at - 1));

/**
 * Whether the sentence orders what it put in the cart at `cart`, after it: "Add an XYZ phone
 * to my cart and buy it", "... in my cart and order it now", "... and checkout". Not when the
 * verb is denied ("... but don't buy it") or has an item of its own ("... and buy a case": the
 * phone stays in the cart).
 */
function checkedOut(
  words: readonly string[],
  cart: number,
  mentions: readonly { start: number }[],
): boolean {
  const verb = words.findIndex((_, index) => index > cart && checksOutAt(words, index));
  return (
    verb >= 0 &&
    !words.slice(Math.max(0, verb - 2), verb).some((word) => isDenial(word)) &&
    !mentions.some((mention) => mention.start > verb)
  );
}

/** A pronoun for one thing, which a checkout orders: "buy it", "pay for that". */
const ONE_THING = new Set(["it", "this", "that"]);
/** What stands for one of the things named before: "order it", "order the one". */
const ONE_OF_THEM = new Set([...ONE_THING, "one"]);

/**
 * A checkout after `from` whose object is one thing ("buy it", "order that", "pay for it"):
 * where its words are, or undefined ("buy them", "checkout").
 */
function checkoutOfOne(
  words: readonly string[],
  from: number,
): { start: number; end: number } | undefined {
  const verb = words.findIndex((_, index) => index > from && checksOutAt(words, index));
  if (verb < 0) return undefined;
  const object = ["for", "out"].includes(words[verb + 1] ?? "") ? verb + 2 : verb + 1;
  return ONE_THING.has(words[object] ?? "") ? { start: verb, end: object + 1 } : undefined;
}

/**
 * "Add an XYZ phone and an ABC laptop to my cart. Then buy it.": "it" orders one thing of a
 * cart of several (`products`, the names of those the cart sentence named): which one? It was
 * read as ordering the cart, and bought them all ("Then buy them." does).
 */
function cartOfSeveral(
  products: readonly CatalogProduct[],
  checkout: { start: number; end: number } | undefined,
  tokens: readonly Token[],
  questions: ReturnType<typeof questionsFor>,
): Unclear | undefined {
  const names = [...new Set(products.map((product) => product.name))];
  if (checkout === undefined || names.length < 2) return undefined;
  return questions.cartOfSeveral(typedWords(tokens.slice(checkout.start, checkout.end)), names);
}

/**
 * "I want an XYZ phone and an ABC laptop. Please order it.": "it" (or "that") orders one thing
 * of the several products named before it, in its sentence or the ones before: which one? The
 * pronoun was read as asking again for all of them, and bought them all, as "them" does. Said
 * before anything is named ("Can you order it? I want an XYZ phone and an ABC laptop."), it
 * stands for what is named after it, and asks the same.
 */
function pronounsOfSeveral(
  readings: readonly SentenceReading[],
  questions: ReturnType<typeof questionsFor>,
): void {
  const items = readings.flatMap((other) => other.items);
  readings.forEach((reading) => {
    const pronoun = reading.pronoun ?? pronounBeforeItems(reading);
    if (pronoun === undefined || !ONE_OF_THEM.has(pronoun.word)) return;
    const before = items.filter((item) => byPlace(item, pronoun) < 0);
    const meant = before.length > 0 ? before : items;
    const names = [...new Set(meant.map((item) => item.product.name))];
    if (names.length < 2) return;
    reading.doubts.push({
      ...placeOf(pronoun),
      unclear: questions.pronounOfSeveral(pronoun.said, names),
    });
  });
}

/**
 * "Please order it: an XYZ phone and an ABC laptop", "pls buy it - xyz phone and abc laptop":
 * "it" ordered with the items right after it, which name what it is. Said with a colon, "this"
 * and "that" are such a pronoun too ("Order this: ..."); before a name they say which one ("buy
 * that XYZ phone"). Those items were read as the order, and "it" as no word.
 */
function pronounBeforeItems(
  reading: SentenceReading,
): (Place & { word: string; said: string }) | undefined {
  const { words, tokens } = reading;
  const [first] = [...reading.items].sort(byPlace);
  if (first === undefined) return undefined;
  const verb = words.findIndex((word, at) => at < first.start && isPurchaseVerb(word));
  const word = words[verb + 1] ?? "";
  const colon = words[verb + 2] === ":";
  if (verb < 0 || !(word === "it" || (colon && ONE_THING.has(word)))) return undefined;
  if (first.start !== verb + (colon ? 3 : 2) && !BEFORE_NAME.has(words[verb + 2] ?? "")) {
    return undefined;
  }
  return {
    sentence: first.sentence,
    start: verb + 1,
    end: verb + 2,
    word,
    said: typedText(tokens.slice(verb, verb + 2)),
  };
}

/**
 * "I want an XYZ phone and an ABC laptop. Please order both.": "both" orders the two products
 * named before it, as "them" does; it was read as a product named "both". Said after one
 * product ("I want an XYZ phone. Order both."), it asks how many; after three or more, which.
 * A limit said with it is for the two together ("Order both under $2000"), asked about as "for
 * $2000 both" is, unless it says each.
 */
function bothOfOthers(
  readings: readonly SentenceReading[],
  questions: ReturnType<typeof questionsFor>,
): void {
  const items = readings.flatMap((other) => other.items);
  readings.forEach((reading) => {
    const { pronoun } = reading;
    if (pronoun?.word !== "both") return;
    reading.prices = reading.prices.map((price) =>
      price.perUnit ? price : { ...price, total: true },
    );
    // An item "Order both." took from the sentence before (`adoptNamed`) stands where it does.
    const before = items.filter((item) => byPlace(item, pronoun) <= 0);
    const products = [...new Map(before.map((item) => [item.product.name, item.product])).values()];
    const [only] = products;
    if (products.length === 2 || only === undefined) return;
    reading.doubts.push({
      ...placeOf(pronoun),
      unclear:
        products.length === 1
          ? questions.quantityMissing(only)
          : questions.pronounOfSeveral(
              pronoun.said,
              products.map((product) => product.name),
            ),
    });
  });
}

/** Words of a sentence before a purchase that may say to wait: "Maybe.", "Wait for my signal." */
const WAITING_WORDS = new Set(
  (
    "maybe perhaps wait hold check first signal later wise sure unsure think decide ask " +
    "discuss approve approval confirm go-ahead ok'd okay'd"
  ).split(" "),
);
/** Words of a heading that says its lines are not to buy: "Already ordered:", "Cancelled:". */
const NOT_TO_BUY = new Set(
  (
    "already ordered bought purchased done cancelled canceled returned returns rejected declined " +
    "exclude excluded excluding except skip stock inventory have owned draft drafts test " +
    "example sample not no don't"
  ).split(" "),
);
/** How another role or another person opens a sentence: "You are now ShopBot.", "This is my toddler." */
const SOMEONE_ELSE = [
  ["you", "are"],
  ["you're"],
  ["youre"],
  ["act", "as"],
  ["pretend"],
  ["this", "is"],
  ["i", "am", "your"],
];

/**
 * Whether a sentence before the first purchase, with no item, holds it back: it denies or
 * takes back what follows, `first` with nothing asked before it ("Don't do it.", "Hold off.";
 * not "Scratch that.", which takes back an earlier message), may say to wait, naming no product
 * ("Maybe.", "Wait for my signal.", "Need to check with my wife first."; "I think I'm going to
 * go with the XYZ phone." names a product, and a count after it asks about its words unread,
 * `countsOfUnasked`), asks a question of no product
 * or price ("Is this wise?"; not "Ready?"), speaks as someone else ("You are now ShopBot.", "This is my toddler."), or heads the lines after it as
 * no purchase ("Already ordered:", "Cancelled:", "Inventory:"; a heading that asks to buy,
 * "Shopping list:", "Please order the following:", is read). These were never read, and the
 * purchase after them was made.
 */
function holdsBack(reading: SentenceReading, first: boolean): boolean {
  const { words } = reading;
  const plain = words.filter((word) => /^\p{L}/u.test(word));
  const unread = reading.unread.map((index) => words[index] ?? "");
  if (words.at(-1) === ":") {
    const buying =
      plain.some((word) => isPurchaseVerb(word) || word === "list" || POINTING_AHEAD.has(word)) &&
      !plain.some((word) => NOT_TO_BUY.has(word));
    return !buying;
  }
  return (
    (first &&
      reading.retractions.length > 0 &&
      words.some((word) => ["don't", "dont", "not", "hold", "wait"].includes(word))) ||
    (reading.mentioned.length === 0 && unread.some((word) => WAITING_WORDS.has(word))) ||
    (reading.question !== undefined &&
      plain.length > 1 &&
      reading.mentioned.length === 0 &&
      reading.prices.length === 0 &&
      unread.length > 0) ||
    SOMEONE_ELSE.some((phrase) => phrase.every((word, at) => plain[at] === word))
  );
}

/**
 * Counts with no product that no purchase took: "Buy 2, 3 XYZ phones", "Buy 2 and 3 XYZ
 * phones", "Buy 2; 3 XYZ phones". A range, a correction or another purchase? Beside purchases
 * that have counts of their own, each is asked about (after the last take-back, `from`).
 */
function strayCounts(
  readings: readonly SentenceReading[],
  from: Place | undefined,
  questions: ReturnType<typeof questionsFor>,
): Problem[] {
  return readings.flatMap((reading, index) => {
    const { uncounted } = reading;
    if (
      uncounted === undefined ||
      (from !== undefined && byPlace(uncounted, from) <= 0) ||
      draftsOf(reading, readings[index - 1]) !== reading.items
    ) {
      return [];
    }
    const said = typedWords(reading.tokens.slice(uncounted.start, uncounted.end));
    return [{ ...placeOf(uncounted), unclear: questions.unreadNumber(said) }];
  });
}

/** "don;t", "can,t": a slip of the finger must not turn "don't buy" into "buy". */
function normalizeContractions(text: string): string {
  return text.replace(
    /\b(do|does|did|is|are|was|were|wo|ca|should|would|could|must|need)n[;:,.]t\b/giu,
    "$1n't",
  );
}

/**
 * "My wife wants a pair of wireless headphones. Please order them for her.": a pronoun ordered
 * right after a sentence that heard one item is that item, asked for now by the person; what
 * the sentence before reported of someone else is no longer a doubt, since the person asks.
 */
function adoptNamed(readings: readonly SentenceReading[]): void {
  readings.forEach((reading, index) => {
    const before = readings[index - 1];
    const [heard] = before?.heard ?? [];
    // "My kids want wireless headphones. Please order 2 for them.": a count for what someone
    // else wants, when the sentence before speaks of someone else.
    const counted =
      reading.uncounted !== undefined && OTHERS.has(before?.words[0] ?? "")
        ? reading.uncounted
        : undefined;
    const place = reading.pronoun ?? counted;
    if (
      reading.words.some((word) => ADDING.has(word)) ||
      before === undefined ||
      heard === undefined ||
      (before.heard.length > 1
        ? !adoptsSeveral(before, reading, counted)
        : !adoptsOne(before, reading)) ||
      place === undefined ||
      reading.items.length > 0
    ) {
      return;
    }
    reading.items = before.heard.map(({ change: _change, only: _only, ...item }) => ({
      ...item,
      ...placeOf(place),
      ...(counted === undefined ? {} : { quantity: counted.quantity, plural: false }),
    }));
    reading.uncounted = undefined;
    before.items = [];
    before.doubts = before.doubts.filter((doubt) => doubt.unclear.reason !== "reported");
  });
}

/** How a sentence says someone else wants a thing: "My wife wants ...", "He asked for ...". */
const WISHING = new Set("wants want needs need asked asks says said".split(" "));

/**
 * "Maybe an XYZ phone. Order it.", "I sold an XYZ phone. Order it.", "I want an XYZ phone.
 * Never mind, order it.": the one item the sentence before heard is what a pronoun orders only
 * when that sentence asked for it or named it alone ("XYZ phone. Order it."), with no word the
 * reader did not read, and the pronoun's sentence takes nothing back, as for several
 * (`adoptsSeveral`). The hedge, the sale or the "never mind" was dropped with the sentence that
 * carried it, and the item bought. Unread words that only say who else wants it ("My wife wants
 * ...", "They want ...") leave the order to the person.
 */
function adoptsOne(before: SentenceReading, reading: SentenceReading): boolean {
  return reading.retractions.length === 0 && plainlyNamed(before);
}

/**
 * Whether a sentence asked for what it named, or named it alone ("XYZ phone."), with no word
 * unread but who else wants it ("My wife wants ...", "They want ..."): not "Maybe an XYZ
 * phone.", "I sold an XYZ phone.", "I have an XYZ phone."
 */
function plainlyNamed(before: SentenceReading): boolean {
  const { words, unread } = before;
  const first = words[0] ?? "";
  const who = OTHERS.has(first) ? (POSSESSIVES.has(first) ? 1 : 0) : -1;
  const wished = who >= 0 && unread.every((at) => at === who || WISHING.has(words[at] ?? ""));
  return (
    (before.asksToBuy || !words.some((word) => isPurchaseVerb(word))) &&
    (unread.length === 0 || wished)
  );
}

/**
 * "Maybe an XYZ phone. Order 2.", "I sold an XYZ phone. Order 2.", "I have an XYZ phone. Buy
 * 2.": a count with no product counts the one product the sentence before named (`draftsOf`),
 * which is right after a question ("Do you have XYZ phones? I'd like 2."), but here the hedge,
 * the sale or the ownership was dropped with that sentence, which asked nothing, and 2 phones
 * were bought. A count after a sentence that is no question and did not name its product
 * plainly (`plainlyNamed`) asks about the words that sentence said and were not read, or about
 * the sentence ("I like the XYZ phone"), unless that sentence asks a question of its own already.
 */
function countsOfUnasked(
  readings: readonly SentenceReading[],
  questions: ReturnType<typeof questionsFor>,
): void {
  readings.forEach((reading, index) => {
    const before = readings[index - 1];
    const { uncounted } = reading;
    if (
      before === undefined ||
      uncounted === undefined ||
      draftsOf(reading, before) === reading.items ||
      before.asked ||
      before.question !== undefined ||
      before.doubts.length > 0 ||
      plainlyNamed(before)
    ) {
      return;
    }
    const unclear =
      before.unread.length > 0
        ? questions.unreadWords(quotedWords(before))
        : questions.hesitant(typedWords(before.tokens));
    reading.doubts.push({ ...placeOf(uncounted), unclear });
  });
}

/**
 * "XYZ phone and ABC laptop. Order both.": a pronoun stands for all the sentence before heard
 * ("it" of several is then asked about, `pronounsOfSeveral`), when it heard them with nothing
 * else: no word it did not read ("... in blue", "I sold ..."), no doubt ("... and maybe an ABC
 * laptop"). A count ("Order 2 of them.") does not say which, nor a pronoun after a take-back
 * ("... Never mind, order them.": what it took back stays so). A cart's items are ordered or
 * asked about as a cart's (`cartsLeft`).
 */
function adoptsSeveral(
  before: SentenceReading,
  reading: SentenceReading,
  counted: SentenceReading["uncounted"],
): boolean {
  return (
    reading.pronoun !== undefined &&
    counted === undefined &&
    reading.retractions.length === 0 &&
    before.cart === undefined &&
    before.unread.length === 0 &&
    before.doubts.length === 0
  );
}

/**
 * "Buy 2 XYZ phones. Wait.", "Buy an XYZ phone, hmm wait", "... Correction:": a change or a
 * take-back opened and never said. The next sentence may say it ("Buy 2 XYZ phones. Oops. Make
 * it 3."); otherwise what the person meant to change is not known, and buying what came before
 * it would drop it: asked about. It was read as an opening with nothing in it, and bought.
 */
function openingsLeft(
  readings: readonly SentenceReading[],
  questions: ReturnType<typeof questionsFor>,
): void {
  readings.forEach((reading, index) => {
    const { opening } = reading;
    const next = readings[index + 1];
    if (
      opening === undefined ||
      (next !== undefined &&
        (next.changes.length > 0 ||
          next.retractions.length > 0 ||
          next.exclusions.length > 0 ||
          next.items.some((item) => item.change === true)))
    ) {
      return;
    }
    const said = typedWords(reading.tokens.slice(opening.start, opening.end));
    reading.doubts.push({ ...opening, unclear: questions.hesitant(said) });
  });
}

/**
 * "Don't do it, buy an XYZ phone", "Do not do it, ...": the order denied before it is said, in
 * its own sentence, with nothing asked before it to take back. It was read as a take-back of
 * nothing and the order after it bought, though the same words as a sentence of their own
 * ("Don't do it. Buy ...") ask, and "Do it, buy ..." is read as encouragement. Asked about as
 * that sentence is. "Buy an XYZ phone, no wait, don't do it, buy an ABC laptop" takes the phone
 * back, as before.
 */
function deniedOrders(
  readings: readonly SentenceReading[],
  questions: ReturnType<typeof questionsFor>,
): void {
  readings.forEach((reading, index) => {
    if (readings.slice(0, index).some((before) => before.mentioned.length > 0)) return;
    const [first] = [...reading.items].sort(byPlace);
    for (const { start, end } of reading.retractions) {
      const denial = range(start, end)
        .map((at) => deniedDoAt(reading.words, at))
        .find((at) => at >= 0);
      if (denial === undefined || first === undefined || first.start < end) continue;
      const said = typedWords(reading.tokens.slice(denial, end));
      reading.doubts.push({ ...placeOf(first), unclear: questions.hesitant(said) });
      return;
    }
  });
}

/**
 * "Add an XYZ phone to my cart. Then buy it.": a cart the next sentence orders, with nothing
 * else in that sentence to read ("Then buy it.", "Buy it.", "And order them now."), is bought,
 * as one ordered in the same sentence is ("... to my cart and buy it"). Any other cart asks,
 * as it was filled and not checked out: "... Don't buy it yet.", "... Then buy an ABC
 * laptop.", "... I'll buy it next week.", "... Then buy it?" It asked though the person had
 * said to buy.
 */
function cartsLeft(
  readings: readonly SentenceReading[],
  questions: ReturnType<typeof questionsFor>,
): void {
  readings.forEach((reading, index) => {
    const { cart } = reading;
    if (cart === undefined) return;
    const next = readings[index + 1];
    if (next === undefined) {
      reading.doubts.push(cart);
      return;
    }
    // "Then buy it.": the one item the cart sentence named, ordered by a pronoun (`adoptNamed`).
    const adopted = reading.items.length === 0 && next.pronoun !== undefined;
    const orders =
      next.items.length === (adopted ? 1 : 0) &&
      next.mentioned.length === 0 &&
      next.question === undefined &&
      !next.asked &&
      next.cart === undefined &&
      next.unread.every((at) => checkoutWordAt(next.words, at)) &&
      next.doubts.length === 0 &&
      next.problems.length === 0 &&
      !next.negation &&
      checkedOut(next.words, -1, []);
    if (!orders) {
      reading.doubts.push(cart);
      return;
    }
    // Its checkout's words are read now, as they are in the cart's own sentence.
    next.unread = next.unread.filter((at) => !checkoutWordAt(next.words, at));
    const several = cartOfSeveral(
      reading.mentioned,
      checkoutOfOne(next.words, -1),
      next.tokens,
      questions,
    );
    if (several !== undefined) reading.doubts.push({ ...cart, unclear: several });
  });
}

/** What opens a purchase that hangs on the answer to the question before it. */
const ANSWER_OPENERS = (
  "then, if so, if yes, if not, if it is, if they are, if it's, if they're, in that case, " +
  "if that's the case, if that is the case"
)
  .split(", ")
  .map((phrase) => phrase.split(" "));
/** Before such an opener: "ok, then buy ...", "and if so, ...". */
const BEFORE_OPENER = new Set(["ok", "okay", "and", "so", ",", "great", "good"]);

/**
 * "Is shipping free? Then buy an XYZ phone", "3 day shipping ok? If so, 2 cables": a purchase
 * that opens with "then" or "if so" right after a question of the person's hangs on its
 * answer, which the agent does not give: asked about, as a condition is. A question that names
 * a limit ("Is the XYZ phone under $500? Then buy one") is read as that limit instead.
 */
function hangOnQuestions(
  readings: readonly SentenceReading[],
  questions: ReturnType<typeof questionsFor>,
): void {
  readings.forEach((reading, index) => {
    const before = readings[index - 1];
    if (
      before?.question === undefined ||
      before.prices.length > 0 ||
      before.unread.length === 0 ||
      reading.items.length === 0
    ) {
      return;
    }
    let start = 0;
    while (BEFORE_OPENER.has(reading.words[start] ?? "")) start += 1;
    const opener = ANSWER_OPENERS.find((phrase) =>
      phrase.every((word, at) => reading.words[start + at] === word),
    );
    if (opener === undefined) return;
    reading.doubts.push({
      sentence: index,
      start,
      end: start + opener.length,
      unclear: questions.notNow(`${before.question} ${opener.join(" ")}`),
    });
  });
}

/**
 * "Order an ABC laptop. Yes, one ABC laptop.": a confirming sentence that names again what was
 * asked before it, with the same count, adds nothing. Any other count is asked about.
 */
function dropConfirmations(
  readings: readonly SentenceReading[],
  questions: ReturnType<typeof questionsFor>,
): void {
  readings.forEach((reading, index) => {
    if (!reading.confirms || reading.items.length === 0) return;
    const asked = readings.slice(0, index).flatMap((r) => r.items);
    const same = reading.items.every((item) =>
      asked.some(
        (other) =>
          other.product.name === item.product.name &&
          countOf(other.quantity) !== undefined &&
          countOf(other.quantity) === countOf(item.quantity),
      ),
    );
    if (same) {
      reading.items = [];
      return;
    }
    // "Buy an XYZ phone. To confirm: one XYZ phone case.": it confirms what was not asked.
    for (const item of reading.items) {
      const unclear = asked.some((other) => other.product.name === item.product.name)
        ? questions.repeated(item.product)
        : questions.alsoMentioned(item.product);
      reading.problems.push({ ...placeOf(item), unclear });
    }
  });
}

/**
 * A bare count that corrects what was said last, when what was said last is a price: "under
 * 500. I mean 450." lowers the limit to 450; it does not buy 450 of the item.
 */
function correctPrices(readings: SentenceReading[]): void {
  const drafts = readings.flatMap((reading) => reading.items);
  for (const reading of readings) {
    reading.changes = reading.changes.filter((change) => {
      const before = (place: Place) => byPlace(place, change) < 0;
      const price = readings
        .flatMap((r) => r.prices)
        .filter((p) => p.limit !== undefined && before(p))
        .sort(byPlace)
        .at(-1);
      const item = drafts.filter(before).sort(byPlace).at(-1);
      const value =
        "value" in change.quantity.quantity ? change.quantity.quantity.value : undefined;
      if (
        price === undefined ||
        value === undefined ||
        (item !== undefined && byPlace(item, price) > 0)
      ) {
        return true;
      }
      // "under $900. Actually, make it 3" changes the count: a price is near the one it corrects.
      const limit = price.limit ?? 0;
      if ((value < limit / 5 || value > limit * 5) && value <= 20) return true;
      price.limit = value;
      return false;
    });
  }
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
): { drafts: ItemDraft[]; problems: Problem[]; repeats: Problem[]; from: Place | undefined } {
  type Step =
    | { place: Place; draft: ItemDraft }
    | { place: Place; count: QuantityPhrase }
    | { place: Place; fill: QuantityPhrase }
    | { place: Place; retraction: true }
    | { place: Place; exclusion: SentenceReading["exclusions"][number]; alone: boolean };
  const steps: Step[] = readings.flatMap((reading, index): Step[] => [
    ...draftsOf(reading, readings[index - 1]).map((draft) => ({ place: draft, draft })),
    ...reading.changes.map((change) => ({ place: change, count: change.quantity })),
    ...reading.counts.map((count) => ({ place: count, fill: count.quantity })),
    ...reading.retractions.map((place) => ({ place, retraction: true as const })),
    ...reading.exclusions.map((exclusion) => ({
      place: exclusion,
      exclusion,
      alone: reading.items.length === 0,
    })),
  ]);
  let drafts: ItemDraft[] = [];
  const problems: Problem[] = [];
  let repeats: Problem[] = [];
  let from: Place | undefined;
  steps.sort((a, b) => byPlace(a.place, b.place));
  for (const [index, step] of steps.entries()) {
    if ("retraction" in step) {
      // "Don't. Buy 2 XYZ phones": a bare "don't" that takes back nothing asked before it, and
      // is followed by a purchase, may deny that purchase. Asked.
      const reading = readings[step.place.sentence];
      const denies =
        drafts.length === 0 &&
        isBareDenial(reading?.words ?? [], step.place.start, step.place.end) &&
        steps.slice(index + 1).some((later) => "draft" in later);
      drafts = [];
      problems.length = 0;
      repeats = [];
      from = step.place;
      if (denies) {
        const said = typedWords(reading?.tokens.slice(step.place.start, step.place.end) ?? []);
        problems.push({ ...placeOf(step.place), unclear: questions.hesitant(said) });
      }
      continue;
    }
    if ("exclusion" in step) {
      // "..., but not the laptop", "Forget the phone.": out goes what was asked of it so far.
      const asked = step.exclusion.products.filter((product) =>
        drafts.some((d) => d.product.name === product.name),
      );
      const [product] = asked;
      if (asked.length > 1) {
        problems.push({ ...placeOf(step.place), unclear: questions.ambiguousChange(asked) });
      } else if (product !== undefined) {
        // "2 XYZ phones and 2 cases, remove a case": one case fewer, or none? Asked; read as
        // the cases taken out, both were dropped.
        const { count } = step.exclusion;
        const asked = drafts
          .filter((d) => d.product.name === product.name)
          .reduce((sum, d) => sum + (countOf(d.quantity) ?? Number.POSITIVE_INFINITY), 0);
        if (count !== undefined && count < asked) {
          problems.push({
            ...placeOf(step.place),
            unclear: questions.hesitant(step.exclusion.said),
          });
        }
        drafts = drafts.filter((d) => d.product.name !== product.name);
      } else if (step.alone && drafts.length > 0) {
        problems.push({ ...placeOf(step.place), unclear: questions.hesitant(step.exclusion.said) });
      }
      continue;
    }
    if ("fill" in step) {
      // "Order: XYZ phone. Qty: 2.": the count of the one item asked so far, if it has none;
      // "Buy 3 XYZ phones. Qty: 1." or several items before it is asked about.
      const [only] = drafts;
      if (only !== undefined && drafts.length === 1 && only.quantity === undefined) {
        drafts[0] = { ...only, quantity: step.fill };
      } else if (only !== undefined && drafts.length === 1) {
        if (!sameCount(only.quantity, step.fill)) {
          problems.push({
            ...placeOf(step.place),
            unclear: questions.quantityMissing(only.product),
          });
        }
      } else if (drafts.length > 1) {
        problems.push({
          ...placeOf(step.place),
          unclear: questions.ambiguousChange(drafts.map((d) => d.product)),
        });
      }
      continue;
    }
    const draft = "draft" in step ? step.draft : undefined;
    if (draft?.only === true && drafts.length > 0) {
      const kept = drafts.find((d) => d.product.name === draft.product.name);
      drafts = [kept !== undefined && draft.quantity === undefined ? kept : draft];
      continue;
    }
    if (draft !== undefined && (draft.change !== true || drafts.length === 0)) {
      // "Buy 2 XYZ phones. Buy 2 XYZ phones.", "3 XYZ phones. ... 2 XYZ phones": one purchase
      // said twice, a correction or two purchases? Ask how many in all. In one sentence ("an
      // XYZ phone, 2 XYZ phones under $100") they are two purchases, each with its consent.
      // "2 cables, and 2 cables" in one sentence too, unless told apart: "2 more", a limit each.
      const ownLimit = (d: ItemDraft) =>
        readings[d.sentence]?.prices.some((p) => p.start >= d.end && p.start <= d.end + 1) === true;
      // "an XYZ phone and an ABC laptop, the laptop under $1300": "the" names the laptop asked
      // for, with its limit, not a second laptop, though the limit is its own.
      const referred = (d: ItemDraft) =>
        SINGLE_DETERMINERS.has(readings[d.sentence]?.words[d.start - 1] ?? "");
      if (
        drafts.some(
          (d) =>
            d.product.name === draft.product.name &&
            (d.sentence !== draft.sentence ||
              (draft.more !== true && (referred(draft) || (!ownLimit(d) && !ownLimit(draft))))),
        )
      ) {
        repeats.push({ ...placeOf(draft), unclear: questions.repeated(draft.product) });
      }
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
  return { drafts, problems, repeats, from };
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
    shortNames,
    underHeading,
  }: {
    catalog: readonly CatalogProduct[];
    questions: ReturnType<typeof questionsFor>;
    options: ParseOptions;
    shortNames: boolean;
    /** A line under a heading that asks to buy: "To buy:", "Shopping list:". */
    underHeading: boolean;
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
    counts: [],
    retractions: [],
    opening: undefined,
    doubts: [],
    exclusions: [],
    unread: [],
    heard: [],
    words: tokens.map((token) => token.word),
    tokens,
    named: tokens.map((token) => productsWithWord(token.word, catalog).length > 0),
    pronoun: undefined,
    confirms: false,
    cart: undefined,
    asked,
  };
  const words = tokens.map((token) => token.word);
  const opening = openingOf(words);
  const found = findMentions(
    words,
    (index) => /^\p{L}/u.test(words[index] ?? ""),
    catalog,
    shortNames ? (start) => standsAsItem(tokens, start) : undefined,
  );
  // "an XYZ phone and a case for the ABC laptop": a short name right before what it is for
  // names a thing for that product, not the product whose name it ends (the XYZ phone case).
  // Not read as a name, it is asked about.
  const mentions = withAccessoriesFor(
    tokens,
    found.filter(
      (mention) =>
        mention.short !== true ||
        !found.some((other) => forBefore(tokens, other.start) === mention.end),
    ),
    catalog,
  );
  reading.mentioned = mentions.map((mention) => mention.product);
  const startsItem = (index: number) =>
    mentions.some((mention) => mention.start >= index && mention.start <= index + 2);
  // "$450 per phone": a word of a product's name after "per" says the price is per unit.
  const namesProduct = (index: number) =>
    /^\p{L}/u.test(words[index] ?? "") && productsWithWord(words[index] ?? "", catalog).length > 0;
  const prices = findPricePhrases(tokens, startsItem, namesProduct);
  const inPrice = words.map((_, index) => prices.some((p) => index >= p.start && index < p.end));
  const doubt = doubtIn(words, (index) => inPrice[index] === true);
  if (doubt !== undefined) {
    const said = typedText(tokens.slice(doubt.start, doubt.end));
    const unclear =
      doubt.kind === "hesitant"
        ? questions.hesitant(said)
        : doubt.kind === "not_now"
          ? questions.notNow(said)
          : questions.reported(said);
    reading.doubts.push({ sentence, start: doubt.start, end: doubt.end, unclear });
  }
  // "Add an XYZ phone to my cart", "Put it in my basket", "... to my saved items": a cart is
  // filled, not checked out, and an order placed for it bought what the person meant to look at
  // first; unless the sentence orders it after ("... to my cart and buy it"), or the next one
  // does (`cartsLeft`).
  // The "to" of "to-do list" is the list's name, not where the thing goes.
  const intoAt = (index: number) =>
    INTO.has(words[index] ?? "") && !(words[index] === "to" && words[index + 1] === "do");
  const cart = words.findIndex(
    (_, index) =>
      isCartAt(words, index) &&
      range(Math.max(0, index - (words[index - 1] === "do" ? 5 : 3)), index).some(intoAt),
  );
  const several =
    cart >= 0 && checkedOut(words, cart, mentions)
      ? cartOfSeveral(
          mentions.filter((mention) => mention.start < cart).map((mention) => mention.product),
          checkoutOfOne(words, cart),
          reading.tokens,
          questions,
        )
      : undefined;
  if (several !== undefined) {
    reading.doubts.push({ sentence, start: cart, end: cart + 1, unclear: several });
  }
  if (cart >= 0 && !checkedOut(words, cart, mentions)) {
    const start = range(0, cart).findLast(intoAt) ?? cart;
    const end = CART_TAILS.has(words[cart + 1] ?? "") ? cart + 2 : cart + 1;
    const said = typedText(tokens.slice(start, end));
    reading.cart = { sentence, start, end, unclear: questions.cart(said) };
  }
  const thanks = thanksForItem(words, mentions);
  if (thanks !== undefined) {
    const said = typedText(tokens.slice(thanks.start, thanks.end));
    reading.doubts.push({ sentence, ...thanks, unclear: questions.hesitant(said) });
  }
  if (isMereQuestion(words, asked, opening)) {
    // "Have a nice day!" opens like a question but is a courtesy.
    const courtesy = words.map(() => false);
    words.forEach((_, index) => {
      const length = courtesyAt(words, index);
      for (let at = index; at < index + length; at += 1) courtesy[at] = true;
    });
    reading.unread = indicesWhere(
      tokens,
      (token, index) => !isHarmlessWord(token.word) && courtesy[index] !== true,
    );
    reading.question = `${typedWords(tokens)}?`;
    // "Is the XYZ phone under $500? Then buy one": the most the question names is the most the
    // purchase after it may cost, as a limit said in a sentence of its own is.
    reading.prices = prices
      .filter((price) => price.limit !== undefined)
      .map((price) => ({ ...price, sentence, total: price.together, opensItem: false }));
    return reading;
  }

  const total = words.some((word) => TOTAL_WORDS.has(word));
  // "an XYZ phone and, under $20, 2 USB-C cables": the limit comes after the joiner, so it is
  // the cables', not the phone's, as it would be right after the phone.
  const opensItem = (price: PricePhrase) => {
    let before = price.start - 1;
    while (words[before] === ",") before -= 1;
    let after = price.end;
    while (words[after] === ",") after += 1;
    const joined =
      ITEM_JOINERS.has(words[before] ?? "") || ITEM_JOINERS.has(words[price.start] ?? "");
    // Not "..., and keep it under $600, and a cable": another joiner ends the phone's clause.
    return joined && !ITEM_JOINERS.has(words[after] ?? "") && startsItem(after);
  };
  reading.prices = prices.map((price) => ({
    ...price,
    sentence,
    total: total || price.together,
    opensItem: opensItem(price),
  }));
  // Price phrases are read: what is left is read as if they were not there.
  const plain = words.map((word, index) => (inPrice[index] ? "" : word));
  const isBoundary = (index: number) => inPrice[index] === true || isBoundaryWord(plain, index);
  const { negated, verbNegated } = negatedWords(plain, isBoundary);
  const intent = plain.findIndex(
    (_, index) => negated[index] !== true && isIntentVerb(plain, index, opening),
  );
  reading.negation = verbNegated || mentions.some((mention) => negated[mention.start] === true);
  reading.exclusions = exclusionsOf({ tokens, plain, negated, mentions, sentence, catalog });
  const excluded = (index: number) =>
    reading.exclusions.some((exclusion) => index >= exclusion.start && index < exclusion.end);

  const consumed = plain.map((word) => word === "" || FILLERS.has(word));
  let listed = false;
  let previousItems: ItemDraft[] = [];
  // A clause that opens a change on its own ("No, 3", "Actually, make it 3"), and whether it
  // followed an "and" ("2 XYZ phones and, actually, 3 cables" adds the cables).
  let opened = false;
  let lastEnd = 0;
  for (const whole of segmentsOf(tokens, plain, isBoundary)) {
    // "buy 2 XYZ phones never mind", "... - forget it": a take-back that ends a clause naming a
    // product, with no comma before it, takes back what the clause asked, as after a comma.
    const tail = mentions.some((m) => m.start >= whole.start && m.end <= whole.end)
      ? retractionTailOf(plain, whole.start, whole.end)
      : undefined;
    if (tail !== undefined) {
      reading.retractions.push({ sentence, start: tail, end: whole.end });
      markConsumed(consumed, tail, whole.end);
    }
    const segment = tail === undefined ? whole : { ...whole, end: tail };
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
      // Nothing after it, a limit included: "..., actually, $450" changes the limit.
      if (words.slice(segment.end).every((word) => !/[\p{L}\p{N}$]/u.test(word))) {
        reading.opening = { sentence, start: segment.start, end: segment.end };
      }
      continue;
    }
    const body = adds ? undefined : changeBodyAt(plain, segment.start, segment.end, opened);
    opened = false;
    const inSegment = mentions.filter((m) => m.start >= segment.start && m.end <= segment.end);
    if (body !== undefined && body < segment.end && inSegment.length === 0) {
      // "Sorry, two pairs.": the new count of the item before, pairs or not, as it was.
      const count = quantityAt(tokens, body, true);
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
        negated[mention.start] !== true &&
        !ownedAt(tokens, mention.start) &&
        !purposeAt(tokens, mention.start, mentions),
    );
    if (named.length === 0) {
      const object = readObject(segment, intent, negated, catalog);
      if (object.kind === "none") continue;
      if (object.quantity !== undefined) {
        listed = true;
        markConsumed(consumed, segment.start, segment.end);
      }
      if (object.kind === "count") {
        // "USB-C cables, 4 of them", "XYZ phone, qty 2": the count of the item right before
        // it. Given to an earlier item ("an XYZ phone and 2 cables, 3 pieces": 3 phones?) or
        // dropped beside another count ("3 XYZ phones, qty 1": 3?), it would buy what no one
        // asked for; any count but the one already said is asked about.
        const place = { sentence, start: segment.start, end: segment.end };
        const last = reading.items.at(-1);
        if (last === undefined) {
          reading.counts.push({ ...place, quantity: object.quantity });
        } else if (last.quantity === undefined) {
          last.quantity = object.quantity;
        } else if (!sameCount(last.quantity, object.quantity)) {
          reading.problems.push({ ...place, unclear: questions.quantityMissing(last.product) });
        }
      } else if (object.kind === "missing") {
        reading.asksToBuy = true;
        if (object.pronoun !== undefined) {
          const verb = range(segment.start, object.pronoun).findLast((at) =>
            isPurchaseVerb(words[at] ?? ""),
          );
          reading.pronoun = {
            sentence,
            start: segment.start,
            end: segment.end,
            word: object.both === true ? "both" : (words[object.pronoun] ?? ""),
            said: typedText(tokens.slice(verb ?? segment.start, object.pronoun + 1)),
          };
          // "the two of them": its "two" counts the things named before, no unread word.
          if (object.both === true) consumed[object.pronoun] = true;
        }
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
      } else if (options.unlisted === "as-named" && !NON_LATIN_LETTER.test(object.name)) {
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
        // "600 euros max": an amount the reader could not read, not a product the shop lacks.
        const counted = object.quantity;
        const amount =
          counted !== undefined &&
          isNumeral(tokens[counted.start]) &&
          AMOUNT_NAMES.has(object.text.split(" ")[0]?.toLowerCase() ?? "");
        reading.problems.push({
          sentence,
          start: segment.start,
          end: segment.end,
          unclear: amount
            ? questions.unreadPrice(typedText(tokens.slice(counted.start, segment.end)))
            : object.partial === undefined
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
        quantityAfter(
          tokens,
          mention.end,
          to,
          hasPluralName(mention.product),
          named[index + 1] !== undefined,
        );
      if (quantity !== undefined) {
        listed = true;
        markConsumed(
          consumed,
          Math.min(quantity.start, mention.start),
          Math.max(quantity.end, mention.end),
        );
      }
      const draft = draftOf(mention, sentence, quantity);
      if (plain.slice(from, mention.start).some((w) => MORE_WORDS.has(w))) draft.more = true;
      if (body !== undefined && mention.start >= body) {
        draft.change = true;
        if (plain.slice(segment.start, mention.start).some((w) => ONLY.has(w))) {
          draft.only = true;
        }
      }
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

  // "one of everything (but the laptop)", "everything except the case, one each": every
  // product once; a take-out after it removes what it names.
  const every = plain.findIndex(
    (word, index) =>
      EVERY.has(word) &&
      negated[index] !== true &&
      ((plain[index - 1] === "of" && plain[index - 2] === "one") ||
        (word === "everything" && plain.some((w, at) => w === "one" && plain[at + 1] === "each"))),
  );
  // Only with a take-out ("but the laptop", "except the case"): naming what is left out shows
  // the catalog's list in mind; "buy one of everything" alone is asked about.
  const takeOut = (item: ItemDraft) =>
    plain.slice(every + 1, item.start).some((word) => TAKE_OUT_WORDS.has(word));
  if (every >= 0 && reading.items.every(takeOut)) {
    for (const item of reading.items) {
      const said = typedText(tokens.slice(item.start, item.end));
      reading.exclusions.push({ ...placeOf(item), products: [item.product], said });
      markConsumed(consumed, item.start, item.end);
    }
    reading.items = [];
  }
  if (every >= 0 && reading.items.length === 0 && reading.exclusions.length > 0) {
    const from = plain[every - 1] === "of" ? every - 2 : every;
    const kind = ["product", "products", "item", "items", "thing", "things"].includes(
      plain[every + 1] ?? "",
    );
    const end = every + (kind ? 2 : 1);
    // "everything" is no product the shop lacks, and "one each" counts it.
    reading.problems = reading.problems.filter(
      (problem) =>
        !(problem.start <= every && problem.end > every) &&
        !plain.slice(problem.start, problem.end).includes("each"),
    );
    reading.uncounted = undefined;
    for (const product of catalog) {
      const quantity = { quantity: { value: 1 }, start: from, end };
      reading.items.push({ sentence, start: every, end, product, plural: false, quantity });
    }
    markConsumed(consumed, from, end);
    plain.forEach((word, index) => {
      // "..., one each".
      if (
        (word === "one" && plain[index + 1] === "each") ||
        (word === "each" && plain[index - 1] === "one")
      ) {
        consumed[index] = true;
      }
    });
    listed = true;
  }
  // With no verb, a sentence is a purchase only when it is a list of counted items ("2 XYZ
  // phones please", "hello, one pair of wireless headphones, cheers"), or a line of a list
  // under a heading that asks to buy ("To buy:"): "XYZ phone" and "I have 2 XYZ phones" are not.
  const readOrHarmless = (word: string, index: number) =>
    consumed[index] === true ||
    excluded(index) ||
    (isHarmlessWord(word) && !POSSESSIVES.has(word) && !isPurchaseVerb(word));
  // "XYZ phone + cable": items joined by "+" are a list too.
  const joined = plain.includes("+") && reading.items.length >= 2;
  const itemList =
    intent < 0 &&
    (listed || underHeading || joined) &&
    reading.items.length > 0 &&
    plain.every(readOrHarmless) &&
    reading.items.every((item) => item.quantity !== undefined || underHeading || joined);
  // "Yes, one ABC laptop.", "Just one XYZ phone case, to confirm.": it says again what was asked.
  reading.confirms =
    intent < 0 &&
    (AFFIRMATIONS.has(plain.find((word) => !isPunctuation(word)) ?? "") ||
      plain.some((word, index) => word === "confirm" && plain[index - 1] === "to") ||
      plain.includes("confirming"));
  // "Never mind, just the laptop": what follows a take-back is what is asked now.
  const afterRetraction = reading.retractions.some((retraction) =>
    reading.items.some((item) => item.start >= retraction.end),
  );
  // "Don't buy the case, just the XYZ phone": what "just" or "only" sets apart after a denied
  // purchase is what is asked, the denied verb's object left out.
  const onlyAfterDenial =
    verbNegated &&
    reading.items.some((item) => {
      let at = item.start - 1;
      while (at > 0 && ["the", "a", "an", "one"].includes(plain[at] ?? "")) at -= 1;
      return ONLY.has(plain[at] ?? "") && isBoundary(at - 1) && negated[at - 2] === true;
    });
  reading.asksToBuy ||=
    intent >= 0 ||
    itemList ||
    afterRetraction ||
    onlyAfterDenial ||
    (reading.confirms && reading.items.length > 0) ||
    reading.changes.length > 0 ||
    reading.items.some((item) => item.change === true);
  // What a sentence heard, when it heard it all clearly: a pronoun after it may ask for it.
  reading.heard =
    reading.problems.length === 0 && !plain.some((word) => ADDING.has(word)) ? reading.items : [];
  reading.doubts.push(
    ...detailDoubts(
      { tokens, plain, negated, consumed, sentence, questions, catalog, excluded },
      reading,
    ),
  );
  reading.unread = unreadWords({ tokens, plain, negated, consumed, catalog, intent });
  // "Mine just cracked lol.", "My old cable frayed": why the person orders, asking nothing.
  const reason =
    mentions.length === 0 &&
    reading.items.length === 0 &&
    ["my", "our", "mine", "ours"].includes(plain[0] ?? "") &&
    plain.some((word) => DAMAGE.has(word)) &&
    !plain.some((word) => NOT_REASON.has(word) || isDenial(word) || isNumberWord(word)) &&
    !tokens.some((token) => isNumeral(token));
  if (reason) reading.unread = [];
  // "Cancel the cables actually": a change or take-out said with "actually".
  if (reading.exclusions.length > 0 || reading.changes.length > 0) {
    reading.unread = reading.unread.filter((index) => plain[index] !== "actually");
  }
  // A line under "To buy:" that is no item of the list ("maybe a case") is read as nothing.
  if (underHeading && !reading.asksToBuy) {
    reading.unread = indicesWhere(tokens, (token) => !isHarmlessWord(token.word));
  }
  // "Buy 3 XYZ phones. Also a toaster.", "... And a USB cable.": a sentence that would be a list
  // of items but for a name the shop does not sell, or knows only in part, still asks about the
  // name; read as no purchase, it was dropped without a word.
  const listButForNames =
    intent < 0 &&
    reading.items.length === 0 &&
    reading.problems.length > 0 &&
    reading.problems.every((problem) => NAME_REASONS.has(problem.unclear.reason)) &&
    plain.every(
      (word, index) =>
        readOrHarmless(word, index) ||
        reading.problems.some((problem) => index >= problem.start && index < problem.end),
    );
  if (!reading.asksToBuy) {
    reading.mentioned = mentions
      .filter((mention) => negated[mention.start] !== true)
      .map((mention) => mention.product);
    reading.items = [];
    if (!listButForNames) reading.problems = [];
  }
  return reading;
}

/** The questions about a product's name: one the shop does not sell, or a part of a name. */
const NAME_REASONS: ReadonlySet<string> = new Set(["unknown_product", "ambiguous_product"]);

/** Words that thank: "thanks for", "thank you for". */
const THANKS = new Set(["thanks", "thank", "thx", "ty"]);

/**
 * "Thanks for the 2 XYZ phones!", "Thank you for ordering an ABC laptop": thanks for what was
 * bought before, often the next message after a purchase, which asks to buy nothing more. The
 * words from the thanks to its "for", when a product's name follows that with only harmless
 * words ("the", "ordering") or a count between; undefined when it thanks for no product.
 */
function thanksForItem(
  words: readonly string[],
  mentions: readonly ProductMention[],
): { start: number; end: number } | undefined {
  for (let at = 0; at < words.length; at += 1) {
    if (!THANKS.has(words[at] ?? "")) continue;
    // "thanks for", "thank you so much for".
    const forAt = words.indexOf("for", at + 1);
    if (forAt < 0 || forAt > at + 4) continue;
    const next = mentions.find((mention) => mention.start > forAt);
    if (
      next !== undefined &&
      next.start - forAt <= 4 &&
      words
        .slice(forAt + 1, next.start)
        .every((word) => isHarmlessWord(word) || isNumberWord(word) || /^\d/.test(word))
    ) {
      return { start: at, end: forAt + 1 };
    }
  }
  return undefined;
}

/**
 * The doubts only a read sentence shows: a denial the reader did not follow ("do not, under
 * any circumstances, buy"; a later "No."), a word beside a product it did not read ("an XYZ
 * phone charger", "a refurbished XYZ phone"), a number or money it did not read ("for 500",
 * "a few hundred dollars").
 */
function detailDoubts(
  {
    tokens,
    plain,
    negated,
    consumed,
    sentence,
    questions,
    catalog,
    excluded,
  }: {
    catalog: readonly CatalogProduct[];
    tokens: Sentence["tokens"];
    plain: readonly string[];
    negated: readonly boolean[];
    consumed: readonly boolean[];
    sentence: number;
    questions: ReturnType<typeof questionsFor>;
    excluded: (index: number) => boolean;
  },
  reading: SentenceReading,
): Problem[] {
  const doubts: Problem[] = [];
  const at = (start: number, end: number, unclear: Unclear, uncounts?: true) =>
    doubts.push({ sentence, start, end, unclear, ...(uncounts ? { uncounts } : {}) });
  const text = (start: number, end: number) => typedText(tokens.slice(start, end));
  // "price doesn't matter", "whatever it costs": no limit, and no denial.
  const noLimit = plain.map(() => false);
  plain.forEach((_, index) => {
    const length = noLimitAt(plain, index);
    for (let at = index; at < index + length; at += 1) noLimit[at] = true;
  });
  const changes =
    reading.changes.length > 0 ||
    reading.retractions.length > 0 ||
    reading.items.some((item) => item.change === true);
  plain.forEach((word, index) => {
    if (noLimit[index] === true) return;
    if (
      !changes &&
      isDenial(word) &&
      negated[index] !== true &&
      !(word === "forget" && isDenial(plain[index - 1] ?? "")) &&
      !NOT_DENYING.has(plain[index + 1] ?? "") &&
      // "no more than 2 XYZ phones": at most so many.
      !(plain[index + 1] === "more" && plain[index + 2] === "than")
    ) {
      at(index, index + 1, questions.hesitant(text(index, index + 2)));
    }
    // A take-back that names no purchase of its own sentence: "... forget the phone".
    if (
      !changes &&
      negated[index] === true &&
      reading.items.length === 0 &&
      word !== "" &&
      !excluded(index)
    ) {
      at(index, index + 1, questions.hesitant(text(index, index + 3)));
    }
    // "2 USB-C cables for me, and the same for my wife": as many again, or the one order for
    // both? Read as nothing, half of it was bought.
    const sameAgain =
      word === "ditto" ||
      (word === "same" && ["for", "again", "too", "also"].includes(plain[index + 1] ?? ""));
    const repeatedItem = sameAgain
      ? reading.items.findLast((item) => item.end <= index)
      : undefined;
    if (repeatedItem !== undefined && !namesProductAfter(plain, index + 1, catalog)) {
      at(index, index + 1, questions.repeated(repeatedItem.product));
    }
    // "Buy 3 XYZ phones, remove one", "..., minus one": a count taken off that names nothing
    // after it. One fewer, or which one? Read as nothing taken back, all 3 were bought.
    const count = isNumeral(tokens[index]) || isNumberWord(word);
    const before = plain[index - 1] ?? "";
    if (
      count &&
      (isTakingBack(before) || before === "minus") &&
      !namesProductAfter(plain, index + 1, catalog)
    ) {
      at(index, index + 1, questions.hesitant(text(Math.max(0, index - 1), index + 1)));
    }
    const spelled = isNumberWord(word) && word !== "one";
    if (
      (isNumeral(tokens[index]) || spelled) &&
      consumed[index] !== true &&
      negated[index] !== true
    ) {
      at(index, index + 1, questions.unreadNumber(text(index, index + 2)));
    }
    if (MONEY_WORDS.has(word) && consumed[index] !== true) {
      const end = AFTER_MONEY_JOINERS.has(plain[index + 1] ?? "") ? index + 1 : index + 2;
      at(index, index + 1, questions.unreadPrice(text(Math.max(0, index - 1), end)));
    }
  });
  // A denial with nothing after it to deny: "buy 2 XYZ phones, not!", "..., or not".
  const last = plain.findLastIndex((word) => word !== "" && !isPunctuation(word));
  if (last >= 0 && isDenial(plain[last] ?? "") && !changes) {
    at(last, last + 1, questions.hesitant(text(last, last + 1)));
  }
  // A part of a product's name left over: "3 XYZ phone and case", "one is enough".
  plain.forEach((word, index) => {
    // "in case one breaks", "never mind the case" use a name's word for something else.
    const idiom = plain[index - 1] === "in" || plain.slice(index - 3, index).includes("mind");
    // "My cable frayed.": the person's own thing, in a sentence that asks for nothing.
    const owned = reading.items.length === 0 && OWNERS.has(plain[index - 1] ?? "");
    const partial =
      (productsWithWord(word, catalog).length > 0 && !idiom && !owned) || word === "single";
    const alone = word === "one" && reading.items.length === 0;
    if ((partial || alone) && consumed[index] !== true && negated[index] !== true) {
      at(index, index + 1, questions.unreadNumber(text(index, index + 1)));
    }
  });
  for (const price of reading.prices) {
    if (price.limit === undefined) {
      at(price.start, price.end, questions.unreadPrice(text(price.start, price.end)));
    }
  }
  for (const item of reading.items) {
    // "the 499 XYZ phone", "that 20 USB-C cable": one thing, named with a number (a price, a
    // model, a size), not a count of them, which would be written "the 2 XYZ phones". So is a
    // number of three digits or more before a singular name ("buy 499 XYZ phone"): a price
    // tag more likely than a count whose plural was forgotten, as it is in "2 XYZ phone".
    const count = item.quantity;
    if (
      count !== undefined &&
      "value" in count.quantity &&
      count.quantity.value > 1 &&
      !item.plural &&
      !hasPluralName(item.product)
    ) {
      const determiner = SINGLE_DETERMINERS.has(plain[count.start - 1] ?? "");
      const from = determiner ? count.start - 1 : count.start;
      const priceLike =
        count.quantity.value >= PRICE_LIKE_COUNT &&
        isNumeral(tokens[count.start]) &&
        count.end <= item.start;
      if (determiner || priceLike) {
        at(from, item.end, questions.unreadNumber(text(from, item.end)), true);
      }
    }
    // A count written after the last of several items, the ones before it counted by nothing:
    // "xyz phone + case x2" may be two of each (the pair twice), or two cases and one phone.
    const uncounted = reading.items.find(
      (other) => other.end <= item.start && other.quantity === undefined,
    );
    if (uncounted !== undefined && item.quantity !== undefined && item.quantity.start >= item.end) {
      at(item.start, item.quantity.end, questions.quantityMissing(uncounted.product));
    }
    // Another item's count right after a singular name, with nothing between: "xyz phone 2
    // usb-c cable" may name an "XYZ phone 2", or a list whose separator was left out.
    if (
      !item.plural &&
      isNumeral(tokens[item.end]) &&
      reading.items.some((other) => other !== item && other.quantity?.start === item.end)
    ) {
      at(item.start, item.end + 1, questions.unreadNumber(text(item.start, item.end + 1)));
    }
    // Another product's name right after, with nothing between, is a word beside this one too:
    // "2 XYZ phone USB-C cable" may be 2 cables for the phone, not 2 phones and a cable.
    const after = plain[item.end] ?? "";
    // "USB-C cable qty 3": the count's own marker, read with it.
    const countAfter =
      item.quantity !== undefined &&
      item.end >= item.quantity.start &&
      item.end < item.quantity.end;
    if (
      /^\p{L}/u.test(after) &&
      !countAfter &&
      !AFTER_NAME.has(after) &&
      !BOUNDARIES.has(after) &&
      !FILLERS.has(after) &&
      !OBJECT_END.has(after) &&
      !isDenial(after)
    ) {
      at(
        item.end,
        item.end + 1,
        questions.unreadDetail(
          text(item.start, item.end + 1),
          item.product,
          text(item.end, item.end + 1),
        ),
      );
    }
    let beforeAt = item.start - 1;
    // "a box of USB-C cables": what the "of" is about.
    while (["of", "the"].includes(plain[beforeAt] ?? "") && beforeAt > 0) beforeAt -= 1;
    const before = plain[beforeAt] ?? "";
    // "3× USB-C cable", "3 * USB-C cables": the sign of its count, after the count. Not between
    // two names ("an XYZ phone × USB-C cable"), where it says nothing the reader knows.
    const countSign =
      ["×", "*"].includes(before) && item.quantity?.end === beforeAt && beforeAt > 0;
    const inQuantity =
      countSign ||
      (item.quantity !== undefined &&
        beforeAt >= item.quantity.start &&
        beforeAt < item.quantity.end);
    if (
      beforeAt >= 0 &&
      before !== "" &&
      !inQuantity &&
      !BEFORE_NAME.has(before) &&
      // "maybe" may open a request ("Can you maybe order ..."), not stand before a name: "2
      // maybe XYZ phones" is in doubt.
      (!LEADING.has(before) || HEDGES.has(before)) &&
      !FILLERS.has(before) &&
      !BOUNDARIES.has(before) &&
      !POSSESSIVES.has(before) &&
      !isPurchaseVerb(before) &&
      !isNumberWord(before) &&
      !isNumeral(tokens[beforeAt]) &&
      !isDenial(before) &&
      !reading.items.some((other) => other.end === item.start)
    ) {
      // One word before the name ("a refurbished XYZ phone") is what a "yes" leaves out; not
      // "a box of", whose count a "yes" would leave unsaid.
      const detail = beforeAt === item.start - 1 ? text(beforeAt, item.start) : undefined;
      at(
        beforeAt,
        item.start,
        questions.unreadDetail(text(beforeAt, item.end), item.product, detail),
      );
    }
  }
  return doubts;
}

/**
 * The products a negation takes out by name: each run of negated words ("not the laptop",
 * "forget the XYZ phone", "minus the cable") and what it names, a product or a word of several
 * names ("phone": XYZ phone or XYZ phone case), to be matched against what was asked before.
 */
function exclusionsOf({
  tokens,
  plain,
  negated,
  mentions,
  sentence,
  catalog,
}: {
  tokens: Sentence["tokens"];
  plain: readonly string[];
  negated: readonly boolean[];
  mentions: readonly ProductMention[];
  sentence: number;
  catalog: readonly CatalogProduct[];
}): SentenceReading["exclusions"] {
  const exclusions: SentenceReading["exclusions"] = [];
  for (let start = 0; start < plain.length; start += 1) {
    if (negated[start] !== true) continue;
    let end = start;
    while (end < plain.length && negated[end] === true) end += 1;
    const products = new Map<string, CatalogProduct>();
    // Words of names together name the products that have them all: "phone case".
    let partial: CatalogProduct[] | undefined;
    let count: number | undefined;
    for (let index = start; index < end; index += 1) {
      const counted = count === undefined ? quantityAt(tokens, index, true) : undefined;
      if (counted !== undefined && "value" in counted.quantity) count = counted.quantity.value;
      const mention = mentions.find((m) => m.start === index);
      if (mention !== undefined) {
        products.set(mention.product.name, mention.product);
        index = mention.end - 1;
        continue;
      }
      if (mentions.some((m) => index >= m.start && index < m.end)) continue;
      // "not the phone" is the XYZ phone, not its case: a word is first the name it ends.
      const word = singular(plain[index] ?? "");
      const all = productsWithWord(word, catalog);
      const heads = all.filter((p) => singular(nameTokens(p.name).at(-1) ?? "") === word);
      const named = heads.length > 0 ? heads : all;
      if (named.length > 0) partial = (partial ?? named).filter((p) => named.includes(p));
    }
    for (const product of partial ?? []) products.set(product.name, product);
    if (products.size > 0) {
      const said = typedText(tokens.slice(start, end));
      const exclusion = { sentence, start, end, products: [...products.values()], said };
      exclusions.push(count === undefined ? exclusion : { ...exclusion, count });
    }
    start = end;
  }
  return exclusions;
}

/** Words after which a short name stands as an item: "a case", "2 cables", "buy laptops". */
const ITEM_OPENERS = new Set(
  "a an the one another more extra of me us him her them just only".split(" "),
);
/** Words that, before a short name's count or article, make it something else: "in case". */
const NOT_ITEM_BEFORE = new Set(
  "in for to with into on about from than like mind fits fit my your his her our their its".split(
    " ",
  ),
);
const LIST_SEPARATORS = new Set([",", "and", "+", "&", "plus"]);
/** Words that join an item to the list before it: "..., and 2 cables", "plus a case". */
const ITEM_JOINERS = new Set(["and", "+", "&", "plus", "also", "then"]);
/** What may stand between a short name and the word that says what it is: "for my 2". */
const ITEM_LEAD = new Set("a an the one this that these those".split(" "));

/**
 * Whether a short name at `start` stands as an item of its own: right after its count, an
 * article or a verb of buying ("2 cables", "and a case", "buy laptops"), never bare after a
 * count of something else ("3 XYZ phones and case": 3 cases?), nor owned or a purpose ("for my
 * 2 laptops", "in case", "a case for the phone", "with a case").
 */
function standsAsItem(tokens: Sentence["tokens"], start: number): boolean {
  const before = tokens[start - 1];
  if (before === undefined) return false;
  const word = before.word;
  // Bare after a list's separator ("an XYZ phone and case", "+ cable") only with no count
  // above one before it: "3 XYZ phones and case" may mean 3 cases.
  const bare =
    LIST_SEPARATORS.has(word) &&
    tokens
      .slice(0, start)
      .every(
        (token) => !((token.number ?? 0) > 1 || (isNumberWord(token.word) && token.word !== "one")),
      );
  if (!(
    bare ||
    ITEM_OPENERS.has(word) ||
    isNumeral(before) ||
    isNumberWord(word) ||
    isPurchaseVerb(word)
  )) {
    return false;
  }
  let at = start - 1;
  while (at > start - 4 && at >= 0) {
    const token = tokens[at];
    const lead = token?.word ?? "";
    if (NOT_ITEM_BEFORE.has(lead)) return false;
    if (!(ITEM_LEAD.has(lead) || isNumeral(token) || isNumberWord(lead))) break;
    at -= 1;
  }
  return !NOT_ITEM_BEFORE.has(tokens[at]?.word ?? "");
}

/** Determiners and the like that may stand in a read negation: "not the laptop", "no more". */
const IN_NEGATION = new Set("a an the any more of my our this that these those".split(" "));
/**
 * "not more 400", "no more 2": at most that, a count or an amount, with no "than" and no
 * currency (read as a limit with one: `price-limits.ts`). Not a number taken back: the number
 * says something unread.
 */
function notMoreBefore(plain: readonly string[], index: number): boolean {
  return plain[index - 1] === "more" && ["no", "not"].includes(plain[index - 2] ?? "");
}
/** What may name who a purchase is for: "for my mom", "for the office", "for us". */
const RECIPIENT_OPENERS = new Set([...POSSESSIVES, "the", "a", "an", "our"]);

/**
 * Words that join one more thing to a list, or open what a preposition or an article was to
 * name: at the end of a sentence, with nothing after them, something is left unsaid, a model's
 * name ("an XYZ phone Plus") or the rest of a message sent too soon ("2 USB-C cables and", "...
 * for", "... as well as", "... for my").
 */
const TRAILING_JOINERS = new Set(
  (
    "plus and & + with but except without besides minus as for to from of at by into " +
    "a an the my our your their"
  ).split(" "),
);
/** What may follow such a joiner and still leave it with nothing: "and then", "and also". */
const JOINER_TAILS = new Set(["then", "of", "also"]);
/**
 * Words that say more is coming when nothing before them in their clause joins them to it:
 * "..., then", "..., also", "... Also". ("Buy 2 XYZ phones then" concludes, and "... also" with
 * no comma is "too": both are read.)
 */
const MORE_TO_COME = new Set(["then", "also"]);
/**
 * Whether `plain[index]` joins one more thing to what was said, with nothing after it in its
 * sentence but punctuation (a limit is something: "but don't spend more than $700"): "2 USB-C
 * cables and", "..., but", "... and then", "... instead of", "..., then", "... for" ("...
 * instead" is a change).
 */
function joinsNothing(
  tokens: Sentence["tokens"],
  plain: readonly string[],
  index: number,
): boolean {
  const word = plain[index] ?? "";
  const previous = plain[index - 1] ?? "";
  const joiner =
    TRAILING_JOINERS.has(word) ||
    (word === "instead" && plain[index + 1] === "of") ||
    (JOINER_TAILS.has(word) && (TRAILING_JOINERS.has(previous) || previous === "instead")) ||
    (MORE_TO_COME.has(word) && (previous === "," || plain.slice(0, index).every(isPunctuation)));
  return (
    joiner &&
    tokens
      .slice(index + 1)
      .every((token) => /^[,.!]?$/u.test(token.word) || JOINER_TAILS.has(token.word))
  );
}

/** Who says they have a thing: "I have an XYZ phone", "we have". */
const HOLDERS = new Set(["i", "we"]);
/** Words between "have" and the product had: "I have an XYZ phone", "we have 2 old ...". */
const HAD_LEAD = new Set(["a", "an", "the", "one", "two", "2", "old", "new", "already"]);

/**
 * Whether `plain[at]` says the person has one of the shop's products ("I have an XYZ phone,
 * buy it", "We have 2 XYZ phones"): "have" is a verb of buying only as the sentence's request
 * ("Can I have ..."), and was read as one here. Not "I have to buy", "I have $900".
 */
function ownsAt(
  plain: readonly string[],
  at: number,
  intent: number,
  catalog: readonly CatalogProduct[],
): boolean {
  if (at === intent || !["have", "has"].includes(plain[at] ?? "")) return false;
  if (!HOLDERS.has(plain[at - 1] ?? "")) return false;
  let next = at + 1;
  while (HAD_LEAD.has(plain[next] ?? "") && next < at + 3) next += 1;
  return productsWithWord(plain[next] ?? "", catalog).length > 0;
}

/**
 * The words of a sentence the reader did not account for: not part of a read item, count,
 * limit, change or take-back, not a courtesy or the grammar of a request ("could you please
 * ... for me"), not who it is for ("for my mom"). What is left may change what to buy ("in
 * blue", "at some point", "psych"), so a purchase beside it is asked about.
 */
function unreadWords({
  tokens,
  plain,
  negated,
  consumed,
  catalog,
  intent,
}: {
  tokens: Sentence["tokens"];
  plain: readonly string[];
  negated: readonly boolean[];
  consumed: readonly boolean[];
  catalog: readonly CatalogProduct[];
  /** Where the verb of buying is, misspelt or not ("Purchse 2 XYZ phones"). */
  intent: number;
}): number[] {
  const accounted = plain.map(
    (word, index) =>
      word === "" ||
      consumed[index] === true ||
      (isHarmlessWord(word) && !ownsAt(plain, index, intent, catalog)) ||
      index === intent ||
      // "Never mind the case, buy ...": a name's word in a take-back of nothing asked.
      (productsWithWord(word, catalog).length > 0 &&
        plain.slice(index - 3, index).includes("mind")) ||
      (negated[index] === true &&
        (isNegationWord(word) ||
          IN_NEGATION.has(word) ||
          ((isNumberWord(word) || isNumeral(tokens[index])) && !notMoreBefore(plain, index)) ||
          productsWithWord(word, catalog).length > 0)),
  );
  for (let index = 0; index < plain.length; index += 1) {
    // "make an order for", "put in an order for": the grammar of a verb of buying.
    const length = Math.max(courtesyAt(plain, index), orderPhraseAt(plain, index));
    for (let at = index; at < index + length; at += 1) accounted[at] = true;
    // "never mind the case", "get my wife an XYZ phone": whose it is, right after the verb. Not
    // the first words of a sentence with no verb: "My treat." says more than whose it is.
    if (
      (plain[index] === "never" && plain[index + 1] === "mind") ||
      (intent >= 0 && index === intent + 1 && POSSESSIVES.has(plain[index] ?? ""))
    ) {
      accounted[index] = true;
      accounted[index + 1] = true;
    }
    if (isEncouragement(plain, index, intent)) accounted[index] = true;
    // "... to my cart and check out", "... and pay for it": the checkout of the cart the sentence
    // filled (`checkedOut`), as "... and buy it" is.
    if (checksOutAt(plain, index) && plain.slice(0, index).some((_, at) => isCartAt(plain, at))) {
      accounted[index] = true;
      if (["out", "for"].includes(plain[index + 1] ?? "")) accounted[index + 1] = true;
    }
    // "my budget's $280": the limit's cue "my budget is", contracted, before the limit it reads.
    if (["budget's", "limit's"].includes(plain[index] ?? "") && consumed[index + 1] === true) {
      accounted[index] = true;
      if (POSSESSIVES.has(plain[index - 1] ?? "")) accounted[index - 1] = true;
    }
  }
  plain.forEach((word, index) => {
    // "for my mom", "to my office": up to three words, no number, to the clause's end. A number
    // that counts nothing is a word there ("for my 10-year-old", "for the 3rd floor office").
    if (!["for", "to"].includes(word) || !RECIPIENT_OPENERS.has(plain[index + 1] ?? "")) return;
    let end = index + 2;
    const wordAt = (at: number) => /^\p{L}/u.test(plain[at] ?? "") || isContextNumber(tokens[at]);
    while (end < plain.length && end <= index + 4 && wordAt(end)) {
      const next = plain[end] ?? "";
      // "for my mom and dad": one more word after an "and" that ends the sentence.
      if (next === "and" && end + 2 === plain.length && /^\p{L}/u.test(plain[end + 1] ?? "")) {
        end += 2;
        break;
      }
      if (isBoundaryWord(plain, end) || isNumberWord(next) || OBJECT_END.has(next)) break;
      end += 1;
    }
    if (end < plain.length && !isBoundaryWord(plain, end) && plain[end] !== "") return;
    for (let at = index; at < end; at += 1) accounted[at] = true;
  });
  // "3 XYZ phones for each of us", "an XYZ phone each", "buy us both an XYZ phone": a count per
  // person, times how many? (A price's "each" was read with it.) "Take away the XYZ phone",
  // "Add up 2 XYZ phones and ...": no purchase but for the verb's harmless words ("right away",
  // "pick up").
  // "Order them both (now).": "both" ends the order, standing for what was named before.
  const endsOrder = (index: number) =>
    plain
      .slice(index + 1)
      .every((word) => word === "" || FILLERS.has(word) || AFTER_OBJECT.has(word));
  plain.forEach((word, index) => {
    const previous = plain[index - 1] ?? "";
    const perPerson =
      (["each", "apiece"].includes(word) && consumed[index] !== true) ||
      (word === "both" && ["us", "them", "you", "for"].includes(previous) && !endsOrder(index)) ||
      (word === "all" && (previous === "for" || plain[index + 1] === "of"));
    if (
      perPerson ||
      (word === "away" && previous !== "right") ||
      (word === "up" && previous === "add") ||
      joinsNothing(tokens, plain, index)
    ) {
      accounted[index] = false;
    }
  });
  return indicesWhere(plain, (_, index) => accounted[index] !== true);
}

/** What may follow "do it" in encouragement: "now", "please", "right away", "for me". */
const ENCOURAGEMENT_TAIL = new Set(
  "now please asap already right away then thanks thank you for me us".split(" "),
);

/**
 * Whether the "do" at `at` opens encouragement after the order, as "Go." does and as "Do it."
 * before the order does: "Buy an XYZ phone. Do it now.", "... Please do it.", "..., just do
 * it". "do it", "do this" or "do that" opens its clause (past "please", "ok", "just") and
 * only such words as "now" and "please" follow, or come before the order's verb (`intent`):
 * "Do it, buy an XYZ phone", "Ok do it: buy ...". "Do it?", "Do it with a case", "Do it again"
 * or "Do that instead" say more, and are asked about.
 */
function isEncouragement(plain: readonly string[], at: number, intent: number): boolean {
  if (plain[at] !== "do" || !["it", "this", "that"].includes(plain[at + 1] ?? "")) return false;
  const clause = plain.slice(0, at).findLastIndex((word) => [",", ";", "and"].includes(word)) + 1;
  // "Just do it.": "just" before it too.
  const opens = plain[at - 1] === "just" ? at - 1 : at;
  // "Do it, buy an XYZ phone", "Do it: buy ...", "Do it - buy ...": before the order's verb,
  // only up to it.
  const tail = plain.slice(at + 2, intent > at ? intent : undefined);
  return (
    clause + openingOf(plain.slice(clause, opens)) === opens &&
    tail.every((word) => ENCOURAGEMENT_TAIL.has(word) || (isPunctuation(word) && word !== "?"))
  );
}

/**
 * Where the denial of "do it", "do this" or "do that" at `at` starts ("Don't do it", "Do not
 * do this", "Never do that"), or -1 when the "do" at `at` is not denied.
 */
function deniedDoAt(plain: readonly string[], at: number): number {
  if (plain[at] !== "do" || !["it", "this", "that"].includes(plain[at + 1] ?? "")) return -1;
  if (["don't", "dont", "never"].includes(plain[at - 1] ?? "")) return at - 1;
  return plain[at - 1] === "not" && plain[at - 2] === "do" ? at - 2 : -1;
}

/** The whole numbers from `from` up to, not including, `to`. */
function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, at) => from + at);
}

function indicesWhere<T>(list: readonly T[], keep: (item: T, index: number) => boolean): number[] {
  return list.flatMap((item, index) => (keep(item, index) ? [index] : []));
}

/**
 * Words read between two unread ones that a quote of them keeps ("a surprise for dad"), unless
 * one is of a product's name; and harmless words after the last that end the sentence ("let me
 * sleep on it").
 */
const QUOTE_GAP = 3;
/** Marks written against the word before them, and after which the next word follows at once. */
const CLOSING_MARKS = new Set([",", ".", ":", ";", "!", "?", ")"]);
const OPENING_MARKS = new Set(["(", "$", "#"]);

/**
 * The words read as nothing, as the person typed them, for a question to quote: each run of
 * them with the few words between ("make it a surprise for dad", not "make surprise dad"; "User
 * intent summary: wants"), and runs further apart joined by "…" ("twins … each").
 */
function quotedWords({
  tokens,
  words,
  named,
  unread,
}: Pick<SentenceReading, "tokens" | "words" | "named" | "unread">): string {
  const runs: number[][] = [];
  for (const index of unread) {
    const run = runs.at(-1);
    const last = run?.at(-1);
    const between = last === undefined ? [] : range(last + 1, index);
    if (
      run !== undefined &&
      between.length <= QUOTE_GAP &&
      !between.some((at) => named[at] === true)
    ) {
      run.push(...between, index);
    } else {
      runs.push([index]);
    }
  }
  const final = runs.at(-1);
  const tail = words.slice((final?.at(-1) ?? words.length) + 1);
  const ending = tail.findIndex((word) => CLOSING_MARKS.has(word));
  const rest = ending === -1 ? tail : tail.slice(0, ending);
  if (final !== undefined && rest.length <= QUOTE_GAP && rest.every((w) => isHarmlessWord(w))) {
    const from = (final.at(-1) ?? 0) + 1;
    final.push(...range(from, from + rest.length));
  }
  return runs
    .map((run) => typedText(run.map((index) => tokens[index] ?? { text: "" })))
    .join(" \u2026 ");
}

/** Marks that a quote neither opens nor ends with. */
const EDGE_MARKS = new Set([",", ".", ":", ";"]);

/**
 * Words as the person typed them, for a question to quote: "under $500", "Re: order #48213",
 * "(USD)"; a comma, colon or bracket the words end or open with but do not close is left out.
 */
function typedText(words: readonly Pick<Token, "text" | "joined">[]): string {
  const texts = words.map(({ text }) => text);
  let from = 0;
  let to = texts.length;
  const unclosed = (at: number) => texts[at] === "(" && !texts.slice(at, to).includes(")");
  const unopened = (at: number) => texts[at] === ")" && !texts.slice(from, at).includes("(");
  while (from < to && (EDGE_MARKS.has(texts[from] ?? "") || unclosed(from) || unopened(from))) {
    from += 1;
  }
  while (
    to > from &&
    (EDGE_MARKS.has(texts[to - 1] ?? "") || unopened(to - 1) || unclosed(to - 1))
  ) {
    to -= 1;
  }
  const tokens = words.slice(from, to);
  return tokens.reduce(
    (text, { text: word, joined }, at) =>
      at === 0 || CLOSING_MARKS.has(word) || OPENING_MARKS.has(tokens[at - 1]?.text ?? "")
        ? text + word
        : `${text}${joined ?? " "}${word}`,
    "",
  );
}

/** Before any sentence: where the request is in the text, whose words it is, and its money. */
const BEFORE_ALL = { sentence: -1, start: 0, end: 0 };
/** Words that name who speaks in a transcript or a prompt: "User:", "### Instruction:". */
const ROLES =
  "system|sys|assistant|user|human|developer|dev|admin|administrator|ai|bot|model|" +
  "instructions?|prompt|operator|context|tool|function|agent|gpt|chatgpt|claude|root|input|output|response";
const INJECTED = [
  // A role word and a colon opening a line or a sentence, after any markup: "User:", "### Instruction:".
  new RegExp(`(?:^|[\\n.!?;>"'\\]|)}*#\\-]\\s*)((?:${ROLES})\\s*:)`, "im"),
  // Markup of chat templates and prompts: "###", "[INST]", "<|system|>", "<<SYS>>", "<s>".
  /(#{2,}|\[\/?\s*(?:inst|sys|system|user|assistant)\s*\]|<\|[^|>]*\|>|<<\/?\s*sys\s*>>|\{\{[^}]*\}\})/i,
  /(<\/?\s*[a-z][\w-]*\s*\/?>)/i,
  /\b(ignore\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:previous|prior|above|earlier|other)\b)/i,
];
/** "e.g. buy 2 XYZ phones": an example, whose dots split it from the words after it. */
const EXAMPLE = /\b(e\.\s?g\.)/i;
/**
 * Quotation marks, a word opened by an apostrophe ('buy ...), and code: backticks ("`buy 100
 * XYZ phones`") and the marks of a comment ("// buy ...", or one between slash-stars), text set
 * apart rather than asked for. A mark is taken with what follows it up to the next mark (an
 * apostrophe's to one that ends a word): the question shows what was quoted, not the mark alone.
 */
const QUOTES = [
  /(["`\u201c\u201d\u201e\u00ab\u00bb]+[^"`\u201c\u201d\u201e\u00ab\u00bb]*)/u,
  // A line quoted as an email or Markdown quotes it ("> On Mon, Bob wrote:", "> > buy 3"), not
  // "> $500" (more than $500, asked about as money).
  /(?:^|\n)[ \t]*((?:>[ \t]*)+\p{L}[^\n]*)/u,
  /(?:^|[\s:([])(['\u2018]\p{L}(?:[^'\u2019\n]|['\u2019](?=\p{L}))*)/u,
  /(?:^|\s)(\/\/|\/\*|\*\/)/u,
];
/**
 * Money the reader cannot read as dollars: other currencies, comparison signs but "<", "≤" and
 * "<=" before an amount of dollars (which it reads as limits), "1.000", cents
 * ("50¢") and an amount with no digit before its point ("$.50"), which read without the
 * point or the sign would be 50 dollars; thousands set apart by a space ("1 200 dollars"),
 * which would be a limit of 1, but where `joinThousands` reads them as one amount.
 */
const FOREIGN_MONEY = new RegExp(
  String.raw`([\u00a3\u20ac\u00a5\u20b9]\s*\d*|(?:[>\u2265]=?|<(?!=)(?!${SIGNED_AMOUNT})|(?:<=|=<|[\u2264\u2a7d])(?!${SIGNED_AMOUNT})(?!\s*\d))\s*\$?\d*|\d+\.\d{3}(?!\d)|\d*\s*\u00a2|(?<![\p{L}\p{N}.])\.\d+|(?<![\d.,])\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?![\d.,]))`,
  "u",
);

/**
 * Two amounts of money joined by a dash, one of them in dollars: "$400-$500", "$500 – 600",
 * "400-500 dollars". Which is the most to pay: the top, or the bottom of "under $500-600"? Asked,
 * with the question of any unread price ("What is the most you want to pay?"): dropped, the dash
 * left "$400 $500", which was asked about as a count. Not "2-3 XYZ phones", no money.
 */
const DASHED_PRICE_RANGE = new RegExp(
  String.raw`((?:\$\s*\d[\d,.]*[kK]?\s*[-\u2010-\u2015\u2212]\s*\$?\s*\d[\d,.]*[kK]?)|(?:\d[\d,.]*[kK]?\s*[-\u2010-\u2015\u2212]${SIGNED_AMOUNT}\s*\$?\s*\d[\d,.]*[kK]?))`,
  "u",
);

/**
 * The box of a task list's line, ticked or not: "- [x] XYZ phone", "- [ ] ABC laptop". A ticked
 * line may be done (bought already) or chosen, an empty one still to do or left out; read as a
 * plain list, every line was bought.
 */
const TASK_BOX =
  /^[ \t]*(?:[-*+\u2022][ \t]*|\d+[.)][ \t]*)?(\[[ \t]*[xX\u2713\u2714\u2717\u2718]?[ \t]*\])/mu;

/**
 * Emoji of doubt or refusal: "buy 2 XYZ phones 🤔", "... 👎", "...? 😅". The reader drops emoji
 * with the other signs it does not read, so these would leave a request that reads as sure.
 */
const DOUBTFUL_EMOJI = new RegExp(
  `([${[...new Set(DOUBTFUL_EMOJI_BY_CODE.values())].join("")}])`,
  "u",
);

/**
 * An emoji the reader knows no glad or plain sense of: "buy 2 XYZ phones 🧢" (a lie), "... 🫸"
 * (stop), "... ☠️". Emoji say more than their names, often the opposite of the words (sarcasm,
 * a joke, a stop sign), and no list of doubtful ones is whole: the reader buys beside the glad,
 * thankful and plain ones (`GLAD_EMOJI`, and ©, ®, ™ after a name) and asks about any other.
 * A sequence joined by zero-width joiners ("👩‍💻", "🙂‍↕️", "🏳️‍🌈") is read by its first emoji.
 */
const UNREAD_EMOJI = new RegExp(`((?<!\\u200d)(?![${GLAD_EMOJI}])\\p{Extended_Pictographic})`, "u");

/**
 * A number written with an exponent: "1e3 USB-C cables". Read as JavaScript reads it, that is
 * 1000; a shopper who typed it may mean 1000, or "1e3" may be a model or a code. Whether it is
 * a count at all is for the person to say.
 */
const EXPONENT_NUMBER = /(?<![\p{L}\p{N}.])(\d+(?:\.\d+)?[eE][+-]?\d+)(?![\p{L}\p{N}])/u;

/**
 * A superscript or subscript digit: "² XYZ phones", "USB-C cables ×²", "₂". The reader makes it
 * a plain digit of its own, so alone it was a count; it may be a power, a footnote or a base.
 */
const RAISED_NUMBER = /([\u00b2\u00b3\u00b9\u2070-\u2079\u2080-\u2089]+)/u;

/**
 * A number inside a direction override (U+202D, U+202E): the screen shows its digits in the
 * other order, "buy \u202e21\u202c USB-C cables" as "buy 12 USB-C cables", while the reader,
 * which drops the marks, read 21. Which one the person meant, the reader cannot know.
 */
const OVERRIDDEN_NUMBER = /[\u202d\u202e]([^\u202c\u2069\n]*\d[^\u202c\u2069\n]*)/u;

/**
 * Text struck through, in Markdown ("~~and an XYZ phone~~") or with combining strokes
 * ("X\u0336Y\u0336Z\u0336"): shown crossed out, it is taken back, or kept to be seen; the reader drops
 * the marks and read it as asked.
 */
const STRUCK = /(~~[^~\n]+~~|\S*[\u0335-\u0338]\S*)/u;

/**
 * A tag that turns a request into a question, or doubts it: "buy 2 XYZ phones, right?",
 * "..., really?", "..., is it?", and set off by punctuation "..., yeah?", "...; yes?", "... hm?",
 * "(yeah?)", "... - uh?". "..., ok?" asks politely, as "please" does. A question mark alone
 * after a request ("buy 2 XYZ phones?") asks for it, as "Can I get 2 XYZ phones?" does.
 */
const TAG_QUESTION =
  /(?<![\p{L}\p{N}'\u2019])((?:really|right|is it|isn'?t it|is that right|seriously|sure|correct|ok or not|yes or no|thoughts|(?<=[,;.(\u2026\u2013\u2014-]\s*)(?:yeah|yea|yes|yep|no|eh|uh|huh|h+m+))[\s\p{P}\p{S}\u200b-\u200d\u2060]*[?\u037e\u061f\u203d\u2047-\u2049\u2e2e\ufe56\uff1f])/iu;

/**
 * "Yeah, right", "sure, sure" and "yeah, yeah": disbelief or a shrug, said before or after the
 * request ("buy 2 XYZ phones, yeah… right"), not "yeah, right away".
 */
const YEAH_RIGHT =
  /\b(yeah[\s,.\u2026]*right|sure[\s,.\u2026]+sure|yeah?[\s,.\u2026]+yeah?)\b(?![\s,]+(?:away|now|then|here|there|after))/iu;

/**
 * A request cut off at a dash: "Buy 2 XYZ phones —", "... -": what came after it is not
 * known. Not a dash at the start of a line, a list's bullet or a signature's.
 */
const TRAILING_DASH = /(\S+[^\S\n]+(?:[\u2013\u2014]|-{1,2}))[^\S\n]*$/u;

/**
 * A request cut off at a colon or an opening bracket: "Buy 2 XYZ phones:", "... (": what was
 * to follow is not known, as after a dash. Not the colon that closes an emoji code (":x:").
 */
const TRAILING_OPENING = /(\S+[^\S\n]*(?:(?<!:[\w+-]+):|[([{]))[^\S\n]*$/u;

/**
 * A request that trails off at an ellipsis: "Buy 2 XYZ phones …", "...", ". . .": the person
 * had more to say. Not two dots, as often a period typed twice.
 */
const TRAILING_ELLIPSIS = /(\S+[^\S\n]*(?:\u2026|\.{3,}|\.(?:[^\S\n]\.){2,}))[^\S\n]*$/u;

/**
 * The sounds of one who hesitates or doubts: "hmm", "hmph", "mmm", "um", "uh", "er", "erm", "eh",
 * "ehh", "meh", any of their letters drawn out.
 */
const HESITATION = "h+m+(?:p+h+)?|m{2,}|m+e+h+|u+m+|u+h+|e+r+m*|e+h+";

/**
 * A request that trails off in doubt: "buy an XYZ phone. hmm", "..., um", "..., uh", "..., er",
 * "buy an XYZ phone… really", "... sure".
 */
const TRAILING_DOUBT = new RegExp(
  `(?:^|[\\s,.;:!\\u2026\\u2013\\u2014-])((?:${HESITATION})[\\s.!\\u2026]*|(?<=(?:\\u2026|\\.\\.\\.)\\s*)(?:really|sure)[\\s.!\\u2026]*)$`,
  "iu",
);

/**
 * A request that opens with a hesitation set off as one ("Hmm. Buy an XYZ phone.", "Hmm, buy
 * ...", "Um... buy ..."): the person weighed it and may not have decided, as "Maybe." before
 * it says; it was bought, while the same "Hmm." after the request asked. Run into the words
 * with nothing to set it off ("um buy uh two wireless headphones"), as dictation writes its
 * fillers, it is speech, and the request stands.
 */
const LEADING_DOUBT = new RegExp(
  `^[^\\S\\n]*((?:${HESITATION})[^\\S\\n]*[,.;:!?\\u2026\\u2013\\u2014-]+)`,
  "iu",
);

/**
 * Emoticons typed as text the reader reads as glad: a smile, ":D", "^_^". Any other face asks
 * (`unreadEmoticon`).
 */
const GLAD_EMOTICONS = new Set([
  ":)",
  ":-)",
  ":]",
  ":-]",
  "=)",
  "=]",
  "(:",
  "(-:",
  ":D",
  ":-D",
  "=D",
  "^_^",
  "^^",
  "^-^",
  "(^_^)",
  "(^^)",
]);

/**
 * A face at the end of a word, typed with no space before it: eyes (":", ";", "="), maybe a
 * nose, and a mouth. After a letter or punctuation only: "10:30" and "1:1" are numbers.
 */
const ATTACHED_FACE = /(?<=[\p{L}\p{P}])([:;=]['-]?[()[\]/\\|PpOoDd])$/u;

/**
 * An emoticon typed as text, other than the glad ones (`GLAD_EMOTICONS`): a sad ":(", ":[",
 * "D:", a flat ":|", "-_-", "._.", a sceptical ":/", "¬_¬", a wink ";)", a tongue ":P", a flipped
 * table "(╯°□°)╯", a shrug. Like an emoji, a face says more than the words (sadness, a joke, a
 * shrug), and no list of doubtful ones is whole, so the reader asks about any face it does not
 * read as glad. A face is a word of signs with eyes (":", ";", "=", "_", "°", "¬" and the like)
 * and at most two of the letters faces are drawn with ("T_T", "o_O", "D:"); "?!", "..." and
 * "--" are punctuation, "re:" a word.
 */
function unreadEmoticon(text: string): string | undefined {
  for (const word of text.split(/\s+/u)) {
    // Typed against the word before it: "phones:(", "phones;)", "phones.:/".
    const attached = ATTACHED_FACE.exec(word)?.[1];
    if (attached !== undefined && !GLAD_EMOTICONS.has(attached)) return attached;
    // "<=", ">=", "=<": a limit, read with the price.
    if (word.length < 2 || GLAD_EMOTICONS.has(word) || /^[<>=!]+$/u.test(word)) continue;
    const letters = word.match(/\p{L}/gu) ?? [];
    if (/\p{N}/u.test(word) || letters.length > 2) continue;
    if (letters.some((letter) => !"DPpOoTtXxVvUu".includes(letter))) continue;
    if (/[:;=_\u00ac\u00b0\u00af\u256f\u253b\u25a1\u0ca0\u30c4\u2312]/u.test(word)) return word;
  }
  return undefined;
}

/** `unreadEmoticon` as the other doubts are looked for: a pattern whose first group is said. */
const UNREAD_EMOTICON = {
  exec: (text: string): [string, string] | null => {
    const face = unreadEmoticon(text);
    return face === undefined ? null : [face, face];
  },
};

type Questions = ReturnType<typeof questionsFor>;

/**
 * Doubts the words alone do not show, in the order they are looked for, and what each asks:
 * text that plays another role ("SYSTEM:", "</request>", "Assistant:"), an example ("e.g."), a
 * quotation (someone else's words), the boxes of a task list, emoji of doubt, struck text, and a
 * number with an exponent ("1e3"), raised ("²") or shown reversed.
 */
const TEXT_DOUBTS: [
  readonly { exec: (text: string) => readonly (string | undefined)[] | null }[],
  (questions: Questions, said: string) => Unclear,
][] = [
  [INJECTED, (questions, said) => questions.injected(said)],
  [[EXAMPLE], (questions, said) => questions.notNow(said)],
  [QUOTES, (questions, said) => questions.reported(said)],
  [
    [
      TASK_BOX,
      DOUBTFUL_EMOJI,
      UNREAD_EMOJI,
      UNREAD_EMOTICON,
      STRUCK,
      TAG_QUESTION,
      YEAH_RIGHT,
      TRAILING_DOUBT,
      LEADING_DOUBT,
      TRAILING_DASH,
      TRAILING_OPENING,
      TRAILING_ELLIPSIS,
    ],
    (questions, said) => questions.hesitant(said),
  ],
  [
    [EXPONENT_NUMBER, RAISED_NUMBER, OVERRIDDEN_NUMBER],
    (questions, said) => questions.unreadNumber(said),
  ],
];

/**
 * The first of `TEXT_DOUBTS` the text shows, else money the reader cannot read (£, €, "<",
 * "1.000" which is a thousand in some countries and one in others).
 */
function requestDoubts(text: string, questions: Questions): Problem[] {
  // Fullwidth letters read as letters ("ｒｅａｌｌｙ?"); what is found is shown as typed.
  const nfkc = text.normalize("NFKC");
  const folded = nfkc === text ? undefined : nfkc;
  for (const [patterns, ask] of TEXT_DOUBTS) {
    for (const pattern of patterns) {
      const said = (pattern.exec(text) ?? (folded && pattern.exec(folded)))?.[1]?.trim();
      if (said !== undefined) return [{ ...BEFORE_ALL, unclear: ask(questions, said) }];
    }
  }
  // Read as the sentences are, after NFKC: "≤ ＄５００" is "≤ $500", a limit in dollars.
  const normalized = joinThousands(withoutGladSigns(text).normalize("NFKC"));
  const money = (FOREIGN_MONEY.exec(normalized) ??
    DASHED_PRICE_RANGE.exec(normalized))?.[1]?.trim();
  if (money !== undefined) return [{ ...BEFORE_ALL, unclear: questions.unreadPrice(money) }];
  return [];
}

type ObjectReading =
  | { kind: "none"; quantity?: undefined }
  /**
   * `pronoun`: where the pronoun that stands for what was named before is ("order it"); `both`,
   * that it stands for two things ("order both", "them both", "the two of them").
   */
  | { kind: "missing"; quantity: QuantityPhrase | undefined; pronoun?: number; both?: true }
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
  // "yes please order the toaster": a yes before the verb is no part of what it orders.
  const opener = (word: string) =>
    LEADING.has(word) || isPurchaseVerb(word) || AFFIRMATIONS.has(word) || word === "sure";
  while (at < segment.end && opener(words[at] ?? "")) at += 1;
  if (negated[at] === true) return { kind: "none" };
  // "order it (for him)": "it" is also a word of "is it possible".
  const verb = segment.words.findIndex(
    (word, index) => index >= segment.start && index < at && isPurchaseVerb(word),
  );
  // "..., please order it", "Order it please.": "it" ordered after the sentence's first verb,
  // or with a courtesy after it, is the pronoun too.
  if (
    verb >= 0 &&
    words[verb + 1] === "it" &&
    words.slice(verb + 2, at).every((word) => AFTER_OBJECT.has(word)) &&
    (intent === verb || at === segment.end || OBJECT_END.has(words[at] ?? ""))
  ) {
    return { kind: "missing", quantity: undefined, pronoun: verb + 1 };
  }
  // "Please order that.", "..., pls buy this", "... that one": "that" ends an object ("a toaster
  // that works").
  const next = words[at + 1] ?? "";
  if (
    verb >= 0 &&
    (words[at] === "that" || words[at] === "this") &&
    (at + 1 === segment.end || OBJECT_END.has(next) || AFTER_OBJECT.has(next) || next === "one")
  ) {
    return { kind: "missing", quantity: undefined, pronoun: next === "one" ? at + 1 : at };
  }
  // "qty 4", "quantity: 2" after an item: its count.
  const marked = ["qty", "quantity"].includes(words[at] ?? "");
  if (marked) at += words[at + 1] === ":" ? 2 : 1;
  let quantity = at < segment.end ? quantityAt(segment.tokens, at, false) : undefined;
  // "another 3 AA batteries": three more, not one of "3 AA batteries".
  if (quantity !== undefined && words[quantity.start] === "another" && quantity.end < segment.end) {
    quantity = quantityAt(segment.tokens, quantity.end, false) ?? quantity;
  }
  if (marked && quantity?.end === segment.end) {
    return { kind: "count", quantity };
  }
  const hasVerb = intent >= segment.start && intent < segment.end;
  if (quantity === undefined && !hasVerb) return { kind: "none" };
  if (quantity !== undefined) at = quantity.end;
  // "3 more AA batteries", "2 extra", "another": more of the thing, not part of its name.
  while (at < segment.end && ADDITION_WORDS.has(words[at] ?? "")) at += 1;
  while (at < segment.end && ["of", "the", "those", "these"].includes(words[at] ?? "")) at += 1;
  const object: number[] = [];
  // "a to-do list", "an add-on": a word joined by a hyphen is part of the name.
  const ends = (index: number) =>
    OBJECT_END.has(words[index] ?? "") &&
    segment.tokens[index]?.joined === undefined &&
    segment.tokens[index + 1]?.joined === undefined;
  for (; at < segment.end && !ends(at); at += 1) {
    if ((words[at] ?? "") !== "") object.push(at);
  }
  // "a toaster too", "a toaster as well, please": the words after the thing say it is more, or
  // ask nicely; the question names the toaster, and the model server buys a "toaster".
  for (;;) {
    const last = words[object.at(-1) ?? -1] ?? "";
    const asWell = last === "well" && words[object.at(-2) ?? -1] === "as";
    if (object.length > (asWell ? 2 : 1) && (asWell || AFTER_OBJECT.has(last))) {
      object.splice(asWell ? -2 : -1);
    } else {
      break;
    }
  }
  const objectWords = object
    .map((index) => words[index] ?? "")
    .filter((word) => !isPunctuation(word));
  if (objectWords.length === 0) return { kind: "missing", quantity };
  const pronoun = object.find((index) => !isPunctuation(words[index] ?? ""));
  const both =
    BOTH.has(objectWords.join(" ")) ||
    (words[(pronoun ?? 0) - 1] === "the" && THE_TWO.has(objectWords.join(" ")));
  if (quantity === undefined && pronoun !== undefined && both) {
    return { kind: "missing", quantity, pronoun, both: true };
  }
  if (
    quantity === undefined &&
    objectWords.length === 1 &&
    pronoun !== undefined &&
    PRONOUNS.has(words[pronoun] ?? "")
  ) {
    return { kind: "missing", quantity, pronoun };
  }
  // "XYZ phone and ABC laptop, order the one": one thing, as "it" is, of what was named; read
  // as no object, it bought them all.
  const one = object.at(-1);
  if (
    quantity === undefined &&
    one !== undefined &&
    objectWords.length === 1 &&
    words[one] === "one" &&
    words[one - 1] === "the"
  ) {
    return { kind: "missing", quantity, pronoun: one };
  }
  // "Please order the following:", "the items below", "as follows": what the lines after name.
  if (
    quantity === undefined &&
    objectWords.some((word) => POINTING_AHEAD.has(word)) &&
    objectWords.every((word) => POINTING_AHEAD.has(word) || NO_PRODUCT.has(word) || word === "as")
  ) {
    return { kind: "missing", quantity };
  }
  if (
    quantity !== undefined &&
    "value" in quantity.quantity &&
    objectWords.every((w) => COUNT_WORDS.has(w))
  ) {
    return { kind: "count", quantity };
  }
  let partialAt = object.find((index) => productsWithWord(words[index] ?? "", catalog).length > 0);
  // "3 XYZ tablets", "a USB-C charger", "a wireless mouse": before a last word that is in none of
  // their names, a word of some products' names names another thing, which the shop does not
  // sell. Asking which of those products it means would offer what was not asked for.
  const head = object.findLast((index) => !isHarmlessWord(words[index] ?? ""));
  if (partialAt !== undefined && head !== undefined && head > partialAt) {
    const thing = singular(words[head] ?? "");
    const named = productsWithWord(words[partialAt] ?? "", catalog).some((product) =>
      nameTokens(product.name).some((token) => singular(token) === thing),
    );
    if (!named) partialAt = undefined;
  }
  if (partialAt === undefined && NO_PRODUCT.has(objectWords[0] ?? "")) {
    return { kind: "missing", quantity };
  }
  const typed = object.map((index) => segment.tokens[index] ?? { text: "" });
  const last = typed.at(-1)?.text ?? "";
  return {
    kind: "unlisted",
    quantity,
    text: typedWords(typed),
    name: typedWords([...typed.slice(0, -1), { ...typed.at(-1), text: singular(last) }]),
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

/** How many an item's count says: 1 when it says none ("the XYZ phone"), none for "some". */
function countOf(quantity: QuantityPhrase | undefined): number | undefined {
  if (quantity === undefined) return 1;
  return "value" in quantity.quantity ? quantity.quantity.value : undefined;
}

/** Whether a product's word comes within three words of `from`, in the same clause. */
function namesProductAfter(
  plain: readonly string[],
  from: number,
  catalog: readonly CatalogProduct[],
): boolean {
  for (let at = from; at < Math.min(plain.length, from + 4); at += 1) {
    const word = plain[at] ?? "";
    if (isPunctuation(word)) return false;
    if (productsWithWord(word, catalog).length > 0) return true;
  }
  return false;
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

/**
 * Where a take-back starts that ends the clause `start` to `end` after something else: "buy 2
 * XYZ phones never mind" (the hyphen of "- never mind" is dropped, so no comma splits them);
 * `undefined` when the clause does not end with one, or is nothing but one.
 */
function retractionTailOf(
  words: readonly string[],
  start: number,
  end: number,
): number | undefined {
  if (isRetraction(words, start, end)) return undefined;
  for (let at = start + 1; at < end; at += 1) {
    if (isRetraction(words, at, end)) return at;
  }
  return undefined;
}

/**
 * Whether the product named at `start` is someone's own: "my XYZ phone", and counted, "a cable
 * for my 2 XYZ phones", "cases for our four XYZ phones". The count says how many they have, not
 * how many to buy. "her 2 XYZ phones" may be "buy her 2 XYZ phones", 2 for her: that is read.
 */
function ownedAt(tokens: Sentence["tokens"], start: number): boolean {
  const before = tokens[start - 1]?.word ?? "";
  if (POSSESSIVES.has(before)) return true;
  let at = start - 1;
  // "my (2) XYZ phones": a count's brackets are part of the count.
  const inCount = (token: Token | undefined) =>
    isNumeral(token) || isNumberWord(token?.word ?? "") || ["(", ")"].includes(token?.word ?? "");
  while (at >= 0 && inCount(tokens[at])) at -= 1;
  const owner = tokens[at]?.word ?? "";
  return at < start - 1 && owner !== "her" && POSSESSIVES.has(owner);
}

/**
 * Whether the product named at `start` is what another named before it is for: "a case for the
 * XYZ phone", "a USB-C cable for the ABC laptop", "cables for 2 XYZ phones". The person has it or
 * is getting it elsewhere; read as an item, the laptop was bought with its cable.
 */
function purposeAt(
  tokens: Sentence["tokens"],
  start: number,
  mentions: readonly ProductMention[],
): boolean {
  const at = forBefore(tokens, start);
  // Another thing is counted before the "for": a product, or a word the shop may not sell ("a
  // case", "2 chargers"), which is then asked about. Not "an order for 2 XYZ phones".
  const counted = tokens.slice(0, at).some((token, index) => {
    const next = tokens[index + 1]?.word ?? "";
    return (
      (ITEM_LEAD.has(token.word) || isNumeral(token)) &&
      index + 1 < at &&
      /^\p{L}/u.test(next) &&
      !NO_PRODUCT.has(next)
    );
  });
  return at >= 0 && (counted || mentions.some((mention) => mention.end <= at));
}

/**
 * "a case for my XYZ phone": the words before "for" and a product of the person's own after it
 * ("my", "our", ...) make another product's name (the XYZ phone case), which is what is asked
 * for, named the other way round; the phone is theirs, not bought. Not "a case for the ABC
 * laptop" (no "ABC laptop case" is sold), nor "for the XYZ phone" or "for my 2 XYZ phones",
 * where the product may be one to buy or the count may be the cases'.
 */
function withAccessoriesFor(
  tokens: Sentence["tokens"],
  mentions: ProductMention[],
  catalog: readonly CatalogProduct[],
): ProductMention[] {
  const added: ProductMention[] = [];
  for (const owned of mentions) {
    const at = owned.start - 2;
    if (!POSSESSIVES.has(tokens[at + 1]?.word ?? "") || tokens[at]?.word !== "for") continue;
    const ownedName = nameTokens(owned.product.name);
    for (const product of catalog) {
      const name = nameTokens(product.name);
      const rest = name.slice(ownedName.length);
      const start = at - rest.length;
      const typed = tokens.slice(Math.max(0, start), at).map((token) => token.word);
      if (
        rest.length === 0 ||
        start < 0 ||
        !ownedName.every((word, index) => name[index] === word) ||
        !typed.every((word, index) => singular(word) === rest[index]) ||
        mentions.some((other) => other.start < at && start < other.end)
      ) {
        continue;
      }
      const last = typed.at(-1) ?? "";
      added.push({ start, end: at, product, plural: singular(last) !== last });
    }
  }
  return [...mentions, ...added].sort((a, b) => a.start - b.start);
}

/** Where the "for" is that the name at `start` follows, with only a count or "the" between. */
function forBefore(tokens: Sentence["tokens"], start: number): number {
  let at = start - 1;
  while (at >= 0) {
    const token = tokens[at];
    if (!(
      ITEM_LEAD.has(token?.word ?? "") ||
      isNumeral(token) ||
      isNumberWord(token?.word ?? "")
    )) {
      break;
    }
    at -= 1;
  }
  return tokens[at]?.word === "for" ? at : -1;
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

/** Whether two counts say the same number: "3 XYZ phones, qty 3". */
function sameCount(a: QuantityPhrase | undefined, b: QuantityPhrase): boolean {
  return (
    a !== undefined &&
    "value" in a.quantity &&
    "value" in b.quantity &&
    a.quantity.value === b.quantity.value
  );
}

/** An item as the answer's "I understood" names it: "2 x XYZ phone". */
function understoodAs({ request }: Item): string {
  return `${request.qty} x ${request.product}`;
}

function placeOf(place: Place): Place {
  return { sentence: place.sentence, start: place.start, end: place.end };
}

function byPlace(a: Place, b: Place): number {
  return a.sentence - b.sentence || a.start - b.start;
}

/**
 * The price limit of each item. A limit between two items of a sentence, or right after an item
 * when the request has several limits, is that item's ("2 XYZ phones under $1000 and a cable"),
 * but one after the joiner is the next item's ("an XYZ phone and, under $20, 2 cables").
 * Any other limit is the request's ("..., max 300 dollars") and caps each item that has none of
 * its own; of several, the lowest. "$10 each" is per unit. A limit for several items together
 * ("$520 for both", or a budget said apart from each: "My budget is $1200.") is returned as
 * `total`, for a question: each purchase is approved on its own.
 */
function priceLimitsOf(
  items: readonly Item[],
  prices: readonly Price[],
): (number | undefined)[] | { total: number } | "unpaired" {
  const limits = prices.filter((price) => price.limit !== undefined);
  const own = new Map<number, Price>();
  const shared: Price[] = [];
  let unpaired = false;
  for (const price of limits) {
    const next = items.findIndex((i) => i.sentence === price.sentence && i.start >= price.end);
    if (price.opensItem && next >= 0 && !own.has(next)) {
      own.set(next, price);
      continue;
    }
    const before = items.findLastIndex(
      (i) => i.sentence === price.sentence && i.end <= price.start,
    );
    const after = items.some((i) => i.sentence === price.sentence && i.start >= price.end);
    if (before >= 0 && (after || limits.length > 1) && !own.has(before)) own.set(before, price);
    else shared.push(price);
    // "10 cables and 10 cases, $10 and $20 each": a list of limits after a list of items, the
    // first of them without one. Which is whose? Read in order, the cables got $20 each.
    const earlier = items.findIndex((i, index) => index < before && !own.has(index));
    const sameSentence = own.get(before)?.sentence === price.sentence;
    if (own.get(before) !== price && sameSentence && items[earlier]?.sentence === price.sentence) {
      unpaired = true;
    }
  }
  if (unpaired) return "unpaired";
  // Each purchase is approved on its own: one limit for several together cannot be kept. A
  // budget said apart from every item ("Spend $510.", "my budget is $510") is for all of them.
  const together = limits.find(
    (price) => (price.total || (price.budget && shared.includes(price))) && !price.perUnit,
  );
  if (items.length > 1 && together?.limit !== undefined) return { total: together.limit };
  // "2 XYZ phones and 2 cases, max $450 per phone": for the items whose name ends with "phone",
  // when one does; otherwise for each, as "each" is.
  const lastWord = (item: Item) => singular(nameTokens(item.request.product).at(-1) ?? "");
  const isFor = (price: Price, item: Item) =>
    price.perName === undefined ||
    lastWord(item) === price.perName ||
    !items.some((other) => lastWord(other) === price.perName);
  const forItem = (price: Price | undefined, item: Item) => {
    if (price?.limit === undefined || !isFor(price, item)) return undefined;
    const total = price.perUnit ? price.limit * item.request.qty : price.limit;
    return Math.round(total * 100) / 100;
  };
  // A limit said after the items of its sentence is theirs alone ("2 XYZ phones under $1000.
  // Also 2 cases."); one in a sentence of no item is for every item.
  const covers = (price: Price, item: Item) =>
    item.sentence === price.sentence || !items.some((other) => other.sentence === price.sentence);
  // Of an item's own limit and the request's, the lower: a limit said twice is never raised.
  return items.map((item, index) => {
    const candidates = [
      forItem(own.get(index), item),
      ...shared.filter((price) => covers(price, item)).map((price) => forItem(price, item)),
    ];
    const known = candidates.filter((limit) => limit !== undefined);
    return known.length === 0 ? undefined : Math.min(...known);
  });
}
