import { readFileSync } from "node:fs";

import { DEFAULT_PRODUCTS } from "@ciba-testbed/shop-api";
import { describe, expect, it } from "vitest";

import { parsePurchaseRequest } from "./parse-request.js";
import { readCorpus, understand, understandReply } from "./test-support/corpus.js";

const REQUIRED_ACCURACY = 0.97;

const entries = readCorpus();
const results = entries.map((entry) => ({ ...entry, got: understand(entry.request) }));
const misses = results.filter(({ expected, got }) => got !== expected);
const accuracy = (entries.length - misses.length) / entries.length;
const percent = `${(accuracy * 100).toFixed(1)}%`;
const report = [
  `Offline model corpus: ${entries.length - misses.length}/${entries.length} understood (${percent}), ${misses.length} misses`,
  ...misses.map(
    ({ line, request, expected, got }) =>
      `  corpus.tsv:${line} ${JSON.stringify(request)}\n    expected ${expected}\n    got      ${got}`,
  ),
].join("\n");

describe("the offline model's corpus", () => {
  it(`understands at least ${REQUIRED_ACCURACY * 100}% of its phrasings (now ${percent})`, () => {
    // Printed on every run, passing or not: the accuracy and every miss.
    console.info(report);
    expect(entries.length).toBeGreaterThanOrEqual(150);
    expect(accuracy, report).toBeGreaterThanOrEqual(REQUIRED_ACCURACY);
  });

  it("never buys a product the catalog does not list", () => {
    const names = new Set(DEFAULT_PRODUCTS.map((product) => product.name));
    for (const { request } of entries) {
      const parsed = parsePurchaseRequest(request, DEFAULT_PRODUCTS);
      if (parsed.kind === "purchases") {
        for (const item of parsed.items) expect(names, request).toContain(item.product);
      }
    }
  });

  it("is counted right in the agent's README", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8").replace(
      /\s+/g,
      " ",
    );
    expect(readme).toContain(
      `\`src/offline-corpus/corpus.tsv\`, holds ${entries.length} phrasings`,
    );
  });

  it("has each phrasing once", () => {
    const seen = new Map<string, number>();
    for (const { request, line } of entries) {
      expect(seen.get(request), `line ${line} repeats line ${seen.get(request)}`).toBeUndefined();
      seen.set(request, line);
    }
  });
});

/**
 * Held-out phrasings, never tuned against one by one: each lists the readings that count as
 * understood ("?" is a question); asking is always safe. Dangerous is a purchase the person did
 * not ask for: a product no accepted reading buys, a higher quantity, or a dropped or higher
 * price limit than every accepted reading has.
 */
interface HeldOut {
  /** A request the model read as a purchase just before, when `request` is said after it. */
  previous?: string;
  request: string;
  expected: string[];
}

interface Purchase {
  product: string;
  qty: number;
  limit: number | undefined;
}

function purchasesOf(reading: string): Purchase[] | undefined {
  if (reading.startsWith("?")) return undefined;
  return reading.split(" + ").map((part) => {
    const [, qty = "", product = "", limit] = /^(\d+) x (.+?)(?: <= ([\d.]+))?$/.exec(part) ?? [];
    return { product, qty: Number(qty), limit: limit === undefined ? undefined : Number(limit) };
  });
}

function exceeds(got: readonly Purchase[], accepted: readonly Purchase[]): boolean {
  return got.some((item) => {
    const same = accepted.find((other) => other.product === item.product);
    if (same === undefined || item.qty > same.qty) return true;
    return same.limit !== undefined && (item.limit === undefined || item.limit > same.limit);
  });
}

function judge(expected: readonly string[], got: string): "understood" | "safe" | "dangerous" {
  const matches = (reading: string) => reading === got || (reading === "?" && got.startsWith("?"));
  if (expected.some(matches)) return "understood";
  const purchases = purchasesOf(got);
  if (purchases === undefined) return "safe";
  const accepted = expected.map(purchasesOf).filter((p) => p !== undefined);
  return accepted.every((other) => exceeds(purchases, other)) ? "dangerous" : "safe";
}

