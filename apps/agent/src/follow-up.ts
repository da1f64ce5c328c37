import { isDeepStrictEqual } from "node:util";

import { MAX_PRICE_LIMIT, MAX_QUANTITY, type PurchaseRequest } from "@ciba-testbed/shared";

import { nameTokens, singular, spelledNameWords, type CatalogProduct } from "./catalog-match.js";
import { isNumberWord, readNumberWords } from "./number-words.js";
import { parsePurchaseRequest, type ParsedRequest } from "./parse-request.js";
import {
  isCartQuestion,
  plural,
  questionsFor,
  type Fill,
  type Unclear,
  type UnclearReason,
} from "./request-questions.js";
import { FOREIGN_CURRENCIES } from "./request-words.js";

/** One earlier turn of a chat: what the person wrote, and the model's answer if it was text alone. */
export interface Exchange {
  request: string;
  answer: string | undefined;
}

/** A request as read in its chat: its text, completed by any answer, and what it asks for. */
export interface Reading {
  request: string;
  parsed: ParsedRequest;
}

type Asking = Extract<ParsedRequest, { kind: "unclear" }>;

/**
 * What the offline model says when it asks its question instead of buying. It speaks of this
 * turn only: an earlier turn of the chat may have ordered, and "nothing was bought" would deny
 * that order (or, after "cancel that", read as if it had been cancelled).
 */
export function askingAnswer(parsed: Asking): string {
  const understood =
    parsed.understood.length > 0 ? `I understood: ${parsed.understood.join("; ")}. ` : "";
  return `${understood}${parsed.question} ${NOTHING_THIS_TIME}`;
}

/** How an answer that bought nothing ends: of this turn alone. */
export const NOTHING_THIS_TIME = "I did not buy anything this time.";

/**
 * Whether `answer` is the model's question about `parsed`: as it asks it now, or as it asked it
 * before it spoke of this turn alone ("Nothing was bought."), which a chat the page kept across
 * that change still shows.
 */
function isOwnQuestion(answer: string | undefined, parsed: Asking): boolean {
  const asked = askingAnswer(parsed);
  return (
    answer === asked || answer === `${asked.slice(0, -NOTHING_THIS_TIME.length)}Nothing was bought.`
  );
}

/**
 * How far back a reply is read with what it answers: a reply to the model's question about
 * an earlier reply ("buy 2 phones" / "maybe" / "XYZ phone") is read against the first request,
 * each step checked the same way; two steps are enough for a person who hesitated once, and a
 * chat's length then never changes how long a reading takes.
 */
const MAX_STEPS_BACK = 2;

/**
 * Reads `reply`, the person's last message, in its chat (`earlier`, oldest first). When the
 * model's answer just before it is the very question the model asks about the request before
 * (re-read here: the chat's text is the client's, so an answer that only looks like a question
 * counts for nothing), and the question is one a short reply answers (`Unclear.fills`: which
 * product a word means, a count, a price limit, how many in all), the reply completes that
 * request and the completed request is read again with every check, keeping all else it said
 * (a count of the whole request replaces it: parse-request.ts, `totalAsked`). Other questions
 * (a doubt, a wish for later, a quote, a total limit, an unknown product, words it could not
 * read) are answered only by saying what to buy, so there the reply is read on its own. So is a
 * reply that is itself a clear purchase, unless it says no count and answers the question ("I
 * mean the XYZ phone"), and keeping the limit the request gave (`limitsKept`). A reply that
 * answers nothing gets the question again; "no" to "By X, do you mean Y?" asks what to buy.
 */
export function readReply(
  reply: string,
  earlier: readonly Exchange[],
  catalog: readonly CatalogProduct[],
): Reading {
  return readWithin(reply, earlier, catalog, MAX_STEPS_BACK);
}

function readWithin(
  reply: string,
  earlier: readonly Exchange[],
  catalog: readonly CatalogProduct[],
  steps: number,
): Reading {
  const alone: Reading = { request: reply, parsed: parsePurchaseRequest(reply, catalog) };
  const before = earlier.at(-1);
  if (steps === 0 || before === undefined) return alone;
  const asked = readWithin(before.request, earlier.slice(0, -1), catalog, steps - 1);
  if (asked.parsed.kind !== "unclear" || !isOwnQuestion(before.answer, asked.parsed)) return alone;
  const fill = asked.parsed.fills;
  if (fill === undefined) return cartGoAhead(asked, reply, alone, catalog) ?? alone;
  const question = { request: asked.request, parsed: asked.parsed, fill };
  if (alone.parsed.kind === "purchases") {
    // "I mean the XYZ phone" is a purchase of its own, of one. Said with no count, it answers
    // the question, whose request says how many.
    const answer = saysCount(reply) ? alone : answered(question, reply, alone, catalog);
    if (answer !== alone && answer.parsed.kind === "purchases") return answer;
    return limitsKept(question, alone.request, alone.parsed.items, catalog);
  }
  return answered(question, reply, alone, catalog);
}

/**
 * A reply that says go ahead and names nothing: "yes", "ok", "Do it now.", "just do it", "go
 * ahead", "order it", "buy them", "yes, buy 2", "Checkout", "Check out now", "Go ahead and
 * pay", "do it now, under 500 USD".
 */
const GO_AHEAD = new RegExp(
  [
    "^(?:(?:yes|yeah|yep|sure|ok|okay|please|then)[,!]? )*",
    "(?:yes+|yeah|yea|ya|y|yep|yup|sure|ok|okay|k|",
    "(?:(?:just|please) )?(?:do it|do that|go for it|",
    "go(?: ahead)?(?: and (?:buy|order|purchase|pay|checkout|check out)(?: (?:it|them))?)?|",
    "(?:order|buy|purchase)(?: (?:it|them|both|all|all of them|everything|\\d+))?|",
    "checkout|check out|pay(?: for (?:it|them))?)",
    "(?: now| please| then| right away| asap)*)",
    // "do it now, under 500 USD": a limit, which the request the answer asks for may say.
    "(?:,? (?:under|below|max|at most|up to|no more than|less than) \\$?\\d[\\d,.]*k?",
    "(?: ?(?:usd|dollars|bucks))?)?$",
  ].join(""),
  "u",
);

