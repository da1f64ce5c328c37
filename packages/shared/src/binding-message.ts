import { limitToCents } from "./purchase.js";
import { foundCharacters } from "./written-out.js";

/**
 * Auth0's rules for a CIBA `binding_message`: required, at most 64 characters, alphanumerics
 * and `+-_.,:#`. Auth0's own examples also use spaces, and Auth0 accepts them.
 */
export const BINDING_MESSAGE_MAX_LENGTH = 64;

const ALLOWED = /^[A-Za-z0-9+\-_.,:# ]+$/;
const DISALLOWED_CHAR = /[^A-Za-z0-9+\-_.,:# ]/g;

/** Every reason a binding message would be refused; empty when it is valid. */
export function bindingMessageProblems(message: string): string[] {
  const problems: string[] = [];
  if (message.trim().length === 0) problems.push("binding_message must not be empty");
  if (message.length > BINDING_MESSAGE_MAX_LENGTH) {
    problems.push(
      `binding_message must be at most ${BINDING_MESSAGE_MAX_LENGTH} characters (got ${message.length})`,
    );
  }
  if (message.length > 0 && !ALLOWED.test(message)) {
    problems.push(
      `binding_message may only contain A-Z, a-z, 0-9, spaces and +-_.,:# (found ${foundCharacters(message, ALLOWED)})`,
    );
  }
  return problems;
}

export function isValidBindingMessage(message: string): boolean {
  return bindingMessageProblems(message).length === 0;
}

const REPLACEMENTS: [RegExp, string][] = [
  [/&/g, " and "],
  [/[@]/g, " at "],
  [/[$]/g, ""],
  [/['"`\u2019\u2018\u201c\u201d]/g, ""],
  [/[/\\|]/g, "-"],
];

/** Latin letters that no decomposition takes to A-Z, as they are usually written in it. */
const LATIN_LETTERS: Readonly<Record<string, string>> = {
  "\u00df": "ss", // ß
  "\u1e9e": "SS", // ẞ
  "\u00e6": "ae", // æ
  "\u00c6": "AE", // Æ
  "\u0153": "oe", // œ
  "\u0152": "OE", // Œ
  "\u00f8": "o", // ø
  "\u00d8": "O", // Ø
  "\u0142": "l", // ł
  "\u0141": "L", // Ł
  "\u0111": "d", // đ
  "\u0110": "D", // Đ
  "\u00f0": "d", // ð
  "\u00d0": "D", // Ð
  "\u00fe": "th", // þ
  "\u00de": "TH", // Þ
  "\u0131": "i", // ı
};
const LATIN_LETTER = new RegExp(`[${Object.keys(LATIN_LETTERS).join("")}]`, "g");

/** The text in Latin letters where it has them: accents dropped, "ß" as "ss", "Ｘ" as "X". */
function latin(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(LATIN_LETTER, (char) => LATIN_LETTERS[char] ?? char);
}

/** Turns any text into characters Auth0 accepts; it does not shorten. */
export function sanitizeBindingText(text: string): string {
  let out = latin(text);
  for (const [pattern, replacement] of REPLACEMENTS) out = out.replace(pattern, replacement);
  return out.replace(DISALLOWED_CHAR, " ").replace(/\s+/g, " ").trim();
}

/**
 * The letters and digits of `text` that `sanitizeBindingText` cannot write in a binding
 * message, each once: letters of other scripts ("Телефон"), digits other than 0-9 ("٢٤"), and
 * fractions ("½", which would read "1 2"). A message written without them names something
 * else, and the person approves the message. Symbols, emoji and punctuation are not counted:
 * they become spaces, and the words and numbers stay.
 */
export function unwritableInBindingText(text: string): string[] {
  const lost = new Set<string>();
  for (const char of text) {
    if (/[\p{L}\p{N}]/u.test(char) && !/^[A-Za-z0-9]+$/.test(latin(char))) lost.add(char);
  }
  return [...lost];
}

function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 3) return text.slice(0, max);
  return `${text.slice(0, max - 3).trimEnd()}...`;
}

/**
 * The consent question shown on the person's phone, e.g. "Do you want to buy 2 XYZ phones".
 * Always valid for Auth0: the product name is sanitized and shortened to fit, and the price
 * limit is added only when there is room for it.
 */
export function purchaseBindingMessage(purchase: {
  product: string;
  qty: number;
  priceLimit?: number | undefined;
}): string {
  const qty = Number.isFinite(purchase.qty) ? String(Math.trunc(purchase.qty)) : "some";
  const prefix = `Do you want to buy ${qty} `;
  const name = sanitizeBindingText(purchase.product);
  const product = name === "" ? "items" : purchase.qty > 1 ? pluralize(name) : name;
  const limit =
    purchase.priceLimit === undefined || !Number.isFinite(purchase.priceLimit)
      ? ""
      : ` for max ${formatAmount(purchase.priceLimit)} USD`;

  const full = `${prefix}${product}${limit}`;
  if (full.length <= BINDING_MESSAGE_MAX_LENGTH) return full;
  return `${prefix}${shorten(product, BINDING_MESSAGE_MAX_LENGTH - prefix.length)}`;
}

/** English plural of the last word, for the common cases: "2 XYZ phones", "3 boxes", "2 batteries". */
export function pluralize(name: string): string {
  const match = /^(.*?)([A-Za-z]+)$/.exec(name);
  if (!match) return name;
  const [, head = "", word = ""] = match;
  if (/s$/i.test(word)) return name;
  // Acronyms take a plain lowercase s: "2 TVs".
  if (word.length > 1 && word === word.toUpperCase()) return `${name}s`;
  if (/(x|z|ch|sh)$/i.test(word)) return `${name}es`;
  if (/[^aeiou]y$/i.test(word)) return `${head}${word.slice(0, -1)}ies`;
  return `${name}s`;
}

/**
 * A limit as the shop applies it, in whole cents rounded down (`limitToCents`): 9.985 and
 * 9.989999999 read "9.98", never the "9.99" that `toFixed` makes of the latter.
 */
function formatAmount(amount: number): string {
  return Number.isInteger(amount) ? String(amount) : (limitToCents(amount) / 100).toFixed(2);
}
