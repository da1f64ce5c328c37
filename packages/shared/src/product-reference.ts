/**
 * How a product named in a purchase ("XYZ phones", "xyz-phone", " XYZ  Phone ") is matched to
 * the catalog. The agent (to price the consent) and the shop API (to sell) must agree on it.
 */
export function normalizeProductReference(reference: string): string {
  return reference.normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase();
}

/** The normalized reference itself, then the singulars an agent's plural could stand for. */
export function productReferenceCandidates(reference: string): string[] {
  const normalized = normalizeProductReference(reference);
  const out = [normalized];
  if (normalized.endsWith("es")) out.push(normalized.slice(0, -2));
  if (normalized.endsWith("s")) out.push(normalized.slice(0, -1));
  return out;
}

/**
 * The product `reference` names among `products`, as the shop sells it: by its exact id first,
 * then by each candidate in turn (the reference, then its singulars) against every product's id
 * and normalized name. The agent prices the consent with the same rule, so both pick the same
 * product when two could match ("Glasses": a product "Glasses" before one named "Glass").
 */
export function findProductByReference<P extends { id?: unknown; name?: unknown }>(
  reference: string,
  products: readonly P[],
): P | undefined {
  const trimmed = reference.trim();
  const byId = products.find((product) => product.id === trimmed);
  if (byId !== undefined) return byId;
  for (const candidate of productReferenceCandidates(reference)) {
    const found = products.find(
      (product) =>
        candidate === product.id ||
        (typeof product.name === "string" && candidate === normalizeProductReference(product.name)),
    );
    if (found !== undefined) return found;
  }
  return undefined;
}