/**
 * A go-ahead to the cart's question ("Add 2 XYZ phones to my cart" / "Do it now."): that
 * question asks for what to order in a request of its own, since a go-ahead cannot say what the
 * person meant for the cart, and the reply alone names nothing, which read on its own asked
 * what the shop sells as if nothing had been said. It gets that question's own request, said
 * plainly, with the request that would order what the cart sentence named.
 */
function cartGoAhead(
  asked: Reading,
  reply: string,
  alone: Reading,
  catalog: readonly CatalogProduct[],
): Reading | undefined {
  const { parsed } = asked;
  if (
    parsed.kind !== "unclear" ||
    !isCartQuestion(parsed) ||
    alone.parsed.kind !== "unclear" ||
    // Read on its own, a go-ahead asks what to buy ("yes please order them") or what the shop
    // sells ("yes"), or takes one of its words for a product the shop lacks.
    !["not_a_purchase", "product_missing", "unknown_product"].includes(alone.parsed.reason) ||
    /[?\uFF1F]/u.test(reply) ||
    !GO_AHEAD.test(replyWords(reply))
  ) {
    return undefined;
  }
  const items = parsed.understood.flatMap((said) => {
    const [, qty = "", product = ""] = /^(\d+) x (.+)$/u.exec(said) ?? [];
    return catalog.some((one) => one.name === product) ? [{ product, qty: Number(qty) }] : [];
  });
  const buy =
    items.length === parsed.understood.length && items.length > 0
      ? requestOf(items, catalog)
      : `Buy 2 ${catalog[0] === undefined ? "XYZ phones" : plural(catalog[0])}`;
  return askedOf(asked.request, items, questionsFor(catalog).cartGoAhead(buy));
}

/** Whether `text` says a count: digits, a number in words, "a", "an", "single", "dozen". */
function saysCount(text: string): boolean {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .some((word) => /\d/u.test(word) || isNumberWord(word) || SAYS_COUNT.test(word));
}

/** The words of a count the parser reads before a name: "a dozen", "half a dozen", "a couple". */
const COUNT_PHRASE_WORDS = new Set(["a", "an", "half", "dozen", "couple", "pair", "of", "and"]);

/** Words that say how many on their own, beside digits and numbers in words. */
const SAYS_COUNT = /^(?:a|an|single|couple|pair|dozen|several|some|few|many)$/u;

/**
 * A reply that is a purchase of its own ("3 XYZ phones", "buy 2 XYZ phones"), read against the
 * question it answers: a limit the request gave an item, which the reply says nothing of, is not
 * dropped. It is kept when the reply asks for as many as the request ("buy 2 phones under $900"
 * / "buy 2 XYZ phones": at most $900); for another count, what the limit comes to is not said
 * ($900 for 3, or $450 each?), so the model asks. Items the question was not about, and items
 * the reply gives a limit of their own, are read as the reply says.
 */
function limitsKept(
  question: Question,
  request: string,
  items: readonly PurchaseRequest[],
  catalog: readonly CatalogProduct[],
): Reading {
  const before = items.map((item) =>
    item.priceLimit === undefined ? limitBefore(question, item, catalog) : undefined,
  );
  // "buy 3 phones under $1500" / "3 phones and 3 cases": the request's limit was for the one
  // purchase the question was about. Given to each of two, they could cost more than it together;
  // what each may cost is not said, so the model asks, as it does of a limit for everything.
  const limits = before.flatMap((one) => (one?.priceLimit === undefined ? [] : [one.priceLimit]));
  const [shared] = limits;
  if (limits.length > 1 && shared !== undefined) {
    // The request as it now stands, which a limit for each item completes.
    const unclear = questionsFor(catalog).totalLimit(shared, items);
    return askedOf(requestOf(items, catalog), items, unclear);
  }
  const kept: PurchaseRequest[] = [];
  for (const [index, item] of items.entries()) {
    const product = catalog.find((one) => one.name === item.product);
    const asked = before[index];
    const priceLimit = asked?.priceLimit;
    if (asked === undefined || priceLimit === undefined || product === undefined) {
      kept.push(item);
    } else if (asked.qty === item.qty) {
      kept.push({ ...item, priceLimit });
    } else {
      const said = { qty: asked.qty, priceLimit };
      return limitAsked(request, items, product, item.qty, said, catalog);
    }
  }
  return { request, parsed: { kind: "purchases", items: kept } };
}

/** The limit the question's request gives `item`'s product, completed as a short reply would. */
function limitBefore(
  question: Question,
  item: PurchaseRequest,
  catalog: readonly CatalogProduct[],
): PurchaseRequest | undefined {
  const { fill } = question;
  const answer =
    fill.kind === "product"
      ? fill.products.some((product) => product.name === item.product)
        ? item.product.toLowerCase()
        : undefined
      : fill.kind === "detail"
        ? fill.product.name === item.product
          ? "yes"
          : undefined
        : (fill.kind === "quantity" || fill.kind === "total") && fill.product.name === item.product
          ? String(item.qty)
          : undefined;
  const completion = answer === undefined ? undefined : complete(question, answer, catalog);
  if (completion === undefined) return undefined;
  const read = parsePurchaseRequest(completion.request, catalog);
  const items = read.kind === "purchases" ? read.items : [];
  const same = items.filter((one) => one.product === item.product);
  const [only] = same;
  return same.length === 1 && only?.priceLimit !== undefined ? only : undefined;
}

