/** Verbs (and their nouns) that say the product is bought: what a `product_purchase` does. */
export const BUYING = new Set(
  [
    "buy buys buying purchase purchases purchasing order orders ordering get getting acquire",
    "acquiring pay paying spend spending gift gifting preorder pre reorder checkout",
  ]
    .join(" ")
    .split(" "),
);

/**
 * Verbs (and their nouns) that say something else is done with the product than buying it:
 * "Sell 2 XYZ phones", "Return 2 XYZ phones", "Reserve 2 XYZ phones" (a hold charges nothing),
 * "Cancel my order of 2 XYZ phones".
 */
const NOT_BUYING = new Set(
  [
    "sell sells selling sold resell reselling return returns returning refund refunds refunding",
    "cancel cancels canceling cancelling cancellation reserve reserves reserving reservation",
    "hold rent rents renting lease leasing borrow borrowing exchange exchanging trade trading",
    "swap swapping donate donating remove removing delete deleting unsubscribe",
  ]
    .join(" ")
    .split(" "),
);

/** Words that say a purchase is not to happen: "Do not buy", "Dont order", "No purchase of". */
const NEGATIONS = new Set(
  "not no never dont doesnt didnt wont cannot cant nor neither without skip skipping stop avoid".split(
    " ",
  ),
);

/**
 * Words that may stand between a negation and the verb it denies: "do not want to buy", "will
 * never ever order", "don't buy" (read "don t buy"), "cancel my order".
 */
const BETWEEN = new Set(
  "do to want please you i we will should shall would ever go going be t my the this that your our an a".split(
    " ",
  ),
);

/** How far back from the product's count a verb is looked for: "Please do not purchase 2 ...". */
const REACH = 8;

/** The words of a message that deny the purchase or name another deal, from `start` to `end`. */
export interface OtherAction {
  start: number;
  end: number;
}

/** The first negation before the word at `at`, past the words `BETWEEN` allows. */
function negationBefore(said: readonly string[], at: number): number | undefined {
  for (let index = at - 1; index >= 0 && index >= at - 4; index--) {
    const word = said[index] ?? "";
    if (NEGATIONS.has(word) || NOT_BUYING.has(word)) {
      // "Do not buy": the "do" is part of what the message says.
      return said[index - 1] === "do" && word === "not" ? index - 1 : index;
    }
    if (!BETWEEN.has(word)) return undefined;
  }
  return undefined;
}

/**
 * What the message says is done with the product it names from `start` (its count included):
 * `undefined` when it is bought or nothing says otherwise ("Buy 2 XYZ phones", "2 XYZ phones,
 * max 998 USD"), else the words that deny the purchase ("Do not buy", "Never order", "not" in
 * "Buy 2 XYZ tablets, not XYZ phones") or name another deal ("Sell", "Return", "Cancel my
 * order"). The verb nearest before the product, in its clause, is the one that says it: in "Buy
 * 2 XYZ phones and do not buy 1 ABC laptop" the phones are bought, the laptop is not. A clause
 * ends at a mark other than ":" ("Dont worry, buy 2 XYZ phones" buys them; "Cancel my order: 2
 * XYZ phones" cancels them). Words of a stated amount (`skip`: "Do not spend more than 998 USD
 * on 2 XYZ phones") are a limit, not an action.
 */
export function otherActionBefore(
  said: readonly string[],
  start: number,
  { skip, endsClause }: { skip: ReadonlySet<number>; endsClause: (index: number) => boolean },
): OtherAction | undefined {
  for (let index = start - 1; index >= 0 && index >= start - REACH; index--) {
    if (skip.has(index)) continue;
    const word = said[index] ?? "";
    if (word === "," && endsClause(index)) return undefined;
    // "Order no 12: 2 XYZ phones": a number's "no" denies nothing.
    if (word === "no" && /^\d/.test(said[index + 1] ?? "")) continue;
    if (NEGATIONS.has(word) || NOT_BUYING.has(word)) {
      const from = negationBefore(said, index + 1) ?? index;
      return { start: from, end: index + 1 };
    }
    if (BUYING.has(word)) {
      const negation = negationBefore(said, index);
      return negation === undefined ? undefined : { start: negation, end: index + 1 };
    }
  }
  return undefined;
}