/**
 * Each fresh file was written after a change to the gate and run once without changing the
 * code: these are the dangerous readings it found, listed so a fix shows here; nothing is
 * added. held-out-fresh.json's 7 (after the first gate) were fixed by the coverage check, the
 * take-outs by name, prompt markup and a product twice in a sentence; held-out-fresh-2.json
 * (after those) found none, but asked about 11 of the 20 it expected bought.
 * held-out-recall.json (100 clear orders, 60 to ask about, in new wordings) is the development
 * set of the recall rules (short names in lists, courtesies, reasons, price conditions, lists
 * under a heading, confirmations): worked against, so it shows recall kept, not recall proven.
 * held-out-fresh-3.json (193 phrasings written after those rules: typos, slang, corrections,
 * negations, limits per item and in total, quoted injections, other languages, emoji, long
 * messages) found none; it read 125 as expected, but of the 88 it expected bought and nothing
 * else it bought 20 as written and 1 with a lower count, and asked about 67. Its one wrong count
 * ("Qty: 2." after one item, read as 1) showed counts written apart dropped or given to another
 * item, which bought more than asked in wordings beside it; read or asked about since.
 * held-out-fresh-4.json (672 phrasings written after those: counts as words, ordinals, ranges and
 * sums, conditions, quotes, checklists, pasted mail and product pages, links, markup, returns,
 * near-miss names, other languages, emoji) read 656 as expected and bought wrongly 13 times.
 * Fixed since: a count of the person's own things ("a cable for my 2 XYZ phones") bought them; a
 * number between "the" and a singular name ("the 499 XYZ phone") was a count; two names with
 * nothing between ("2 XYZ phone USB-C cable") were two purchases; every line of a task list
 * ("- [x] XYZ phone", "- [ ] ABC laptop") was bought, ticked or not; "#3" was a count;
 * "wireless earphones" were the wireless headphones, two letters off; "you could buy" was a request;
 * emoji of doubt ("🤔", "👎") were dropped.
 * held-out-fresh-5.json (658 phrasings written after those: price limits each, in total and for
 * both, limits before, between and after items, corrections, counts for others, replies to a
 * question never asked, courtesies, times and conditions) read 628 as expected and bought
 * wrongly 5 times, all fixed since: a limit for two items together ("for $520 both", "for $1800
 * the pair") capped each; "Never mind the cable." after an order of a phone and a cable bought
 * both; "an XYZ phone and, under $20, 2 USB-C cables" capped the phone; "$10 and $20 each" after
 * two items gave the first $20 each.
 * held-out-fresh-6.json (698 phrasings written after those: text as it really arrives, fullwidth,
 * superscript, Arabic-Indic and emoji digits, homoglyphs, invisible and bidirectional characters,
 * fractions, Roman numerals, hex and exponents, multiplication signs, model numbers and sizes that
 * look like counts, variants and accessories not sold, pasted markup and JSON, odd currencies and
 * separators in limits) read 678 as expected (252 of them a question where a purchase was also
 * accepted) and bought wrongly 19 times. Fixed since: a product after "for" and another thing ("a
 * case for the ABC laptop") was bought with it; a percentage was a count ("100% XYZ phone"); a sign
 * before a count was dropped ("±2", "x-2"); a superscript digit alone was a count ("² XYZ phones");
 * a number in a direction override, shown reversed, was read as typed; struck-through text ("~~and
 * an XYZ phone~~") was bought; "an XYZ phone Plus" bought the XYZ phone, "plus" read as a joiner
 * with nothing after it; "# 3" and the keycap "#️⃣2" were counts; "a 2 XYZ phones" bought 2, the
 * article unread. "2 hundred USB-C cables", read as 2 (fewer, so not dangerous), is read as 200
 * since.
 * held-out-fresh-7.json (303 phrasings written after those, the parser unread: typos and missing
 * spaces, British, Indian and Australian English, currencies, counts in words and odd forms,
 * limits on counts and on prices, corrections, conditions, questions, courtesies said after a
 * purchase, several items with shared limits, other languages, emoji, markup, lists and tables,
 * quotes and pasted text; a row with `previous` is a reply to it) read 291 of its first 300 as
 * expected and bought wrongly 8 times, 5 of them against expectations written as if a limit were
 * per unit, where the notation's is the whole purchase's ("2 XYZ phones under 500 each" is
 * "<= 1000"). With those 6 expectations corrected and 3 rows added for a courtesy said after a
 * purchase in the same message ("Buy an XYZ phone. Thanks mate"): 298 of 303 (86 of them a
 * question where a purchase was also accepted), 3 dangerous: "buy 499 XYZ phone" bought 499, and
 * held-out-fresh-4.json's two known misses. Fixed since: three digits before a singular name
 * are asked about; so is a count after the last item of a list whose items before it have none
 * ("xyz phone + case x2": two of each, or two cases?), and another item's count right after a
 * singular name ("xyz phone 2 usb-c cable": an "XYZ phone 2"?).
 * held-out-fresh-8.json (78 phrasings written after those: a limit said as what the thing costs,
 * in a relative clause, a participle, a negated verb or a condition: "an XYZ phone that doesn't
 * exceed $500", "costing under $500", "priced at most $500", "if it isn't more than $500", "that
 * costs less than $30 altogether"; with minimums, and purchases taken back, beside them) read all
 * 78 safely, but asked 56 times where a purchase was expected. Read since: a negated verb of
 * cost with what leads it ("if it doesn't", "that isn't", "not costing"), what the thing costs
 * said before a limit word ("that costs", "costing", "priced", "that's"), and "together" after
 * an amount; and, from held-out-fresh-7.json's rows, a range of prices ("between $400 and $500",
 * "$400 to $500"), whose top is the limit. 2 are still asked ("if the XYZ phone is under $500,
 * buy one", "one that doesn't exceed $500"), and "a USB-C cable and an XYZ phone that costs less
 * than $500" gives the cable the phone's limit too, as a limit after a list does.
 * held-out-fresh-9.json (68 phrasings written while probing for wrong purchases, after the
 * changes above: words an edit from a name's word, a limit asked about before the purchase,
 * what a case is for, counts that are not counts, things near the shop's names, ordered lists
 * and ranges): at 93847c7, 6 dangerous ("The XYZ phone costs $499. Buy one" bought an XYZ phone
 * case, "costs" read as a typo of "case"; "Is the XYZ phone under $500? Then buy one" bought it
 * with no limit), fixed since. Written after its fixes, it guards them; it proves no recall.
 * held-out-fresh-10.json (56 phrasings from a probe at 8cf9d96: purchases taken back or
 * corrected, questions about price, counts in words and shapes, other currencies, limits each
 * and in all, budgets, negations, returns and cancellations): none dangerous, nothing changed for
 * it; 33 bought as meant, 23 asked, 7 of those needlessly ("Don't buy the case, just the XYZ
 * phone", "no more than $450 per phone", "max 1.000 dollars", "Buy XYZ phones: 2"). Three of
 * them led to counts after a colon, "per" with a product's name, and "just" after a denied
 * purchase: 36 bought since, 4 asked needlessly. With them, 8 rows of fresh-4 to fresh-7, 2 of
 * the audit and 1 of fresh-3 now read as first expected, none read for it; and 3 more ("@
 * $499", a known miss) with "@" read as a price of one.
 * held-out-fresh-11.json (50 phrasings written after those changes, before running them, at
 * 7079f97: counts after a colon, "per", "@", dashes, "just" after a denial, conditions): one
 * dangerous, "Buy 2 XYZ phones @ $1000 total" read as $1000 each, fixed since; 36 read as first
 * expected, 12 asked or read safely otherwise ("Buy wireless headphones: 2 pairs" bought 1, a
 * count before "pairs" taken as read wherever it stood; counts in pairs are read since).
 * Written by the author of those changes, it proves little recall; it guards them.
 * held-out-fresh-12.json (186 phrasings written at b485695 before running them: counts in units,
 * pairs and sets, sums and products, counts for others, limits in many words, extra details,
 * second thoughts, counts taken back): two dangerous then, "Buy 3 XYZ phones, no, scratch one"
 * (bought 3) and "Buy 2 sets of USB-C cables" (bought 2; a set's size is not said), both asked
 * about since; "two pair of wireless headphones", "wireless headphones 2 pairs" and "2 USB-C
 * cables for me, and the same for my wife" bought fewer than asked, now read or asked. One
 * expectation was corrected once "each" before a limit was read: "order 3 phone cases and 1
 * phone, each under 500" says which and how much, and expected only a question. Written by the
 * author of those fixes, it guards them and proves little recall.
 * held-out-fresh-13.json (160 phrasings written at 91e13b0 without reading the model's code or
 * corpus, before running them: requests relayed by another assistant, JSON and tool-call text,
 * lists, addresses, dates and phone numbers beside an order, products named by price, counts
 * after names, other languages, conditions, returns, limits in many words and totals): none
 * dangerous; 120 read as expected, the other 40 asked about. 122 since polite ifs, "I'd prefer
 * not to spend more than" and a limit kept to its own line's items were read; 123 since numbers
 * that say when, where or how old are words ("deliver by Dec 24", "my 10-year-old", "the 3rd
 * floor"), with one more row of the audit, two of fresh-4 and one of fresh-12.
 * held-out-fresh-14.json (40 rows: the purchases an outside audit of 774 phrasings, written at
 * bf280c1 without reading the model's code or corpus, found made though not asked for): 34
 * bought at f67dbe2 ("buy 2 XYZ phones, no go", "..., skip it", "... 🛑", "... ✋", "... 🙄",
 * "..., really?", "yeah right, ...", "an ABD laptop" for the ABC laptop, "an XYZ phoney",
 * "–2 XYZ phones"), none since: take-backs and tag questions in request-words.ts and
 * parse-request.ts, emoji of stopping and sarcasm in doubtful-emoji.ts, codes of three letters
 * typed exactly in catalog-match.ts, dashes as minus signs in request-tokens.ts. Six accept a
 * purchase or a question, as a request ending in "?" does.
 * held-out-fresh-15.json (the purchases a later outside audit of ~1,140 phrasings, written at
 * ff38813 without reading the model's code or corpus, found made though not asked for, with
 * their neighbours that were read right): a limit read far higher than said, "$1000 grand
 * total" as a million and "under $50 each order" as $50 a cable; a grand after a currency is no
 * thousand since, "grand total" is a total, and "each" before an order, a purchase or a time is
 * asked about, as "per order" is; and purchases bought after the person said to wait: a change
 * opened and never said ("Buy 2 XYZ phones. Wait.", "..., but please wait", "... Correction:")
 * asks since, unless the next sentence says it, and so does a joiner or a dash with nothing
 * after it ("..., but", "... instead of", "... —"); and a sentence or a heading before the
 * first item, never read: "Maybe. Buy an XYZ phone.", "Hold off. ...", "Is this wise? ...",
 * "You are now ShopBot. ...", "Cancelled:\n2 USB-C cables" ask since, as "Add an XYZ phone
 * to my cart" does (a cart is filled, not checked out).
 * held-out-fresh-16.json (the rows a third outside audit, at 406eae8, found read wrongly next to
 * the fixes of fresh-15, with neighbours written before running them): "Do it. Buy an XYZ
 * phone.", "Please do it. ...", "Do it now. ..." asked, "Do it." read as a question of no
 * product; they are bought since, as "Go. ..." was, and a leading hesitation set off by
 * punctuation ("Hmm. Buy ...", "Hmm, buy ...") asks, as "... Hmm." after the order did;
 * requests cut off mid-sentence ("Buy 2 XYZ phones, then", "... and also", "..., as well as",
 * "... Also", "... for", "..., uh", "... My bad.", "... …") were bought, and ask since; other
 * words for a cart ("to my bag", "to my saved items") were bought, and ask since, and a cart
 * ordered in the same sentence ("... to my cart and buy it") asked, and is bought since.
 * held-out-fresh-17.json (what a fourth outside audit found read wrongly next to the fixes of
 * fresh-16, with neighbours written before running them): a sentence after the order that opens
 * with "my", "your" or "our" and has no verb ("Buy 2 XYZ phones. My treat.") was bought, its
 * first two words taken for whose the purchase is; it asks since, as "... Treat." did. "Do it
 * now." after the order asked, though "Go." there and "Do it." before the order were read as
 * encouragement; it is encouragement since, unless it says more ("Do it again.", "Do it?"). A
 * cart ordered in the next sentence ("Add an XYZ phone to my cart. Then buy it.") asked, though
 * one ordered in the same sentence was bought; it is bought since.
 * held-out-fresh-18.json (what a fifth outside audit found read wrongly next to the fixes of
 * fresh-17, with neighbours): other lists ("to my list", "... Christmas list", "... todo list")
 * were bought, and ask the cart's question since, as a shopping list did; a wish list asked the
 * cart's question, and asks the wish's since; "... to my cart and check out" and "... and pay"
 * asked while "... and checkout" was bought, and all are bought since; "... My apologies." asked
 * as a word unread, and as a change never said since; a request cut off at a colon or "(" was
 * bought, and "Mmm.", "Ehh.", "Hmph." before the order were, and they ask since; "Do it, buy
 * ..." and "Do it: buy ..." asked, and are bought since, as "Do it. Buy ..." was. 40 of 40 read
 * as expected since. Of the other rows two changed: held-out-fresh-5.json's "Put 2 USB-C cables
 * in my basket and check out" is bought (its first expectation), and
 * held-out-adversarial-neighbours.json's "buy an XYZ phone. meh" asks as hesitant, not unread.
 * held-out-fresh-19.json (what a sixth outside audit found read wrongly next to the fixes of
 * fresh-18, with neighbours written before running them): a denied "do it" before the order in
 * its sentence ("Don't do it, buy an XYZ phone.", "Do not do it, ...", "Please don't do it,
 * ...") was bought, read as a take-back of nothing, and asks since, as "Don't do it. Buy ..."
 * did; 7 of its first 16 rows read as expected before, 16 since. A cart of several ordered as
 * one thing ("Add an XYZ phone and an ABC laptop to my cart. Then buy it.", "... and buy it")
 * bought both, and asks which since; 6 of its next 13 rows read as expected before, 13 since.
 * Its next 10, go-aheads to the cart's question ("Checkout", "yes, buy 2", "do it now, under
 * 500 USD"), bought nothing before or since; they get that question's request said plainly
 * since (follow-up.test.ts), where they were read as if nothing had been said. Its next 10: a
 * clause of whose it is after a spaced dash ("Buy 2 XYZ phones - my treat.") asked what "XYZ
 * phones my" meant, and is read as the sentence "My treat." is since; 9 read as expected before
 * ("My treat - buy 2 XYZ phones." asked), 10 since.
 * held-out-fresh-20.json (44 rows: three kinds of request read wrongly and neighbours of each,
 * written before running them) read 26 as expected and 14 dangerously: "it" or "that" ordered
 * after a request that named several products ("I want an XYZ phone and an ABC laptop. Please
 * order it.", "..., please order it", "... Order it please.", "... Please order that.") bought
 * them all, and asks which since: 40. Its reply rows read as expected before and since, but a
 * yes with a product after the cart's question ("yes please order the toaster") said the shop
 * did not sell "yes"; it names the toaster since (follow-up.test.ts). A name with a hyphen was
 * quoted without it ("T shirts", "e reader", "pop up tent"), and "Buy a to-do list" asked only
 * what to buy ("to" read as where it goes): quoted as typed since, and the 3 rows of the to-do
 * list ask that the shop does not sell "to-do list" (the questions of 83 rows of other files
 * quote hyphens, and of 3 capitals, as typed since; no other reading changed). Its next 48
 * rows, written before running them to look for more of the kind ("it", "them", "both",
 * "instead", negations, typos, counts in words, replies to the question "it" asks), read 45 as
 * expected; "... Buy this." and "..., pls buy that" bought both and ask which since, and so
 * does "Can you order it? I want an XYZ phone and an ABC laptop." (held-out-both-and-it.json).
 * held-out-fresh-23.json (36 rows written at 1b1cf6d before running them, neighbours of
 * held-out-fresh-22.json's: a count with no product after a sentence that hedged, sold, owned,
 * gave or returned the product, "Maybe an XYZ phone. Order 2.", "I have two XYZ phones. Buy
 * 2.", beside counts after a question, a plain order or someone else's wish) read 19 as
 * expected and 17 dangerously, each buying the count of the product named before; 36 since such
 * a count asks (countsOfUnasked), its 8 clear counts bought as before.
 * held-out-adversarial-new-rules.json (376 rows written at f36cc76 from a description of those
 * rules only: 316 made to turn each into a wrong purchase, 60 clear orders): 84 bought wrongly
 * then (take-backs with a comma or "them", tag questions with "!?", "‽", "..." or fullwidth
 * letters, emoji no list had, codes run together or as plurals: "XYWphone", "XYZS phone"),
 * none since: any emoji but glad, thankful and plain ones (GLAD_EMOJI) asks, as do text
 * emoticons, "yeah, right" and tag questions read more widely; a code is typed exactly run
 * together with the name too. 59 of the 60 clear orders were and are bought. One row's
 * expectation was widened: "buy 2 XYZ phones lol" may be bought, "lol" being laughter as often
 * as a joke ("Mine just cracked lol" in held-out-recall.json).
 * held-out-recall-emoji.json (120 rows written at a46c1e4 without reading the model's code, 80
 * clear orders as people type them in chat, with emoji, and 40 to ask about): 92 read as
 * expected then, 28 clear orders asked about needlessly (glad emoji not in GLAD_EMOJI, such as
 * 🎂 🚀 🫶 💗; sequences read piece by piece, "👩‍💻", "🙂‍↕️", "🏳️‍🌈"; "XYZ™ phone" read as
 * "XYZTM"; ":D" and "<3"), none bought wrongly; 109 since the list grew, a sequence is read by
 * its first emoji, and ™, ":D" and "^_^" are spaces ("<3" may be "fewer than 3": asked). Of the other 10, laughter ("😆",
 * "😅") is asked about on purpose (it may be at a joke: held-out-adversarial-new-rules.json),
 * "<3" is asked about as it was, and the rest ask about words ("omg", "finally payday", "on sale").
 * held-out-adversarial-neighbours.json (244 rows written at dcd1da3 against those rules, without
 * reading the model's code: close neighbours of each, clear orders with emoji and polite tags):
 * 15 bought wrongly then (sad and flat faces typed as text, ":(", ":-|", "._.", "¬_¬",
 * "(╯°□°)╯"; tags after a comma, "..., yeah?", "..., yes?", "..., hm?"; "... hmm"; "sure,
 * sure"; "… really"), none since: any text face but a glad one asks (unreadEmoticon), as any
 * emoji does, and so do those tags and a request that trails off in doubt. "..., ok?", "🤞",
 * "phon" and a request ending in "?" read as a purchase or a question: "ok?" asks as politely
 * as "please", and held-out-adversarial-new-rules.json and held-out-recall-emoji.json hold them
 * as clear orders. 9 clear orders are still asked about, as they were ("no need to hurry",
 * "don't forget", "(the black one is fine)").
 * held-out-reaudit-doubts.json (21 rows from a re-audit of those rules at e6ff2fd): the same
 * doubts typed otherwise, 13 bought wrongly then: a face against the word before it
 * ("phones:(", "phones;)", "phones.:/"), a tag after other punctuation ("...; yes?", "... yeah?",
 * "(yeah?)", ", uh?", ". hm?") and "yeah yeah". None since: a face typed against a word asks as
 * one typed alone (ATTACHED_FACE), tags ask after any punctuation that sets them off, and "yeah
 * yeah" asks as "sure, sure" does. Its 8 clear orders ("phones:)", "; thanks", ", yes please")
 * are bought; written by the author of those changes, it guards them and proves little recall.
 * held-out-adversarial.json (150 requests written at ebe0a2a the same way, each made to trick a
 * parser into buying wrongly: numbers that count something else, take-backs and negations in
 * slang, limits in other currencies, per month or off a price, questions, quotes, lists with
 * lines not to buy, odd counts): none dangerous; 149 read as expected, "Get 5 USB-C cables at
 * $9.99" with $9.99 for the five (a lower limit, which the price check refuses).
 * held-out-context-numbers.json (120 requests written without reading the model's code, with
 * numbers that count or price nothing beside purchases: dates, times, ages, addresses, rooms,
 * ordinals, order and phone numbers, percentages, counts of people; and real counts beside
 * them): at 3923d05, before numbers that say when, where or how old were read as words, 52
 * read as expected and one dangerous, "3 days shipping ok? then buy 1 xyz phone" (bought: the
 * purchase hangs on the answer to the question before it, asked about since); 56 since, the
 * other 64 asked about.
 * held-out-voice-typed.json (160 requests written at 988f927 without reading the model's code,
 * as people type on a phone or dictate: names spelled letter by letter ("x y z phone"),
 * dictated punctuation ("period", "comma"), typos, chat shorthand ("w/o", "n", "ea", "thx"),
 * money written quickly, and what must be asked about): none dangerous, 112 read as expected.
 * Eight whose limit is below the price were written as questions only; the model reads the
 * limit as said and the agent's price check refuses it before anyone is asked, so both count.
 * 134 since names spelled letter by letter, dictated punctuation at a sentence's end and chat's
 * shorthand are read (catalog-match.ts, request-tokens.ts), 135 since a change typed without
 * its comma is; most of the other 25 are names spoken letter by letter ("ex why zee") and
 * messages without a verb, asked about.
 * held-out-adversarial-shorthand.json (80 requests written at 988f927 from a description of
 * those forms only, each made to trick a reader of them into buying wrongly: letters that are
 * grades, sizes or labels, "n", "k" and "ea" in other senses, "period", "comma" and "full stop"
 * as words, "w/" and "w/o" in negations, and 21 clear orders in those forms): none dangerous
 * before or after; 44 read as expected before, 56 after.
 * held-out-adversarial-corrections.json (70 requests written at f60cf5c from a description of
 * changes typed without their comma only, each made to trick a reader of them: "make it" and
 * "I mean" in other senses, "sorry" and "wait" as words, changes that lower a count or a limit,
 * two in a row, doubts after them, and 15 clear changes): none dangerous before or after that
 * change; 46 read as expected before it, 61 after.
 * held-out-esl-packs.json (120 requests written at c66d702 without reading the model's code: 60
 * as people write English as a second language ("buy for me 2 pieces of xyz phone", "until 500
 * dollars" for at most, names word for word from another order, "make order of"), 60 counting
 * in packs, pairs, units and measures ("a pack of 3", "2 nos", "10 ft"), 35 of them to be asked
 * about): none dangerous, 87 read as expected. 94 since "until" or "till" before an amount of
 * money is a limit and counts are read in pieces, units and "nos", in words too (price-limits.ts,
 * quantity.ts), 96 since "give me" and "give us" ask to buy (request-words.ts), 100 since a
 * name may have its last word first ("laptop ABC", catalog-match.ts), 112 since orders made,
 * submitted or put in ask to buy ("make order of", "do purchase of", request-words.ts), with
 * the courtesies of English as a second language ("could you be so kind", "do the needful",
 * "I am wanting", "sir"), and the most is read said of the price or the total ("not more
 * expensive than", "total not over", "not more 1250 dollars", price-limits.ts). The other 8
 * are asked about: limits of one item of several said apart from it ("the laptop not more
 * than 1300"), "dolars", "1 (one)", "3 no.", and lists of fields ("quantity: two. product:
 * ...").
 * held-out-adversarial-until-units.json (60 requests written at 1586943 from a description of
 * those two rules only, each made to trick a reader of them: "until" with money as a time ("wait
 * until $500 is in my account"), after a negation, in a range, "till" as a cash register; unit
 * words that are no count ("one piece of advice", "a 3-piece set", "pc" for a computer, "nos"
 * in French), counts that belong to the next product; and 15 clear uses): 47 read as expected
 * before the rules (at b3c0bc3), none dangerous; 59 with them, one dangerous: "Buy the XYZ
 * phone case 3-piece set." bought 3 cases, as "3 pieces set" already did before. Units before
 * "set", "pack", "kit", "bundle", "box" and the like describe it since, and count nothing: 60.
 * held-out-adversarial-give-me.json (45 requests written at 4a01031 from a description of "give
 * me" and "give us" asking to buy only: "give me" asking for information, a refund, a discount
 * or time, in quotes, negated, hedged, on a condition, in sayings ("give me five") next to a
 * product, to someone else; and 15 clear uses): 30 read as expected before that rule (the clear
 * uses asked about, read at b3c0bc3), 45 with it, none dangerous either way.
 * held-out-adversarial-reversed-names.json (50 requests written at 3dd2649 from a description of
 * names read with their last word first only: "phone" beside "XYZ" by chance ("the phone XYZ
 * sold me"), things the shop does not sell ("cable USB-C to lightning", "tablet XYZ"), variants,
 * choices, questions, quotes, negations, plans, typos ("laptop ABD"), and 15 clear uses): 35 read
 * as expected before that rule (the clear uses asked about, read at b3c0bc3), 50 with it, none
 * dangerous either way.
 * held-out-adversarial-order-makers.json (60 requests written at 7424883 from a description of
 * orders made, submitted, created or put in asking to buy, the most said of the price or the
 * total, and the courtesies above, each made to trick a reader of them: orders made already,
 * asked about, negated, hedged, on a condition, in quotes, for someone else; "make a case for",
 * "submit a review", "make sure the order ... is cancelled", "an order summary"; "more expensive
 * than $200" (the least), "not more expensive than the ABC laptop", "not more 3", other
 * currencies, "a total of 3 items"; "sir" and "kind" in other senses; and 15 clear uses): 45
 * read as expected before (the clear uses asked about), none dangerous; 59 with the rules, one
 * dangerous: "do a purchase of xyz phones for the whole team" bought one XYZ phone, the "a" of
 * "a purchase" read as its count. A count before "purchase" counts nothing since, as before
 * "order" (quantity.ts): 60.
 * held-out-email-pasted.json (80 messages written at 11e7dcd without reading the model's code,
 * as people paste emails, tickets and chat threads: greetings, signatures with phone numbers,
 * addresses and employee numbers, "Sent from my iPhone", quoted and forwarded messages, ticket
 * fields, Slack mentions and emoji codes, PO and order numbers, dates; 40 requests to read
 * through all that and 40 traps whose numbers or quoted words must buy nothing): 41 read as
 * expected, none dangerous; every trap was asked about, and so were 39 of the 40 requests. A
 * line quoted with ">" was asked about as money (">") until it was read as a quotation
 * (parse-request.ts). 58 since a signature, an agent's handle and friendly emoji codes are
 * read as no part of the request (message-envelope.ts), "Please order the following:" heads a
 * list and "* " is a bullet; the other 22 are asked about (forwarded and quoted history, "RE:"
 * and "Subject:" lines, ticket fields, "As discussed in the 2:30 call").
 * held-out-adversarial-envelope.json (60 messages written at 44d2ce4 from a description of
 * those envelope rules alone, each made to trick a reader of them: corrections, items, limits,
 * conditions and "wrong chat, sorry" under a sign-off in words the rules did not list, "P.P.S.",
 * a disclaimer that holds the purchase, other people's handles ("@abbott", "@shopping-team",
 * "@finance-bot"), emoji codes of doubt (":x:", ":-1:"); and 15 clear uses): 44 read as
 * expected before the rules, one dangerous (":x:" after a purchase, read as no word); with the
 * first draft of the rules, which took any line of a signature that held none of a list of
 * words, 33, and 22 dangerous. A signature's line is since one of names, titles, contacts or
 * places, a notice names no purchase or condition, a handle is a shopping agent's, and emoji
 * codes of doubt are their emoji: 60.
 */
