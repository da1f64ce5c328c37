import { describe, expect, it } from "vitest";

import { Catalog, DEFAULT_PRODUCTS } from "./catalog.js";

describe("Catalog", () => {
  const catalog = () => new Catalog(DEFAULT_PRODUCTS);

  it("seeds the XYZ phone at 499.00 USD", () => {
    expect(catalog().find("xyz-phone")).toEqual({
      id: "xyz-phone",
      name: "XYZ phone",
      unitPriceCents: 49_900,
      currency: "USD",
    });
    expect(catalog().seed.find((product) => product.id === "xyz-phone")?.stock).toBe(50);
  });

  it.each([
    ["xyz-phone", "xyz-phone"],
    ["XYZ phone", "xyz-phone"],
    ["  xyz   PHONE  ", "xyz-phone"],
    ["XYZ phones", "xyz-phone"],
    ["XYZ phone cases", "xyz-phone-case"],
    ["XYZ phone case", "xyz-phone-case"],
    ["usb-c cables", "usb-c-cable"],
    ["Wireless headphones", "wireless-headphones"],
  ])("finds %j as %s", (reference, id) => {
    expect(catalog().find(reference)?.id).toBe(id);
  });

  it.each(["", "phone", "XYZ", "XYZ phonez", "xyz_phone"])("finds nothing for %j", (reference) => {
    expect(catalog().find(reference)).toBeUndefined();
  });

  it("shows the stock the store reports, none for a product it does not know", () => {
    const products = catalog().withStock(new Map([["xyz-phone", 7]]));
    expect(products.find((product) => product.id === "xyz-phone")?.stock).toBe(7);
    expect(products.find((product) => product.id === "abc-laptop")?.stock).toBe(0);
  });

  it("hands out copies: callers cannot change the catalog behind its back", () => {
    const c = catalog();
    const product = c.find("xyz-phone");
    if (product) product.unitPriceCents = 1;
    c.list()[0]!.unitPriceCents = 1;
    expect(c.find("xyz-phone")?.unitPriceCents).toBe(49_900);
  });

  it("refuses a bad seed", () => {
    expect(() => new Catalog([{ id: "a", name: "A", unitPriceCents: 1.5, stock: 1 }])).toThrow(
      /unitPriceCents/,
    );
    expect(() => new Catalog([{ id: "a", name: "A", unitPriceCents: 1, stock: -1 }])).toThrow(
      /stock/,
    );
    expect(() => new Catalog([{ id: "a", name: "A", unitPriceCents: 1, stock: 2 ** 31 }])).toThrow(
      "product a: stock must be a whole number, 0 to 2147483647",
    );
    const twice = { id: "a", name: "A", unitPriceCents: 1, stock: 1 };
    expect(() => new Catalog([twice, twice])).toThrow(/duplicate/);
  });
});
