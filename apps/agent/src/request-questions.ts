import {
  MAX_PRICE_LIMIT,
  MAX_QUANTITY,
  SHOP_CURRENCY,
  type PurchaseRequest,
} from "@ciba-testbed/shared";

import { hasPluralName, type CatalogProduct } from "./catalog-match.js";
import { listed } from "./listed.js";

/** Why the offline model cannot buy what it read, each with the one question it asks. */
export type UnclearReason =
  | "not_a_purchase"
  | "negated"
  | "product_missing"
  | "unknown_product"
  | "ambiguous_product"
  | "ambiguous_change"
  | "quantity_missing"
  | "quantity_out_of_range"
  | "price_out_of_range"
  | "hesitant"
  | "not_now"
  | "reported"
  | "injected"
  | "unread_price"
  | "unread_detail"
  | "repeated"
  | "total_limit"
  | "limit_not_said"
  | "too_long";

/**
 * What a short reply to a question can fill in, for the questions such a reply answers on its
 * own (follow-up.ts): the product a word means, a count, a price limit.
 */
export type Fill =
  | { kind: "product"; word: string; products: readonly CatalogProduct[] }
  | { kind: "quantity"; product: CatalogProduct; got?: number }
  /**
   * The most to pay: in place of `got`, the limit out of range, or, without one, after the
   * name of `product`, whose limit was not said.
   */
  | { kind: "limit"; got: number }
  | { kind: "limit"; product: CatalogProduct }
  /** How many of `product` in all, for a request whose every item is of it: "And 2 more.". */
  | { kind: "total"; product: CatalogProduct }
  /**
   * Whether `product` itself is wanted without the word beside its name (`detail`, "charger"
   * in "an XYZ phone charger"): "yes", "the phone itself".
   */
  | { kind: "detail"; detail: string; product: CatalogProduct }
  /** A limit for each of `items`, for a request that gave one limit for all of them together. */
  | { kind: "limits"; items: readonly PurchaseRequest[] }
  /** Which of `products` (two or more names) a pronoun for one thing orders (`said`, "order it"). */
  | { kind: "pronoun"; said: string; products: readonly string[] }
  /**
   * The most to pay, in place of money the request said but the reader could not read as a
   * limit in the shop's currency (`said`, as quoted: "500 euros", "at least $1000").
   */
  | { kind: "money"; said: string };

export interface Unclear {
  reason: UnclearReason;
  /** What is missing, to follow "I need ...". */
  needed: string;
  /** The one clarifying question to ask the person. */
  question: string;
  /** What a reply can fill in; absent when only a new request answers the question. */
  fills?: Fill;
}

/** How the cart's question says what it needs (`cart`), after the words it quotes. */
const FILLS_A_CART = "fills a cart, and I cannot keep one; I can only place an order";

/** Whether `unclear` is the cart's question: "You wrote "to my cart": I have no cart ...". */
export function isCartQuestion(unclear: Unclear): boolean {
  return unclear.reason === "not_now" && unclear.needed.endsWith(`" ${FILLS_A_CART}`);
}

