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
});