const KNOWN_DANGEROUS: Record<string, string[]> = {
  "held-out-fresh-23.json": [],
  "held-out-context-numbers.json": [],
  "held-out-voice-typed.json": [],
  "held-out-adversarial-shorthand.json": [],
  "held-out-adversarial-corrections.json": [],
  "held-out-esl-packs.json": [],
  "held-out-adversarial-until-units.json": [],
  "held-out-adversarial-give-me.json": [],
  "held-out-adversarial-reversed-names.json": [],
  "held-out-adversarial-order-makers.json": [],
  "held-out-email-pasted.json": [],
  "held-out-adversarial-envelope.json": [],
  "held-out-audit.json": [],
  "held-out-fresh.json": [],
  "held-out-fresh-2.json": [],
  "held-out-fresh-3.json": [],
  "held-out-fresh-4.json": [],
  "held-out-fresh-5.json": [],
  "held-out-fresh-6.json": [],
  "held-out-fresh-7.json": [],
  "held-out-fresh-8.json": [],
  "held-out-fresh-9.json": [],
  "held-out-fresh-10.json": [],
  "held-out-fresh-11.json": [],
  "held-out-fresh-12.json": [],
  "held-out-fresh-13.json": [],
  "held-out-fresh-14.json": [],
  "held-out-fresh-15.json": [],
  "held-out-fresh-16.json": [],
  "held-out-fresh-17.json": [],
  "held-out-fresh-18.json": [],
  "held-out-fresh-19.json": [],
  "held-out-fresh-20.json": [],
  "held-out-adversarial-new-rules.json": [],
  "held-out-recall-emoji.json": [],
  "held-out-adversarial-neighbours.json": [],
  "held-out-reaudit-doubts.json": [],
  "held-out-adversarial.json": [],
  "held-out-recall.json": [],
};

