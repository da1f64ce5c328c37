import { describe, expect, it } from "vitest";

import { normalizeProductReference, productReferenceCandidates } from "./product-reference.js";

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
