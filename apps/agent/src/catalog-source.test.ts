import { DEFAULT_PRODUCTS } from "@ciba-testbed/shop-api";
import { afterEach, describe, expect, it } from "vitest";

import { shopCatalog } from "./catalog-source.js";
import { CATALOG, expectAllStubsUsed, isolateNetwork, nock, SHOP } from "./test-support/stubs.js";

isolateNetwork();
afterEach(expectAllStubsUsed);

const source = () => shopCatalog({ fetch, url: `${SHOP}/api/products` });

describe("shopCatalog", () => {
  it("reads the shop's catalog once, however often it is asked", async () => {
    nock(SHOP).get("/api/products").once().reply(200, { products: CATALOG });
    const catalog = source();

    expect(await catalog()).toEqual(CATALOG);
    expect(await catalog()).toEqual(CATALOG);
  });

  it("is the shop's default catalog when the shop is down", async () => {
    // No stub: the connection is refused inside the process, as with the shop stopped.
    expect(await source()()).toEqual(DEFAULT_PRODUCTS);
  });

  it("is the shop's default catalog when the shop lists no product it can read", async () => {
    nock(SHOP)
      .get("/api/products")
      .reply(200, { products: [{ id: "nameless" }] });
    expect(await source()()).toEqual(DEFAULT_PRODUCTS);
  });
});
