import { SHOP_CURRENCY, findProductByReference } from "@ciba-testbed/shared";

/** A product on sale: what it is and what it costs. Its stock lives in the database. */
export interface CatalogProduct {
  id: string;
  name: string;
  /** Whole cents: money is never held or compared as floating point. */
  unitPriceCents: number;
  currency: typeof SHOP_CURRENCY;
}

/** A product with the units left now. */
export interface Product extends CatalogProduct {
  stock: number;
}

/** A product as configured; `stock` is what a new database starts with. */
export type ProductSeed = Omit<Product, "currency">;

/** The most one product can have in stock: the database keeps it as a 32-bit integer. */
export const MAX_STOCK = 2_147_483_647;

export const DEFAULT_PRODUCTS: readonly ProductSeed[] = [
  { id: "xyz-phone", name: "XYZ phone", unitPriceCents: 49_900, stock: 50 },
  { id: "xyz-phone-case", name: "XYZ phone case", unitPriceCents: 1_999, stock: 200 },
  { id: "abc-laptop", name: "ABC laptop", unitPriceCents: 129_900, stock: 10 },
  { id: "usb-c-cable", name: "USB-C cable", unitPriceCents: 999, stock: 500 },
  { id: "wireless-headphones", name: "Wireless headphones", unitPriceCents: 24_950, stock: 25 },
];

/**
 * The products on sale, fixed at start: ids, names and prices, and the reference resolver.
 * Stock changes with every order, so it is kept by the shop's store (`ShopStore.stock`), in
 * the same transaction as the order that takes it.
 */
export class Catalog {
  private readonly products = new Map<string, CatalogProduct>();
  /** The same products in their order, for the reference resolver. */
  private readonly ordered: CatalogProduct[] = [];
  /** The configured products, for the store to give a new database its starting stock. */
  readonly seed: readonly ProductSeed[];

  constructor(seed: readonly ProductSeed[] = DEFAULT_PRODUCTS) {
    for (const product of seed) {
      if (!Number.isSafeInteger(product.unitPriceCents) || product.unitPriceCents <= 0) {
        throw new Error(`product ${product.id}: unitPriceCents must be a positive whole number`);
      }
      if (!Number.isSafeInteger(product.stock) || product.stock < 0 || product.stock > MAX_STOCK) {
        throw new Error(`product ${product.id}: stock must be a whole number, 0 to ${MAX_STOCK}`);
      }
      if (this.products.has(product.id)) throw new Error(`duplicate product id ${product.id}`);
      const { id, name, unitPriceCents } = product;
      const entry: CatalogProduct = { id, name, unitPriceCents, currency: SHOP_CURRENCY };
      this.products.set(id, entry);
      this.ordered.push(entry);
    }
    this.seed = seed.map((product) => ({ ...product }));
  }

  list(): readonly CatalogProduct[] {
    return [...this.products.values()].map((product) => ({ ...product }));
  }

  /** By id, or by name ignoring case, spacing and a simple plural ("XYZ phones"). */
  find(reference: string): CatalogProduct | undefined {
    const product = this.lookup(reference);
    return product && { ...product };
  }

  /** The catalog with the stock the store reports (a product it does not know has none left). */
  withStock(stock: ReadonlyMap<string, number>): Product[] {
    return this.list().map((product) => ({ ...product, stock: stock.get(product.id) ?? 0 }));
  }

  private lookup(reference: string): CatalogProduct | undefined {
    return findProductByReference(reference, this.ordered);
  }
}
