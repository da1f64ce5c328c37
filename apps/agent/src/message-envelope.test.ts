import { describe, expect, it } from "vitest";

import { BUILT_IN_CATALOG } from "./built-in-catalog.js";
import { withoutEnvelope } from "./message-envelope.js";

const strip = (text: string) => withoutEnvelope(text, BUILT_IN_CATALOG);

describe("withoutEnvelope", () => {
  it("takes out a signature under a sign-off, its numbers and names, and a mail app's line", () => {
    expect(
      strip(
        "Hello,\n\nI'd like to order 3 XYZ phones.\n\nThank you,\nRavi Patel\nEmployee #20931\n+44 20 7946 0958",
      ),
    ).toBe("Hello,\n\nI'd like to order 3 XYZ phones.");
    expect(strip("Please order 5 USB-C cables.\n--\nSam\nBuilding 7, Floor 3")).toBe(
      "Please order 5 USB-C cables.",
    );
    expect(strip("Order 2 XYZ phone cases.\n\nSent from my iPhone")).toBe(
      "Order 2 XYZ phone cases.",
    );
    expect(
      strip(
        "Order 1 XYZ phone case, thanks!\n\nCONFIDENTIALITY NOTICE: if you are not the intended recipient, delete this email.",
      ),
    ).toBe("Order 1 XYZ phone case, thanks!");
  });

  it("keeps a signature that could change what to buy, whole", () => {
    for (const text of [
      "Please order 2 XYZ phones\nThanks,\nBob\nActually make it 3",
      "Buy 2 XYZ phones\nThanks,\nBob\n3 more please",
      "Buy 2 XYZ phones\nThanks\n3",
      "Buy 2 XYZ phones\nBest,\nBob\nand a case",
      "Buy 2 XYZ phones\nRegards\nunder $900",
      "Buy 2 XYZ phones\nCheers,\nAnn, XYZ phone team",
      "Buy 2 XYZ phones\nRegards,\nJo\nDesk 1\nDesk 2\nDesk 3\nDesk 4\nDesk 5\nDesk 6",
      // A sentence is no signature's line, whatever its words: it may change what to buy.
      "Buy 2 wireless headphones\n\nThx\nwrong chat, sorry",
      "Buy 2 XYZ phones\nCheers,\nAnn\nthree would be better",
      "Buy 2 XYZ phones\nThx\nFour",
      "Buy 2 XYZ phones\nThanks,\nBob\nDOUBLE IT",
      "Buy 1 XYZ phone case\n--\nSame For Leo",
      "Buy 1 XYZ phone\nThanks,\nBob\nP.P.S. scrap the whole thing",
      "Buy 2 wireless headphones.\n\nDISCLAIMER: this request is subject to approval by finance.",
    ]) {
      expect(strip(text)).toBe(text);
    }
    // A sign-off with nothing above it is no signature's.
    expect(strip("Thanks,\nBob")).toBe("Thanks,\nBob");
  });

  it("keeps a postscript under the signature, without its mark", () => {
    expect(strip("Buy 2 XYZ phones\nthanks!\nP.S. make it 3")).toBe(
      "Buy 2 XYZ phones\n\nmake it 3",
    );
    expect(strip("Buy 2 XYZ phones\nThanks,\nBob\nPS: also a USB-C cable")).toBe(
      "Buy 2 XYZ phones\n\nalso a USB-C cable",
    );
  });

  it("takes out an agent's handle at the start and friendly emoji codes, not others", () => {
    expect(strip("@shopbot order 2 XYZ phone cases :pray: :+1:")).toBe("order 2 XYZ phone cases");
    expect(strip("@Agent, grab 3 USB-C cables :zap: thx")).toBe("grab 3 USB-C cables thx");
    expect(strip("@ProcurementAssistant order 1 XYZ phone case")).toBe("order 1 XYZ phone case");
    for (const other of ["@bob", "@abbott", "@finance-bot", "@shopping-team"]) {
      expect(strip(`${other} buy 2 XYZ phones`)).toBe(`${other} buy 2 XYZ phones`);
    }
    expect(strip("order 2 XYZ phones :party_parrot:")).toBe("order 2 XYZ phones :party_parrot:");
  });

  it("turns emoji codes of doubt into their emoji, which the reader asks about", () => {
    expect(strip("buy 3 USB-C cables :x:")).toBe("buy 3 USB-C cables \u274C");
    expect(strip("order 2 XYZ phones :thinking_face:")).toBe("order 2 XYZ phones \u{1F914}");
    expect(strip("the ABC laptop: :-1:")).toBe("the ABC laptop: \u{1F44E}");
  });
});
