import damerauLevenshtein from "damerau-levenshtein";

import type { ProductJson } from "@ciba-testbed/shop-api";

/** What the offline parser needs of a catalog product: its id and its name. */
export type CatalogProduct = Pick<ProductJson, "id" | "name">;

/** A run of tokens that names a catalog product. */
export interface ProductMention {
  start: number;
  end: number;
  product: CatalogProduct;
  /** Written as a plural of a singular name ("XYZ phones"), so the count matters. */
  plural: boolean;
  /** Named by the end of its name alone ("case", "phone case"): see `findMentions`. */
  short?: true;
}

interface NameForm {
  product: CatalogProduct;
  compact: string;
  tokens: string[];
  /** Edits allowed: typos are forgiven within a bound that grows with the name. */
  bound: number;
  /** The end of a name that no other product's name ends with ("laptop", "phone case"). */
  short?: true;
}

const LONG_NAME = 10;

/**
 * Everyday words an edit or two from a word of the shop's names, with its first letter: each is
 * itself, never a typo of the name ("cash" and "care" are not "case", "prone" is not "phone").
 */
const NOT_TYPOS = new Set(
  (
    "cash cast care cars card cards came cake cage cafe cave cane cape cost costs coat code " +
    "prone phony phoney photo photos phase"
  ).split(" "),
);

/** Words that are part of a mention only where they are part of a product's name. */
const NOT_NAME_WORDS = new Set(
  (
    "a an the of and or to for me my us our your his her their its it them with without no not " +
    "please pls x in on at from by some any more new another each per i we you this that these " +
    "those one two three four five six seven eight nine ten dozen couple pair buy order get as " +
    "if is so than"
  ).split(" "),
);

export function nameTokens(name: string): string[] {
  return name
    .normalize("NFKC")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((token) => token !== "");
}

/** The singular of an English plural, enough for product names ("cables", "boxes", "batteries"). */
export function singular(word: string): string {
  if (word.length <= 3) return word;
  if (/[^aeiou]ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(?:ch|sh|x|z|ss)es$/.test(word)) return word.slice(0, -2);
  if (/[^su]s$/.test(word)) return word.slice(0, -1);
  return word;
}

/**
 * "USB Type-C" is the standard's full name for USB-C: a name with "USB-C" in it is also read with
 * it ("a USB type-C cable"), as written only, with no typo forgiven: "type-A" is one letter from
 * "type-C" and another plug. "Type-C" alone names a plug, which other cables have at one end
 * too: asked about.
 */
function typeCForms(tokens: readonly string[]): string[][] {
  const at = tokens.findIndex((token, index) => token === "usb" && tokens[index + 1] === "c");
  if (at < 0) return [];
  return [[...tokens.slice(0, at), "usb", "type", "c", ...tokens.slice(at + 2)]];
}

function formsOf(catalog: readonly CatalogProduct[]): NameForm[] {
  const forms: NameForm[] = [];
  const add = (product: CatalogProduct, tokens: string[], bound: number) => {
    const compact = tokens.map(singular).join("");
    if (compact === "" || forms.some((form) => form.compact === compact)) return;
    forms.push({ product, compact, tokens, bound });
  };
  for (const product of catalog) {
    for (const tokens of [nameTokens(product.name), nameTokens(product.id)]) {
      add(product, tokens, tokens.map(singular).join("").length >= LONG_NAME ? 2 : 1);
    }
  }
  for (const product of catalog) {
    for (const tokens of typeCForms(nameTokens(product.name))) add(product, tokens, 0);
  }
  // A name's last word first, as other languages order them: "laptop ABC", "phone XYZ",
  // "headphones wireless", "cable USB-C". Exactly, with no typo forgiven. Only a word of two
  // letters or more moves: a "Phone X" read as "x phone" would take "2 x phone" (two of a
  // "Phone" in the same catalog) for two of it, and a "Phone 15" is no word order.
  for (const product of catalog) {
    const tokens = nameTokens(product.name);
    const last = tokens.at(-1) ?? "";
    if (tokens.length >= 2 && /^\p{L}{2,}$/u.test(last)) {
      add(product, [last, ...tokens.slice(0, -1)], 0);
    }
  }
  return forms;
}

/** A short name is at least this long ("case"); shorter ones ("c") name nothing alone. */
const SHORT_NAME = 4;
/** Typos are forgiven in a short name of this many letters or more ("cabel", "labtop"). */
const SHORT_TYPO = 5;
/** A word of a name this short is a code, typed exactly or not at all. */
const CODE_LENGTH = 3;

/**
 * Whether the codes a name starts with ("xyz", "usb c", "abc") are in `run` as typed: a typed
 * word read as one of them by its plural ("xyzs") is another model, and so is a run whose
 * letters, run together, do not start with them when it is not the name exactly ("xywphone").
 */
