// What both pages show of a request's `authorization_details` (RFC 9396): the approver page's
// cards and the email consent page. Everything in them is the client's: the person must see it
// as it is, whatever it holds, and no value may hide another.

/** A currency code as ISO 4217 writes one: anything else is the Currency row's to show. */
const CURRENCY_CODE = /^[A-Z]{3}$/;

/** A number as JavaScript writes it: `9.99`, `-0.5`, `1e-7`, `1.5e+21`. */
const NUMBER_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

/**
 * A finite limit as the shop applies it: in whole cents, rounded down, never up to a cent it
 * would refuse: 498.999 and 498.99999999999 are "$498.99", not "$499.00". The steps of
 * `limitToCents` in packages/shared, which this page cannot import: floored from the decimal
 * the number is written as (the shortest that reads back as it, as in the JSON it came from),
 * not from `value * 100` in floating point, where 19.99 is 1998.9999999999998 and
 * 2.0999999999999996 (0.7 * 3) rounds to 210.
 */
function toCents(value) {
  const match = NUMBER_TEXT.exec(String(value));
  if (!match) return Math.floor(value * 100);
  const [, sign, whole, fraction = "", exponent = "0"] = match;
  const digits = whole + fraction;
  const shift = Number(exponent) - fraction.length + 2;
  if (shift >= 0) return Number(`${sign}${digits}${"0".repeat(shift)}`);
  const kept = Number(digits.slice(0, Math.max(0, digits.length + shift)));
  const dropped = /[1-9]/.test(digits.slice(Math.max(0, digits.length + shift)));
  return sign === "-" ? -kept - (dropped ? 1 : 0) : kept;
}

