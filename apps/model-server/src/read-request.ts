import { BUILT_IN_CATALOG, parsePurchaseRequest, type ParsedRequest } from "@ciba-testbed/agent";

/**
 * Reads the user's message with the agent's offline parser. This server knows no shop, and the
 * tool it calls may sell anything: it recognises the shop's default catalog ("usb c cables" is
 * "USB-C cable") and passes any other product on as named, for the tool's shop to judge.
 * Budgets in a sentence of their own, small talk and "for me" are the parser's job.
 */
export function readPurchaseRequest(message: string): ParsedRequest {
  return parsePurchaseRequest(message, BUILT_IN_CATALOG, { unlisted: "as-named" });
}
