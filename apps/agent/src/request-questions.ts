import { MAX_PRICE_LIMIT, MAX_QUANTITY, SHOP_CURRENCY } from "@ciba-testbed/shared";

import { hasPluralName, type CatalogProduct } from "./catalog-match.js";

/** Why the offline model cannot buy what it read, each with the one question it asks. */
export type UnclearReason =
  | "not_a_purchase"
  | "negated"
  | "product_missing"
  | "unknown_product"
  | "ambiguous_product"
  | "ambiguous_change"
  | "quantity_missing"
  | "quantity_out_of_range"
  | "price_out_of_range";

export interface Unclear {
  reason: UnclearReason;
  /** What is missing, to follow "I need ...". */
  needed: string;
  /** The one clarifying question to ask the person. */
  question: string;
}

/** The clarifying questions, worded with the catalog the request was read against. */
export function questionsFor(catalog: readonly CatalogProduct[]) {
  const names = catalog.map((product) => product.name);
  const sold = names.length === 0 ? "nothing right now" : oneOf(names);
  const [first] = catalog;
  const example = `"Buy 2 ${first === undefined ? "XYZ phones" : plural(first)} under $500"`;
  return {
    notAPurchase(mentioned: CatalogProduct | undefined): Unclear {
      return {
        reason: "not_a_purchase",
        needed: `a purchase request such as ${example}`,
        question:
          mentioned === undefined
            ? `I can only buy what the shop sells (${sold}). What would you like to buy?`
            : `Do you want to buy the ${mentioned.name}? Then say how many, for example "Buy 1 ${mentioned.name}".`,
      };
    },
    negated(): Unclear {
      return {
        reason: "negated",
        needed: "a request to buy something, not one to leave something out",
        question: "You asked me not to buy it. Is there something you want me to buy?",
      };
    },
    productMissing(): Unclear {
      return {
        reason: "product_missing",
        needed: "the product to buy",
        question: `What do you want to buy? The shop sells ${sold}.`,
      };
    },
    unknownProduct(name: string): Unclear {
      return {
        reason: "unknown_product",
        needed: `a product the shop sells instead of "${name}" (${sold})`,
        question:
          names.length === 0
            ? `The shop does not sell "${name}": its catalog is empty.`
            : `The shop does not sell "${name}". Do you want one of these: ${sold}?`,
      };
    },
    partialName(word: string, candidates: readonly CatalogProduct[]): Unclear {
      const choices = oneOf(candidates.map((product) => product.name));
      return {
        reason: "ambiguous_product",
        needed: `which product "${word}" means (${choices})`,
        question:
          candidates.length === 1
            ? `By "${word}", do you mean ${choices}?`
            : `Which do you mean by "${word}": ${choices}?`,
      };
    },
    eitherOr(products: readonly CatalogProduct[]): Unclear {
      const choices = oneOf(products.map((product) => product.name));
      return {
        reason: "ambiguous_product",
        needed: `which one of ${choices} to buy`,
        question: `Which one do you want: ${choices}?`,
      };
    },
    ambiguousChange(products: readonly CatalogProduct[]): Unclear {
      const choices = oneOf([...new Set(products.map((product) => product.name))]);
      return {
        reason: "ambiguous_change",
        needed: `which purchase the change is to (${choices})`,
        question: `Which purchase do you want to change: ${choices}?`,
      };
    },
    quantityMissing(product: CatalogProduct): Unclear {
      return {
        reason: "quantity_missing",
        needed: `the number of ${plural(product)} to buy`,
        question: `How many ${plural(product)} do you want?`,
      };
    },
    quantityOutOfRange(product: CatalogProduct, got: number): Unclear {
      return {
        reason: "quantity_out_of_range",
        needed: `a quantity between 1 and ${MAX_QUANTITY} for ${product.name} (got ${got})`,
        question: `How many ${plural(product)} do you want? I can buy 1 to ${MAX_QUANTITY} at a time.`,
      };
    },
    priceOutOfRange(got: number): Unclear {
      return {
        reason: "price_out_of_range",
        needed: `a price limit between 0 and ${MAX_PRICE_LIMIT} ${SHOP_CURRENCY} (got ${got})`,
        question: `What is the most you want to pay? A limit must be above 0 and at most ${MAX_PRICE_LIMIT} ${SHOP_CURRENCY}.`,
      };
    },
  };
}

function plural(product: CatalogProduct): string {
  if (hasPluralName(product)) return product.name;
  return /(?:s|x|z|ch|sh)$/i.test(product.name) ? `${product.name}es` : `${product.name}s`;
}

function oneOf(names: readonly string[]): string {
  return names.length <= 1
    ? (names[0] ?? "")
    : `${names.slice(0, -1).join(", ")} or ${names.at(-1) ?? ""}`;
}
