import { BUYING } from "./purchase-action.js";

/**
 * The words `messageMismatch` reads a binding message with: what makes a number a count, a
 * price or a limit, what ends a product's name, what names another item, and what it cannot
 * read. Each list says what its words do; the check's logic is in message-mismatch.ts.
 */

/** A set of the words in `lines`, each a list of words apart. */
export const wordSet = (...lines: string[]): Set<string> => new Set(lines.join(" ").split(" "));

/** "x2" and "2x", as in "XYZ phone x2": a quantity. */
export const TIMES = /^(?:x(\d+)|(\d+)x)$/;

/**
 * Codes read as a currency however they are written. Any other ISO code is one only in capitals
 * ("EUR" always, "ALL", "TRY" or "TOP" only so), as they are English words too.
 */
export const COMMON_CODES = new Set(
  "usd eur gbp jpy cny inr cad aud nzd chf hkd sgd sek nok dkk pln czk huf mxn brl zar krw".split(
    " ",
  ),
);

/** Words that say what follows is at most an amount. `bare`: a number alone is one too. */
export const LIMITS_BEFORE: { words: string[]; bare: boolean }[] = [
  ...["max", "maximum"].map((word) => ({ words: [word], bare: true })),
  ...[
    ["up", "to"],
    ["at", "most"],
    ["no", "more", "than"],
    ["not", "more", "than"],
  ].map((phrase) => ({ words: phrase, bare: true })),
  ...["for", "under", "below", "limit", "total", "totaling", "totalling", "budget", "within"]
    .concat(["cap", "capped", "spend", "pay"])
    .map((word) => ({ words: [word], bare: false })),
  ...[
    ["less", "than"],
    ["not", "to", "exceed"],
    ["not", "exceeding"],
    ["no", "more"],
    // A denied lower bound is a limit: "do not exceed 998 USD", "never pay more than 998 USD".
    ["never", "more", "than"],
    ["never", "over"],
    ...["not", "never", "dont"].flatMap((no) => [
      [no, "exceed"],
      [no, "over"],
      [no, "above"],
      ...["pay", "spend"].map((verb) => [no, verb, "more", "than"]),
      ...["pay", "spend"].map((verb) => [no, verb, "over"]),
    ]),
  ].map((phrase) => ({ words: phrase, bare: false })),
];

/** Words that may stand between a limit and its amount: "max amount of 10 USD", "for a total of $10". */
export const FILLERS = wordSet(", of a an the amount price cost sum overall grand combined in at");

/** Words after an amount that make it a limit: "10 USD max", "$10 or less", "10 USD in total". */
export const LIMITS_AFTER = [
  ["max"],
  ["maximum"],
  ["limit"],
  ["total"],
  ["tops"],
  ["at", "most"],
  ["or", "less"],
  ["or", "under"],
  ["or", "below"],
  ["in", "total"],
];

/** Words after "per" that make an amount a total, not each unit's price: "per order". */
export const PER_TOTAL = new Set(["order", "purchase", "request", "transaction", "total"]);

/**
 * Words that say what follows is at least an amount: never a maximum, whatever the amount.
 * `bare`: a number alone is one too ("minimum 10").
 */
export const LOWER_BOUNDS: { words: string[]; bare: boolean }[] = [
  ...["minimum", "min"].map((word) => ({ words: [word], bare: true })),
  ...["over", "above", "exceeding", "beyond", "from", "starting"].map((word) => ({
    words: [word],
    bare: false,
  })),
  ...[
    ["more", "than"],
    ["greater", "than"],
    ["at", "least"],
    ["upwards", "of"],
  ].map((phrase) => ({ words: phrase, bare: false })),
];

/**
 * Words that may follow a product's name without making it another product's: "2 XYZ phones
 * for max 998 USD", "XYZ phone x2", "XYZ phone, qty 2", "2 XYZ phones under $1,000", "2 XYZ
 * phones, order 12". Any other word after the name ("2 XYZ phone cases") names something else.
 */
