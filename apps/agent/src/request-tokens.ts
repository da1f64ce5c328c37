/** One word, number or sign of a request, as the offline parser reads it. */
export interface Token {
  /** As the person typed it. */
  text: string;
  /** Lower case, NFKC, with straight apostrophes: what the parser compares. */
  word: string;
  /** The value of a numeral ("1,200" is 1200, "1.5k" is 1500). */
  number?: number;
  /** The hyphen that joins it to the token before, as typed ("to-do", "T-shirt", "e-reader"). */
  joined?: string;
}

/** A sentence of a request, and whether it ended with a question mark. */
export interface Sentence {
  tokens: Token[];
  asked: boolean;
}

/**
 * An amount of money right after a comparison sign: "$500", "USD 500", "500 dollars", "1.3k
 * USD". The sign is read as a limit word only there; before a bare number ("<3", "≤ 2") it may be
 * a heart or a count, which the reader asks about.
 */
export const SIGNED_AMOUNT = String.raw`(?=\s*(?:(?:[uU][sS]\$|\$|[uU][sS][dD])\s*\d|\d[\d,.]*[kK]?\s*(?:\$|(?:[uU][sS][dD]|[dD]ollars?|[bB]ucks)(?!\p{L}))))`;
/**
 * "≤ $500", "<= $500", "=< $500": at most that amount, as the words say it; and before a bare
 * number, "≤ 2 XYZ phones", at most so many, as "at most 2" is read. No heart is written so.
 */
const AT_MOST_SIGN = new RegExp(
  String.raw`(?:<=|=<|[\u2264\u2a7d])(?:${SIGNED_AMOUNT}|(?=\s*\d))`,
  "gu",
);
/** "< $500": below that amount, which the price reader takes a cent off. */
const BELOW_SIGN = `<(?!=)${SIGNED_AMOUNT}`;

// Hyphens are dropped: "USB-C" is "usb c" and "twenty-five" is "twenty five". A minus sign
// before a numeral that starts a word is kept ("-2", "$-5"), a dash typed for one too ("\u20132"), and so is an exponent ("1e3"): read
// without them, "buy -2 phones" would buy 2, and "1e3" would be "1", "e" and "3". A number after
// "#" is a number of its own ("#3", an item's place or an order's), no count: one word, no numeral,
// also with a space or the keycap's marks between ("# 3", "#\ufe0f\u20e32"), which were dropped.
// So is a percentage ("100%", "20 %"): with its sign dropped, "buy 100% XYZ phone" bought 100.
// And so is a number after "±": "±2" is no count. The minus after a lone "x" is kept too: "XYZ
// phone x-2" is minus two, which is asked about, not 2. An "@" before an amount is a word, the
// price list's "at so much each" ("2 XYZ phones @ $499"); any other "@" is dropped ("bob@...").
const TOKEN = new RegExp(
  `${BELOW_SIGN}|@${SIGNED_AMOUNT}|` +
    String.raw`@(?=\s*\d)|#[\s\ufe0f\u20e3]*\d+|\d+(?:[.,]\d+)?\s*%|[\u00b1\u2213]\s*\d+|(?:(?:(?<![\p{L}\d])|(?<=(?<![\p{L}\d])[x\u00d7*]))[-\u2010-\u2015\u2212])?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][+-]?\d+|[kK])?(?![\p{L}\d])|\d+|\p{L}+(?:'\p{L}+)*|[$&+\u00d7*():;,!?.]`,
  "gu",
);
const SENTENCE_END = new Set([".", "!", "?", ";"]);
/** "~5", "≈ $500": about so much, which the reader asks about like the word ("about 5"). */
const ABOUT = /[~\u2248\u223c]\s*(?=[$\d])/gu;
/**
 * A slash between words: "an XYZ phone/USB-C cable" is one or the other (or both?), which the
 * reader asks about as it asks about "or"; dropped, it would buy both. Not "w/" (with).
 */
const SLASH = /(?<=\p{L}{2})\s*\/\s*(?=\p{L})/gu;
/**
 * Superscript and subscript digits: NFKC makes them plain digits, which would join the number
 * they follow ("2¹" would be 21, "1²" 12). Set apart, they are a number of their own, which the
 * reader asks about.
 */
const RAISED_DIGITS = /[\u00b2\u00b3\u00b9\u2070-\u2079\u2080-\u2089]+/gu;