interface Question {
  request: string;
  parsed: Asking;
  fill: Fill;
}

function answered(
  question: Question,
  reply: string,
  alone: Reading,
  catalog: readonly CatalogProduct[],
): Reading {
  const again: Reading = { request: question.request, parsed: question.parsed };
  // A question back is no answer: "ABC? is that a good brand?" chose the laptop.
  if (/[?\uFF1F]/u.test(reply)) return notAnswered(again, alone);
  const words = replyWords(reply);
  const { fill } = question;
  if (fill.kind === "product" && NO.test(words)) {
    return {
      request: reply,
      parsed: { kind: "unclear", understood: [], ...questionsFor(catalog).productMissing() },
    };
  }
  const completion = complete(question, words, catalog);
  const parsed =
    completion === undefined ? undefined : parsePurchaseRequest(completion.request, catalog);
  if (
    completion === undefined ||
    parsed === undefined ||
    (completion.asks !== undefined &&
      parsed.kind === "purchases" &&
      !isDeepStrictEqual(parsePurchaseRequest(completion.asks, catalog), parsed))
  ) {
    return notAnswered(again, alone);
  }
  // A doubt in the words after the choice ("XYZ phone, but don't buy it yet") is asked as the
  // reply's own reading words it.
  if (
    completion.asks !== undefined &&
    alone.parsed.kind === "unclear" &&
    DOUBTS.has(alone.parsed.reason)
  ) {
    return alone;
  }
  if (parsed.kind === "purchases" && !keepsTheRest(question.parsed, parsed.items, completion.is)) {
    return again;
  }
  // The answer given and the same question still to ask ("2 XYZ phones, one in black, one in
  // white" / "2"): asked again, it would be asked after every answer. The reply is read on its
  // own instead, whose question asks for the whole request.
  if (parsed.kind === "unclear" && parsed.question === question.parsed.question) return alone;
  const { limitOf, qty } = completion;
  if (parsed.kind !== "purchases" || (limitOf === undefined && qty === undefined)) {
    return { request: completion.request, parsed };
  }
  const answer = parsed.items.find(completion.is);
  const product = catalog.find((one) => one.name === answer?.product);
  // A new count leaves a limit the request gave for the old one unsaid ("buy a USB cable under
  // $10" / "yes, 2 of them": $10 for both, or each?), unless the reply says one.
  if (
    answer?.priceLimit !== undefined &&
    product !== undefined &&
    qty !== undefined &&
    qty !== answer.qty &&
    limitOf === undefined
  ) {
    const asked = parsed.items.map((item) =>
      item === answer ? { product: item.product, qty } : item,
    );
    // The request as it now stands, which a limit alone completes.
    const before = { qty: answer.qty, priceLimit: answer.priceLimit };
    return limitAsked(requestOf(asked, catalog), asked, product, qty, before, catalog);
  }
  // The parser keeps the lower of the request's limit and the reply's ("buy 2 USB cables under
  // $30" / "yes, under $50"); the reply is the person's last word on it.
  const items = parsed.items.map((item) => {
    if (item !== answer) return item;
    const counted = qty === undefined ? item : { ...item, qty };
    const priceLimit = limitOf?.(counted.qty);
    return priceLimit === undefined ? counted : { ...counted, priceLimit };
  });
  return { request: completion.request, parsed: { kind: "purchases", items } };
}

/**
 * What a reply that is no answer gets: a reply that says nothing the model reads gets the
 * question again; one it has its own question about (a doubt, an unknown product) gets that
 * one; one that is a purchase of its own is read as one.
 */
function notAnswered(again: Reading, alone: Reading): Reading {
  const reason = alone.parsed.kind === "unclear" ? alone.parsed.reason : undefined;
  return reason === "not_a_purchase" || reason === "product_missing" ? again : alone;
}

/**
 * The question of the most to pay for `qty` of `product` (`limit_not_said`), of `request`, which
 * buys `items`: the request said a limit for another count (`before`).
 */
function limitAsked(
  request: string,
  items: readonly PurchaseRequest[],
  product: CatalogProduct,
  qty: number,
  before: { qty: number; priceLimit: number },
  catalog: readonly CatalogProduct[],
): Reading {
  return askedOf(request, items, questionsFor(catalog).limitNotSaid(product, qty, before));
}

/** The model's question `unclear` of `request`, which buys `items`, as the model asks it. */
function askedOf(request: string, items: readonly PurchaseRequest[], unclear: Unclear): Reading {
  const understood = items.map((item) => `${String(item.qty)} x ${item.product}`);
  return { request, parsed: { kind: "unclear", understood, ...unclear } };
}

/** A request that buys `items`: "Buy 2 XYZ phones under $900 and 1 USB-C cable". */
function requestOf(items: readonly PurchaseRequest[], catalog: readonly CatalogProduct[]): string {
  const said = items.map(({ product: name, qty, priceLimit }) => {
    const product = catalog.find((one) => one.name === name);
    const named = qty === 1 || product === undefined ? name : plural(product);
    const limit = priceLimit === undefined ? "" : ` under $${String(priceLimit)}`;
    return `${String(qty)} ${named}${limit}`;
  });
  return `Buy ${said.join(" and ")}`;
}

/**
 * The limit `text` sets for `qty` of `product`, as the parser reads "Buy <qty> <product> <text>"
 * ("$20 each" of 2 is 40); undefined unless it reads that one purchase and a limit.
 */
function limitFor(
  product: CatalogProduct,
  qty: number,
  text: string,
  catalog: readonly CatalogProduct[],
): number | undefined {
  const name = qty === 1 ? product.name : plural(product);
  const read = parsePurchaseRequest(`Buy ${String(qty)} ${name} ${text}`, catalog);
  const [only] = read.kind === "purchases" && read.items.length === 1 ? read.items : [];
  return only?.product === product.name && only.qty === qty ? only.priceLimit : undefined;
}