export function formatAmount(value, currency) {
  if (typeof value !== "number") return "";
  if (typeof currency !== "string" || !CURRENCY_CODE.test(currency)) return String(value);
  const amount = Number.isFinite(value) ? toCents(value) / 100 : value;
  try {
    // At most two decimals, as the shop keeps: a currency of none (JPY) still shows its cents,
    // and one of three (KWD) shows no third digit the shop would not apply.
    const usual = new Intl.NumberFormat(undefined, { style: "currency", currency });
    return new Intl.NumberFormat(undefined, {
      style: "currency",
      currency,
      minimumFractionDigits: Math.min(2, usual.resolvedOptions().minimumFractionDigits ?? 2),
      maximumFractionDigits: 2,
    }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}

/**
 * Characters a person cannot see for what they are: controls, format characters (the
 * right-to-left override among them), line and paragraph separators, every space but the plain
 * one (no-break, figure and ideographic spaces among them), the letters and marks that draw
 * nothing (the combining grapheme joiner, the Hangul fillers, the blank braille pattern, the
 * Khmer and Mongolian invisibles, variation selectors), and a run of three or more combining
 * marks, which draws over the rows around it. The shop's rule (`UNSEEN` in packages/shared).
 */
const HIDDEN =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115F\u1160\u2800\u3164\uFFA0]|\u034F|\u17B4|\u17B5|[\u180B-\u180F]|[\uFE00-\uFE0F]|[\u{E0100}-\u{E01EF}]|[^\P{Zs} ]|\p{M}{3,}/u;
const HIDDEN_ALL = new RegExp(HIDDEN.source, "gu");
const UNUSUAL_SPACING = /^ | $| {2}/;

/**
 * `\u{2007}` for each character HIDDEN matches, so that it shows instead of hiding: the pages
 * show every text that comes from the tenant's configuration or a request through it (a user's
 * name, an email, a client's name, an audience, a scope, a binding message), so that a
 * right-to-left override in a user's name cannot turn the rest of a row around.
 */
export const escaped = (text) =>
  text.replace(HIDDEN_ALL, (run) =>
    [...run]
      .map(
        (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}}`,
      )
      .join(""),
  );

/**
 * A value as the page shows it, and whether it is not what a purchase holds (a string as the
 * client wrote it, a number): a string with invisible characters or unusual spacing is quoted
 * with them written out, and anything else is its JSON text.
 */
function shown(value, expected) {
  if (typeof value === expected && expected === "number" && Number.isFinite(value)) {
    return { text: String(value), odd: false };
  }
  if (typeof value === "string" && expected === "string") {
    return HIDDEN.test(value) || UNUSUAL_SPACING.test(value)
      ? { text: `"${escaped(value)}"`, odd: true }
      : { text: value, odd: false };
  }
  if (value === undefined) return { text: "(missing)", odd: true };
  let json;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  return { text: escaped(json ?? String(typeof value)), odd: true };
}

const ODD_TITLE = "Not as a purchase holds it: shown exactly as the request sent it";

function cell(value, expected, className) {
  const td = document.createElement("td");
  const { text, odd } = shown(value, expected);
  td.textContent = text;
  td.className = [className, odd ? "odd" : ""].filter(Boolean).join(" ");
  if (odd) td.title = ODD_TITLE;
  return td;
}

/**
 * The members a `product_purchase` entry has rows for, `purchase_id` (the order's
 * Idempotency-Key) when it names one; anything else is shown below it.
 */
const PURCHASE_MEMBERS = new Set([
  "type",
  "product",
  "quantity",
  "maximum_amount",
  "currency",
  "purchase_id",
]);

/** The upper limit's text and whether it is odd: "no limit" when the entry names none. */
function limitShown(entry) {
  if (entry.maximum_amount === undefined) return { text: "no limit", odd: false };
  // An amount with a currency code; another currency (any text the client sent) stays in the
  // Currency row, written out and marked there, and the amount is shown alone.
  if (typeof entry.maximum_amount === "number" && CURRENCY_CODE.test(String(entry.currency))) {
    return { text: formatAmount(entry.maximum_amount, entry.currency), odd: false };
  }
  return shown(entry.maximum_amount, "number");
}

function limitCell(entry) {
  const td = document.createElement("td");
  const { text, odd } = limitShown(entry);
  td.textContent = text;
  td.className = odd ? "number odd" : "number";
  if (odd) td.title = ODD_TITLE;
  return td;
}

const isPurchase = (entry) =>
  typeof entry === "object" && entry !== null && entry.type === "product_purchase";

/**
 * What an approval authorizes, in one line, from its `authorization_details` (what the token
 * will carry, whatever the binding message says): "5 × ABC laptop, no limit", entries joined
 * by "; ". `undefined` without entries.
 */
export function approvalSummary(details) {
  if (!Array.isArray(details) || details.length === 0) return undefined;
  return details
    .map((entry) => {
      if (!isPurchase(entry)) return shown(entry, "object").text;
      const quantity = shown(entry.quantity, "number").text;
      const product = shown(entry.product, "string").text;
      const limit = limitShown(entry).text;
      return `${quantity} × ${product}, ${limit === "no limit" ? limit : `up to ${limit}`}`;
    })
    .join("; ");
}

/** A row of the entry: its label, then its value. */
function field(label, value) {
  const row = document.createElement("tr");
  const th = document.createElement("th");
  th.scope = "row";
  th.textContent = label;
  row.append(th, value);
  return row;
}

/** An entry's members without a row of their own, under it: nothing the client sent is hidden. */
function extraRow(entry) {
  const extra = Object.entries(entry).filter(([name]) => !PURCHASE_MEMBERS.has(name));
  if (extra.length === 0) return undefined;
  const row = document.createElement("tr");
  row.className = "extra";
  const td = cell(Object.fromEntries(extra), "object");
  td.colSpan = 2;
  td.textContent = `Also in this entry: ${td.textContent}`;
  row.append(td);
  return row;
}

/**
 * The entries as a table, a group of rows each: a purchase has a labelled row per member, other
 * types their raw members. Labels beside values rather than columns side by side, so that a
 * phone's width leaves each label and amount whole. Total: whatever the entries hold, it
 * returns a table, so one request cannot blank a page.
 */
export function detailsTable(details) {
  const table = document.createElement("table");
  const caption = document.createElement("caption");
  caption.textContent = "What you approve";
  table.append(caption);
  for (const entry of Array.isArray(details) ? details : [details]) {
    const group = document.createElement("tbody");
    if (isPurchase(entry)) {
      group.append(
        field("Product", cell(entry.product, "string")),
        field("Quantity", cell(entry.quantity, "number", "number")),
        field("Up to", limitCell(entry)),
        field("Currency", cell(entry.currency, "string")),
      );
      if ("purchase_id" in entry)
        group.append(field("Purchase id", cell(entry.purchase_id, "string")));
      const extra = extraRow(entry);
      if (extra) group.append(extra);
    } else {
      const row = document.createElement("tr");
      const other = cell(entry, "object");
      other.colSpan = 2;
      row.append(other);
      group.append(row);
    }
    table.append(group);
  }
  return table;
}
