import type { ShopOrder } from "./wire.js";

/** The shop as whoever runs it sees it: what was bought, without a person's token. */
export interface Shop {
  /**
   * The person's orders, oldest first (default: the testbed's logged-in user). Fails for a user
   * who is not one of the tenant's people, whose orders would always be none.
   */
  orders(user?: string): Promise<ShopOrder[]>;
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
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${adminToken}` },
      }).catch(async (error: unknown) => {
        throw await unreachable(error);
      });
      const body = (await response.json()) as { orders?: ShopOrder[]; error_description?: string };
      if (!response.ok || body.orders === undefined) {
        throw new Error(`GET /admin/orders: ${response.status} ${body.error_description ?? ""}`);
      }
      if (body.orders.length === 0) {
        const known = await people();
        if (!known.includes(user)) {
          throw new Error(
            `shop.orders(${JSON.stringify(user)}): ${user} is not one of the tenant's people ` +
              `(${known.join(", ")}), so no order can be theirs: name one of them`,
          );
        }
      }
      return body.orders;
    },
  };
}
