import { createHash } from "node:crypto";

/**
 * A page's `next_cursor`: where the next page of one person's orders starts. It names the last
 * order of the page (never the database's row numbers, which would tell how many orders the
 * whole shop took) beside a checksum of that order's id and its owner, as base64url: URL-safe,
 * and opaque to clients, which pass it back as it was.
 *
 * It is no secret and no signature: the checksum tells a cursor changed on the way, or given
 * for another person's orders, from a good one, so that either is refused with words that say
 * so. What a page holds never depends on it: the listing is always the caller's own orders.
 */
const VERSION = 1;
const CHECK_BYTES = 12;
const HEADER_BYTES = 1 + CHECK_BYTES;

/** The longest cursor read: an order id is a UUID, 36 characters; this leaves room for 300. */
export const MAX_CURSOR_LENGTH = 420;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function checksum(owner: string, orderId: string): Buffer {
  return createHash("sha256")
    .update(JSON.stringify(["shop-api order cursor", VERSION, owner, orderId]))
    .digest()
    .subarray(0, CHECK_BYTES);
}

/** The cursor that starts the page after `orderId` among `owner`'s orders. */
export function encodeOrderCursor(owner: string, orderId: string): string {
  return Buffer.concat([
    Buffer.of(VERSION),
    checksum(owner, orderId),
    Buffer.from(orderId, "utf8"),
  ]).toString("base64url");
}

export type DecodedOrderCursor =
  | { ok: true; orderId: string }
  /** Not a cursor of this API: not base64url, cut short, or of another version. */
  | { ok: false; problem: "malformed" }
  /** Well formed, but its checksum is not the one for `owner`: changed, or another's. */
  | { ok: false; problem: "not-this-owner" };

/** The order a cursor names, when it is one `encodeOrderCursor` made for `owner`. */
export function decodeOrderCursor(owner: string, cursor: string): DecodedOrderCursor {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) {
    return { ok: false, problem: "malformed" };
  }
  const bytes = Buffer.from(cursor, "base64url");
  // Node's decoder drops a trailing character that holds no whole byte, and ignores unused
  // bits: only the canonical spelling of the bytes is a cursor.
  if (bytes.toString("base64url") !== cursor) return { ok: false, problem: "malformed" };
  if (bytes.length <= HEADER_BYTES || bytes[0] !== VERSION) {
    return { ok: false, problem: "malformed" };
  }
  const idBytes = bytes.subarray(HEADER_BYTES);
  const orderId = idBytes.toString("utf8");
  if (!Buffer.from(orderId, "utf8").equals(idBytes)) return { ok: false, problem: "malformed" };
  if (!checksum(owner, orderId).equals(bytes.subarray(1, HEADER_BYTES))) {
    return { ok: false, problem: "not-this-owner" };
  }
  return { ok: true, orderId };
}
