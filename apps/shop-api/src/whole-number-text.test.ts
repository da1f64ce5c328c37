import { describe, expect, it } from "vitest";

import { writesWholeNumber } from "./whole-number-text.js";

describe("writesWholeNumber", () => {
  it.each([
    "0",
    "-0",
    "1",
    "2",
    "1000",
    "2.0",
    "2.000",
    "2e0",
    "2E+3",
    "20e-1",
    "3000e-3",
    "0e-9",
    "0.0",
  ])("reads %s as a whole number", (text) => {
    expect(writesWholeNumber(text)).toBe(true);
  });

  it.each([
    "0.99999999999999999",
    "1.00000000000000001",
    "1.5",
    "-1.5",
    "15e-1",
    "1500e-3",
    "1e-400",
    "999999999999999999.9",
    "2.0000000000000000000001",
  ])("reads %s as not whole, whatever JSON.parse rounds it to", (text) => {
    expect(writesWholeNumber(text)).toBe(false);
  });

  it.each(["", "1.", ".5", "0x10", "1e", "+1", "NaN", "Infinity", " 1"])(
    "reads %j, which is no JSON number, as not whole",
    (text) => {
      expect(writesWholeNumber(text)).toBe(false);
    },
  );
});
