import { afterEach, describe, expect, it, vi } from "vitest";

import { adminShop } from "./shop.js";

const PEOPLE = ["auth0|testbed-user", "auth0|second-user"];

afterEach(() => {
  vi.unstubAllGlobals();
});

/** The shop's admin route answering `orders` for every user. */
function shopWithOrders(orders: unknown[]) {
  vi.stubGlobal(
    "fetch",
    vi.fn(() => Promise.resolve(Response.json({ orders }))),
  );
  return adminShop("http://127.0.0.1:1", "admin", "auth0|testbed-user", () =>
    Promise.resolve(PEOPLE),
  );
}

describe("adminShop", () => {
  it("fails for a user who is not one of the tenant's people, naming them", async () => {
    await expect(shopWithOrders([]).orders("auth0|testbed_user")).rejects.toThrow(
      'shop.orders("auth0|testbed_user"): auth0|testbed_user is not one of the tenant\'s ' +
        "people (auth0|testbed-user, auth0|second-user), so no order can be theirs",
    );
    await expect(shopWithOrders([]).orders("auth0|testbed_user")).rejects.toMatchObject({
      name: "TestbedError",
      code: "TESTBED_UNKNOWN_USER",
    });
  });

  it("answers no orders for one of the tenant's people who bought nothing", async () => {
    await expect(shopWithOrders([]).orders("auth0|second-user")).resolves.toEqual([]);
    await expect(shopWithOrders([]).orders()).resolves.toEqual([]);
  });

  it("reads every page of the admin route, following next_cursor", async () => {
    const asked: string[] = [];
    const pages: Record<string, { orders: unknown[]; next_cursor: string | null }> = {
      "": { orders: [{ id: "o-1" }, { id: "o-2" }], next_cursor: "c-2" },
      "c-2": { orders: [{ id: "o-3" }, { id: "o-4" }], next_cursor: "c-4" },
      "c-4": { orders: [{ id: "o-5" }], next_cursor: null },
    };
    vi.stubGlobal(
      "fetch",
      vi.fn((url: URL) => {
        asked.push(url.search);
        return Promise.resolve(Response.json(pages[url.searchParams.get("after") ?? ""]));
      }),
    );
    const shop = adminShop("http://127.0.0.1:1", "admin", "auth0|testbed-user", () =>
      Promise.resolve(PEOPLE),
    );
    expect(await shop.orders()).toEqual(["o-1", "o-2", "o-3", "o-4", "o-5"].map((id) => ({ id })));
    expect(asked).toEqual([
      "?user=auth0%7Ctestbed-user&limit=100",
      "?user=auth0%7Ctestbed-user&limit=100&after=c-2",
      "?user=auth0%7Ctestbed-user&limit=100&after=c-4",
    ]);
  });

  describe("names the next step when GET /admin/orders answers no orders", () => {
    /** The shop answering `response` to every call, and what `orders()` then throws. */
    async function failureOf(response: Response): Promise<string> {
      vi.stubGlobal(
        "fetch",
        vi.fn(() => Promise.resolve(response)),
      );
      const shop = adminShop("http://127.0.0.1:1", "admin", "auth0|testbed-user", () =>
        Promise.resolve(PEOPLE),
      );
      return shop.orders().then(
        () => "resolved",
        (error: unknown) => {
          expect(error).toMatchObject({ code: "TESTBED_SHOP_REFUSED" });
          return (error as Error).message;
        },
      );
    }
    /** The shop's refusal, as its one error serializer writes it. */
    const oauthError = (status: number, error: string, description: string) =>
      Response.json({ error, error_description: description }, { status });
    const logs = "startTestbed's logs option (logs: process.stderr) shows the shop's log";

    it("a refused admin token: not this testbed's shop", async () => {
      expect(
        await failureOf(oauthError(401, "invalid_token", "The admin token is not valid")),
      ).toBe(
        "GET /admin/orders: 401 The admin token is not valid: the shop at http://127.0.0.1:1 " +
          "refused the testbed's admin token, so it is not the shop this testbed started " +
          "(stopped, and its port taken by another), or it was started with another " +
          `SHOP_API_ADMIN_TOKEN: read orders through the shop of the testbed that is running; ${logs}`,
      );
    });

    it("a server error: the shop's log", async () => {
      expect(await failureOf(oauthError(500, "server_error", "Something went wrong"))).toBe(
        "GET /admin/orders: 500 Something went wrong: the shop at http://127.0.0.1:1 failed " +
          `to read its orders (its database?); ${logs}`,
      );
    });

    it("a refused query: the user to name", async () => {
      expect(await failureOf(oauthError(400, "invalid_request", "Name the person"))).toBe(
        "GET /admin/orders: 400 Name the person: the shop refused the query " +
          "?user=auth0%7Ctestbed-user&limit=100; shop.orders(user) takes a user id of the " +
          'tenant\'s, such as "auth0|testbed-user"',
      );
    });

    it("an answer that is no shop's: what else answers there", async () => {
      const page = new Response("<html>Welcome</html>", { status: 200 });
      expect(await failureOf(page)).toBe(
        "GET /admin/orders: 200 <html>Welcome</html>: the answer holds no orders, as " +
          "shop-api's always does: something else answers at http://127.0.0.1:1; check that " +
          `the testbed still runs (stop() not called yet) and ${logs}`,
      );
    });
  });
});