const DOUBTS: ReadonlySet<UnclearReason> = new Set([
  "negated",
  "hesitant",
  "not_now",
  "reported",
  "injected",
]);

const YES =
  /^(?:yes+|yeah|yea|ya|y|yep|yup|correct|right|exactly|sure|sure thing|of course|ofc|ok|okay|k|kk|\u{1F44D}[\u{1F3FB}-\u{1F3FF}]?)(?: please| pls)?$/u;
const NO = /^(?:no|nope|nah)(?: thanks| thank you)?$/;

/** A reply that chooses every product named: "both", "yes, order them both", "all of them pls". */
const ALL_OF_THEM = new RegExp(
  [
    "^(?:(?:yes|yeah|yep|ok|okay|sure) )?(?:(?:please|pls|plz) )?",
    "(?:(?:order|buy|get|purchase)(?: me)? )?",
    "(both|both of them|them both|both please|all|all of them|them all|everything|two of them)",
    "(?: (?:please|pls|plz|now|thanks|thank you|thx))*$",
  ].join(""),
  "u",
);

/**
 * Words before an answer that say nothing of it: "fine, 500", "oops, I meant 15". Not "ok" or
 * "sure" alone, which say yes.
 */
const LEAD_FILLERS =
  /^(?:(?:ok|okay|fine|alright|all right|oops|oh|ah|um|uh|hmm|well|sorry)[,.!]? )+/u;

/** The reply in lower case, without the punctuation and courtesies around its answer. */
function replyWords(reply: string): string {
  return reply
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[.!]+$/u, "")
    .replace(/\s+/gu, " ")
    .trim()
    .replace(LEAD_FILLERS, "")
    .replace(/^(?:i mean|i meant) /u, "")
    .replace(/^the /u, "")
    .replace(/,? (?:please|sorry|thanks|thank you|thx|ty|cheers)$/u, "");
}

interface Completion {
  request: string;
  /** Whether an item of the completed request is the answer. */
  is: (item: PurchaseRequest) => boolean;
  /**
   * The answer came with words that are no limit or count ("the case in black"): the
   * completed request's question is asked about them, and a completed request that buys is no
   * answer, unless it buys what the request completed without them (`asks`, the request so
   * completed) does: "XYZ phone, for my son".
   */
  asks?: string;
  /** The count said with the answer, in place of the request's for the item answered. */
  qty?: number;
  /**
   * The limit the reply said with its answer, for that many of the item answered: it replaces
   * any the request gave that item.
   */
  limitOf?: (qty: number) => number | undefined;
}

function complete(
  { request, fill }: Question,
  words: string,
  catalog: readonly CatalogProduct[],
): Completion | undefined {
  switch (fill.kind) {
    case "product":
      return chosenIn({ request, fill }, words, catalog);
    case "quantity": {
      const answer = countAnswerIn(words, fill.product, catalog);
      if (answer === undefined) return undefined;
      const { count, limit } = answer;
      const text = countedIn(request, fill.product, fill.got, count);
      return text === undefined
        ? undefined
        : {
            request: text,
            is: (item) => item.product === fill.product.name && item.qty === count,
            ...(limit === undefined ? {} : { limitOf: () => limit }),
          };
    }
    case "total": {
      // "How many do you want in all?" of a request that asked for nothing else: its answer.
      const answer = countAnswerIn(words, fill.product, catalog);
      if (answer === undefined) return undefined;
      const { count, limit } = answer;
      const name = count === 1 ? fill.product.name : plural(fill.product);
      return {
        request: `Buy ${String(count)} ${name}`,
        is: (item) => item.product === fill.product.name && item.qty === count,
        ...(limit === undefined ? {} : { limitOf: () => limit }),
      };
    }
    case "detail": {
      const answer = itselfIn(words, fill.product, catalog);
      const without = answer === undefined ? undefined : removedOnce(request, fill.detail);
      if (answer === undefined || without === undefined) return undefined;
      const is = (item: PurchaseRequest) => item.product === fill.product.name;
      const { limit } = answer;
      if (limit === undefined) return { request: without, is };
      // A limit said with the "yes" is the item's, as after a chosen product.
      const text = afterName(without, fill.product, limit);
      return text === undefined
        ? undefined
        : {
            request: text,
            is: (item) => is(item) && item.priceLimit !== undefined,
            limitOf: (qty) => limitFor(fill.product, qty, limit, catalog),
          };
    }
    case "pronoun":
      return pronounAnswerIn(request, fill, words, catalog);
    case "limits": {
      const text = limitsIn(words, fill.items, catalog);
      return text === undefined
        ? undefined
        : { request: text, is: (item) => item.priceLimit !== undefined };
    }
    case "money": {
      const limit = limitIn(words) ?? (SAYS_DOLLARS.test(words) ? amountIn(fill.said) : undefined);
      const text = limit === undefined ? undefined : inPlaceOfMoney(request, fill.said, limit);
      return text === undefined
        ? undefined
        : { request: text, is: (item) => item.priceLimit === limit };
    }
    case "limit": {
      const limit = limitIn(words);
      const text =
        limit === undefined
          ? undefined
          : "got" in fill
            ? replacedOnce(request, String(fill.got), String(limit))
            : limitedIn(request, fill.product, limit);
      return text === undefined
        ? undefined
        : { request: text, is: (item) => item.priceLimit === limit };
    }
  }
}

/**
 * The answer to which of several products "it" orders: all of them ("both", "order them both",
 * "all of them, thanks"), the request read again with "them" for the pronoun; or one of them
 * ("just the phone", "the laptop pls"), as that request buys it, with the count and limit it
 * said of it.
 */