/**
 * Decimal digits of other scripts ("٢", "۲", "२", "๓", "২"), which NFKC leaves as they are. Unicode
 * keeps each script's digits as a run of ten code points from 0 to 9, and runs that touch are
 * whole runs, so a digit's value is how many digits stand right before it, modulo 10.
 */
const OTHER_DIGITS = /\p{Nd}+/gu;

function digitValue(digit: string): number {
  const code = digit.codePointAt(0) ?? 0;
  let before = 0;
  while (/\p{Nd}/u.test(String.fromCodePoint(code - before - 1))) before += 1;
  return before % 10;
}

/**
 * Writes a number of one script's digits in ASCII digits: "٢" is 2. Digits of several scripts
 * ("2٣") are set apart, numbers side by side, which the reader asks about: left as typed, the
 * other script's digit was dropped and "2٣" bought 2.
 */
function asciiDigits(digits: string): string {
  const chars = digits.match(/\p{Nd}/gu) ?? [];
  const zeros = new Set(chars.map((char) => (char.codePointAt(0) ?? 0) - digitValue(char)));
  return chars.map((char) => String(digitValue(char))).join(zeros.size > 1 ? " " : "");
}

/**
 * Thousands set apart by a space, a non-breaking or a thin one: "$1 300", "USD 1 300", "under
 * 1 300 dollars". Joined only where the digits can be nothing but one amount under 100,000:
 * after "$" or "USD" with nothing after but the end, a sign or a word of price ("each", "max",
 * "USD"), or after a limit word with a currency after. Elsewhere ("buy 2 300 USB-C cables": 2,
 * 300 or 2300? "$500 300 cables", "for $500 300": $500 and 300 of something?) they stay apart,
 * and the reader asks.
 */
const THOUSANDS = String.raw`\d{1,2}(?:[ \u00a0\u2009\u202f]\d{3})+`;
const SPACED_THOUSANDS = [
  new RegExp(
    String.raw`(?<=(?:\$|\bus\$|\busd)\s?)${THOUSANDS}(?=(?:\.\d\d)?\s*(?:$|[.,;!?)]|(?:each|apiece|max|maximum|tops|total|usd|dollars|bucks)(?!\p{L})))`,
    "giu",
  ),
  new RegExp(
    String.raw`(?<=\b(?:under|below|max|maximum|most|to|budget|limit|cap|than)\s)${THOUSANDS}(?=\s*(?:usd|dollars|bucks|\$)(?!\p{L}))`,
    "giu",
  ),
];

/** Writes amounts with thousands set apart by spaces as one number, where they are one. */
export function joinThousands(text: string): string {
  return SPACED_THOUSANDS.reduce(
    (joined, pattern) =>
      joined.replace(pattern, (amount) => amount.replace(/[ \u00a0\u2009\u202f]/gu, "")),
    text,
  );
}

/**
 * "½ dozen": half a dozen. NFKC makes "½" the digits 1 and 2 around a fraction slash, which the
 * reader takes for two numbers.
 */
const HALF_DOZEN = /(?<![\p{L}\p{N}])\u00bd\s*(?=dozen(?!\p{L}))/giu;

/**
 * "1½ dozen": one dozen and a half, 18, written as the number it is. Left to NFKC, "1½" would
 * be "11⁄2", which the reader asks about.
 */
const DOZENS_AND_A_HALF = /(?<![\p{L}\p{N}.,])(\d{1,2})\u00bd\s*dozen(?!\p{L})/giu;

/** A bullet written "*" at the start of a line, as Markdown writes one: "* 2 XYZ phones". */
const STAR_BULLET = /^(\s*)\*(?=[ \t]+\S)/;
/** An ordered list's number at the start of a line: "1. an XYZ phone", "2) a USB-C cable". */
const LIST_NUMBER = /^(\s*)(\d{1,2})[.)](?=[ \t]+\S)/;

/**
 * The lines of a request without a "*" bullet's star, and without the numbers of an ordered
 * list, where they are one: two or more lines that start "1.", "2.", ... (or "1)", "2)") in
 * order, as a bullet list's "-" is no word either. Numbers that do not run 1, 2, 3 are left
 * where they are: "2. XYZ phones" alone may be a count, and the reader asks about it.
 */