export const CONNECTORS = wordSet(
  ", for at from to and each max maximum up",
  // "2 XYZ phones as a gift", "2 XYZ phones without cases": the phones, as a gift or alone.
  "as without",
  "x qty quantity under below no not less limit total within budget",
  // "for" and "and" in German and French ("2 XYZ phones fuer max 998 EUR", "... pour ...", "...
  // und 1 ABC laptop", "... et ..."), and "now": words no product's name goes on with.
  "fuer fur pour und et now",
  // "and" in Spanish, Italian and Portuguese, and Dutch: "1 ABC laptop y 1 raton".
  "y e en",
  // Words that multiply or add, read below: "XYZ phone times 10", "XYZ phone plus 10", "XYZ phone
  // + 2".
  "times plus +",
  // Words that say something about the price, read below: "2 XYZ phones cost 10 USD", "... over
  // 10 USD".
  "cost costs costing priced worth minimum min over",
  "above more greater least exceeding beyond starting",
);

/** Words that name a quantity: "qty 2", "quantity: 2". */
export const QUANTITY_WORDS = new Set(["qty", "quantity"]);

/** Words that count units: "2 units of XYZ phone", "XYZ phone, 2 pcs". */
export const UNIT_WORDS = new Set([
  "unit",
  "units",
  "piece",
  "pieces",
  "pc",
  "pcs",
  "item",
  "items",
]);

export const UNIT_NUMBERS =
  "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split(
    " ",
  );
export const TEN_NUMBERS = "twenty thirty forty fifty sixty seventy eighty ninety".split(" ");

/**
 * Words between a count and the product that say it adds to what was bought before: "2 more XYZ
 * phones", "2 extra XYZ phones". This request buys the count written; "2 XYZ phones and 2 more"
 * is another thing (see `unreadWordsOf`).
 */
export const ADDED = new Set(["more", "extra", "additional", "further"]);

/**
 * Words right before a count that make it the most bought, which the token's `quantity` is (the
 * shop sells up to it): "up to 2", "no more than 2", "never more than 2".
 */
export const AT_MOST = [
  ["up", "to"],
  ["at", "most"],
  ["max"],
  ["maximum"],
  ["maximum", "of"],
  ...["no", "not", "never"].map((no) => [no, "more", "than"]),
];

/**
 * Words right before a count that make it the least bought: "at least 2", "min 2", "a minimum
 * of 2", "more than 2", "over 2", "no fewer than 2".
 */
export const AT_LEAST = [
  ["at", "least"],
  ["min"],
  ["minimum"],
  ["minimum", "of"],
  ["min", "of"],
  ["more", "than"],
  ["over"],
  ["above"],
  ["upwards", "of"],
  ...["no", "not"].flatMap((no) => [
    [no, "less", "than"],
    [no, "fewer", "than"],
  ]),
];

/** Words right after a product's name that make its count the least bought: "2 XYZ phones minimum". */
export const AT_LEAST_AFTER = [
  ["minimum"],
  ["min"],
  ["at", "least"],
  ["and", "up"],
  ["or", "above"],
];

/** Words that scale the amount before them: "10 thousand", "10k". */
export const MAGNITUDES = new Map([
  ["k", 1e3],
  ["thousand", 1e3],
  ["million", 1e6],
  ["billion", 1e9],
]);

/** Words that scale an amount in a way the check does not read: "2 grand", "3 lakh", "10 bn". */
export const UNREAD_MAGNITUDES = wordSet(
  "hundred hundreds thousands millions billions trillion grand lakh lakhs crore crores m mn mln b bn",
  "mil mill",
);

/** Numbers written as words: "ten", "twenty five", "a dozen"; the check does not read them. */
export const NUMBER_WORDS = wordSet(
  "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen",
  "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty",
  "ninety hundred thousand million billion dozen",
);

/**
 * Currencies a message writes by name, as the code or symbol they stand for ("euros" is EUR,
 * "dollars" any dollar, as "$" is), or `null` for one the check does not read: a unit of cents
 * ("998 cents"), or a name several currencies share ("francs", "kroner").
 */