function pronounAnswerIn(
  request: string,
  fill: Extract<Fill, { kind: "pronoun" }>,
  words: string,
  catalog: readonly CatalogProduct[],
): Completion | undefined {
  const all = replacedOnce(request, fill.said, fill.said.replace(/\S+$/u, "them"));
  if (all === undefined) return undefined;
  const plain = words.replace(/[.,!]/gu, "");
  const chosen = ALL_OF_THEM.exec(plain);
  if (chosen !== null) {
    const both = chosen[1]?.includes("both") === true || chosen[1] === "two of them";
    return both && fill.products.length !== 2 ? undefined : { request: all, is: () => true };
  }
  const offered = catalog.filter((product) => fill.products.includes(product.name));
  const product = chosenProduct(plain.replace(ONE_OF_THEM, "$1"), offered);
  const read = parsePurchaseRequest(all, catalog);
  const item =
    read.kind === "purchases" ? read.items.find((one) => one.product === product?.name) : undefined;
  return item === undefined
    ? undefined
    : { request: requestOf([item], catalog), is: (one) => one.product === item.product };
}

/** A reply that chooses one product by name, and the name: "just the phone", "the laptop pls". */
const ONE_OF_THEM = /^(?:(?:just|only) )?(?:the )?(.+?)(?: (?:please|pls|plz|thanks|thx))?$/u;

/**
 * The offered product the reply names: "yes" when one was offered, or words that name one
 * offered product only ("the case" of the XYZ phone and its case; "the phone" names both).
 * Never one that was not offered, nor one by its place in the list.
 */
function chosenProduct(
  words: string,
  offered: readonly CatalogProduct[],
): CatalogProduct | undefined {
  const [only] = offered;
  if (offered.length === 1 && YES.test(words)) return only;
  const named = spelledJoined(
    tokensOf(words.replace(/^(?:yes|yeah|yea|ya|yep),? (?:the )?/u, "")),
    offered,
  );
  if (named.length === 0) return undefined;
  const exact = offered.filter((product) => sameTokens(tokensOf(product.name), named));
  if (exact.length === 1) return exact[0];
  // Each word of the reply a word of the name, once: "XYZ phone, XYZ phone case" names both.
  const containing = offered.filter((product) => {
    const tokens = tokensOf(product.name);
    return named.every((token) => {
      const at = tokens.indexOf(token);
      if (at !== -1) tokens.splice(at, 1);
      return at !== -1;
    });
  });
  return containing.length === 1 ? containing[0] : undefined;
}

/**
 * Letters that spell words of an offered name, as dictation writes them ("the x y z phone", "u
 * s b c"), as those words; any other letters as they are.
 */
function spelledJoined(tokens: readonly string[], offered: readonly CatalogProduct[]): string[] {
  const names = offered.map((product) => tokensOf(product.name));
  const joined: string[] = [];
  for (let at = 0; at < tokens.length;) {
    let end = at;
    while (tokens[end]?.length === 1) end += 1;
    const letters = tokens.slice(at, end).join("");
    const spelled =
      end - at < 2
        ? undefined
        : names.map((name) => spelledNameWords(letters, name)).find((words) => words !== undefined);
    if (spelled === undefined) {
      joined.push(tokens[at] ?? "");
      at += 1;
    } else {
      joined.push(...spelled);
      at = end;
    }
  }
  return joined;
}

/** The request completed by the product a reply chooses, and what it said after the choice. */
function chosenIn(
  { request, fill }: { request: string; fill: Extract<Fill, { kind: "product" }> },
  words: string,
  catalog: readonly CatalogProduct[],
): Completion | undefined {
  const choice = choiceIn(words, fill.products, catalog);
  if (choice === undefined) return undefined;
  const { product, after } = choice;
  const named = namedIn(request, fill.word, product);
  const text =
    after === undefined || after.kind === "count"
      ? named
      : namedIn(request, fill.word, product, after.text);
  if (text === undefined || named === undefined) return undefined;
  const is = (item: PurchaseRequest) => item.product === product.name;
  switch (after?.kind) {
    case undefined:
      return { request: text, is };
    case "limit":
      // A limit said with the choice is the chosen item's.
      return {
        request: text,
        is: (item) => is(item) && item.priceLimit !== undefined,
        limitOf: (qty) => limitFor(product, qty, after.text, catalog),
      };
    case "count":
      return {
        request: text,
        is,
        qty: after.count,
        ...(after.limit === undefined ? {} : { limitOf: () => after.limit }),
      };
    case "other":
      return { request: text, is, asks: named };
  }
}

/** What a reply says after the product it chooses. */
type AfterChoice =
  /** A limit: "XYZ phone under $600", "the cases, $20 each". */
  | { kind: "limit"; text: string }
  /** A count, and a limit with it: "the case, 3 of them", "yes, but just one", "yes, 2 cases". */
  | { kind: "count"; count: number; limit?: number }
  /** Anything else, which goes beside the product's name in the request: "the case in black". */
  | { kind: "other"; text: string };

/**
 * The offered product the reply chooses, and what it says after the choice. What follows is a
 * limit when the parser reads "Buy 1 <product> <it>" as that one product with a limit and
 * nothing more ("XYZ phone 2" is no limit of $2), and a count when it answers "How many?" of
 * the product (`countAnswerIn`), set apart from the name: "XYZ phone 2" may be a model's name,
 * "XYZ phone, 2" and "XYZ phone, 2 of them" are not.
 */
