import { parsePurchaseRequest, type ParsedRequest } from "@ciba-testbed/agent";

const SENTENCE_END = /(?<=[.?!])\s+/;
const SMALL_TALK =
  /^(?:hi|hello|hey|thanks|thank you|cheers|ok|okay)(?:\s+(?:so much|a lot))?[\s,!.]*$/i;
const FOR_SOMEONE = /\s+for\s+(?:me|us|myself|ourselves)\b/gi;
const BUDGET_WORDS =
  /\b(?:under|below|less than|at most|no more than|not more than|max(?:imum)?|budget|limit|up to|within|spend)\b/i;
/** ", max 600 USD": a comma before a budget, which the parser would read as a second item. */
const COMMA_BEFORE_BUDGET =
  /,\s+(?=(?:for\s+)?(?:under|below|less than|at most|no more than|not more than|max(?:imum)?|up to|within|budget|limit)\b)/gi;
const AMOUNT = /\$\s*\d[\d,]*(?:\.\d{1,2})?|\d[\d,]*(?:\.\d{1,2})?(?:\s*(?:dollars?|usd|bucks))?/i;
/** A product name as a person types it: words, digits and `-&+'./`, no sentence punctuation. */
const PRODUCT_NAME = /^[\p{L}\p{N}][\p{L}\p{N} '&+\-./]*$/u;

/**
 * Reads the user's message with the agent's offline parser, after shaping it the way that
 * parser reads best: small talk and "for me" dropped, and a budget given in a sentence of its
 * own ("Could you order three XYZ phones for me? Keep it under 5000 dollars.") or after a
 * comma ("one XYZ phone, max 600 USD") moved onto the purchase. A product the parser returns with sentence punctuation in it ("phones. My budget")
 * is not a product: the request counts as unclear, so the reply asks instead of guessing.
 */
export function readPurchaseRequest(message: string): ParsedRequest {
  const sentences = message
    .trim()
    .split(SENTENCE_END)
    .filter((sentence) => !SMALL_TALK.test(sentence));
  const purchase: string[] = [];
  const budgets: string[] = [];
  for (const sentence of sentences) {
    const alone = parsePurchaseRequest(sentence);
    const amount = AMOUNT.exec(sentence)?.[0];
    const onlyBudget =
      alone.kind === "unclear" && alone.understood.length === 0 && BUDGET_WORDS.test(sentence);
    if (onlyBudget && amount !== undefined) {
      budgets.push(amount.trim());
    } else {
      purchase.push(sentence.replace(FOR_SOMEONE, "").replace(COMMA_BEFORE_BUDGET, " "));
    }
  }
  let text = purchase.join(" ").trim();
  const parsedWithout = parsePurchaseRequest(text);
  const [budget] = budgets;
  if (
    budgets.length === 1 &&
    budget !== undefined &&
    parsedWithout.kind === "purchases" &&
    parsedWithout.items.every((item) => item.priceLimit === undefined)
  ) {
    text = `${text.replace(/[.!?]+$/, "")} under ${budget}`;
  }
  const parsed = parsePurchaseRequest(text);
  if (parsed.kind === "unclear") return parsed;
  const odd = parsed.items.find((item) => !PRODUCT_NAME.test(item.product));
  if (odd === undefined) return parsed;
  return {
    kind: "unclear",
    understood: [],
    needed: `a plain product name instead of "${odd.product}", in a request such as "Buy 2 XYZ phones under $500"`,
  };
}