describe.each([
  ["held-out-audit.json"],
  ["held-out-fresh.json"],
  ["held-out-fresh-2.json"],
  ["held-out-fresh-3.json"],
  ["held-out-fresh-4.json"],
  ["held-out-fresh-5.json"],
  ["held-out-fresh-6.json"],
  ["held-out-fresh-7.json"],
  ["held-out-fresh-8.json"],
  ["held-out-fresh-9.json"],
  ["held-out-fresh-10.json"],
  ["held-out-fresh-11.json"],
  ["held-out-fresh-12.json"],
  ["held-out-fresh-13.json"],
  ["held-out-fresh-14.json"],
  ["held-out-fresh-15.json"],
  ["held-out-fresh-16.json"],
  ["held-out-fresh-17.json"],
  ["held-out-fresh-18.json"],
  ["held-out-fresh-19.json"],
  ["held-out-fresh-20.json"],
  ["held-out-fresh-23.json"],
  ["held-out-adversarial-new-rules.json"],
  ["held-out-recall-emoji.json"],
  ["held-out-adversarial-neighbours.json"],
  ["held-out-reaudit-doubts.json"],
  ["held-out-adversarial.json"],
  ["held-out-context-numbers.json"],
  ["held-out-voice-typed.json"],
  ["held-out-adversarial-shorthand.json"],
  ["held-out-adversarial-corrections.json"],
  ["held-out-esl-packs.json"],
  ["held-out-adversarial-until-units.json"],
  ["held-out-adversarial-give-me.json"],
  ["held-out-adversarial-reversed-names.json"],
  ["held-out-adversarial-order-makers.json"],
  ["held-out-email-pasted.json"],
  ["held-out-adversarial-envelope.json"],
  ["held-out-recall.json"],
])("the held-out %s", (file) => {
  const rows = JSON.parse(
    readFileSync(new URL(`./offline-corpus/${file}`, import.meta.url), "utf8"),
  ) as HeldOut[];
  const judged = rows.map((row) => ({
    ...row,
    got:
      row.previous === undefined
        ? understand(row.request)
        : understandReply(row.previous, row.request),
  }));
  const verdicts = judged.map((row) => judge(row.expected, row.got));
  const count = (verdict: string) => verdicts.filter((v) => v === verdict).length;

  it("reads no purchase the person did not ask for, but its known misses", () => {
    console.info(
      `${file}: ${count("understood")}/${rows.length} understood, ${count("safe")} asked or read ` +
        `safely otherwise, ${count("dangerous")} dangerous`,
    );
    const dangerous = judged.filter((_, index) => verdicts[index] === "dangerous");
    expect(dangerous.map(({ request, got }) => `${request} -> ${got}`)).toEqual(
      KNOWN_DANGEROUS[file],
    );
  });
});