function choiceIn(
  words: string,
  offered: readonly CatalogProduct[],
  catalog: readonly CatalogProduct[],
): { product: CatalogProduct; after?: AfterChoice } | undefined {
  const whole = chosenProduct(words, offered);
  if (whole !== undefined) return { product: whole };
  const list = words.split(" ");
  for (let end = list.length - 1; end > 0; end--) {
    const product = chosenProduct(list.slice(0, end).join(" ").replace(/,$/u, ""), offered);
    if (product === undefined) continue;
    const said = list.slice(end).join(" ");
    const rest = said.replace(LIMIT_LEAD, "");
    if (limitFor(product, 1, rest, catalog) !== undefined) {
      return { product, after: { kind: "limit", text: rest } };
    }
    // "the ABC one": a pronoun, not a count.
    const setApart =
      rest !== "one" &&
      ((list[end - 1] ?? "").endsWith(",") || rest !== said || !/^\d+$/u.test(rest));
    const counted = setApart ? countAnswerIn(rest, product, catalog) : undefined;
    if (counted !== undefined) return { product, after: { kind: "count", ...counted } };
    return { product, after: { kind: "other", text: said } };
  }
  return undefined;
}

/** Words between a chosen product and its limit: "XYZ phone, but make it under $600". */
const LIMIT_LEAD = /^(?:(?:,|and|but|make it|keep it)\s*)+/u;

function tokensOf(text: string): string[] {
  return nameTokens(text).map(singular);
}

function sameTokens(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((token, index) => b[index] === token);
}

/**
 * The request with the asked-about word (and the words of the product's name after it: "USB
 * cable") replaced by the product's name, plural if the word was. Undefined unless the word is
 * there once.
 */
function namedIn(
  request: string,
  word: string,
  product: CatalogProduct,
  after?: string,
): string | undefined {
  const at = onlyMatch(request, escape(word));
  if (at === undefined) return undefined;
  const tokens = tokensOf(product.name);
  let end = at.index + at.text.length;
  let last = at.text;
  for (let next = /^\s+([\p{L}\p{N}-]+)/u.exec(request.slice(end)); next !== null;) {
    const [spaced, following = ""] = next;
    if (!tokensOf(following).every((token) => tokens.includes(token))) break;
    end += spaced.length;
    last = following;
    next = /^\s+([\p{L}\p{N}-]+)/u.exec(request.slice(end));
  }
  const isPlural = singular(last.toLowerCase()) !== last.toLowerCase();
  const name = isPlural ? plural(product) : product.name;
  const said = after === undefined ? name : `${name} ${after}`;
  return `${request.slice(0, at.index)}${said}${request.slice(end)}`;
}

/** The request with "under $<limit>" after the product's name, if the name is there once. */
function limitedIn(request: string, product: CatalogProduct, limit: number): string | undefined {
  return afterName(request, product, `under $${String(limit)}`);
}

const VAGUE_COUNT = /(?:^|\s)(?:some|several|any|many|a few|a couple of)\s+$/iu;

/**
 * The request with the count: in place of the one out of range (`got`), or before the product's
 * name in place of a vague one ("some"). Undefined unless the number or the name is there once.
 */
function countedIn(
  request: string,
  product: CatalogProduct,
  got: number | undefined,
  count: number,
): string | undefined {
  if (got !== undefined) return replacedOnce(request, String(got), String(count));
  const at = onlyMatch(request, `${escape(product.name)}(?:s|es)?`);
  if (at === undefined) return undefined;
  const head = request
    .slice(0, at.index)
    .replace(VAGUE_COUNT, (vague) => (vague.startsWith(" ") ? " " : ""));
  return `${head}${String(count)} ${request.slice(at.index)}`;
}

/**
 * A count answering "How many <product> do you want?": a count alone ("3", "just one"), with
 * the product's words and a limit after it ("3 cables", "3, under $30", "2 USB-C cables at most
 * $10 each"), or a count the parser reads before a name ("a dozen"), each maybe with its verdict
 * that it will do ("3 cables should be enough"). Beyond a count alone, the
 * parser reads "Buy <count> <product> <the rest>" and must find that one purchase and nothing
 * else, so every word is read; the product's own words after the count are dropped first.
 */
function countAnswerIn(
  words: string,
  product: CatalogProduct,
  catalog: readonly CatalogProduct[],
): { count: number; limit?: number } | undefined {
  const count = countIn(words);
  if (count !== undefined) return { count };
  const list = words.replace(SUFFICES, "").split(" ");
  const names = tokensOf(product.name);
  const isName = (word: string) => {
    const tokens = tokensOf(word);
    return tokens.length > 0 && tokens.every((token) => names.includes(token));
  };
  for (let end = list.length; end > 0; end--) {
    // The count, then what follows it; or the whole reply as a count the parser reads before
    // a name ("a dozen", "half a dozen").
    const counted = list.slice(0, end).join(" ").replace(/,$/u, "");
    const isCount =
      end < list.length
        ? countIn(counted) !== undefined
        : list.every(
            (word) => /^\d+$/u.test(word) || isNumberWord(word) || COUNT_PHRASE_WORDS.has(word),
          );
    if (!isCount) continue;
    let from = end;
    while (from < list.length && isName(list[from] ?? "")) from++;
    const rest = list.slice(from).join(" ").replace(LIMIT_LEAD, "");
    // "2 pairs": of the product, as the parser reads "2 pairs of Wireless headphones".
    const text = /^pairs?$/u.test(rest)
      ? `Buy ${counted} ${rest} of ${plural(product)}`
      : `Buy ${counted} ${plural(product)} ${rest}`;
    const read = parsePurchaseRequest(text.trim(), catalog);
    const [only] = read.kind === "purchases" && read.items.length === 1 ? read.items : [];
    if (only?.product === product.name) {
      return only.priceLimit === undefined
        ? { count: only.qty }
        : { count: only.qty, limit: only.priceLimit };
    }
  }
  return undefined;
}

/**
 * A count's own verdict that it will do, after it: "3 should be enough", "three's fine", "2 will
 * do". Only words that keep the count as said: "3 is too many", "3 is not enough" and "3 should
 * be enough, right?" are no answer.
 */
const SUFFICES = new RegExp(
  "(?:(?:,? (?:is|are|should be|would be|will be|ought to be)|['\u2019](?:s|re|ll be)) " +
    "(?:plenty|enough|more than enough|fine|sufficient|good|good enough|ok|okay)" +
    "|(?:,? (?:will|would|should|ought to)|['\u2019]ll) (?:do(?: it| the trick)?|suffice))$",
  "u",
);

