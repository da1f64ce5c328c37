import { describe, expect, it } from "vitest";

import { DEFAULT_PRODUCTS, InMemoryCatalog } from "./catalog.js";

describe("InMemoryCatalog", () => {
  const catalog = () => new InMemoryCatalog(DEFAULT_PRODUCTS);

  it("seeds the XYZ phone at 499.00 USD", () => {
    expect(catalog().find("xyz-phone")).toEqual({
      id: "xyz-phone",
      name: "XYZ phone",
      unitPriceCents: 49_900,
      currency: "USD",
      stock: 50,
    });
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

  it("takes stock only when enough is left, and puts it back", () => {
    const c = catalog();
    expect(c.take("abc-laptop", 11)).toBe(false);
    expect(c.take("abc-laptop", 10)).toBe(true);
    expect(c.take("abc-laptop", 1)).toBe(false);
    c.putBack("abc-laptop", 2);
    expect(c.find("abc-laptop")?.stock).toBe(2);
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses to take %s units", (quantity) => {
    const c = catalog();
    expect(c.take("xyz-phone", quantity)).toBe(false);
    expect(c.find("xyz-phone")?.stock).toBe(50);
  });

  it("hands out copies: callers cannot change the stock behind its back", () => {
    const c = catalog();
    const product = c.find("xyz-phone");
    if (product) product.stock = 0;
    c.list()[0]!.stock = 0;
    expect(c.find("xyz-phone")?.stock).toBe(50);
  });

  it("refuses a bad seed", () => {
    expect(
      () => new InMemoryCatalog([{ id: "a", name: "A", unitPriceCents: 1.5, stock: 1 }]),
    ).toThrow(/unitPriceCents/);
    expect(
      () => new InMemoryCatalog([{ id: "a", name: "A", unitPriceCents: 1, stock: -1 }]),
    ).toThrow(/stock/);
    const twice = { id: "a", name: "A", unitPriceCents: 1, stock: 1 };
    expect(() => new InMemoryCatalog([twice, twice])).toThrow(/duplicate/);
  });
});
