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
