import { describe, expect, it } from "vitest";

import {
  BINDING_MESSAGE_MAX_LENGTH,
  bindingMessageProblems,
  isValidBindingMessage,
  purchaseBindingMessage,
  sanitizeBindingText,
  unwritableInBindingText,
} from "./binding-message.js";

describe("bindingMessageProblems", () => {
  it("accepts Auth0's characters and spaces", () => {
    expect(bindingMessageProblems("Do you want to buy 2 XYZ phones")).toEqual([]);
    expect(bindingMessageProblems("Order #42: 1+1 items, A-B_C.")).toEqual([]);
  });

  it("names every problem at once", () => {
    const problems = bindingMessageProblems(`${"x".repeat(70)}$!`);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain("at most 64 characters (got 72)");
    expect(problems[1]).toContain('"$!"');
  });

  it("refuses an empty or blank message", () => {
    expect(bindingMessageProblems("")).toEqual(["binding_message must not be empty"]);
    expect(isValidBindingMessage("   ")).toBe(false);
  });
});

describe("purchaseBindingMessage", () => {
  it("reads like the quickstart's consent question", () => {
    expect(purchaseBindingMessage({ product: "XYZ phone", qty: 2 })).toBe(
      "Do you want to buy 2 XYZ phones",
    );
    expect(purchaseBindingMessage({ product: "XYZ phones", qty: 2 })).toBe(
      "Do you want to buy 2 XYZ phones",
    );
    expect(purchaseBindingMessage({ product: "XYZ phone", qty: 1 })).toBe(
      "Do you want to buy 1 XYZ phone",
    );
  });

  it.each([
    ["USB-C cable", "USB-C cables"],
    ["Gift box", "Gift boxes"],
    ["AA battery", "AA batteries"],
    ["Sandwich", "Sandwiches"],
    ["Headphones", "Headphones"],
    ["TV", "TVs"],
    ["Model 3", "Model 3"],
  ])("says %s in the plural as %s", (singular, plural) => {
    expect(purchaseBindingMessage({ product: singular, qty: 3 })).toBe(
      `Do you want to buy 3 ${plural}`,
    );
  });

  it("adds the price limit when it fits", () => {
    expect(purchaseBindingMessage({ product: "XYZ phone", qty: 1, priceLimit: 499.5 })).toBe(
      "Do you want to buy 1 XYZ phone for max 499.50 USD",
    );
  });

  it.each([
    [9.985, "9.98"],
    [9.989999999, "9.98"],
    [0.125, "0.12"],
    [9.99, "9.99"],
  ])("shows the limit %s as the shop applies it, rounded down to the cent: %s", (limit, shown) => {
    expect(purchaseBindingMessage({ product: "USB-C cable", qty: 1, priceLimit: limit })).toBe(
      `Do you want to buy 1 USB-C cable for max ${shown} USD`,
    );
  });

  it("drops the price limit, then shortens the name, to stay within 64 characters", () => {
    const message = purchaseBindingMessage({
      product: "Ultra Deluxe Professional Noise Cancelling Headphones, Midnight Edition",
      qty: 3,
      priceLimit: 900,
    });
    expect(message.length).toBeLessThanOrEqual(BINDING_MESSAGE_MAX_LENGTH);
    expect(message.startsWith("Do you want to buy 3 Ultra Deluxe")).toBe(true);
    expect(message.endsWith("...")).toBe(true);
    expect(isValidBindingMessage(message)).toBe(true);
  });

  it("replaces characters Auth0 refuses", () => {
    expect(purchaseBindingMessage({ product: "Café & Crème (50% off!) $9", qty: 1 })).toBe(
      "Do you want to buy 1 Cafe and Creme 50 off 9",
    );
    expect(sanitizeBindingText("<script>")).toBe("script");
  });

  it("falls back to a generic noun when nothing printable is left", () => {
    expect(purchaseBindingMessage({ product: "🙂🙂", qty: 2 })).toBe("Do you want to buy 2 items");
  });

  it("is always valid, whatever the product name", () => {
    const names = [
      "a".repeat(500),
      "手机",
      " \t\n",
      "x/y\\z|w",
      "'quoted' \"name\"",
      "#1 best-seller: A+",
      "🙂".repeat(40),
    ];
    for (const product of names) {
      for (const qty of [1, 999, 1000]) {
        const message = purchaseBindingMessage({ product, qty, priceLimit: 123456.78 });
        expect(bindingMessageProblems(message), message).toEqual([]);
      }
    }
  });
});

describe("unwritableInBindingText", () => {
  it("finds the letters and digits a binding message would lose, each once", () => {
    expect(unwritableInBindingText("Телефон XYZ")).toEqual(["Т", "е", "л", "ф", "о", "н"]);
    expect(unwritableInBindingText("½ dozen eggs")).toEqual(["½"]);
    expect(unwritableInBindingText("Phone ٢٤")).toEqual(["٢", "٤"]);
    expect(unwritableInBindingText("XYZ ph\u03bfne")).toEqual(["\u03bf"]);
    expect(unwritableInBindingText("スマホ")).toEqual(["ス", "マ", "ホ"]);
  });

  it("finds nothing in what is written in Latin letters, accents and all", () => {
    for (const name of [
      "XYZ phone",
      "Café crème",
      "Straße lamp",
      "Smørrebrød plate",
      "Łódź mug",
      "ＸＹＺ phone ２",
      "Kid's toy",
      "AT&T SIM card",
      "🙂 mug (50% off!)",
      "Ⅻ clock",
    ]) {
      expect(unwritableInBindingText(name), name).toEqual([]);
    }
  });

  it("writes Latin letters that have no decomposition as they are usually written", () => {
    expect(sanitizeBindingText("Straße Smørrebrød Łódź Æsir")).toBe(
      "Strasse Smorrebrod Lodz AEsir",
    );
  });
});