function codesTypedExactly(run: readonly string[], tokens: readonly string[], distance: number) {
  const codes: string[] = [];
  for (const token of tokens) {
    if (token.length > CODE_LENGTH) break;
    codes.push(token);
  }
  const next = tokens[codes.length];
  if (codes.length === 0 || next === undefined) return true;
  const pluralCode = run.some(
    (word, index) =>
      index < run.length - 1 &&
      word !== singular(word) &&
      (codes.includes(singular(word)) || singular(word) === codes.join("")),
  );
  if (pluralCode) return false;
  // The code, then the next word's first letter: "XYZSphone" has a letter more between them.
  return distance === 0 || run.join("").startsWith(codes.join("") + next.slice(0, 1));
}

/**
 * The ends of names that one product's name alone ends with: "phone" (XYZ phone), "case" and
 * "phone case" (XYZ phone case), "laptop", "cable", "headphones". A word several names end
 * with, or any name's start ("XYZ"), is no short name.
 */
function shortFormsOf(catalog: readonly CatalogProduct[], forms: readonly NameForm[]): NameForm[] {
  const ends = new Map<string, { product: CatalogProduct; tokens: string[] }[]>();
  for (const product of catalog) {
    const tokens = nameTokens(product.name);
    for (let from = 1; from < tokens.length; from += 1) {
      const end = tokens.slice(from);
      const compact = end.map(singular).join("");
      ends.set(compact, [...(ends.get(compact) ?? []), { product, tokens: end }]);
    }
  }
  const short: NameForm[] = [];
  for (const [compact, owners] of ends) {
    const [owner] = owners;
    const last = owner?.tokens.at(-1) ?? "";
    if (
      owner === undefined ||
      new Set(owners.map((o) => o.product.id)).size !== 1 ||
      compact.length < SHORT_NAME ||
      NOT_NAME_WORDS.has(last) ||
      forms.some((form) => form.compact === compact)
    ) {
      continue;
    }
    const bound = compact.length >= SHORT_TYPO ? 1 : 0;
    short.push({ product: owner.product, compact, tokens: owner.tokens, bound, short: true });
  }
  return short;
}

/**
 * Finds the catalog products a sentence names. Case, hyphens and spaces do not matter
 * ("usb c cable", "USB-C cables", "usbc cable"), nor plurals, nor a few typos: the
 * Damerau-Levenshtein distance of the words, run together, to a product's name or id is at
 * most 1 for a short name and 2 for a long one, and the first letter is right. The longest
 * mention wins ("XYZ phone case" over "XYZ phone"); a run as close to two products is not one.
 */
export function findMentions(
  words: readonly string[],
  usable: (index: number) => boolean,
  catalog: readonly CatalogProduct[],
  shortAt?: (start: number) => boolean,
): ProductMention[] {
  const full = formsOf(catalog);
  const forms = shortAt === undefined ? full : [...full, ...shortFormsOf(catalog, full)];
  const nameWords = new Set(forms.flatMap((form) => form.tokens));
  const longest = Math.max(0, ...forms.map((form) => form.tokens.length)) + 1;
  const candidates: (ProductMention & { distance: number })[] = [];
  for (let start = 0; start < words.length; start += 1) {
    for (let end = start + 1; end <= Math.min(words.length, start + longest); end += 1) {
      if (!usable(end - 1)) break;
      const run = words.slice(start, end);
      const last = run.at(-1) ?? "";
      // "a XYZ phone" is "a" and a mention; "XYZ phones in case" names no "XYZ phone case". A
      // letter may start a name spelled out ("a b c laptop", "x y z phone": see below).
      if (NOT_NAME_WORDS.has(last) && !nameWords.has(last) && last.length > 1) break;
      const compact = run.map(singular).join("");
      const near = nearestForms(compact, forms);
      const [best] = near;
      if (best === undefined) continue;
      if (best.form.short === true && shortAt?.(start) !== true) continue;
      // "XYZ phone w/ case", "XYZ phone n case": a word of one letter the name does not have is
      // a word of its own ("with", "and"), no typo in the name: not the XYZ phone case. Letters
      // that spell words of the name, as dictation writes them ("x y z phone", "u s b c cable"),
      // are the name, written exactly.
      const spelled = spellsNameWords(run, best.form.tokens);
      if (spelled === undefined || (spelled && best.distance > 0)) continue;
      // "wireless earphones": a word that starts with another letter than the name's word in its
      // place is another word (earphones are not headphones), no typo in the name.
      if (
        best.distance > 0 &&
        run.length === best.form.tokens.length &&
        run.some((word, index) => !word.startsWith(best.form.tokens[index]?.slice(0, 1) ?? ""))
      ) {
        continue;
      }
      // "The XYZ phone costs $499": two edits in one short word make another word ("cost" is
      // not "case"), no typo in the name. A word of the name shorter than SHORT_TYPO letters
      // takes one edit, a longer one two, whatever the whole name allows; and an everyday word
      // an edit away ("XYZ phone cash on delivery", "care plan") is that word, not a typo.
      if (
        best.distance > 0 &&
        run.length === best.form.tokens.length &&
        run.some((word, index) => {
          const token = singular(best.form.tokens[index] ?? "");
          const typed = singular(word);
          // A word of three letters or fewer is a model's or a brand's code ("XYZ", "ABC",
          // "USB"): one letter off names another model ("ABD laptop", "XYW phone"), which the
          // shop does not sell, no typo of this one.
          const allowed = token.length <= CODE_LENGTH ? 0 : token.length < SHORT_TYPO ? 1 : 2;
          return (
            typed !== token &&
            (NOT_TYPOS.has(word) || damerauLevenshtein(typed, token).steps > allowed)
          );
        })
      ) {
        continue;
      }
      // A code is typed exactly, run together with the rest of the name too ("XYWphone",
      // "ABDlaptop": one letter off another model), and never as a plural before the name's
      // other words ("XYZS phone", "ABCS laptop": another model, not more of this one).
      if (!codesTypedExactly(run, best.form.tokens, best.distance)) continue;
      // "USB cable" for the USB-C cable: the name without one of its words is something less
      // specific (a USB cable of any kind), no typo of it.
      if (
        best.distance > 0 &&
        run.length < best.form.tokens.length &&
        dropsAWord(compact, best.form)
      ) {
        continue;
      }
      // Equally close to two products: a guess either way, so not a mention.
      if (near.some(({ form }) => form.product.id !== best.form.product.id)) continue;
      const nameLast = best.form.tokens.at(-1) ?? "";
      candidates.push({
        start,
        end,
        product: best.form.product,
        plural: last !== nameLast && last.endsWith("s") && !nameLast.endsWith("s"),
        distance: best.distance,
        ...(best.form.short === true ? { short: true as const } : {}),
      });
    }
  }
  candidates.sort(
    (a, b) => b.end - b.start - (a.end - a.start) || a.distance - b.distance || a.start - b.start,
  );
  const chosen: ProductMention[] = [];
  for (const { distance: _distance, ...candidate } of candidates) {
    if (chosen.some((other) => candidate.start < other.end && other.start < candidate.end)) {
      continue;
    }
    chosen.push(candidate);
  }
  return chosen.sort((a, b) => a.start - b.start);
}

