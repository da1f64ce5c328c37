import { afterEach, describe, expect, it } from "vitest";

import {
  lookUpCatalog,
  purchaseUrlRefusal,
  refusalBeforeAsking,
  type CatalogAnswer,
} from "./catalog-check.js";
import { expectAllStubsUsed, isolateNetwork, nock, SHOP, stubShop } from "./test-support/stubs.js";

isolateNetwork();
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

  it("is unavailable, saying why, when the catalog cannot be read", async () => {
    const url = `${SHOP}/api/products`;
    nock(SHOP).get("/api/products").reply(500);
    expect(await look("XYZ phone", 1)).toEqual({
      kind: "unavailable",
      url,
      problem: "it answered 500",
    });
    nock(SHOP).get("/api/products").reply(200, "not json");
    expect(await look("XYZ phone", 1)).toEqual({
      kind: "unavailable",
      url,
      problem: "its answer is not a product list",
    });
  });
});

describe("refusalBeforeAsking", () => {
  const buy = { product: "XYZ phone", qty: 2, priceLimit: 900 };

  it.each<[string, CatalogAnswer, string | undefined]>([
    [
      "the catalog cannot be read",
      { kind: "unavailable", url: "u", problem: "p" },
      "catalog_unavailable",
    ],
    ["the product is unknown", { kind: "unknown" }, "unknown_product"],
    [
      "the stock is short",
      { kind: "found", name: "XYZ phone", total: 998, stock: 1 },
      "insufficient_stock",
    ],
    [
      "it costs more than the limit",
      { kind: "found", name: "XYZ phone", total: 998, stock: 9 },
      "price_limit_exceeded",
    ],
  ])("refuses before asking when %s", (_, catalog, error) => {
    expect(refusalBeforeAsking(buy, catalog)).toMatchObject({ error });
  });

  it("says how to restock the testbed's shop when the stock is short", () => {
    const catalog: CatalogAnswer = { kind: "found", name: "XYZ phone", total: 998, stock: 0 };
    expect(refusalBeforeAsking(buy, catalog)).toEqual({
      outcome: "SHOP_REFUSED",
      error: "insufficient_stock",
      description: "Only 0 x XYZ phone in stock, 2 wanted; the person was not asked.",
      fix: "Ask for what is in stock, or restock the testbed's shop: stop it (or pnpm dev) and start it with pnpm shop-api --reset, which also forgets its orders and refuses every approval given before it.",
    });
  });

  it("refuses a limit a hair under the total's last cent as the shop does, telling the limit as the shop applies it", () => {
    const catalog: CatalogAnswer = { kind: "found", name: "XYZ phone case", total: 9.99, stock: 9 };
    const item = { product: "XYZ phone case", qty: 1 };
    expect(refusalBeforeAsking({ ...item, priceLimit: 9.989999999 }, catalog)).toMatchObject({
      error: "price_limit_exceeded",
      description:
        "It costs 9.99 USD at today's price, above the limit of 9.98 USD; the person was not asked.",
    });
    expect(refusalBeforeAsking({ ...item, priceLimit: 9.99 }, catalog)).toBeUndefined();
  });

  it("lets through what the shop would sell", () => {
    const catalog: CatalogAnswer = { kind: "found", name: "XYZ phone", total: 998, stock: 9 };
    expect(refusalBeforeAsking({ ...buy, priceLimit: 998 }, catalog)).toBeUndefined();
    expect(refusalBeforeAsking({ product: "XYZ phone", qty: 2 }, catalog)).toBeUndefined();
  });
});

describe("purchaseUrlRefusal", () => {
  const url = `${SHOP}/api/purchase`;
  const network = (code: string) =>
    new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) });

  it.each([404, 405])("is CONFIG_ERROR when the purchase URL answers %i", (status) => {
    expect(purchaseUrlRefusal({ ok: true, status }, url)).toEqual({
      outcome: "CONFIG_ERROR",
      error: "no_purchase_endpoint",
      description: `${url} takes no orders: it answered ${status} to a POST, so no order sent there could be placed; the person was not asked.`,
      fix: "Set SHOP_API_URL to the shop's purchase endpoint, e.g. http://localhost:4020/api/purchases.",
    });
  });

  // 401/403: a shop that wants a token, as an Auth0-protected API (express-oauth2-jwt-bearer)
  // answers a POST without one. The rest may pass by the time of the order, which asks again.
  it.each([200, 201, 400, 401, 403, 415, 429, 500, 503])("asks when it answers %i", (status) => {
    expect(purchaseUrlRefusal({ ok: true, status }, url)).toBeUndefined();
  });

  it("does not ask when no request reaches the purchase URL", () => {
    expect(purchaseUrlRefusal({ ok: false, error: network("ECONNREFUSED") }, url)).toMatchObject({
      outcome: "ERROR",
      error: "shop_unreachable",
      description: `Cannot reach the shop at ${url} (ECONNREFUSED), so no order could be placed; the person was not asked.`,
    });
    expect(purchaseUrlRefusal({ ok: false, error: network("ENOTFOUND") }, url)).toMatchObject({
      error: "shop_unreachable",
    });
  });

  it("shows the purchase URL with its credentials hidden: the report may reach a chat or a CI log", () => {
    const secret = `http://shop:pw@localhost:4020/api/purchases?api_key=s3cret`;
    const shown = "http://***@localhost:4020/api/purchases?api_key=***";
    const refused = purchaseUrlRefusal({ ok: true, status: 404 }, secret);
    const unreachable = purchaseUrlRefusal({ ok: false, error: network("ECONNREFUSED") }, secret);
    expect(refused?.description.startsWith(`${shown} takes no orders`)).toBe(true);
    expect(unreachable?.description).toContain(`Cannot reach the shop at ${shown} (`);
    const catalog: CatalogAnswer = { kind: "unavailable", url: secret, problem: "ECONNREFUSED" };
    const unread = refusalBeforeAsking({ product: "XYZ phone", qty: 1 }, catalog);
    expect(unread?.description).toContain(
      `Cannot read the shop's catalog at ${shown} (ECONNREFUSED)`,
    );
    for (const verdict of [refused, unreachable, unread]) {
      expect(JSON.stringify(verdict)).not.toMatch(/s3cret|pw@/);
    }
  });

  it("asks when the answer is only slow or cut off: it may come by the order", () => {
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expect(purchaseUrlRefusal({ ok: false, error: timeout }, url)).toBeUndefined();
    expect(purchaseUrlRefusal({ ok: false, error: network("ECONNRESET") }, url)).toBeUndefined();
  });
});
