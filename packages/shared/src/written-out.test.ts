import { describe, expect, it } from "vitest";

import { hiddenWrittenOut, quotedWrittenOut, writtenOut } from "./written-out.js";

describe("writtenOut", () => {
  it("writes each character outside printable ASCII as its code point", () => {
    expect(writtenOut("Buy 2 XYZ phones\u200b")).toBe("Buy 2 XYZ phones\\u{200B}");
    expect(writtenOut("sample-shop-api\u202e")).toBe("sample-shop-api\\u{202E}");
    expect(writtenOut("e\u0301")).toBe("e\\u{0301}");
    expect(writtenOut("t\u00e9l\u00e9phone")).toBe("t\\u{00E9}l\\u{00E9}phone");
    expect(writtenOut("tab\there\nnext\u007f")).toBe("tab\\u{0009}here\\u{000A}next\\u{007F}");
  });

  it("takes an emoji as one character, and a lone surrogate as its own", () => {
    expect(writtenOut("\u{1F600}\u{1F601}")).toBe("\\u{1F600}\\u{1F601}");
    expect(writtenOut("a\ud83d")).toBe("a\\u{D83D}");
  });

  it("leaves printable ASCII as it is", () => {
    const ascii = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join(
      "",
    );
    expect(writtenOut(ascii)).toBe(ascii);
    expect(quotedWrittenOut("auth0|alice\u200b")).toBe('"auth0|alice\\u{200B}"');
  });
});

describe("hiddenWrittenOut", () => {
  it("writes out what a page cannot show, and leaves accents and other scripts", () => {
    expect(hiddenWrittenOut("Alice \u202eYUB OT 02\u202c Smith")).toBe(
      "Alice \\u{202E}YUB OT 02\\u{202C} Smith",
    );
    expect(hiddenWrittenOut("Zo\u00eb \u03a6 caf\u00e9\u200b")).toBe(
      "Zo\u00eb \u03a6 caf\u00e9\\u{200B}",
    );
    expect(hiddenWrittenOut("a\u00a0b")).toBe("a\\u{00A0}b");
  });
});