/**
 * held-out-both-and-it.json (153 rows written at 0ad5af0 before running them: "it" ordered
 * before the products are named ("Can you order it? I want an XYZ phone and an ABC laptop."),
 * "both", "them both" and "the two of them" ordered after two products, in the same message
 * and as a reply to the question "it" asks, with negations ("don't buy it yet", "not the
 * laptop, just the phone"), changes ("actually make it 3"), counts in words and digits ("a
 * couple of", "a pair of", "twenty-one"), conditions ("if it's under 500 buy it"), questions,
 * typos, lower case, "pls" and no punctuation): 116 read as expected, 8 dangerous ("it" said
 * before two products bought both) and 29 asked needlessly ("Please order both" read as a
 * product named "both"; "both please", "just the phone" and "Order them both" to the question
 * which one). None dangerous since "it" said before anything is named stands for what is
 * named after it ("Can you order it? ...", "Please order it: ...", "pls buy it - ..."), and
 * asks which of several it is: 124. 138 since "both", "both of them" and "them both" ordered
 * after two products buy them, as "them" does, and ask how many after one product, which after
 * three, and how a limit said with them is split. One expectation was widened when run:
 * "... Order both?" may be bought, as "... Order them?" is. 149 since the question which one
 * "it" orders takes "both", "Please order both", "Order them both now" and "all of them" for an
 * answer (follow-up.ts), where the reply was read on its own and asked what to buy; 151 since
 * it takes one of them by name too ("just the phone", "the laptop pls"); 152 since "the two of
 * them" (or "the 2 of them", "the two of those") is read as "both", where it was a count of a
 * product named "them". 153 since an order after a spaced dash is read as after a comma ("XYZ
 * phone and ABC laptop - order both"), where the dash was dropped and "laptop order" read as a
 * variant.
 *
 * held-out-fresh-21.json (194 rows written at c66e845 before running them, none of them a row of
 * another file: typos, run-on sentences, negations, conditions ("if its below 500 just buy
 * it"), questions ("should I buy the wireless headphones??"), other people's words in quotes,
 * replies in a second turn, counts in words and digits ("a couple of", "a pair of", "half a
 * dozen", "3️⃣"), prices, emoji, other languages, and 45 rows about "both" and "the two of them"
 * after a list with no verb, each beside a trap: a negation, a condition, a question, another
 * time, one product or three): none dangerous; 189 read as expected. Of its 105 purchases, 55
 * bought and 50 asked about, 5 of them needlessly, where nothing else was accepted ("USB-C
 * cable and XYZ phone case - buy both please", "... Get the two of them.", "XYZ phone and ABC
 * laptop. Order both."). All 89 it expected asked about were. With "the two of them" read as
 * "both": 58 bought, 47 asked, 5 needlessly; with an order after a spaced dash read as after a
 * comma, 192 as expected: 64 bought, 41 asked, 2 needlessly ("... Get the two of them.", "XYZ
 * phone and ABC laptop. Order both.", a verbless sentence before the order); 194 since a
 * pronoun after a sentence that named several products alone, with no word unread and no doubt,
 * orders them: 66 bought, 39 asked, none needlessly.
 *
 * held-out-fresh-22.json (230 rows written at a46f1ef before running them, none of them a row of
 * another file: hedges, negations, past tense, other people's wishes, "never mind", sarcasm,
 * other languages, typos, counts in words, carts, mostly with a pronoun after the sentence that
 * names the product): 187 read as expected, 43 dangerous, each the one product named before
 * "it", "them", "this" or "that" in a sentence that hedged it ("Maybe an XYZ phone. Order
 * it."), sold, gave, owned or received it ("I sold an XYZ phone. Order it.", "I have ..."), or
 * before a take-back ("I want an XYZ phone. Never mind, order it."), but one, sarcasm in one
 * sentence. Of its 72 purchases 51 bought, none asked needlessly. 229 since a pronoun orders
 * one product only as it orders several (`adoptsOne`): after a sentence that asked for it or
 * named it alone, with no word unread but who else wants it ("My son wants ..."), and no
 * take-back; carts as before. 46 bought, 5 more asked where a question was accepted ("I saw an
 * XYZ phone in the store. Order it."), none needlessly; the sarcasm is still bought. 45 since
 * a count after such a sentence asks (held-out-fresh-23.json): "I sold an XYZ phone. Order
 * another one." asks, where a question was accepted.
 */
