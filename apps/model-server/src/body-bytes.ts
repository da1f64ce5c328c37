import type { IncomingMessage } from "node:http";

const sizes = new WeakMap<IncomingMessage, number>();

/**
 * Records the size of a request's JSON body as it was read (decoded, before it is parsed): what
 * the stores measure their entries by, at no cost, where writing the parsed body back as JSON
 * would take as long as parsing it did.
 */
export function noteBodyBytes(req: IncomingMessage, body: Buffer): void {
  sizes.set(req, body.length);
}

/** The size `noteBodyBytes` recorded for the request; 0 when it had no JSON body. */
export function bodyBytesOf(req: IncomingMessage): number {
  return sizes.get(req) ?? 0;
}
