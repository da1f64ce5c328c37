import damerauLevenshtein from "damerau-levenshtein";

import { matchAt } from "./price-limits.js";
import { MONTHS } from "./request-tokens.js";

const words = (list: string) => new Set(list.split(" "));

const PURCHASE_VERBS = words(
  "buy buying order ordering purchase purchasing get getting grab fetch acquire procure reorder " +
    "send ship add pick take need want like place gimme give have put looking shopping",
);
/** Verbs whose misspelling ("purchse", "ordr") still reads as a request at a sentence's start. */
const LONG_VERBS = ["purchase", "order", "reorder"];
const DETERMINERS = words("a an the my your our his her their this that");
const WOULD = words("would i'd we'd id");
/** Words a sentence may open with before what it is about: "Hi, ok so please buy ...". */
const OPENERS = words(
  "hi hey hello ok okay so well please pls plz kindly yes oh um and also then , ! good morning " +
    "afternoon evening day there dear sir madam ma'am assistant thx thanks haha lol : ) (",
);
/**
 * Verbs that ask to buy with "order" or "purchase" after them, a noun there: "make an order
 * for", "submit an order for", "create an order for", "put in an order for", "put an order in
 * for", "do a purchase of", and without an article, as English as a second language says it:
 * "make order of", "do purchase of". "place an order" is read as "place" itself.
 */
const ORDER_MAKERS = words("make submit create put do");
const QUESTION_WORDS = words(
  "what what's whats how how's why when where which who whose is are was were do does did will " +
    "would can could should shall may might have has am isn't aren't",
);
const REQUEST_OPENINGS = [
  ["can", "you"],
  ["can", "u"],
  ["could", "you"],
  ["could", "u"],
  ["would", "you"],
  ["will", "you"],
  ["can", "i", "get"],
  ["can", "i", "have"],
  ["can", "i", "buy"],
  ["can", "i", "order"],
  ["could", "i", "get"],
  ["could", "i", "have"],
  ["may", "i", "have"],
  ["can", "we", "get"],
  ["is", "it", "possible", "to"],
];
/** Negations that, before a verb of buying, take back what follows: "don't buy", "no need to". */
const NEGATIONS = words("don't dont never won't wont shouldn't cannot can't not no stop");
/** Negations of their own: "cancel my order of XYZ phones". */
const TAKING_BACK = words("cancel forget skip remove drop scratch");
/** Negations of one item: "no case", "not a USB-C cable", "without a cable". */
const ITEM_NEGATIONS = words("no not without except minus nor neither none");
/** What ends a "don't buy" and turns the sentence positive again. */
const TURNS = words("but instead rather");
/** Words that set one thing apart from the rest: "just the laptop", "only the XYZ phone". */
export const ONLY = words("just only");
/**
 * Other currencies' names and codes, which the reader cannot read as the shop's: "500 euros",
 * "1,000 CAD". Not "won" nor "rand", which are English words and names too.
 */
export const FOREIGN_CURRENCIES = words(
  "quid pound pounds gbp euro euros eur yen jpy cad aud nzd chf inr rupee rupees cny rmb yuan " +
    "mxn peso pesos sek nok dkk sgd hkd zar brl",
);
const PUNCTUATION = /^[^\p{L}\p{N}]+$/u;

export function isPurchaseVerb(word: string): boolean {
  return PURCHASE_VERBS.has(word);
}