function withoutListNumbers(given: readonly string[]): string[] {
  // A Markdown bullet ("* XYZ phone x1") is no count's sign either ("3 * USB-C cables").
  const lines = given.map((line) => line.replace(STAR_BULLET, "$1"));
  const numbers = lines.flatMap((line) => {
    const number = LIST_NUMBER.exec(line)?.[2];
    return number === undefined ? [] : [Number(number)];
  });
  const list = numbers.length >= 2 && numbers.every((number, index) => number === index + 1);
  return list ? lines.map((line) => line.replace(LIST_NUMBER, "$1")) : lines;
}

/** An ordinal's ending: "3rd", "24th" (also typed "3 rd"). */
const ORDINAL_ENDINGS = new Set(["st", "nd", "rd", "th"]);
/** After a time's number: "5pm", "5 am", "6 o'clock". */
const TIME_ENDINGS = new Set(["am", "pm", "o'clock"]);
/** Units of an age before "old": "10 year old" ("10-year-old", with the hyphens dropped). */
const AGE_UNITS = new Set(["year", "years", "yr", "yrs", "month", "months", "week", "weeks"]);
/** Before an age: "turns 16", "aged 12". */
const AGE_WORDS = new Set(["turns", "turned", "turning", "aged", "age"]);
/** Before the number of a place: "room 404", "apt. 12", "floor 3". */
const PLACE_WORDS = new Set([
  "room",
  "rm",
  "apartment",
  "apt",
  "suite",
  "ste",
  "unit",
  "floor",
  "flat",
  "building",
  "bldg",
]);
/** Before or after a day of the month: "December 24", "24 Dec". "May" only as a name. */
export const MONTHS = new Set(
  "january february march april june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec".split(
    " ",
  ),
);
const isMonth = (token: Token | undefined) =>
  token !== undefined && (MONTHS.has(token.word) || token.text === "May");

/**
 * Numbers that say when, where or how old, never how many or how much: an ordinal ("the 3rd
 * floor", "on the 24th"), a time ("by 5pm", "10:30"), an age ("my 10-year-old", "turns 16"), a
 * place's number ("room 404", "apt. 12") and a day of the month ("December 24"). Each becomes a
 * word with no numeral, as "#3" is: a reader that took it for a count would ask what "16"
 * counts or costs in "a phone for my son, who turns 16". Only whole numbers without a sign;
 * an amount ("$24") is never one.
 */
function contextNumbers(tokens: Token[]): Token[] {
  const read: Token[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    const before = tokens[index - 1];
    const next = tokens[index + 1];
    if (token === undefined) continue;
    if (
      !isNumeral(token) ||
      !/^\d+$/.test(token.word) ||
      before?.word === "$" ||
      next?.word === "$"
    ) {
      read.push(token);
      continue;
    }
    const word = (text: string): Token => ({ text, word: text.toLowerCase() });
    if (next !== undefined && (ORDINAL_ENDINGS.has(next.word) || TIME_ENDINGS.has(next.word))) {
      read.push(word(`${token.text}${next.text}`));
      index += 1;
      continue;
    }
    const after = tokens[index + 2];
    if (next?.word === ":" && isNumeral(after) && /^\d\d$/.test(after.word) && token.number <= 24) {
      // "9:15am": the hour, the minutes and the half of the day as one word.
      const half = tokens[index + 3];
      const ending = half !== undefined && TIME_ENDINGS.has(half.word) ? half.text : "";
      read.push(word(`${token.text}:${after.text}${ending}`));
      index += ending === "" ? 2 : 3;
      continue;
    }
    const day = token.number >= 1 && token.number <= 31 && (isMonth(before) || isMonth(next));
    if (
      day ||
      (next !== undefined && AGE_UNITS.has(next.word) && after?.word === "old") ||
      (before !== undefined && (AGE_WORDS.has(before.word) || PLACE_WORDS.has(before.word)))
    ) {
      read.push(word(token.text));
      continue;
    }
    read.push(token);
  }
  return read;
}

/**
 * A change of what was just asked, typed without its comma: "buy 2 XYZ phones actually make it
 * 3" is "..., actually make it 3", as the parser reads a change after a comma (an opening such
 * as "actually" or "no wait", then "make it", "I mean" or "change it to": request-words.ts).
 */