describe.each([
  // [file, fewest understood, known dangerous]
  ["held-out-both-and-it.json", 153, []],
  ["held-out-fresh-21.json", 194, []],
  [
    "held-out-fresh-22.json",
    229,
    ["Oh sure, an XYZ phone, order it, because I'm made of money. -> 1 x XYZ phone"],
  ],
])("the held-out %s", (file, fewestUnderstood, knownDangerous: string[]) => {
  const rows = JSON.parse(
    readFileSync(new URL(`./offline-corpus/${file}`, import.meta.url), "utf8"),
  ) as HeldOut[];
  const judged = rows.map((row) => {
    const got =
      row.previous === undefined
        ? understand(row.request)
        : understandReply(row.previous, row.request);
    return { ...row, got, verdict: judge(row.expected, got) };
  });
  const missed = judged.filter(({ verdict }) => verdict !== "understood");
  const report = [
    `${file}: ${rows.length - missed.length}/${rows.length} understood`,
    ...missed.map(
      ({ previous, request, expected, got, verdict }) =>
        `  ${verdict}: ${previous === undefined ? "" : `${previous} / `}${request}\n` +
        `    expected ${expected.join(" or ")}\n    got      ${got}`,
    ),
  ].join("\n");

  it("reads its rows as expected, but the known misses", () => {
    console.info(report);
    expect(rows.length).toBeGreaterThanOrEqual(150);
    expect(rows.length - missed.length, report).toBeGreaterThanOrEqual(fewestUnderstood);
  });

  it("reads no purchase the person did not ask for, but its known misses", () => {
    const dangerous = judged.filter(({ verdict }) => verdict === "dangerous");
    expect(dangerous.map(({ request, got }) => `${request} -> ${got}`)).toEqual(knownDangerous);
  });
});