/** The clarifying questions, worded with the catalog the request was read against. */
export function questionsFor(catalog: readonly CatalogProduct[]) {
  const names = catalog.map((product) => product.name);
  const sold = names.length === 0 ? "nothing right now" : oneOf(names);
  const [first] = catalog;
  const example = `"Buy 2 ${first === undefined ? "XYZ phones" : plural(first)} under $500"`;
  return {
    notAPurchase(mentioned: CatalogProduct | undefined): Unclear {
      return {
        reason: "not_a_purchase",
        needed: `a purchase request such as ${example}`,
        question:
          mentioned === undefined
            ? `I can only buy what the shop sells (${sold}). What would you like to buy?`
            : `Do you want to buy the ${mentioned.name}? Then say how many, for example "Buy 1 ${mentioned.name}".`,
      };
    },
    negated(): Unclear {
      return {
        reason: "negated",
        needed: "a request to buy something, not one to leave something out",
        question:
          "You asked me not to buy it. I cannot cancel anything: an order already placed stands, and a purchase already waiting for approval is not affected by this message (deny it on your phone or the approver page). Is there something you want me to buy?",
      };
    },
    productMissing(): Unclear {
      return {
        reason: "product_missing",
        needed: "the product to buy",
        question: `What do you want to buy? The shop sells ${sold}.`,
      };
    },
    unknownProduct(name: string): Unclear {
      return {
        reason: "unknown_product",
        needed: `a product the shop sells instead of "${name}" (${sold})`,
        question:
          names.length === 0
            ? `The shop does not sell "${name}": its catalog is empty.`
            : `The shop does not sell "${name}". Do you want one of these: ${sold}?`,
      };
    },
    partialName(word: string, candidates: readonly CatalogProduct[]): Unclear {
      const choices = oneOf(candidates.map((product) => product.name));
      return {
        reason: "ambiguous_product",
        needed: `which product "${word}" means (${choices})`,
        question:
          candidates.length === 1
            ? `By "${word}", do you mean ${choices}?`
            : `Which do you mean by "${word}": ${choices}?`,
        fills: { kind: "product", word, products: candidates },
      };
    },
    eitherOr(products: readonly CatalogProduct[]): Unclear {
      const choices = oneOf(products.map((product) => product.name));
      return {
        reason: "ambiguous_product",
        needed: `which one of ${choices} to buy`,
        question: `Which one do you want: ${choices}?`,
      };
    },
    ambiguousChange(products: readonly CatalogProduct[]): Unclear {
      const choices = oneOf([...new Set(products.map((product) => product.name))]);
      return {
        reason: "ambiguous_change",
        needed: `which purchase the change is to (${choices})`,
        question: `Which purchase do you want to change: ${choices}?`,
      };
    },
    quantityMissing(product: CatalogProduct): Unclear {
      return {
        reason: "quantity_missing",
        needed: `the number of ${plural(product)} to buy`,
        question: `How many ${plural(product)} do you want?`,
        fills: { kind: "quantity", product },
      };
    },
    quantityOutOfRange(product: CatalogProduct, got: number): Unclear {
      return {
        reason: "quantity_out_of_range",
        needed: `a quantity between 1 and ${MAX_QUANTITY} for ${product.name} (got ${got})`,
        question: `How many ${plural(product)} do you want? I can buy 1 to ${MAX_QUANTITY} at a time.`,
        fills: { kind: "quantity", product, got },
      };
    },
    priceOutOfRange(got: number): Unclear {
      return {
        reason: "price_out_of_range",
        needed: `a price limit between 0 and ${MAX_PRICE_LIMIT} ${SHOP_CURRENCY} (got ${got})`,
        question: `What is the most you want to pay? A limit must be above 0 and at most ${MAX_PRICE_LIMIT} ${SHOP_CURRENCY}.`,
        fills: { kind: "limit", got },
      };
    },
    hesitant(words: string): Unclear {
      return {
        reason: "hesitant",
        needed: `a request without doubt: "${words}" may take it back`,
        question: `You wrote "${words}", so I am not sure you want this bought now. If you do, say just what to buy, for example ${example}.`,
      };
    },
    notNow(words: string): Unclear {
      return {
        reason: "not_now",
        needed: `a purchase for now: "${words}" speaks of another time, a wish or a condition I cannot check`,
        question: `You wrote "${words}": that sounds like a wish, a plan for later or a condition I cannot check. Do you want this bought now? Then say just what to buy.`,
      };
    },
    /**
     * `words`: where the item was to go ("to my cart", "in the basket"). A cart waits for a
     * checkout; this agent has none, and its one tool places the order.
     */
    cart(words: string): Unclear {
      return {
        reason: "not_now",
        needed: `a purchase for now: "${words}" ${FILLS_A_CART}`,
        question: `You wrote "${words}": I have no cart to keep things in, only the order itself, which is placed once you approve it on your phone. Do you want it ordered now? Then say just what to buy.`,
      };
    },
    /**
     * `words`: a checkout of one thing ("buy it", "pay for it") after a cart of several
     * `products` ("Add an XYZ phone and an ABC laptop to my cart. Then buy it."): which?
     */
    cartOfSeveral(words: string, products: readonly string[]): Unclear {
      return oneOfSeveral(words, products, " for the cart", " now? I keep no cart, so say");
    },
    /**
     * `words`: an order of one thing ("order it", "buy that") after a request that named
     * several `products` ("I want an XYZ phone and an ABC laptop. Please order it."): which?
     */
    pronounOfSeveral(words: string, products: readonly string[]): Unclear {
      return {
        ...oneOfSeveral(words, products, "", "? Say"),
        fills: { kind: "pronoun", said: words, products },
      };
    },
    /**
     * A go-ahead ("yes", "Do it now.") to the cart's question (`cart`): what to order is said in
     * a request of its own, as that question asks; `buy` is the request that would order what the
     * cart sentence named ("Buy 2 XYZ phones").
     */
    cartGoAhead(buy: string): Unclear {
      return {
        reason: "not_now",
        needed: `what to buy, said in a request of its own: I keep no cart to order from`,
        question: `I keep no cart to order from, so I order only what a message of its own asks for. To have it ordered now, say just what to buy, with any price limit, for example "${buy}".`,
      };
    },
    /**
     * `words`: a quotation mark and what follows it, a word opened by an apostrophe, a line an
     * email quotes ("> On Mon, Bob wrote:"), or a comment's mark.
     */
    reported(words: string): Unclear {
      const quoted = quotation(words);
      const said = quoted === "" ? `a quotation mark (${words.slice(0, 1)})` : `"${quoted}"`;
      return {
        reason: "reported",
        needed: `your own request: ${said} reads as someone else's words or a quote`,
        question: `You wrote ${said}: that reads as someone else's words or a quote, and I buy only what you ask for yourself. What do you want me to buy?`,
      };
    },
    tooLong(characters: number, most: number): Unclear {
      return {
        reason: "too_long",
        needed: `a shorter request (${String(characters)} characters; at most ${String(most)})`,
        question: `Your message is ${String(characters)} characters long, more than the ${String(most)} I read: say in a sentence or two what you want me to buy.`,
      };
    },
    injected(words: string): Unclear {
      return {
        reason: "injected",
        needed: `your own request, without text that plays another role ("${words}")`,
        question: `Part of your message reads like instructions from someone else ("${words}"). I follow only your own words: what do you want me to buy?`,
      };
    },
    unreadPrice(words: string): Unclear {
      return {
        reason: "unread_price",
        needed: `a price limit I can read: "${words}" mentions money I could not read as USD`,
        question: `You mentioned money ("${words}") that I could not read as a limit in ${SHOP_CURRENCY}. What is the most you want to pay, for example "under $500"?`,
        fills: { kind: "money", said: words },
      };
    },
    unpairedLimits(): Unclear {
      return {
        reason: "unread_price",
        needed: "a limit right after each item: a list of limits after a list of items",
        question: `Which limit is for which item? Say each right after its item, for example "2 XYZ phones under $1000 and a USB-C cable under $15".`,
      };
    },
    /** `detail`, when given, is the word beside the name that a "yes" leaves out. */
    unreadDetail(words: string, product: CatalogProduct, detail?: string): Unclear {
      return {
        reason: "unread_detail",
        needed: `what "${words}" means next to ${product.name}`,
        question: `What do you mean by "${words}" with ${product.name}? The shop sells only ${sold}, without variants or accessories: do you want the ${product.name} ${hasPluralName(product) ? "themselves" : "itself"}?`,
        ...(detail === undefined ? {} : { fills: { kind: "detail", detail, product } }),
      };
    },
    unreadNumber(words: string): Unclear {
      return {
        reason: "unread_detail",
        needed: `what the number in "${words}" counts or costs`,
        question: `I did not understand what "${words}" counts or costs. Say how many of what you want, and the most you want to pay, for example ${example}.`,
      };
    },
    /** The answer names what was understood before this question, and ends "I did not buy anything this time." */
    unreadWords(words: string): Unclear {
      return {
        reason: "unread_detail",
        needed: `what "${words}" means for the purchase`,
        question: `I did not read "${words}", which may change what you want. If that is all, say just what to buy, for example ${example}.`,
      };
    },
    alsoMentioned(product: CatalogProduct): Unclear {
      return {
        reason: "unread_detail",
        needed: `whether the ${product.name} named later is to be bought too, instead, or not`,
        question: `You also wrote about the ${product.name} without asking for it. Do you want it too, instead, or not at all?`,
      };
    },
    repeated(product: CatalogProduct): Unclear {
      return {
        reason: "repeated",
        needed: `how many ${plural(product)} in all: the request names them more than once`,
        question: `You asked for ${plural(product)} more than once. How many do you want in all?`,
      };
    },
    /** A reply to a question asks for another count than its request, without its limit. */
    limitNotSaid(
      product: CatalogProduct,
      qty: number,
      before: { qty: number; priceLimit: number },
    ): Unclear {
      const named = (count: number) =>
        `${String(count)} ${count === 1 ? product.name : plural(product)}`;
      return {
        reason: "limit_not_said",
        needed: `the most to pay for ${named(qty)}: the request before said ${String(before.priceLimit)} ${SHOP_CURRENCY} for ${named(before.qty)}`,
        question: `You said at most ${String(before.priceLimit)} ${SHOP_CURRENCY} for ${named(before.qty)}. What is the most you want to pay for ${named(qty)}, for example "under $${String(before.priceLimit)}"?`,
        fills: { kind: "limit", product },
      };
    },
    totalLimit(limit: number, items: readonly PurchaseRequest[]): Unclear {
      return {
        reason: "total_limit",
        needed: `a limit for each purchase: ${limit} ${SHOP_CURRENCY} is for all of them together`,
        question: `Is ${limit} ${SHOP_CURRENCY} for everything together? Each purchase is approved on its own, so I cannot keep a total: say a limit for each item.`,
        fills: { kind: "limits", items },
      };
    },
  };
}