/** Whether the word at `at` asks to buy: "buy", "order" (not "my order"), "I'd like", "need". */
export function isIntentVerb(list: readonly string[], at: number, opening: number): boolean {
  const word = list[at] ?? "";
  const previous = list[at - 1] ?? "";
  const next = list[at + 1] ?? "";
  switch (word) {
    case "like":
      return WOULD.has(previous);
    case "want":
    case "need":
      // "want to know" is no purchase; "want to buy" is, by its own verb.
      return next !== "to";
    case "take":
      return at === opening || previous === "i'll" || previous === "we'll" || previous === "will";
    case "give":
      // "give me 2 XYZ phones", as "gimme" is; not "give my sister an XYZ phone".
      return next === "me" || next === "us";
    case "pick":
      return next === "up" || list[at + 2] === "up";
    case "have":
      // "Could I have two laptops?", not "I have two laptops".
      return ["can", "could", "may"].includes(list[at - 2] ?? "") && ["i", "we"].includes(previous);
    case "put":
      return list
        .slice(at)
        .some((_, index) => isCartAt(list, at + index) || isWishListAt(list, at + index));
    case "looking":
    case "shopping":
      return next === "for";
    case "place":
      return list[at + 2] === "order";
    case "order":
      return !DETERMINERS.has(previous) || orderMakerOf(list, at) >= 0;
    default:
      // "thinking about buying", "thinking of ordering", "I was going to buy": thought of, not
      // asked for.
      if (
        ["about", "considering", "considered"].includes(previous) ||
        (previous === "of" && ["thinking", "thought"].includes(list[at - 2] ?? "")) ||
        (previous === "to" &&
          list[at - 2] === "going" &&
          ["was", "were"].includes(list[at - 3] ?? ""))
      ) {
        return false;
      }
      if (PURCHASE_VERBS.has(word)) return true;
      return at === opening && isMisspeltVerb(word);
  }
}

function isMisspeltVerb(word: string): boolean {
  return (
    word.length >= 4 &&
    LONG_VERBS.some(
      (verb) => word.startsWith(verb.slice(0, 1)) && damerauLevenshtein(word, verb).steps <= 1,
    )
  );
}

/**
 * How many words an order made with one of `ORDER_MAKERS` at `at` takes, up to its noun
 * ("make an order", "put in an order", "do purchase"), with the "in" of "put an order in
 * for"; 0 when the words there make no order ("make sure", "put in order", "do an order
 * form").
 */
export function orderPhraseAt(list: readonly string[], at: number): number {
  const maker = list[at] ?? "";
  if (!ORDER_MAKERS.has(maker)) return 0;
  let next = at + 1;
  const putIn = maker === "put" && list[next] === "in";
  if (putIn) next += 1;
  const article = ["a", "an", "the"].includes(list[next] ?? "");
  if (article) next += 1;
  const noun = list[next] ?? "";
  // "put in order" arranges; "an order form", "a purchase order" are things, not the order.
  if ((noun !== "order" && noun !== "purchase") || (putIn && !article)) return 0;
  if (!["for", "of", "in", ":", ",", undefined].includes(list[next + 1])) return 0;
  const putOrderIn = maker === "put" && !putIn && list[next + 1] === "in";
  return next + 1 - at + (putOrderIn ? 1 : 0);
}

/** Where the maker of an order whose noun is at `at` stands ("make" of "make an order"), or -1. */
function orderMakerOf(list: readonly string[], at: number): number {
  for (let maker = at - 1; maker >= at - 3 && maker >= 0; maker -= 1) {
    const length = orderPhraseAt(list, maker);
    if (length > 0 && maker + length > at) return maker;
  }
  return -1;
}

/** Where the sentence starts saying something: past "Hi", "ok so", "please". */
export function openingOf(list: readonly string[]): number {
  let at = 0;
  while (at < list.length && OPENERS.has(list[at] ?? "")) at += 1;
  return at;
}

/**
 * A question that is not a request: "How much is an XYZ phone?", "Should I buy one?". A request
 * phrased as a question ("Could you order ...?", "Can I get ...?", "Buy 2 XYZ phones?") is not.
 */
export function isMereQuestion(list: readonly string[], asked: boolean, start: number): boolean {
  // "Kindly do the needful and buy ...": a courtesy, though "do" opens it.
  const opening = start + matchAt(list, start, NEEDFUL);
  const first = list[opening] ?? "";
  // "Do not order a cable" tells, it does not ask; so does "Do it.", "Please do it now".
  if (
    !asked &&
    (!QUESTION_WORDS.has(first) ||
      list[opening + 1] === "not" ||
      (first === "do" && ["it", "this", "that"].includes(list[opening + 1] ?? "")))
  ) {
    return false;
  }
  if (matchAt(list, opening, REQUEST_OPENINGS) > 0) return false;
  // "Do a purchase of 2 XYZ phones" asks to buy, though "do" opens it.
  return !isIntentVerb(list, opening, opening) && orderPhraseAt(list, opening) === 0;
}

