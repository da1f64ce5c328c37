import { describe, expect, it } from "vitest";

import { isCanonicalBase64url, nonCanonicalSegment } from "./canonical-token.js";

describe("isCanonicalBase64url (RFC 7515 section 2, RFC 4648 section 3.5)", () => {
  it.each(["", "AA", "AAA", "AAAA", "-_-_", "eyJhbGciOiJSUzI1NiJ9", "YQ", "YWI"])(
    "accepts %j",
    (segment) => {
      expect(isCanonicalBase64url(segment)).toBe(true);
    },
  );

  it.each([
    ["padding", "YQ=="],
    ["one '='", "YWI="],
    ["'=' then more", "YQ=AAAA"],
    ["the standard alphabet", "+/+/"],
    ["non-zero unused bits (4 of them)", "YR"],
    ["non-zero unused bits (2 of them)", "YWJ"],
    ["a length of 1 modulo 4", "AAAAA"],
    ["a TAB", "YW\tI"],
    ["a space", "YW I"],
    ["a character outside the alphabet", "YW!I"],
    ["non-ASCII", "YWÍ"],
  ])("refuses %s (%j)", (_name, segment) => {
    expect(isCanonicalBase64url(segment)).toBe(false);
  });
});

describe("nonCanonicalSegment", () => {
  it("names the first segment that is not canonical", () => {
    expect(nonCanonicalSegment("YQ.YWI.AAAA")).toBeUndefined();
    expect(nonCanonicalSegment("YQ=.YWI.AAAA")).toBe("header");
    expect(nonCanonicalSegment("YQ.YWI=.AAAA")).toBe("payload");
    expect(nonCanonicalSegment("YQ.YWI.AAAA=")).toBe("signature");
  });

  it("leaves tokens that are not three segments to the library, which refuses them", () => {
    expect(nonCanonicalSegment("YQ==.YWI")).toBeUndefined();
    expect(nonCanonicalSegment("a.b.c.d.e")).toBeUndefined();
  });
});