const CHANGE_WITHOUT_COMMA =
  /(?<=[\p{L}\d])[ \t]+(?=(?:(?:actually|sorry|oops|no|wait)[ \t]+)+(?:make (?:it|that)|i mean|i meant|change (?:it |that )?to)(?![\p{L}\d]))/giu;
/** "w/o case", "w/ a case": chat's shorthand for "without" and "with", as words. */
const WITHOUT_SHORT = /(?<![\p{L}\d])w\/o(?![\p{L}\d])/giu;
const WITH_SHORT = /(?<![\p{L}\d])w\/(?![\p{L}\d/])/giu;
const LETTER_OR_DIGIT = /^[\p{L}\d]/u;
/** Words a dictated "period" may stand before and still end its sentence: "period thank you". */
const AFTER_PERIOD = new Set(["thanks", "thank", "thx", "period"]);
/** Words after which "period" is the word: "the trial period", "a billing period". */
const BEFORE_PERIOD_WORD = new Set(
  "the a an this that each per any same whole trial return grace warranty billing sale".split(" "),
);

/**
 * Shorthand of chat and of dictation that stands for a word or a sign: "ea" is "each" ("$20
 * ea"); "k" opening a line is "ok" (after a number it is thousands: "1.3 k"); a lone "n"
 * between two words is "and" ("2 cables n a case"); a dictated "comma" between two words is a
 * comma; and a dictated "period" (or "full stop") that ends the line, or stands before thanks,
 * is a full stop ("order three USB-C cables period"). Elsewhere, and after a word it often ends
 * ("the trial period"), "period" is the word, which the reader asks about.
 */
function shorthandRead(tokens: Token[]): Token[] {
  const read: Token[] = [];
  const wordAt = (index: number) => LETTER_OR_DIGIT.test(tokens[index]?.word ?? "");
  const endsLine = (index: number) =>
    index >= tokens.length || AFTER_PERIOD.has(tokens[index]?.word ?? "");
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index];
    if (token === undefined) continue;
    const next = tokens[index + 1];
    const as = (word: string): Token => ({ text: token.text, word });
    const between = wordAt(index - 1) && wordAt(index + 1);
    if (token.word === "ea") read.push(as("each"));
    else if ((token.word === "k" || token.word === "kk") && index === 0 && wordAt(1)) {
      read.push(as("ok"));
    } else if (token.word === "n" && between) read.push(as("and"));
    else if (token.word === "comma" && between) read.push(as(","));
    else if (
      token.word === "period" &&
      wordAt(index - 1) &&
      !BEFORE_PERIOD_WORD.has(tokens[index - 1]?.word ?? "") &&
      endsLine(index + 1)
    ) {
      read.push(as("."));
    } else if (token.word === "full" && next?.word === "stop" && index > 0 && endsLine(index + 2)) {
      read.push({ text: `${token.text} ${next.text}`, word: "." });
      index += 1;
    } else read.push(token);
  }
  return read;
}

/**
 * Glad emoticons typed as text (":D", "^_^"; laughter, "xD" or "😆", may be at a joke and is
 * asked about, and "<3" may be "fewer than 3") and the trademark sign, which NFKC
 * makes "TM" ("XYZ™ phone" read as "XYZTM phone"): spaces to the reader, as ":)" already is.
 */
const GLAD_SIGNS = /(?<!\S)(?::-?D|\^_?\^)(?!\S)|\u2122/gu;

export function withoutGladSigns(text: string): string {
  return text.replace(GLAD_SIGNS, " ");
}

/**
 * A dash set off by spaces before a clause of whose it is: "Buy 2 XYZ phones - my treat.", "...
 * — your call", "My treat - buy ...". The clause is read as a sentence of its own, as "Buy 2
 * XYZ phones. My treat." is; with the dash dropped, its first word was read as a word beside the
 * product's name ('What do you mean by "XYZ phones my"'). Other dashes are read as before.
 */
const WHOSE = "(?:my|your|our|his|her|their)";
const DASH = String.raw`[^\S\n]+[-\u2013\u2014]{1,2}[^\S\n]+`;
const CLAUSE_DASH = new RegExp(
  // Before the clause ("... - my treat"), or after one that opens the line ("My treat - ...").
  String.raw`(?<=\p{L})${DASH}(?:(?=${WHOSE}(?!\p{L}))|(?<=^[^\S\n]*${WHOSE}[^\S\n]+\p{L}+${DASH}))`,
  "gimu",
);

