import {
  SHOP_CURRENCY,
  normalizeProductReference,
  productReferenceCandidates,
} from "@ciba-testbed/shared";

export interface Product {
  id: string;
  name: string;
  /** Whole cents: money is never held or compared as floating point. */
  unitPriceCents: number;
  currency: typeof SHOP_CURRENCY;
  stock: number;
}

export type ProductSeed = Omit<Product, "currency">;

/**
 * The products on sale and their stock. Synchronous on purpose: the purchase handler checks
 * and takes stock in one turn of the event loop, so concurrent requests cannot oversell.
 * A persistent catalog would do the same inside one transaction.
 */
export interface Catalog {
  list(): readonly Product[];
  /** By id, or by name ignoring case, spacing and a simple plural ("XYZ phones"). */
  find(reference: string): Product | undefined;
  /** Takes `quantity` units when that many are in stock; returns false and changes nothing otherwise. */
  take(productId: string, quantity: number): boolean;
  /** Puts back units taken by `take` (when a later step of the same purchase fails). */
  putBack(productId: string, quantity: number): void;
}

export const DEFAULT_PRODUCTS: readonly ProductSeed[] = [
  { id: "xyz-phone", name: "XYZ phone", unitPriceCents: 49_900, stock: 50 },
  { id: "xyz-phone-case", name: "XYZ phone case", unitPriceCents: 1_999, stock: 200 },
  { id: "abc-laptop", name: "ABC laptop", unitPriceCents: 129_900, stock: 10 },
  { id: "usb-c-cable", name: "USB-C cable", unitPriceCents: 999, stock: 500 },
  { id: "wireless-headphones", name: "Wireless headphones", unitPriceCents: 24_950, stock: 25 },
];

export class InMemoryCatalog implements Catalog {
  private readonly products = new Map<string, Product>();

  constructor(seed: readonly ProductSeed[] = DEFAULT_PRODUCTS) {
    for (const product of seed) {
      if (!Number.isSafeInteger(product.unitPriceCents) || product.unitPriceCents <= 0) {
        throw new Error(`product ${product.id}: unitPriceCents must be a positive whole number`);
      }
      if (!Number.isSafeInteger(product.stock) || product.stock < 0) {
        throw new Error(`product ${product.id}: stock must be a whole number >= 0`);
      }
      if (this.products.has(product.id)) throw new Error(`duplicate product id ${product.id}`);
      this.products.set(product.id, { ...product, currency: SHOP_CURRENCY });
    }
  }

  list(): readonly Product[] {
    return [...this.products.values()].map((product) => ({ ...product }));
  }

  find(reference: string): Product | undefined {
    const product = this.lookup(reference);
    return product && { ...product };
  }

  take(productId: string, quantity: number): boolean {
    const product = this.products.get(productId);
    if (!product || !Number.isSafeInteger(quantity) || quantity < 1 || product.stock < quantity) {
      return false;
    }
    product.stock -= quantity;
    return true;
  }

  putBack(productId: string, quantity: number): void {
    const product = this.products.get(productId);
    if (product) product.stock += quantity;
  }

  private lookup(reference: string): Product | undefined {
    const byId = this.products.get(reference.trim());
    if (byId) return byId;
    for (const candidate of productReferenceCandidates(reference)) {
      for (const product of this.products.values()) {
        if (candidate === product.id || candidate === normalizeProductReference(product.name)) {
          return product;
        }
      }
    }
    return undefined;
  }
}
