import { errors } from "./errors.js";
import { decodeOrderCursor, encodeOrderCursor } from "./order-cursor.js";
import { toOrderJson } from "./schemas.js";
import type { OrderListJson } from "./schemas.js";
import type { OwnerPageRequest, ShopStore } from "./store/shop-store.js";

/** Orders on a page when the request names no `limit`. */
export const DEFAULT_PAGE_LIMIT = 50;
/** The most orders on one page. */
export const MAX_PAGE_LIMIT = 100;

const PAGING = `limit (1 to ${String(MAX_PAGE_LIMIT)}, default ${String(DEFAULT_PAGE_LIMIT)}) and after (the next_cursor of the page before)`;
const START_OVER = "or leave after out to start from the first page";

/** A value as the person sent it, quoted and cut short, for an error message. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
}

/** A parameter's value, given at most once. */
function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || typeof value === "string") return value;
  const times = Array.isArray(value) ? value.length : 2;
  throw errors.invalidRequest(
    `Give ${name} once; this request had ${String(times)}: a reader may take either value`,
  );
}

/**
 * The page a listing's query asks for: `limit` and `after` (a cursor `owner`'s listing gave).
 * `others` names the route's other parameters (the admin route's `user`); any else is refused,
 * so that `?offset=50` or `?page=2` is not read as the first page.
 */
export function readPageQuery(
  query: Record<string, unknown>,
  owner: string,
  others: readonly string[] = [],
): OwnerPageRequest {
  const unknown = Object.keys(query).filter(
    (name) => name !== "limit" && name !== "after" && !others.includes(name),
  );
  if (unknown.length > 0) {
    const names = unknown.slice(0, 3).map(quoted).join(", ");
    throw errors.invalidRequest(
      `Unknown query parameter ${names}: this listing takes ${[...others, PAGING].join(", ")}`,
    );
  }
  const limitText = single(query, "limit");
  const afterText = single(query, "after");

  let limit = DEFAULT_PAGE_LIMIT;
  if (limitText !== undefined) {
    limit = /^[0-9]{1,3}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE_LIMIT)) {
      throw errors.invalidRequest(
        `limit must be a whole number from 1 to ${String(MAX_PAGE_LIMIT)} (orders per page; ` +
          `${String(DEFAULT_PAGE_LIMIT)} when left out), not ${quoted(limitText)}`,
      );
    }
  }
  if (afterText === undefined) return { limit };
  if (afterText === "") {
    throw errors.invalidRequest(
      `after is empty: pass the next_cursor of the page before as it was, ${START_OVER}`,
    );
  }
  const cursor = decodeOrderCursor(owner, afterText);
  if (!cursor.ok) {
    throw errors.invalidRequest(
      cursor.problem === "malformed"
        ? `after is not a cursor this listing gave (${quoted(afterText)}): pass the ` +
            `next_cursor of the page before as it was, ${START_OVER}`
        : "after is a cursor changed on the way, or given for another person's orders: pass " +
            `the next_cursor of this listing's page before as it was, ${START_OVER}`,
    );
  }
  return { limit, after: cursor.orderId };
}

/**
 * One page of `owner`'s orders as the listing routes answer it: the orders, oldest first, and
 * `next_cursor`, the `after` of the next page (null on the last).
 */
export async function listOrderPage(
  store: Pick<ShopStore, "listByOwner">,
  owner: string,
  query: Record<string, unknown>,
  others: readonly string[] = [],
): Promise<OrderListJson> {
  const page = await store.listByOwner(owner, readPageQuery(query, owner, others));
  if (page.outcome === "after-unknown") {
    throw errors.invalidRequest(
      "after names no order of this listing (the shop's orders may have been reset since it " +
        "was given): leave after out to start from the first page",
    );
  }
  const last = page.orders.at(-1);
  return {
    orders: page.orders.map(toOrderJson),
    next_cursor: page.more && last !== undefined ? encodeOrderCursor(owner, last.id) : null,
  };
}