/**
 * A dash set off by spaces before an order: "XYZ phone and ABC laptop - order both", "... —
 * buy them please". It joins the order to what it names, as a comma does ("XYZ phone and ABC
 * laptop, order both"); dropped, the name ran on into the verb ("laptop order": a variant?),
 * and the order was asked about.
 */
const ORDER_DASH = new RegExp(
  String.raw`(?<=[\p{L}\d])${DASH}(?=(?:(?:please|pls|plz|kindly|just|now|so)[^\S\n]+)?(?:buy|order|get|purchase|grab)[^\S\n]+[\p{L}\d])`,
  "giu",
);

/** Splits a request into sentences of tokens. A line break ends a sentence too. */
export function readSentences(text: string): Sentence[] {
  const sentences: Sentence[] = [];
  const lines = withoutListNumbers(
    joinThousands(withoutGladSigns(text))
      .replace(CHANGE_WITHOUT_COMMA, ", ")
      .replace(WITHOUT_SHORT, " without ")
      .replace(WITH_SHORT, " with ")
      .replace(HALF_DOZEN, "half ")
      .replace(DOZENS_AND_A_HALF, (_, dozens: string) => String(Number(dozens) * 12 + 6))
      .replace(RAISED_DIGITS, (digits) => ` ${digits} `)
      .replace(ABOUT, " about ")
      .replace(CLAUSE_DASH, " . ")
      .replace(ORDER_DASH, " , ")
      .replace(SLASH, " or ")
      .normalize("NFKC")
      .replace(OTHER_DIGITS, asciiDigits)
      .replace(AT_MOST_SIGN, " at most ")
      .replace(/[\u2018\u2019`]/g, "'")
      .split(/\r?\n/),
  );
  for (const line of lines) {
    const tokens = contextNumbers(shorthandRead(tokensOf(line)));
    let current: Token[] = [];
    let asked = false;
    tokens.forEach((token, index) => {
      if (!SENTENCE_END.has(token.word)) {
        current.push(token);
        return;
      }
      const next = tokens[index + 1];
      // "max. $500": an abbreviation's dot before an amount does not end the sentence.
      if (token.word === "." && next !== undefined && (next.word === "$" || isNumeral(next))) {
        return;
      }
      asked ||= token.word === "?";
      if (next !== undefined && SENTENCE_END.has(next.word)) return;
      if (current.length > 0) sentences.push({ tokens: current, asked });
      current = [];
      asked = false;
    });
    if (current.length > 0) sentences.push({ tokens: current, asked });
  }
  return sentences;
}

/** Tokens as typed: a space between each, but the hyphen that joined two ("a to-do list"). */
export function typedWords(tokens: readonly Pick<Token, "text" | "joined">[]): string {
  return tokens
    .map(({ text, joined }, at) => (at === 0 ? text : `${joined ?? " "}${text}`))
    .join("");
}

/** A hyphen between two words, which the reader reads as a space and quotes as typed. */
const HYPHEN = /^[-\u2010\u2011]$/u;

/** The tokens of a line, each word joined to the one before by a hyphen marked so. */
function tokensOf(line: string): Token[] {
  const matches = [...line.matchAll(TOKEN)];
  return matches.map((match, index) => {
    const token = toToken(match[0]);
    const before = matches[index - 1];
    if (before === undefined) return token;
    const gap = line.slice(before.index + before[0].length, match.index);
    const words = /[\p{L}\d]$/u.test(before[0]) && LETTER_OR_DIGIT.test(match[0]);
    return words && HYPHEN.test(gap) ? { ...token, joined: gap } : token;
  });
}

/** A number that says when, where or how old ("3rd", "5pm", "404" of "room 404"): a word. */
export function isContextNumber(token: Token | undefined): boolean {
  return token !== undefined && token.number === undefined && /^\d/.test(token.word);
}

export function isNumeral(token: Token | undefined): token is Token & { number: number } {
  return token?.number !== undefined;
}

function toToken(text: string): Token {
  const word = text.toLowerCase().replace(/^[\u2010-\u2015\u2212]/u, "-");
  if (!/^-?\d/.test(word) || word.endsWith("%")) return { text, word };
  const thousands = word.endsWith("k");
  const value = Number(word.replace(/[,k]/g, ""));
  return { text, word, number: thousands ? Math.round(value * 1000) : value };
}
