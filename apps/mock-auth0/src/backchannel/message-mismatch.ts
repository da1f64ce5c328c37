import { sanitizeBindingText } from "@ciba-testbed/shared";
import type { AuthorizationDetail } from "@ciba-testbed/shared";

/**
 * Text compared as a person reads it: accents, case and punctuation set aside, words apart.
 * "Do you want to buy 2 XYZ-phones!" reads " do you want to buy 2 xyz phones ".
 */
function words(text: string): string {
  const plain = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
  return ` ${plain} `;
}

/**
 * Whether the message names the product: its words in a row, whole, the last one maybe in the
 * plural ("battery" in "2 batteries", "box" in "3 boxes"), or cut short where a long message
 * ends in "...". A name is a word of its own: "toy" is not named by "Do you want to buy a
 * tomato", nor "phone" by "phonebook". The name is taken as written and as the shared builder
 * writes it into a binding message, which Auth0 limits to `A-Za-z0-9+-_.,:#` and spaces: "AT&T
 * SIM card" as "AT and T SIM card", "Kid's toy" as "Kids toy" (`sanitizeBindingText`).
 */
function namesProduct(message: string, product: string): boolean {
  const said = words(message);
  const names = [words(product).trim(), words(sanitizeBindingText(product)).trim()];
  return names.some((name) => {
    if (name === "") return true;
    const forms = [name, `${name}s`, `${name}es`, `${name.replace(/y$/, "")}ies`];
    if (forms.some((form) => said.includes(` ${form} `))) return true;
    if (!message.trimEnd().endsWith("...")) return false;
    const firstWord = name.split(" ")[0] ?? name;
    return said.includes(` ${firstWord}`);
  });
}

/** The numbers the message writes, each whole: "19.99 USD" holds 19.99, not 19 or 99. */
const numbersIn = (message: string): string[] => message.match(/\d+(?:[.,]\d+)*/g) ?? [];

/**
 * Where a request's binding message and its `authorization_details` visibly disagree: a
 * `product_purchase` entry whose product, or whose quantity as a number, the message does not
 * name. Auth0's Guardian shows only the binding message for a custom type, so the person
 * approves what the message says while the token carries the details: an agent that writes
 * one and sends the other is wrong, and the testbed says so. `undefined` when they agree, or
 * when there is nothing to compare.
 */
export function messageMismatch(
  bindingMessage: string,
  details: readonly AuthorizationDetail[] | undefined,
): string | undefined {
  const problems: string[] = [];
  for (const entry of details ?? []) {
    if (entry.type !== "product_purchase") continue;
    const { product, quantity } = entry as { product?: unknown; quantity?: unknown };
    if (typeof product === "string" && !namesProduct(bindingMessage, product)) {
      problems.push(`the product "${product}"`);
    }
    if (
      typeof quantity === "number" &&
      Number.isFinite(quantity) &&
      !numbersIn(bindingMessage).includes(String(quantity))
    ) {
      problems.push(`the quantity ${String(quantity)}`);
    }
  }
  if (problems.length === 0) return undefined;
  return `The binding message does not name ${problems.join(" or ")} of authorization_details: the person would approve the message while the token authorizes the details.`;
}