/**
 * Which words are taken back by a negation. "Don't buy", "I don't want to order", "no need to
 * buy", "cancel": everything after, until "but", "instead" or a new verb of buying ("Don't buy
 * the laptop, buy 2 phones instead"). "No case", "not a cable", "without a cable": the words up
 * to the next boundary. Also says whether a verb of buying was negated at all.
 */
export function negatedWords(
  list: readonly string[],
  isBoundary: (index: number) => boolean,
): { negated: boolean[]; verbNegated: boolean } {
  const negated = list.map(() => false);
  let scope: "none" | "verb" | "item" = "none";
  let verbNegated = false;
  let lastNegation = -Infinity;
  list.forEach((word, at) => {
    // "Don't forget to buy" asks to buy.
    const remind = word === "forget" && NEGATIONS.has(list[at - 1] ?? "");
    // "Don't buy the case, just the XYZ phone": "just" or "only" after the clause turns too.
    const turnsToOnly = isBoundary(at) && ONLY.has(list[at + 1] ?? "");
    if (
      scope === "verb" &&
      (TURNS.has(word) || turnsToOnly || (isPurchaseVerb(word) && at - lastNegation > 4))
    ) {
      scope = "none";
    }
    if (scope === "item" && isBoundary(at)) scope = "none";
    // "no more than 2 XYZ phones", "not more than 3": at most so many, no denial.
    const atMost =
      ["no", "not"].includes(word) && list[at + 1] === "more" && list[at + 2] === "than";
    if (atMost) {
      negated[at] = scope !== "none";
      return;
    }
    if (remind || (NEGATIONS.has(word) && list[at + 1] === "forget")) {
      scope = "none";
    } else if (
      (NEGATIONS.has(word) && verbFollows(list, at)) ||
      (TAKING_BACK.has(word) && !(word === "scratch" && list[at + 1] === "that")) ||
      (word === "hold" && list[at + 1] === "off")
    ) {
      scope = "verb";
      verbNegated = true;
      lastNegation = at;
    } else if (
      scope === "none" &&
      (ITEM_NEGATIONS.has(word) ||
        // "Buy an XYZ phone and a cable. Never mind the cable.": the cable is taken out.
        (word === "never" && list[at + 1] === "mind") ||
        word === "nevermind" ||
        (word === "instead" && list[at + 1] === "of") ||
        (word === "rather" && list[at + 1] === "than"))
    ) {
      scope = "item";
    }
    negated[at] = scope !== "none";
  });
  return { negated, verbNegated };
}

/** A verb of buying within three words, in the same clause. */
function verbFollows(list: readonly string[], at: number): boolean {
  for (let next = at + 1; next <= at + 3 && next < list.length; next += 1) {
    const word = list[next] ?? "";
    if (PUNCTUATION.test(word)) return false;
    // "don't ever submit an order for": the order, four words on, is the verb's.
    if (isPurchaseVerb(word) || orderPhraseAt(list, next) > 0) return true;
  }
  return false;
}

/** The openers that say a change is coming, where "ok" or "please" alone do not. */
const CHANGE_SIGNALS = words(
  "no wait actually sorry apologies oops whoops correction thought thoughts",
);
/** What takes back everything asked before it: "never mind", "scratch that", "don't". */
const RETRACTIONS = [
  ["never", "mind"],
  ["nevermind"],
  ["scratch", "that"],
  ["forget"],
  ["forget", "about"],
  ["cancel"],
  ["don't"],
  ["dont"],
  ["do", "not"],
  ["don't", "bother"],
  ["dont", "bother"],
  ["hold", "off"],
  ["changed", "my", "mind"],
  ["change", "of", "plans"],
];
/** Words that may open a take-back or a change: "no wait, actually, on second thought". */
const CHANGE_OPENERS = words(
  "no wait actually sorry apologies oops whoops hmm um oh ok okay well please just then i i've ive we " +
    "we've have on second thought thoughts correction :",
);
/** What may end a take-back: "never mind then", "forget it, thanks", "cancel the order". */
const RETRACTION_TAILS = words(
  "it that this do then after all please thanks thank you anymore for now on the order purchase wait !",
);
/** Words between the opening of a change and what it changes to: "no wait, I'll take 3". */
const CHANGE_LEADING = words("me us just only i'll we'll i'd we'd i we will to");
/**
 * What announces a change to what was just asked: "I mean one", "make it 3", "sorry, 3", "my
 * bad, 3" (alone, "... My bad." opens a change never said, as "Oops." does).
 */