export const CURRENCY_NAMES = new Map<string, { code?: string; symbol?: string } | null>([
  ...["dollar", "dollars", "buck", "bucks"].map((name) => [name, { symbol: "$" }] as const),
  ...["euro", "euros"].map((name) => [name, { code: "eur" }] as const),
  ...["pound", "pounds", "quid", "sterling"].map((name) => [name, { symbol: "\u00a3" }] as const),
  ["yen", { symbol: "\u00a5" }],
  ...["yuan", "renminbi", "rmb"].map((name) => [name, { code: "cny" }] as const),
  ...["rupee", "rupees"].map((name) => [name, { symbol: "\u20b9" }] as const),
  ...[
    "cent cents penny pennies pence franc francs krona kronor krone kroner peso pesos reais",
    "zloty zlotys ruble rubles rouble roubles lira lire dinar dinars dirham dirhams riyal riyals",
    "rial rials shekel shekels baht ringgit rupiah forint forints koruna shilling shillings",
  ]
    .join(" ")
    .split(" ")
    .map((name) => [name, null] as const),
]);

/**
 * Currencies a message writes by a name and the country or region it is of: "US dollars",
 * "Canadian dollars", "Swiss francs". A dollar, franc or pound of another place ("Taiwan
 * dollars") is a word the check does not read before the name.
 */
export const QUALIFIED_CURRENCIES: [string[], string][] = (
  [
    [["us", "american"], ["dollar", "dollars"], "usd"],
    [["canadian", "canada"], ["dollar", "dollars"], "cad"],
    [["australian", "aussie"], ["dollar", "dollars"], "aud"],
    [["new zealand", "nz"], ["dollar", "dollars"], "nzd"],
    [["hong kong", "hk"], ["dollar", "dollars"], "hkd"],
    [["singapore", "singaporean"], ["dollar", "dollars"], "sgd"],
    [["mexican"], ["peso", "pesos"], "mxn"],
    [["swiss"], ["franc", "francs"], "chf"],
    [["british", "uk"], ["pound", "pounds"], "gbp"],
    [["japanese"], ["yen"], "jpy"],
    [["indian"], ["rupee", "rupees"], "inr"],
    [["chinese"], ["yuan"], "cny"],
  ] as const
).flatMap(([places, names, code]) =>
  places.flatMap((place) =>
    names.map((name): [string[], string] => [[...place.split(" "), name], code]),
  ),
);

/** Units of time, and of payments, that make an amount recur or split: "per month", "12 payments". */
export const PERIODS = wordSet(
  "second seconds minute minutes hour hours hr hrs day days night nights week weeks wk wks",
  "fortnight fortnights month months mo mos year years yr yrs quarter quarters",
  "semester semesters term terms payment payments installment installments",
  "instalment instalments",
);

/** Words that multiply or add to a count or an amount: "x 10", "times 10", "plus 10", "+ 10", "twice". */
export const FACTORS = new Set(["x", "times", "multiplied", "plus", "+", "twice", "thrice"]);

/** Words that say an amount, or a purchase, recurs: "998 USD monthly", "buy 1 XYZ phone weekly". */
export const RECURRING = wordSet(
  "hourly daily nightly weekly biweekly fortnightly monthly quarterly yearly annually annual",
  "recurring subscription renewal",
);

/**
 * Words that may follow an amount and leave it what it is: "max 998 USD total", "998 USD incl
 * tax", "998 USD for 2 XYZ phones", "998 USD at most", "998 USD each". Any other word ("998 USD
 * per month", "998 USD plus 10", "998 USD x 10", "998 USD off", "998 USD or more") may make it
 * another amount: the check does not read it as the limit. "and", "or", "in", "per", "a" and
 * "each" are read with the word after them (`unreadAfter`).
 */
export const AMOUNT_FOLLOWERS = wordSet(
  "max maximum limit total tops overall combined at for to from with via on only please today",
  "now incl inc including included inclusive all qty quantity buy order purchase ref",
  "delivered shipped budget cap each apiece under below within is by altogether together",
);

