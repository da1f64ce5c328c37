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
});