const CHANGE_MARKERS = [
  ["my", "bad"],
  ["my", "mistake"],
  ["my", "apologies"],
  ["i", "mean"],
  ["i", "meant"],
  ["make", "it"],
  ["make", "that"],
  ["change", "it", "to"],
  ["change", "that", "to"],
  ["change", "to"],
];

/**
 * Whether the clause `start` to `end` takes back what was asked before it, and says nothing
 * else: "Never mind.", "no wait, don't", "Scratch that", "I changed my mind", "Cancel the order".
 */
/** What an order of nothing orders: "..., order neither", "..., buy none of them". */
const NOTHING = words("neither none nothing");
/** What may follow it: "neither of them", "neither one", "none of the two", "none at all". */
const NOTHING_TAILS = words("of them those these one two the at all");

export function isRetraction(list: readonly string[], start: number, end: number): boolean {
  let at = start;
  while (at < end && CHANGE_OPENERS.has(list[at] ?? "")) at += 1;
  // "XYZ phone and ABC laptop, order neither", "..., I'll take none": it takes back what it
  // names, as "forget them" does; read as a negation of nothing after it, both were bought.
  let verb = at;
  while (verb < end && CHANGE_LEADING.has(list[verb] ?? "")) verb += 1;
  if (
    PURCHASE_VERBS.has(list[verb] ?? "") &&
    NOTHING.has(list[verb + 1] ?? "") &&
    list.slice(verb + 2, end).every((word) => NOTHING_TAILS.has(word) || RETRACTION_TAILS.has(word))
  ) {
    return true;
  }
  return RETRACTIONS.some(
    (phrase) =>
      at + phrase.length <= end &&
      phrase.every((word, i) => list[at + i] === word) &&
      list.slice(at + phrase.length, end).every((word) => RETRACTION_TAILS.has(word)),
  );
}

/** Take-backs that may as well deny what follows them: "Don't, buy a phone" is "don't buy". */
const BARE_DENIALS = [["don't"], ["dont"], ["do", "not"]];

/**
 * Whether the take-back `start` to `end` is a bare "don't" ("Don't. Buy 2 XYZ phones", "Don't,
 * buy an XYZ phone"): with nothing asked before it to take back, it may deny what follows.
 */
export function isBareDenial(list: readonly string[], start: number, end: number): boolean {
  let at = start;
  while (at < end && CHANGE_OPENERS.has(list[at] ?? "")) at += 1;
  return BARE_DENIALS.some(
    (phrase) => at + phrase.length === end && phrase.every((word, i) => list[at + i] === word),
  );
}

/**
 * Where a clause that changes what was just asked says what it changes to, past its opening
 * ("no wait", "actually", "I mean", "make it", "sorry", then a verb of buying: "no wait, buy
 * 3"); `undefined` when the clause does not open like that. `opened` says the clause before it
 * was nothing but such an opening ("No, 3": the comma splits the two).
 */
export function changeBodyAt(
  list: readonly string[],
  start: number,
  end: number,
  opened: boolean,
): number | undefined {
  let at = start;
  let marked = opened;
  for (;;) {
    const marker = matchAt(list, at, CHANGE_MARKERS);
    if (marker > 0) {
      at += marker;
      marked = true;
    } else if (at < end && CHANGE_OPENERS.has(list[at] ?? "") && list[at] !== "i") {
      at += 1;
      marked ||= CHANGE_SIGNALS.has(list[at - 1] ?? "");
    } else {
      break;
    }
  }
  if (!marked) return undefined;
  while (at < end && (isPurchaseVerb(list[at] ?? "") || CHANGE_LEADING.has(list[at] ?? ""))) {
    at += 1;
  }
  return at;
}

/** Whether the clause is nothing but an opening that announces a change: "No", "no wait". */
export function isChangeOpening(list: readonly string[], start: number, end: number): boolean {
  return start < end && changeBodyAt(list, start, end, false) === end;
}