/** Taxes, and the words that say an amount is before them: "998 USD excl tax", "plus VAT". */
export const TAXES = wordSet("tax taxes vat gst hst");
export const BEFORE_TAX = wordSet("excl excluding exclusive before pre plus +");

/** Words after "or" that keep an amount a maximum: "998 USD or less". */
export const OR_LESS = new Set(["less", "under", "below", "lower"]);

/** Words after "and" that make an amount a lower bound: "998 USD and up". */
export const AND_UP = new Set(["up", "above", "over", "more", "higher", "beyond", "upwards"]);

/** Words after "in" that keep an amount what it is: "998 USD in total". */
export const IN_TOTAL = new Set(["total", "all", "full"]);

/** A word before an amount that makes it each unit's: "each 499 USD", "each at 499 USD". */
export const EACH_BEFORE = [{ words: ["each"], bare: false }];

/**
 * Words right before an amount that make it money the person gets, not what they pay: "save
 * 998 USD", "cashback of 998 USD", "a refund of 998 USD".
 */
export const NOT_SPENT: { words: string[]; bare: boolean }[] = [
  "save saving savings discount refund rebate cashback credit off earn receive win bonus"
    .concat(" coupon voucher back")
    .split(" ")
    .map((word) => ({ words: [word], bare: false })),
  [["get", "back"]].map((words) => ({ words, bare: false })),
].flat();

/**
 * Words that may follow a limit with no currency without being one: "max 998 for 2 XYZ phones",
 * "max 998, qty 2", "up to 998 in total". Any other word ("max 998 kroner") may be a currency the
 * check does not know.
 */
export const BARE_FOLLOWERS = new Set([
  ...CONNECTORS,
  ...["per", "each", "apiece", "a", "in", "or", "tops", "only", "please"],
]);

/** Units of payments, which split an amount even in a time ("in 12 payments"). */
export const PAYMENTS = wordSet("payment payments installment installments instalment instalments");

/**
 * Units of a measure that describes a product: "128 GB", "15.6 inch", "2 m", "2500 mAh", "350 ml",
 * "30 h". A number before one says what the product is, never how many.
 */
export const MEASURES = wordSet(
  "gb tb mb kb kg g mg lb lbs oz cm mm km m inch inches mah hz mhz ghz mp ml l w h",
);

/** Words after a period that make it a term of the purchase, not a repeat: "2 day shipping". */
export const SERVICES = wordSet(
  "shipping shipment delivery dispatch warranty guarantee returns return trial support service",
);

/** Who a count may be each of: "1 per person", "1 per employee". */
export const PER_WHO = wordSet(
  "person persons people head heads guest guests employee employees member members user users",
  "child children kid kids student students attendee attendees recipient recipients",
);

/** Words that join one item of a purchase to the next: "2 XYZ phones and 1 ABC laptop". */
export const JOINERS = wordSet(
  "and plus + with also then und et mit avec sowie",
  // "and" in Spanish, Italian and Portuguese, and Dutch: "1 ABC laptop y 1 raton".
  "y e en",
);

/**
 * Words that name a thing a shop sells, in English, German, French, Spanish, Italian and Dutch,
 * in the singular and the plural: after a count, one alone is an item ("Buy 1 ABC laptop, 1
 * souris" buys a mouse too), where a word such as "colours" or "black" is not ("2 XYZ phones, 2
 * colours").
 */