const COUNT_WORDS = /^(?:just |only )?(.+?)(?: of them| in all| in total)?$/u;

/** A count from 1 to the most the shop sells at once, in digits or words, and nothing else. */
function countIn(words: string): number | undefined {
  const body = COUNT_WORDS.exec(words.replace(SUFFICES, ""))?.[1] ?? "";
  const list = body.split(" ");
  const value = /^\d+$/u.test(body)
    ? Number(body)
    : readNumberWords(list, 0)?.length === list.length
      ? readNumberWords(list, 0)?.value
      : undefined;
  return value !== undefined && value >= 1 && value <= MAX_QUANTITY ? value : undefined;
}

/** An amount, with or without commas between its thousands: "1,300", "1300", "9.99". */
const AMOUNT = String.raw`(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)`;
const LIMIT_WORDS = new RegExp(
  String.raw`^(?:(?:under|below|at most|up to|max|maximum|no more than|less than) )?(?:\$ ?${AMOUNT}|${AMOUNT}(?: dollars| usd)?)$`,
  "u",
);

/** A price limit in dollars, above 0 and at most the most a limit may be, and nothing else. */
function limitIn(words: string): number | undefined {
  return amountOf(LIMIT_WORDS.exec(words));
}

/** The amount an AMOUNT pattern found, above 0 and at most the most a limit may be. */
function amountOf(match: RegExpExecArray | null): number | undefined {
  const amount = Number((match?.[1] ?? match?.[2] ?? "").replaceAll(",", "") || Number.NaN);
  return amount > 0 && amount <= MAX_PRICE_LIMIT ? amount : undefined;
}

/** A reply that names the shop's currency alone: the amount was said, in another currency. */
const SAYS_DOLLARS = /^(?:in )?(?:\$|usd|(?:us |american )?dollars?|bucks)$/u;
/**
 * An amount in another currency and nothing else ("500 euros", "£200", "1,000 CAD", "600 EUR
 * max"), whose number a reply of "dollars" keeps; not "at least $1000" nor "500 euros each".
 */
const FOREIGN_AMOUNT = new RegExp(
  String.raw`^(?:[\u00a3\u20ac\u00a5\u20b9] ?${AMOUNT}|${AMOUNT} ?(?:[\u00a3\u20ac\u00a5\u20b9]|${[...FOREIGN_CURRENCIES].join("|")}))(?: max| maximum| tops| at most| or less)?$`,
  "iu",
);

function amountIn(said: string): number | undefined {
  return amountOf(FOREIGN_AMOUNT.exec(said));
}

