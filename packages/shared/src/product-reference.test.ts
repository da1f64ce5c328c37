import { describe, expect, it } from "vitest";

import {
  findProductByReference,
  normalizeProductReference,
  productReferenceCandidates,
} from "./product-reference.js";

describe("product references", () => {
  it("ignores case, spacing and Unicode width", () => {
    expect(normalizeProductReference("  XYZ   Ｐhone ")).toBe("xyz phone");
  });

  it("offers the singulars a plural could stand for, exact match first", () => {
    expect(productReferenceCandidates("XYZ phones")).toEqual([
      "xyz phones",
      "xyz phon",
      "xyz phone",
    ]);
    expect(productReferenceCandidates("Gift boxes")).toEqual([
      "gift boxes",
      "gift box",
      "gift boxe",
    ]);
    expect(productReferenceCandidates("ABC laptop")).toEqual(["abc laptop"]);
  });
});

describe("findProductByReference", () => {
  const glass = { id: "glass", name: "Glass" };
  const glasses = { id: "reading-glasses", name: "Glasses" };

  it("takes the reference as written before its singular, whatever the catalog's order", () => {
    // The agent went product by product and priced "Glass"; the shop sold "Glasses".
    expect(findProductByReference("Glasses", [glass, glasses])).toBe(glasses);
    expect(findProductByReference("glasses", [glasses, glass])).toBe(glasses);
    expect(findProductByReference("Glass", [glasses, glass])).toBe(glass);
  });

  it("takes an exact id first, then ids and names ignoring case, spacing and a plural", () => {
    const products = [glass, glasses, { id: "Glasses", name: "Other" }];
    expect(findProductByReference(" Glasses ", products)).toBe(products[2]);
    expect(findProductByReference("READING-GLASSES", products)).toBe(glasses);
    expect(findProductByReference("  glass  ", products)).toBe(glass);
    expect(findProductByReference("Mug", products)).toBeUndefined();
  });
});