/**
 * Why the words of a request cast doubt on buying now, though they name what to buy: the
 * person hesitates or takes it back in words the reader does not follow ("nah", "jk"), speaks
 * of another time or a condition it cannot check ("if", "someday", "remind me"), reports
 * someone else's words ("he said"), or negates in a form it does not read ("refrain from").
 */
export type DoubtKind = "hesitant" | "not_now" | "reported";

export interface WordDoubt {
  kind: DoubtKind;
  /** The words that raised it, as typed. */
  start: number;
  end: number;
}

/** An "if" that asks politely and sets no condition: "if you don't mind". */
const POLITE_IFS =
  "if you don't mind, if you do not mind, if you dont mind, if you wouldn't mind, " +
  "if it's not too much trouble, if it is not too much trouble, if it isn't too much trouble, " +
  "if it's no trouble, if that's alright, if that's all right";

const DOUBT_PHRASES: [DoubtKind, string[][]][] = [
  [
    "hesitant",
    phraseList(
      "nah, nope, nvm, jk, kidding, joking, joke, lol jk, scrap, disregard, ignore, reconsider, " +
        "not really, hold on, let me think, think about it, think it over, not sure, unsure, " +
        "just checking, just looking, not now, not yet, not today, avoid, avoiding, " +
        "refrain, hate, hates, dislike, wouldn't, wouldnt, shouldn't, shouldnt, mustn't, " +
        "didn't, under any circumstances, said no, second thought, second thoughts, leave out, " +
        "only if, too many, too much, is plenty, is enough, is fine, just asking, curious, " +
        "up to you, your call, your choice, no go, no-go, skip it, skip that, skip this, " +
        "skip them, skip those, skip all that, skip all, skip everything, yeah right",
    ),
  ],
  [
    "not_now",
    phraseList(
      "if, unless, when, once, until, wish, imagine, imagining, hypothetically, might, someday, " +
        "some day, eventually, later, tomorrow, tonight, next week, next month, next year, " +
        "weekend, payday, wishlist, wish list, remind, probably, how to, " +
        "should i, should we, would buy, would order, would get, would purchase, i'd buy, " +
        "i'd order, i'd get, i'd purchase, we'd buy, we'd get, would you buy, in stock, " +
        "back in stock, goes on sale, on sale, price drops, cheaper, " +
        // An example or a trial run: "This is just an example. Buy 2 XYZ phones", "Dry run."
        "example, for instance, hypothetical, dry run, simulate, simulation, pretend, " +
        // What the person could do: a possibility, no request to buy now.
        "i can buy, i can get, i can order, i can purchase, we can buy, we can get, " +
        "we can order, we can purchase, i could buy, i could get, i could order, " +
        "i could purchase, we could buy, we could get, we could order, we could purchase, " +
        // A suggestion to the reader, not a request ("Could you buy ..." is one).
        "you could buy, you could get, you could order, you could purchase",
    ),
  ],
  [
    "reported",
    phraseList(
      "said, says, say, saying, told, tells, telling, asked me, asks me, asking me, keeps asking, " +
        "wants me, want me, wrote, writes, quote, quoted, translate, email says, message says, " +
        "review says, according to, suggested, suggests, recommended, recommends, he wants, " +
        "she wants, they want, he needs, she needs, boss wants",
    ),
  ],
];
/**
 * Words that look like a doubt but are not one here: "if possible", "if you could", a courtesy
 * whose "if" sets no condition ("if you don't mind", "if it's not too much trouble").
 */
const NOT_DOUBTS = phraseList(
  "may i, may we, if possible, if you can, if you could, if it's possible, " + POLITE_IFS,
);

function phraseList(list: string): string[][] {
  return list.split(",").map((phrase) => phrase.trim().split(" "));
}

/**
 * The first words of a sentence that cast doubt on buying now (see `DoubtKind`), skipping the
 * positions `skip` says were read already (a price phrase: "unless it costs more than $500").
 */