/** Words before an amount that make it the most to pay: "under 500 euros", "budget: £200". */
const LIMIT_BEFORE =
  /(?:^|[\s(])(?:under|below|max|maximum|up to|at most|less than|no more than|not more than|within|budget:?|cap:?|ceiling:?|limit:?|tops)\s*$/iu;

/**
 * The request with `limit` in place of the money it said that was not read (`said`): "$<limit>"
 * after words that make it a limit ("under 500 euros" -> "under $450"), "under $<limit>" in
 * place of any other ("that costs at least $1000" -> "under $1300"). Undefined unless `said` is
 * there once.
 */
function inPlaceOfMoney(request: string, said: string, limit: number): string | undefined {
  const at = onlyMatch(request, escape(said));
  if (at === undefined) return undefined;
  const before = request.slice(0, at.index);
  const lead = LIMIT_BEFORE.test(before) ? "" : "under ";
  return `${before}${lead}$${String(limit)}${request.slice(at.index + at.text.length)}`;
}

/** The completed request buys what the question's request understood and the answer, no more. */
function keepsTheRest(
  asked: Asking,
  items: readonly PurchaseRequest[],
  isAnswer: (item: PurchaseRequest) => boolean,
): boolean {
  // A total replaces every item of its product, the only product asked for.
  if (asked.fills?.kind === "total") return items.length === 1 && items.every(isAnswer);
  // Of the products a pronoun may order, the ones chosen, each as the request said it.
  if (asked.fills?.kind === "pronoun") {
    return (
      items.length > 0 &&
      items.every(
        (item) => isAnswer(item) && asked.understood.includes(`${item.qty} x ${item.product}`),
      )
    );
  }
  const rest = [...items];
  for (const understood of asked.understood) {
    const at = rest.findIndex((item) => `${item.qty} x ${item.product}` === understood);
    if (at === -1) return false;
    rest.splice(at, 1);
  }
  // A limit for each item: every item has one, and none was added.
  if (asked.fills?.kind === "limits") return rest.length === 0 && items.every(isAnswer);

  // A limit, or a "yes" to the product itself, fills in an item that was understood; a product
  // or a count, the one that was not.
  const understoodOnly =
    asked.fills?.kind === "limit" ||
    asked.fills?.kind === "money" ||
    asked.fills?.kind === "detail";
  const added = understoodOnly ? items : rest;
  return rest.length === (understoodOnly ? 0 : 1) && added.some(isAnswer);
}

/**
 * A reply that says yes to the product itself: "yes", "the phone itself", "the headphones
 * themselves", "yes, just the XYZ phone", each word of a name a word of the product's; and a
 * limit after it ("yes, under $499"), as the parser reads it after the name.
 */
function itselfIn(
  words: string,
  product: CatalogProduct,
  catalog: readonly CatalogProduct[],
): { limit?: string } | undefined {
  if (wantsItself(words, product)) return {};
  const list = words.split(" ");
  for (let end = list.length - 1; end > 0; end--) {
    if (!wantsItself(list.slice(0, end).join(" ").replace(/,$/u, ""), product)) continue;
    const limit = list.slice(end).join(" ").replace(LIMIT_LEAD, "");
    return limitFor(product, 1, limit, catalog) === undefined ? undefined : { limit };
  }
  return undefined;
}

const ITSELF =
  /^(?:(?:yes|yeah|yep|yup|sure|ok|okay|correct|right)[,.!]? )?(?:just |only )?(?:the )?(.*?)(?:,? (?:itself|themselves|alone|only|on its own|on their own))?$/u;

/** "yes", or the product named as a reply names an offered one (`chosenProduct`). */
function wantsItself(words: string, product: CatalogProduct): boolean {
  return YES.test(words) || chosenProduct(ITSELF.exec(words)?.[1] ?? "", [product]) !== undefined;
}

/** The request without `detail` (a word beside a product's name), if it is there once. */
function removedOnce(request: string, detail: string): string | undefined {
  const at = onlyMatch(request, escape(detail));
  if (at === undefined) return undefined;
  const rest = `${request.slice(0, at.index)} ${request.slice(at.index + at.text.length)}`;
  return rest
    .replace(/[ \t]+/gu, " ")
    .replace(/ ([,.!?;:])/gu, "$1")
    .trim();
}

/** The request with `text` after the product's name, if the name is there once. */
function afterName(request: string, product: CatalogProduct, text: string): string | undefined {
  const at = onlyMatch(request, `${escape(product.name)}(?:s|es)?`);
  if (at === undefined) return undefined;
  const end = at.index + at.text.length;
  return `${request.slice(0, end)} ${text}${request.slice(end)}`;
}

/**
 * The request a reply makes of `items` (a request whose limit was for all of them together)
 * when it names each item once, by a word of its name, with the limit it says for it:
 * "phones under $500 each, cable under $10" is "Buy 2 XYZ phones under $500 each, 1 USB-C
 * cable under $10", and "$1000 for the phones" is "2 XYZ phones for $1000". The parser reads
 * it with every check; a count said beside a name is the reply's.
 */
function limitsIn(
  words: string,
  items: readonly PurchaseRequest[],
  catalog: readonly CatalogProduct[],
): string | undefined {
  const products = items.map((item) => catalog.find((product) => product.name === item.product));
  const list = words.split(" ");
  const said: (string | { item: number; text: string })[] = [];
  const named = new Set<number>();
  for (let start = 0; start < list.length;) {
    let found: { end: number; item: number } | undefined;
    for (let end = list.length; end > start && found === undefined; end--) {
      const item = itemNamed(
        list
          .slice(start, end)
          .join(" ")
          .replace(/[,:;.]+$/u, ""),
        products,
      );
      if (item !== undefined) found = { end, item };
    }
    if (found === undefined) {
      said.push(list[start] ?? "");
      start += 1;
      continue;
    }
    const { item: index, end } = found;
    const product = products[index];
    const item = items[index];
    if (named.has(index) || product === undefined || item === undefined) return undefined;
    named.add(index);
    const run = list.slice(start, end).join(" ");
    const mark = /[,:;.]+$/u.exec(run)?.[0] ?? "";
    const last =
      run
        .slice(0, run.length - mark.length)
        .split(" ")
        .at(-1) ?? "";
    if (said.at(-1) === "the") said.pop();
    const before = said.at(-1);
    const counted = typeof before === "string" && (/^\d+$/u.test(before) || isNumberWord(before));
    const isPlural = counted ? singular(last) !== last : item.qty !== 1;
    const name = isPlural ? plural(product) : product.name;
    said.push({ item: index, text: `${counted ? "" : `${String(item.qty)} `}${name}${mark}` });
    start = end;
  }
  if (named.size !== items.length) return undefined;
  // "$1000 for the phones", "$20 each for the cases": the limit after the name, where the
  // parser reads it.
  for (let at = 2; at < said.length; at++) {
    const [money, each, word, item] = said.slice(at - 2, at + 2);
    const perUnit = each === "each" || each === "apiece" ? 1 : 0;
    const [cue, target] = perUnit === 1 ? [word, item] : [each, word];
    if (
      typeof money === "string" &&
      MONEY.test(money) &&
      cue === "for" &&
      typeof target === "object"
    ) {
      const limit = perUnit === 1 ? [money, each ?? ""] : [money];
      said.splice(at - 2, 3 + perUnit, target, "for", ...limit);
    }
  }
  const text = said.map((part) => (typeof part === "string" ? part : part.text)).join(" ");
  return `Buy ${text}`;
}

const MONEY = /^\$ ?\d[\d,]*(?:\.\d+)?k?$/u;

/**
 * Which of `products` the words name, as a reply names an offered product (`chosenProduct`):
 * "phone" names two. A word with nothing of a name in it ("/", "-") names nothing.
 */
function itemNamed(
  words: string,
  products: readonly (CatalogProduct | undefined)[],
): number | undefined {
  if (words.split(" ").some((word) => tokensOf(word).length === 0)) return undefined;
  const product = chosenProduct(
    words,
    products.filter((one) => one !== undefined),
  );
  return product === undefined ? undefined : products.indexOf(product);
}

function replacedOnce(request: string, from: string, to: string): string | undefined {
  const at = onlyMatch(request, escape(from));
  return at === undefined
    ? undefined
    : `${request.slice(0, at.index)}${to}${request.slice(at.index + at.text.length)}`;
}

/** Where `pattern` is in `text` as whole words, if it is there exactly once. */
function onlyMatch(text: string, pattern: string): { index: number; text: string } | undefined {
  const matches = [
    ...text.matchAll(
      new RegExp(`(?<![\\p{L}\\p{N}.,-])${pattern}(?![\\p{L}\\p{N}-]|[.,]\\d)`, "giu"),
    ),
  ];
  const [only] = matches;
  return matches.length === 1 && only !== undefined
    ? { index: only.index, text: only[0] }
    : undefined;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&");
}
