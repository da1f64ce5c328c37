import type { CatalogProduct } from "./catalog-match.js";
import { fetchProducts } from "./shop-client.js";

/** The catalog the offline model reads requests against. */
export type CatalogSource = () => Promise<readonly CatalogProduct[]>;

/** The offline model waits less than the purchase check: it has a fallback. */
const CATALOG_READ_TIMEOUT_MS = 750;

/**
 * The shop's catalog (GET /api/products), read once per source, so once per process; the
 * shop's default catalog when it cannot be read. Understanding a request needs only the
 * names: whether the shop sells, stocks and prices them now is checked before asking anyone.
 */
export function shopCatalog(options: { fetch: typeof fetch; url: string }): CatalogSource {
  let products: Promise<readonly CatalogProduct[]> | undefined;
  const load = async () => {
    const read = await fetchProducts({ ...options, timeoutMs: CATALOG_READ_TIMEOUT_MS });
    const named = read.ok ? read.products.filter(isNamed) : [];
    return named.length > 0 ? named : builtInCatalog();
  };
  return () => (products ??= load());
}

/** The shop's default catalog, loaded on first use. */
export async function builtInCatalog(): Promise<readonly CatalogProduct[]> {
  const { BUILT_IN_CATALOG } = await import("./built-in-catalog.js");
  return BUILT_IN_CATALOG;
}

function isNamed(product: Partial<CatalogProduct>): product is CatalogProduct {
  return typeof product.id === "string" && typeof product.name === "string" && product.name !== "";
}
