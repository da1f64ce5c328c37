import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { lookUpCatalog } from "./catalog-check.js";
import { expectAllStubsUsed, isolateNetwork, SHOP, stubShop } from "./test-support/stubs.js";

beforeEach(isolateNetwork);
afterEach(expectAllStubsUsed);

const look = (product: string, qty: number) =>
  lookUpCatalog({ fetch, url: `${SHOP}/api/products`, product, qty });

describe("lookUpCatalog", () => {
  it.each([
    ["XYZ phone", 2, 998],
    ["xyz-phone", 1, 499],
    ["  xyz   PHONES ", 2, 998],
    ["USB-C cables", 3, 29.97],
  ])("%j x %i costs %s", async (product, qty, total) => {
    stubShop().catalog();
    expect(await look(product, qty)).toMatchObject({ kind: "found", total });
  });

  it("names a product the shop does not sell", async () => {
    stubShop().catalog();
    expect(await look("ABC laptop", 1)).toEqual({ kind: "unknown" });
  });

  it("is unavailable when the catalog fails or is malformed", async () => {
    stubShop().catalog(500);
    expect(await look("XYZ phone", 1)).toEqual({ kind: "unavailable" });
    nock(SHOP).get("/api/products").reply(200, "not json");
    expect(await look("XYZ phone", 1)).toEqual({ kind: "unavailable" });
  });
});