export const GOODS = wordSet(
  "phone phones smartphone smartphones laptop laptops notebook notebooks tablet tablets",
  "mouse mice charger chargers cable cables case cases cover covers sleeve sleeves bag bags",
  "adapter adapters keyboard keyboards monitor monitors screen screens speaker speakers",
  "headphones headset headsets earbuds earphones watch watches mug mugs cup cups battery",
  "batteries dock docks hub hubs stand stands printer printers camera cameras drive drives",
  "handy handys telefon telefone maus maeuse mause ladegeraet ladegerat kabel huelle huellen",
  "hulle hullen tasche taschen tastatur akku akkus kopfhoerer kopfhorer tasse tassen becher",
  "telephone telephones portable portables ordinateur souris chargeur chargeurs cable cables",
  "coque coques housse housses sacoche clavier ecran casque batterie batteries",
  "telefono telefonos movil moviles portatil portatiles raton ratones cargador cargadores",
  "cable funda fundas bolsa teclado pantalla auriculares taza tazas bateria baterias",
  "telefoni cellulare cellulari portatile mouse caricatore cavo cavi custodia custodie borsa",
  "tastiera cuffie tazza tazze batteria",
  "telefoon telefoons muis muizen oplader opladers kabels hoesje hoesjes tas toetsenbord",
  "koptelefoon mok mokken accu",
);

/**
 * Words after a count that name no product: a time ("2 day shipping"), a unit ("2 units"), a
 * measure ("64 GB"), another count ("2 more") or who it is for ("1 per person", "1 for Anna").
 */
export const NOT_ITEMS = new Set([
  ...PERIODS,
  ...UNIT_WORDS,
  ...ADDED,
  ...wordSet("other others people person persons pm am percent times"),
  ...MEASURES,
]);

/**
 * Words that end the words of a product's name: a connector ("for", "max"), a filler, a word
 * that follows an amount ("today", "by"), a joiner, a buying verb, a count in words, or "my",
 * "the" ("for my USB-C laptop" names what is owned, not bought).
 */
export const NAME_ENDS = new Set([
  ...CONNECTORS,
  ...FILLERS,
  ...AMOUNT_FOLLOWERS,
  ...JOINERS,
  ...BUYING,
  ...NUMBER_WORDS,
  ...FACTORS,
  ...RECURRING,
  ...wordSet("per or in on of by my your our their his her its this that these those please now"),
]);

/** Words before an amount that make it the whole request's: "max total 10 USD", "overall max". */
export const TOTAL_BEFORE = wordSet(
  "total totaling totalling overall combined grand altogether all",
);

/** Words after an amount that make it the whole request's: "10 USD total", "10 USD for both". */
export const TOTAL_AFTER = [
  ["total"],
  ["in", "total"],
  ["overall"],
  ["combined"],
  ["altogether"],
  ["together"],
  ["in", "all"],
  ["all", "in"],
  ["for", "both"],
  ["for", "all"],
  ["for", "everything"],
];

/**
 * Words of products' names as German, French, Spanish, Italian and Dutch write them, singular
 * and plural, accents dropped as a message is read: "2 XYZ Handys" names the XYZ phone. Only a
 * word for the same thing: "Handyhuelle" (a phone case) is none of the phone's.
 */
export const NAME_WORDS_ABROAD = new Map<string, Set<string>>(
  (
    [
      [
        "phone",
        "handy handys telefon telefone telephone telephones telefono telefonos telefoni movil",
        "moviles cellulare cellulari telefoon telefoons",
      ],
      ["laptop", "portatil portatiles portatile portatili"],
      ["cable", "kabel kabels cavo cavi"],
      ["case", "huelle huellen hulle hullen coque coques funda fundas custodia custodie hoesje"],
      ["mouse", "maus maeuse mause souris raton ratones muis muizen"],
      ["charger", "ladegeraet ladegerat chargeur chargeurs cargador cargadores caricatore oplader"],
      ["headphones", "kopfhoerer kopfhorer casque auriculares cuffie koptelefoon"],
      ["mug", "tasse tassen becher taza tazas tazza tazze mok mokken"],
      ["battery", "batterie batterien akku akkus bateria baterias batteria accu"],
    ] as const
  ).map(([word, ...lines]) => [word, wordSet(...lines)]),
);

/** "a" and "an" in German, French, Spanish, Italian and Dutch: a count of one. */
export const ARTICLES_ABROAD = wordSet("ein eine einen einem un une uno una een");