export function plural(product: CatalogProduct): string {
  if (hasPluralName(product)) return product.name;
  return /(?:s|x|z|ch|sh)$/i.test(product.name) ? `${product.name}es` : `${product.name}s`;
}

function oneOf(names: readonly string[]): string {
  return listed(names, "or");
}

/**
 * Marks that open or close a quotation, a run of them ("```") as one, and the ">" of a line an
 * email quotes ("> > buy 3").
 */
const QUOTATION_MARKS = /^(?:["`'\u2018\u201c\u201d\u201e\u00ab\u00bb]+|(?:>[ \t]*)+)/u;

/** The longest quotation a question shows in full; a longer one is cut, with "…". */
const MOST_QUOTED = 60;

/**
 * What a quotation holds, from its opening mark (`"no wait make it 10`): the text without the
 * mark, on one line, cut to `MOST_QUOTED` characters. Other words set apart (//) as they are; ""
 * for a mark with nothing after it.
 */
function quotation(words: string): string {
  const mark = QUOTATION_MARKS.exec(words)?.[0];
  if (mark === undefined) return words;
  const inner = words.slice(mark.length).replace(/\s+/gu, " ").trim();
  return inner.length > MOST_QUOTED ? `${inner.slice(0, MOST_QUOTED).trimEnd()}…` : inner;
}

/** "it" or "that" ordered (`words`) after several `products` were named: which one? */
function oneOfSeveral(
  words: string,
  products: readonly string[],
  where: string,
  then: string,
): Unclear {
  return {
    reason: "ambiguous_product",
    needed: `which of ${listed(products)} "${words}" orders`,
    question: `You wrote "${words}", but you named ${listed(products)}${where}: which do you want ordered${then} just what to buy and how many, for example "Buy 1 ${products[0] ?? ""}".`,
  };
}