/**
 * The words of a name (`name`, its words in order) that `letters` spells, run together: "xyz" of
 * ["xyz", "phone"], "usbc" of ["usb", "c", "cable"]; `undefined` when it spells no run of them.
 */
export function spelledNameWords(letters: string, name: readonly string[]): string[] | undefined {
  for (let from = 0; from < name.length; from += 1) {
    let joined = "";
    for (let to = from; to < name.length && joined.length < letters.length; to += 1) {
      joined += name[to] ?? "";
      if (joined === letters) return name.slice(from, to + 1);
    }
  }
  return undefined;
}

/**
 * How a run's words of one letter stand to a name's words (`tokens`): `false` when it has none
 * or only letters the name has as words ("c" in "USB C"), `true` when each stretch of them spells
 * whole words of the name in order ("x y z", "u s b c": XYZ, USB C), `undefined` otherwise.
 */
function spellsNameWords(run: readonly string[], tokens: readonly string[]): boolean | undefined {
  let spelled = false;
  for (let at = 0; at < run.length; at += 1) {
    if (run[at]?.length !== 1) continue;
    let end = at;
    while (run[end]?.length === 1) end += 1;
    const letters = run.slice(at, end).join("");
    if (end - at === 1 && tokens.includes(letters)) continue;
    if (spelledNameWords(letters, tokens) === undefined) return undefined;
    spelled = true;
    at = end - 1;
  }
  return spelled;
}

/** Whether `compact` is the form's name without one of its words. */
function dropsAWord(compact: string, form: NameForm): boolean {
  return form.tokens.some(
    (_, index) =>
      form.tokens
        .filter((_, other) => other !== index)
        .map(singular)
        .join("") === compact,
  );
}

function nearestForms(
  compact: string,
  forms: readonly NameForm[],
): { form: NameForm; distance: number }[] {
  let best = Infinity;
  let near: { form: NameForm; distance: number }[] = [];
  for (const form of forms) {
    if (Math.abs(compact.length - form.compact.length) > form.bound) continue;
    if (!compact.startsWith(form.compact.slice(0, 1))) continue;
    const distance = compact === form.compact ? 0 : damerauLevenshtein(compact, form.compact).steps;
    if (distance > form.bound || distance > best) continue;
    if (distance < best) near = [];
    best = distance;
    near.push({ form, distance });
  }
  return near;
}

/**
 * The products whose name has this word in it ("phone": XYZ phone, XYZ phone case), the ones
 * it is the last word of first. A word that only partly names a product is asked about.
 */
export function productsWithWord(
  word: string,
  catalog: readonly CatalogProduct[],
): CatalogProduct[] {
  const wanted = singular(word);
  if (wanted.length < 3 || NOT_NAME_WORDS.has(wanted)) return [];
  const matches = catalog.filter((product) =>
    nameTokens(product.name).some((token) => singular(token) === wanted),
  );
  const isLast = (product: CatalogProduct) =>
    singular(nameTokens(product.name).at(-1) ?? "") === wanted;
  return [...matches.filter(isLast), ...matches.filter((product) => !isLast(product))];
}

/** A product whose name is itself a plural ("Wireless headphones"): one is a pair. */
export function hasPluralName(product: CatalogProduct): boolean {
  const last = nameTokens(product.name).at(-1) ?? "";
  return singular(last) !== last;
}