export function doubtIn(
  list: readonly string[],
  skip: (index: number) => boolean,
): WordDoubt | undefined {
  for (let at = 0; at < list.length; at += 1) {
    if (skip(at)) continue;
    // Past the whole phrase: "if you could purchase" is no suggestion ("you could purchase").
    const courtesy = matchAt(list, at, NOT_DOUBTS);
    if (courtesy > 0) {
      at += courtesy - 1;
      continue;
    }
    for (const [kind, phrases] of DOUBT_PHRASES) {
      const length = matchAt(list, at, phrases);
      if (length > 0) return { kind, start: at, end: at + length };
    }
  }
  return undefined;
}

/**
 * Where things are kept before checking out, or instead of buying: a cart, a basket, a trolley,
 * a bag ("my bag", "the shopping bag"), saved items, favourites, a watch list, a registry, and
 * any list ("my shopping list", "my Christmas list", "my todo list", "my list"). A wish list
 * is a wish (`isWishListAt`), and asks as one.
 */
const CARTS = words(
  "cart carts basket trolley bag watchlist saved favorites favourites favs registry list lists",
);

/** Whether `list[at]` names a wish list: "wishlist", the "list" of "wish list". */
export function isWishListAt(list: readonly string[], at: number): boolean {
  const word = list[at] ?? "";
  return (
    ["wishlist", "wishlists"].includes(word) ||
    (["list", "lists"].includes(word) && list[at - 1] === "wish")
  );
}

/** Whether `list[at]` names a cart or a list: "cart", "bag", "saved", "list"; no wish list. */
export function isCartAt(list: readonly string[], at: number): boolean {
  return CARTS.has(list[at] ?? "") && !isWishListAt(list, at);
}

/** Words that deny, whether or not the reader saw what they deny. */
const DENIALS = words("no not don't dont never won't wont nope nah cancel stop forget skip drop");

export function isDenial(word: string): boolean {
  return DENIALS.has(word);
}

/**
 * Words that carry nothing of a purchase: politeness, pronouns, articles, the grammar of a
 * request ("could you please go ahead and order ... for me, thanks"). A word of a sentence that
 * carries an item is either read as part of the item (its verb, count, name, limit) or one of
 * these; any other word says something the reader did not follow ("in blue", "at some point").
 */
const HARMLESS = words(
  "a an the this that these those it them one of to for me us you u i we i'd i'll i'm we'd " +
    "we'll i've we've id im can could would will please pls plz kindly thanks thank thx ty " +
    "cheers hi hey hello ok okay so yes yeah yep sure oh um well just now today asap also too " +
    "then and plus & + , : ! ( ) * x with as right away like want need wanna gotta go ahead " +
    "really possible is it's are be get buy order my our your his her their new brand more " +
    "extra additional another each apiece pairs pair sets set units unit pieces piece pcs " +
    "single spare same identical both only quick quickly fast soon urgently much lot great " +
    "appreciated appreciate cool awesome perfect good nice all that's but instead rather yo " +
    "up there let's lets love hmm hm um uh er delivered shipped sent deliver ship him " +
    "lol haha hehe lmao xd exactly item items qty quantity",
);

/** "Kindly do the needful and buy ...", as Indian English asks: a courtesy, no question. */
const NEEDFUL_PHRASES = "do the needful and, do the needful";
const NEEDFUL = phraseList(NEEDFUL_PHRASES);

/**
 * Phrases that say nothing about what to buy: courtesies, where it goes, how to pay, why.
 * "in case" and "because" give a reason: the rest of the sentence is the reason's.
 */