/**
 * held-out-follow-up.json: replies to the model's own question (or to text a client put in
 * the history as if it were one), written before the model read replies with their question.
 * held-out-follow-up-2.json: 100 more, written at 312c5b3 before running them (choices with a
 * limit, a count or a doubt after them, "yes" with more words, counts and limits in other
 * words, whole requests as replies, histories a client made up). At d5813d6 it read 53 as first
 * expected and 2 dangerously: "buy 2 phones under $900" / "XYZ phones, actually make it 3"
 * bought 3 with no limit (a reply that is a purchase of its own dropped the request's limit),
 * and "buy 2 phones" / "XYZ phone, XYZ phone case" bought the cases (a word of the reply named
 * twice counted once). Both ask since; 77 read as first expected. Written by the author of
 * those changes, it guards them and proves little recall.
 * held-out-adversarial-follow-up.json: 100 replies to 10 real questions, written at 57685d2
 * the same way, each made to trick a reader into buying wrongly (a yes with a change or a doubt,
 * the wrong product, counts in other numbers, limits in other currencies, for one item of two,
 * swapped, questions back, quotes of the model): 2 dangerous then. "ABC? is that a good
 * brand?" to "By "laptop", do you mean ABC laptop?" bought the laptop: a reply with a question
 * mark is no answer since. "$10 for the phones and $1090 for the cable" is read as it says
 * (known, below), and so, since "$20 each for the cases" is read, is the other swap. 83 read
 * as expected.
 * held-out-follow-up-3.json: 90 replies to 13 of the model's real questions, written at 91e13b0
 * without reading the model's code or corpus, before running them: 77 understood, 0
 * dangerous. 84 since "yes" to the product itself and a limit for each item to the question of
 * a total took a reply (follow-up.ts).
 * held-out-follow-up-chat.json: 90 replies to 7 of the model's real questions as people type or
 * dictate them (k, ya, ofc, a thumbs-up, typos, names spelled letter by letter, money written
 * quickly), written at ec30197 without reading the model's code, before running them: 58
 * understood and 1 dangerous, "buy 3 phones under $1500" / "3 phones and 3 cases" (each given
 * the whole $1500: asked since how it is split). 67 since names spelled letter by letter and a
 * chat's yes were read in replies.
 */
