import { MAX_PRICE_LIMIT, MAX_QUANTITY, type PurchaseRequest } from "@ciba-testbed/shared";

/** What the offline model understood from a sentence: purchases, or why there are none. */
export type ParsedRequest =
  | { kind: "purchases"; items: PurchaseRequest[] }
  | { kind: "unclear"; understood: string[]; needed: string };

const UNITS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};

const NUMBER_WORD = `(?:${Object.keys(TENS).join("|")})(?:[- ](?:${Object.keys(UNITS).join("|")}))?|${Object.keys(UNITS).join("|")}`;
// Longer phrases first: "a dozen" must not be read as "a" + product "dozen eggs".
const QUANTITY = `half a dozen|a dozen|a couple of|a hundred|one hundred|${NUMBER_WORD}|an|a|\\d+(?:,\\d{3})*`;

const INTENT =
  /^(?:(?:hi|hey|hello|ok|okay|so)[,!.]?\s+)?(?:(?:please|kindly)\s+)?(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?)?(?:i(?:\s+(?:want|need|would like)|['’]d like)\s+(?:you\s+)?(?:to\s+)?)?(?:buy|order|purchase|get(?:\s+me)?|grab)\b\s*/i;

const PRICE =
  /\s*(?:,\s*)?(?:for\s+)?(?:under|below|less than|max(?:imum)?|at most|no more than|not more than|up to|within|with a (?:budget|limit) of|budget(?: of)?|limit(?: of)?)\s*:?\s*(?<amount>\$?\s*\d+(?:,\d{3})*(?:\.\d{1,2})?)\s*(?:dollars?|usd|bucks|\$)?\s*(?:total|in total)?\s*$/i;
const PRICE_FOR =
  /\s+for\s+(?<amount>\$\s*\d+(?:,\d{3})*(?:\.\d{1,2})?|\d+(?:,\d{3})*(?:\.\d{1,2})?\s*(?:dollars?|usd|bucks))\s*(?:total|in total)?\s*$/i;

const ITEM = new RegExp(`^(?:(?<qty>${QUANTITY})\\s+(?:x\\s+)?)?(?<product>.+)$`, "i");

/**
 * Reads plain English purchase requests such as "Buy 2 XYZ phones and a USB-C cable under
 * $30". Product names are singular ("XYZ phone"), which the shop's lookup accepts.
 */
export function parsePurchaseRequest(text: string): ParsedRequest {
  const sentence = text
    .trim()
    .replace(/[.!?]+$/, "")
    .replace(/\s+please$/i, "")
    .trim();
  const intent = INTENT.exec(sentence);
  const body = intent ? sentence.slice(intent[0].length) : sentence;
  if (body === "") {
    return intent
      ? unclear(["you want to buy something"], "the product to buy")
      : unclear([], HOW_TO_ASK);
  }

  const segments = body
    .split(/\s*(?:,\s+(?:and\s+|then\s+)?|\s+and\s+(?:then\s+)?|\s+plus\s+|\s*&\s*)/i)
    .filter((segment) => segment.length > 0);

  const items: PurchaseRequest[] = [];
  for (const segment of segments) {
    const item = parseItem(segment);
    if (typeof item === "string") {
      const understood = items.map(describe);
      if (!intent && items.length === 0) return unclear([], HOW_TO_ASK);
      return unclear(understood, item);
    }
    if (!intent && !item.explicitQuantity) return unclear([], HOW_TO_ASK);
    items.push(item.request);
  }
  return { kind: "purchases", items };
}

const HOW_TO_ASK = `a purchase request such as "Buy 2 XYZ phones under $500"`;

function unclear(understood: string[], needed: string): ParsedRequest {
  return { kind: "unclear", understood, needed };
}

function describe(item: PurchaseRequest): string {
  const limit = item.priceLimit === undefined ? "" : ` for at most ${item.priceLimit} USD`;
  return `${item.qty} x ${item.product}${limit}`;
}

function parseItem(
  segment: string,
): { request: PurchaseRequest; explicitQuantity: boolean } | string {
  let rest = segment.trim();
  let priceLimit: number | undefined;
  const price = PRICE.exec(rest) ?? PRICE_FOR.exec(rest);
  if (price?.groups?.amount !== undefined) {
    priceLimit = Number(price.groups.amount.replace(/[$,\s]|dollars?|usd|bucks/gi, ""));
    rest = rest.slice(0, price.index).trim();
    if (!(priceLimit > 0) || priceLimit > MAX_PRICE_LIMIT) {
      return `a price limit between 0 and ${MAX_PRICE_LIMIT} USD (got ${price.groups.amount.trim()})`;
    }
  }

  const vague = VAGUE.exec(rest);
  if (vague) {
    const what = rest.slice(vague[0].length).trim();
    return what === "" ? `the product to buy in "${segment}"` : `the number of ${what} to buy`;
  }

  const match = ITEM.exec(rest);
  const rawQty = match?.groups?.qty;
  const rawProduct = match?.groups?.product?.replace(/^(?:of|the)\s+/i, "").trim() ?? "";
  if (rawProduct === "" || /^\d/.test(rawProduct)) return `the product to buy in "${segment}"`;

  const qty = rawQty === undefined ? undefined : quantityOf(rawQty);
  const words = rawProduct.split(/\s+/);
  const last = words.at(-1) ?? "";
  const plural = isPlural(last);
  if (qty === undefined && plural) return `the number of ${rawProduct} to buy`;
  if (qty !== undefined && (qty < 1 || qty > MAX_QUANTITY)) {
    return `a quantity between 1 and ${MAX_QUANTITY} for ${rawProduct} (got ${rawQty})`;
  }
  const product = [...words.slice(0, -1), plural ? singular(last) : last].join(" ");
  return {
    request: { product, qty: qty ?? 1, ...(priceLimit === undefined ? {} : { priceLimit }) },
    explicitQuantity: qty !== undefined,
  };
}

function quantityOf(raw: string): number {
  const word = raw.toLowerCase().replace(/\s+/g, " ");
  if (/^\d/.test(word)) return Number(word.replace(/,/g, ""));
  if (word === "a" || word === "an") return 1;
  if (word === "a dozen") return 12;
  if (word === "half a dozen") return 6;
  if (word === "a couple of") return 2;
  if (word === "a hundred" || word === "one hundred") return 100;
  const [tens = "", unit] = word.split(/[- ]/);
  return (TENS[tens] ?? UNITS[tens] ?? 0) + (unit === undefined ? 0 : (UNITS[unit] ?? 0));
}

const VAGUE = /^(?:some|a few|few|several|many|a lot of|lots of|any)\b\s*/i;

const NOT_PLURAL = /(?:ss|us|is|ics)$/i;

function isPlural(word: string): boolean {
  // All-capital words are model names or acronyms ("XYZ", "GPS"), not English plurals.
  if (word === word.toUpperCase()) return false;
  return /[a-z]s$/i.test(word) && !NOT_PLURAL.test(word);
}

function singular(word: string): string {
  if (/[^aeiou]ies$/i.test(word)) return `${word.slice(0, -3)}y`;
  if (/(?:ch|sh|x|z|ss)es$/i.test(word)) return word.slice(0, -2);
  return word.slice(0, -1);
}
