import type { ShopOrder } from "./wire.js";

/** The shop as whoever runs it sees it: what was bought, without a person's token. */
export interface Shop {
  /**
   * The person's orders, oldest first, all of them, page after page (default: the testbed's
   * logged-in user). Fails for a user
   * who is not one of the tenant's people, whose orders would always be none.
   */
  orders(user?: string): Promise<ShopOrder[]>;
}

/** The most orders the admin route answers on one page. */
const PAGE_LIMIT = 100;

/** One page of `GET /admin/orders`: its orders and the cursor of the next (null on the last). */
async function readPage(
  url: URL,
  adminToken: string,
  unreachable: (error: unknown) => Promise<unknown>,
): Promise<{ orders: ShopOrder[]; next_cursor: string | null }> {
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${adminToken}` },
  }).catch(async (error: unknown) => {
    throw await unreachable(error);
  });
  const body = (await response.json()) as {
    orders?: ShopOrder[];
    next_cursor?: string | null;
    error_description?: string;
  };
  if (!response.ok || body.orders === undefined) {
    throw new Error(`GET /admin/orders: ${response.status} ${body.error_description ?? ""}`);
  }
  // A shop from before paging answers every order, with no next_cursor.
  return { orders: body.orders, next_cursor: body.next_cursor ?? null };
}

/**
 * The shop API's admin route (`GET /admin/orders`), opened by the testbed's admin token.
 * `people` lists the tenant's user ids, asked when a user has no orders: only a token the
 * tenant issued buys, so a user it does not know has none, and a test asserting that nobody
 * bought must not pass because the user id is misspelt. `unreachable` gives the error to throw
 * for a call that reached no shop.
 */
export function adminShop(
  shopApiUrl: string,
  adminToken: string,
  defaultUser: string,
  people: () => Promise<readonly string[]>,
  unreachable: (error: unknown) => Promise<unknown> = (error) => Promise.resolve(error),
): Shop {
  return {
    async orders(user = defaultUser) {
      const url = new URL("/admin/orders", shopApiUrl);
      url.searchParams.set("user", user);
      url.searchParams.set("limit", String(PAGE_LIMIT));
      const orders: ShopOrder[] = [];
      for (;;) {
        const page = await readPage(url, adminToken, unreachable);
        orders.push(...page.orders);
        if (page.next_cursor === null) break;
        url.searchParams.set("after", page.next_cursor);
      }
      if (orders.length === 0) {
        const known = await people();
        if (!known.includes(user)) {
          throw new Error(
            `shop.orders(${JSON.stringify(user)}): ${user} is not one of the tenant's people ` +
              `(${known.join(", ")}), so no order can be theirs: name one of them`,
          );
        }
      }
      return orders;
    },
  };
}
