import { productsWithWord, type CatalogProduct } from "./catalog-match.js";
import { DOUBTFUL_EMOJI_BY_CODE } from "./doubtful-emoji.js";
import { isNumberWord } from "./number-words.js";

/**
 * What a message pasted from an email or a chat tool carries around its request: the sign-off
 * and the signature under it ("Thanks,\nRavi Patel\nEmployee #20931\n+44 20 7946 0958", "Sent
 * from my iPhone", a confidentiality notice), the agent's handle at the start ("@shopbot order
 * 2 XYZ phone cases") and chat tools' codes of friendly emoji (":pray:", ":+1:").
 * `withoutEnvelope` takes them out, so that the reader reads the request and asks about the
 * rest as about any word: a signature's numbers are no counts, its names no products.
 *
 * Only what cannot change what to buy is taken out. A signature goes only when each of its
 * lines is a name's, a title's, a contact's or a place's, with no product, money or word that
 * could change what to buy (`signatureLine`): "Thanks,\nBob\nActually make it 3" and
 * "Thx\nwrong chat, sorry" are read whole, and asked about. A line under it that opens with
 * "PS" is the person's own again, and read. Another handle than a shopping agent's ("@bob buy 2
 * XYZ phones" asks Bob) and other emoji codes stay; codes of doubt (":x:") become their emoji.
 */
export function withoutEnvelope(text: string, catalog: readonly CatalogProduct[]): string {
  const lines = text.split("\n");
  const start = signatureStart(lines, catalog);
  const kept =
    start === undefined ? lines : [...lines.slice(0, start), ...postscript(lines.slice(start + 1))];
  return kept
    .join("\n")
    .replace(LEADING_HANDLE, (mention: string, handle: string) =>
      AGENT_HANDLE.test(handle.toLowerCase().replace(/[_.-]/gu, "")) ? "" : mention,
    )
    .replace(EMOJI_CODE, (code: string, name: string) => {
      const lower = name.toLowerCase();
      if (FRIENDLY_EMOJI.has(lower)) return "";
      const doubt = DOUBTFUL_EMOJI_BY_CODE.get(lower);
      return doubt === undefined ? code : ` ${doubt}`;
    })
    .trimEnd();
}

/** Lines that end a message and open its signature, alone on their line. */
const SIGN_OFF =
  /^(?:thanks|thank you|thanks in advance|thank you in advance|thanks so much|thank you so much|many thanks|thx|ty|ta|cheers|best|all the best|best regards|kind regards|warm regards|warmest regards|regards|br|sincerely|yours sincerely|yours faithfully|yours truly|respectfully|--|\u2014)[ \t]*[,.!]?$/iu;
/** A mail app's line: "Sent from my iPhone", "Sent from Outlook for Android". */
const SENT_FROM = /^(?:sent from (?:my )?\S.*|get outlook for \S+)$/iu;
/** A legal notice, which may open the end of a message without a sign-off. */
const NOTICE = /^(?:confidentiality notice|disclaimer)\b/iu;
/** A legal notice under a signature: "This email and any attachments ...". */
const NOTICE_IN_SIGNATURE =
  /^(?:confidentiality notice|disclaimer|notice|this (?:e-?mail|message)(?: and any attachments)?\b)/iu;
/** What opens a line after the signature that is the person's own again: "PS:", "P.S.". */
const POSTSCRIPT = /^\s*p\.?\s?s\b\.?[ \t]*[:,-]?[ \t]*/iu;
/** The most lines a signature has, a notice's not counted. */
const MOST_SIGNATURE_LINES = 6;
/**
 * Words that may change what to buy: a signature with one of them is read as the request's own
 * words. Verbs of buying, negations, conditions, changes, more of something, and money.
 */
const NOT_IN_SIGNATURE = new Set(
  (
    "buy order purchase get grab procure need want add also not no don't dont never cancel " +
    "hold stop wait actually instead if unless only but make change budget max maximum limit " +
    "under over usd dollar dollars bucks each total more another extra too and plus with " +
    "please pls plz qty quantity pcs x same again double triple twice half for"
  ).split(" "),
);
/** Lower-case words of a title or a place: "Head of Sales", "Engineer at Acme", "Sales & Ops". */
const SIGNATURE_JOINERS = new Set(["of", "at", "&", "-", "\u2013"]);
/**
 * Words of a legal notice that could make it more than one: a purchase, an approval, a
 * condition ("subject to approval by the finance team", "hold this one until ...").
 */
