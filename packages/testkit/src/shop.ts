import type { ShopOrder } from "./wire.js";

/** The shop as whoever runs it sees it: what was bought, without a person's token. */
export interface Shop {
  /** The person's orders, oldest first (default: the testbed's logged-in user). */
  orders(user?: string): Promise<ShopOrder[]>;
}

/**
 * The shop API's admin route (`GET /admin/orders`), opened by the testbed's admin token.
 * `unreachable` gives the error to throw for a call that reached no shop.
 */
export function adminShop(
  shopApiUrl: string,
  adminToken: string,
  defaultUser: string,
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
      return body.orders;
    },
  };
}