const COURTESIES = phraseList(
  "may i, may we, if possible, if you can, if you could, if it's possible, when possible, " +
    "don't forget to, dont forget to, do not forget to, remember to, make sure to, be sure to, " +
    "don't worry about the price, don't worry about price, don't worry about the cost, " +
    "don't worry, no rush, no hurry, rather than, at most, up to, no more than, not more than, " +
    "in my cart, to my cart, in the cart, to the cart, in my basket, to my basket, " +
    "in the basket, to the basket, in my order, to my order, " +
    "charge my card, charge it to my card, use my card, bill me, bill my account, " +
    "hello there, hi there, hey there, thanks in advance, thank you in advance, " +
    "thx in advance, ty in advance, to confirm, just to confirm, confirming, " +
    "that's all, that's it, thats all, thats it, nothing else, go ahead, if that's ok, " +
    "if that's okay, " +
    `${POLITE_IFS}, i would be grateful, i'd be grateful, i would be so grateful, ` +
    "i'd be so grateful, i would be very grateful, i'd be very grateful, " +
    "everything except, everything but, everything minus, all except, all but, " +
    "good morning, good afternoon, good evening, morning, thanks a ton, thanks a bunch, " +
    "thanks a lot, thanks so much, thank you so much, thanks very much, thank you very much, " +
    "many thanks, you're the best, you are the best, you're a lifesaver, you're a star, " +
    "you rock, have a nice day, have a good day, have a great day, much appreciated, " +
    // British and Australian courtesies: "Thanks mate", "Cheers, love the shop".
    "mate, ta, love the shop, love this shop, love your shop, love the store, love this store, " +
    "love your store, " +
    // As English as a second language and Indian English say them: "Dear assistant, kindly do
    // the needful and buy ...", "Could you be so kind to order ...", "I am wanting to order".
    "on my behalf, on our behalf, sir, madam, ma'am, dear sir, dear madam, dear assistant, " +
    "good day, be so kind as to, be so kind to, be so kind and, " +
    `${NEEDFUL_PHRASES}, i am wanting to, i'm wanting to, we are wanting to, we're wanting to`,
);
/** Phrases that set no price limit: "price doesn't matter", "whatever it costs". */
const NO_LIMIT = phraseList(
  "price doesn't matter, price does not matter, the price doesn't matter, " +
    "cost doesn't matter, the cost doesn't matter, money is no object, price is no object, " +
    "whatever it costs, whatever the price, regardless of price, regardless of the price, " +
    "at any price, any price",
);
const REASONS = phraseList("in case, because, since, so that, as a gift, as gifts");
const DAYS = words(
  "monday tuesday wednesday thursday friday saturday sunday today tonight tomorrow noon",
);

/** A time of day, as the reader makes it one word: "5pm", "6o'clock", "10:30", "9:15am". */
const TIME_OF_DAY = /^\d{1,2}(?::\d\d)?(?:am|pm|o'clock)$|^\d{1,2}:\d\d$/;
/** A day of the month after its month ("Dec 24", "Dec 24th"), or after "the" ("the 24th"). */
const DAY_OF_MONTH = /^\d{1,2}(?:st|nd|rd|th)?$/;
const NTH_DAY = /^\d{1,2}(?:st|nd|rd|th)$/;

/**
 * How many words a courtesy at `at` covers: "if possible", "charge my card", "by Friday", "by
 * 5pm", "by Dec 24", "by the 24th"; a reason ("in case one breaks", "because mine broke")
 * covers the rest of the sentence.
 */
export function courtesyAt(list: readonly string[], at: number): number {
  if (matchAt(list, at, REASONS) > 0) return list.length - at;
  if (list[at] === "by") {
    const [next = "", after = ""] = list.slice(at + 1, at + 3);
    if (DAYS.has(next) || TIME_OF_DAY.test(next)) return 2;
    if ((MONTHS.has(next) && DAY_OF_MONTH.test(after)) || (next === "the" && NTH_DAY.test(after))) {
      return 3;
    }
  }
  return Math.max(matchAt(list, at, COURTESIES), noLimitAt(list, at));
}

/** How many words a phrase that sets no price limit at `at` covers: "price doesn't matter". */
export function noLimitAt(list: readonly string[], at: number): number {
  return matchAt(list, at, NO_LIMIT);
}

export function isHarmlessWord(word: string): boolean {
  return HARMLESS.has(word) || PUNCTUATION.test(word) || PURCHASE_VERBS.has(word);
}

/** Words that negate or take back: "no", "not", "without", "forget", "cancel", "don't". */
/** Whether a word is punctuation only: ",", "...", "—". */
export function isPunctuation(word: string): boolean {
  return PUNCTUATION.test(word);
}

/** A verb that takes a purchase back: "cancel", "forget", "skip", "remove", "drop", "scratch". */
export function isTakingBack(word: string): boolean {
  return TAKING_BACK.has(word);
}

export function isNegationWord(word: string): boolean {
  return NEGATIONS.has(word) || TAKING_BACK.has(word) || ITEM_NEGATIONS.has(word);
}