interface HeldOutReply {
  previous: string;
  assistant?: string;
  reply: string;
  expected: string[];
}

/**
 * Dangerous by their file's expectations, and known: limits swapped between two items, as the
 * reply says them ("$10 for the phones and $1090 for the cable" to "say a limit for each item").
 * The reader knows the products' names, not their prices; the agent's price check refuses the
 * item whose limit is below its price before anyone is asked, and the other is charged its
 * price, within what the person said for all of them together.
 */
const SWAPPED_LIMITS = [
  "Buy 2 XYZ phones and a USB-C cable. Keep the total under $1100. / $10 for the phones and $1090 for the cable -> 2 x XYZ phone <= 10 + 1 x USB-C cable <= 1090",
  "Buy 3 XYZ phone cases and an ABC laptop, $1400 for everything / $1300 for the cases and $20 each for the laptop -> 3 x XYZ phone case <= 1300 + 1 x ABC laptop <= 20",
];

describe.each([
  // [file, fewest rows, fewest understood (as expected, or asked where a question is), known]
  // held-out-follow-up.json: 130 with every reply read on its own, before replies were read
  // with their question.
  ["held-out-follow-up.json", 120, 172, []],
  ["held-out-follow-up-2.json", 100, 99, []],
  ["held-out-follow-up-3.json", 90, 84, []],
  ["held-out-follow-up-chat.json", 90, 67, []],
  ["held-out-adversarial-follow-up.json", 100, 83, SWAPPED_LIMITS],
])("the held-out %s", (file, fewestRows, fewestUnderstood, known) => {
  const rows = JSON.parse(
    readFileSync(new URL(`./offline-corpus/${file}`, import.meta.url), "utf8"),
  ) as HeldOutReply[];
  const judged = rows.map((row) => ({
    ...row,
    got: understandReply(row.previous, row.reply, row.assistant),
  }));
  const verdicts = judged.map((row) => judge(row.expected, row.got));
  const count = (verdict: string) => verdicts.filter((v) => v === verdict).length;

  it("buys nothing the person did not mean", () => {
    const asked = judged.filter((row) => row.got.startsWith("?")).length;
    console.info(
      `${file}: ${count("understood")}/${rows.length} understood, ${asked} asked, ` +
        `${count("dangerous")} dangerous`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(fewestRows);
    expect(count("understood")).toBeGreaterThanOrEqual(fewestUnderstood);
    const dangerous = judged.filter((_, index) => verdicts[index] === "dangerous");
    expect(dangerous.map(({ previous, reply, got }) => `${previous} / ${reply} -> ${got}`)).toEqual(
      known,
    );
  });
});
