import { TestbedError } from "./testbed-error.js";
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

/**
 * What to say of an answer of `GET /admin/orders` that holds no orders, with the next step: a
 * refused token is another shop's port or start, a server error is in the shop's log, and an
 * answer without orders is no shop-api at all.
 */
function adminOrdersFailure(url: URL, status: number, said: string): string {
  const what = `GET /admin/orders: ${String(status)} ${said.slice(0, 200)}`.trimEnd();
  const logs = "startTestbed's logs option (logs: process.stderr) shows the shop's log";
  if (status === 401 || status === 403) {
    return (
      `${what}: the shop at ${url.origin} refused the testbed's admin token, so it is not the ` +
      `shop this testbed started (stopped, and its port taken by another), or it was started ` +
      `with another SHOP_API_ADMIN_TOKEN: read orders through the shop of the testbed that ` +
      `is running; ${logs}`
    );
  }
  if (status >= 500) {
    return `${what}: the shop at ${url.origin} failed to read its orders (its database?); ${logs}`;
  }
  if (status >= 400) {
    return `${what}: the shop refused the query ${url.search}; shop.orders(user) takes a user id of the tenant's, such as "auth0|testbed-user"`;
  }
  return (
    `${what}: the answer holds no orders, as shop-api's always does: something else answers at ` +
    `${url.origin}; check that the testbed still runs (stop() not called yet) and ${logs}`
  );
}

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
  const text = await response.text();
  let body: { orders?: ShopOrder[]; next_cursor?: string | null; error_description?: string };
  try {
    const parsed: unknown = JSON.parse(text);
    body = typeof parsed === "object" && parsed !== null ? parsed : {};
  } catch {
    body = {};
  }
  if (!response.ok || !Array.isArray(body.orders)) {
    throw new TestbedError(
      "TESTBED_SHOP_REFUSED",
      adminOrdersFailure(url, response.status, body.error_description ?? text),
    );
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
          throw new TestbedError(
            "TESTBED_UNKNOWN_USER",
            `shop.orders(${JSON.stringify(user)}): ${user} is not one of the tenant's people ` +
              `(${known.join(", ")}), so no order can be theirs: name one of them`,
          );
        }
      }
      return orders;
    },
  };
}
