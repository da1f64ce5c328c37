import { describe, expect, it } from "vitest";

import { numbersAsWritten, repeatedJsonKey } from "./json-repeated-keys.js";

describe("repeatedJsonKey", () => {
  it("names the first key an object has twice, by its path", () => {
    expect(repeatedJsonKey('{"scope":"openid","scope":"openid product:buy"}')).toBe("scope");
    expect(repeatedJsonKey('{"a":[{"b":1},{"c":{"d":1,"e":2,"d":3}}]}')).toBe("a[1].c.d");
    // A parameter repeated is named before a repeat inside one.
    expect(repeatedJsonKey('{"a":[{"b":1,"b":2}],"a":1}')).toBe("a");
  });

  it("reads a key as JSON.parse decodes it, and writes out what a person could not read", () => {
    expect(repeatedJsonKey(String.raw`{"scope":1,"\u0073cope":2}`)).toBe("scope");
    expect(repeatedJsonKey(String.raw`{"a\u200b":1,"a\u200b":2}`)).toBe(String.raw`a\u{200B}`);
    expect(repeatedJsonKey(String.raw`{"a":1,"A":2,"a\u0000":3}`)).toBeUndefined();
  });

  it("finds no repeat in the same key of different objects, nor inside strings", () => {
    expect(repeatedJsonKey('{"a":{"b":1},"c":{"b":1},"d":[{"b":1},{"b":2}]}')).toBeUndefined();
    expect(repeatedJsonKey('{"a":"\\"a\\":1,\\"a\\":2"}')).toBeUndefined();
    expect(repeatedJsonKey("[1,2,3]")).toBeUndefined();
  });

  it("reads past one leading byte order mark, as body-parser's JSON.parse does", () => {
    expect(repeatedJsonKey('\ufeff{"qty":1,"qty":5}')).toBe("qty");
    expect(repeatedJsonKey('\ufeff\ufeff{"qty":1,"qty":5}')).toBeUndefined();
  });

  it("leaves text that is not JSON to JSON.parse", () => {
    expect(repeatedJsonKey('{"a":1,"a":2,}')).toBeUndefined();
    expect(repeatedJsonKey('{"a":1,"a":2} // x')).toBeUndefined();
    expect(repeatedJsonKey('{"a":1,"a":2')).toBeUndefined();
  });
});

describe("numbersAsWritten", () => {
  it("gives each number member of an object as its text writes it, by decoded key", () => {
    expect(
      numbersAsWritten(
        String.raw`{"qty":0.99999999999999999, "\u0070":-1.5E+3,"s":"1","o":{"n":1}}`,
      ),
    ).toEqual(
      new Map([
        ["qty", "0.99999999999999999"],
        ["p", "-1.5E+3"],
      ]),
    );
  });

  it("reads past one leading byte order mark", () => {
    expect(numbersAsWritten('\ufeff{"qty":0.99999999999999999}')).toEqual(
      new Map([["qty", "0.99999999999999999"]]),
    );
  });

  it("has nothing for text that is not a JSON object", () => {
    expect(numbersAsWritten("[1]")).toBeUndefined();
    expect(numbersAsWritten("1")).toBeUndefined();
    expect(numbersAsWritten('{"qty":1')).toBeUndefined();
  });
});