const NOT_IN_NOTICE = new Set(
  (
    "buy order orders ordering purchase purchases get need want cancel hold stop wait approval " +
    "approve approved request requests payment pay paid spend budget limit until unless only " +
    "subject pending"
  ).split(" "),
);
/** A count on a line of its own ("3", "10."): no signature's number ("Ext. 4410", "Floor 3"). */
const COUNT_LINE = /^\s*\d{1,3}\s*[.!]?\s*$/u;
/** Friendly emoji codes of chat tools, which say nothing of what to buy. */
const FRIENDLY_EMOJI = new Set(
  (
    "pray +1 thumbsup thumbs_up white_check_mark heavy_check_mark ballot_box_with_check smile " +
    "slightly_smiling_face blush wave zap tada rocket raised_hands clap ok_hand heart fire star " +
    "sparkles muscle bow"
  ).split(" "),
);
/** An emoji code with the space before it: " :pray:", or one that opens a line. */
const EMOJI_CODE = /(?:^|[ \t]+):([a-z0-9_+-]+):(?=\s|$|[,.!?])/gimu;
/** A handle mentioned at the start of a message: "@shopbot ", "@agent, ". */
const LEADING_HANDLE = /^\s*@([\p{L}\p{N}_.-]+)[,:]?\s+/u;
/**
 * A shopping agent's handle, its separators dropped: "@agent", "@assistant", "@shopbot",
 * "@ProcurementAssistant"; not another bot's ("@finance-bot") or a person's ("@abbott").
 */
const AGENT_HANDLE =
  /^(?:shop|shopping|procurement|purchasing|order|buy|ai)?(?:bot|agent|assistant)$/u;

/**
 * Where the signature opens: the first sign-off line (or legal notice) under some of the
 * message, every line after which, up to a "PS", may be a signature. `undefined`: none.
 */
function signatureStart(
  lines: readonly string[],
  catalog: readonly CatalogProduct[],
): number | undefined {
  for (let at = 1; at < lines.length; at += 1) {
    const line = (lines[at] ?? "").trim();
    const notice = NOTICE.test(line);
    if (!SIGN_OFF.test(line) && !SENT_FROM.test(line) && !notice) continue;
    if (!lines.slice(0, at).some((before) => /\p{L}/u.test(before))) return undefined;
    const after = lines.slice(notice ? at : at + 1);
    const end = after.findIndex((next) => POSTSCRIPT.test(next));
    if (isSignature(end < 0 ? after : after.slice(0, end), catalog)) return at;
  }
  return undefined;
}

/**
 * Whether `lines` may be a signature: a few lines of names, titles, contacts and places
 * (`signatureLine`), and a legal notice under them that names no product, money, purchase,
 * approval or condition (`NOT_IN_NOTICE`).
 */
function isSignature(lines: readonly string[], catalog: readonly CatalogProduct[]): boolean {
  const notice = lines.findIndex((line) => NOTICE_IN_SIGNATURE.test(line.trim()));
  const own = notice < 0 ? lines : lines.slice(0, notice);
  const legal = notice < 0 ? [] : lines.slice(notice);
  return (
    own.filter((line) => line.trim() !== "").length <= MOST_SIGNATURE_LINES &&
    own.every((line) => signatureLine(line, catalog)) &&
    legal.every((line) =>
      wordsOf(line).every(
        (word) => !word.includes("$") && !NOT_IN_NOTICE.has(word) && !isProductWord(word, catalog),
      ),
    )
  );
}

/**
 * A line a signature is made of: a sign-off, a mail app's line, or words that are each a
 * name's or a title's (capitalised: "Ravi Patel", "Senior Analyst, Finance", "IT"), a contact's
 * or a place's (with a digit, "@" or a dot: "+44 20 7946 0958", "Employee #20931",
 * "bob@corp.com", "221B Baker St"), or "of", "at", "&". A sentence is not one ("wrong chat,
 * sorry", "three would be better"), nor a word that could change what to buy, capitalised or
 * not ("Four", "Only"), a product's word, money, or a count alone on its line.
 */
function signatureLine(line: string, catalog: readonly CatalogProduct[]): boolean {
  const trimmed = line.trim();
  if (SIGN_OFF.test(trimmed) || SENT_FROM.test(trimmed)) return true;
  if (COUNT_LINE.test(trimmed)) return false;
  return trimmed
    .split(/[\s,|/()]+/u)
    .filter((word) => word !== "")
    .every((word) => {
      const lower = word.toLowerCase();
      if (word.includes("$") || NOT_IN_SIGNATURE.has(lower) || isNumberWord(lower)) return false;
      if (isProductWord(lower.replace(/[^\p{L}\p{N}-]/gu, ""), catalog)) return false;
      return (
        /^\p{Lu}/u.test(word) ||
        /[\p{N}@]|\p{L}\.\p{L}/u.test(word) ||
        /^[+#]/u.test(word) ||
        SIGNATURE_JOINERS.has(lower)
      );
    });
}

const wordsOf = (line: string) => line.toLowerCase().match(/[\p{L}\p{N}'$-]+/gu) ?? [];
const isProductWord = (word: string, catalog: readonly CatalogProduct[]) =>
  productsWithWord(word, catalog).length > 0;

/** The lines from the first "PS" on, without its mark: the person's own words again. */
function postscript(lines: readonly string[]): string[] {
  const at = lines.findIndex((line) => POSTSCRIPT.test(line));
  if (at < 0) return [];
  const [first = "", ...rest] = lines.slice(at);
  return ["", first.replace(POSTSCRIPT, ""), ...rest];
}
