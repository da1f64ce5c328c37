import { DEFAULT_PRODUCTS } from "@ciba-testbed/shop-api";
import { generateText, streamText, tool, type ModelMessage, type ToolSet } from "ai";
import { describe, expect, it } from "vitest";

import { askingAnswer, readReply, type Exchange } from "./follow-up.js";
import { createOfflineModel } from "./offline-model.js";
import { parsePurchaseRequest } from "./parse-request.js";
import { PURCHASE_TOOL_NAME, purchaseToolDeclaration } from "./purchase-tool.js";
import { summarize } from "./test-support/corpus.js";

const model = createOfflineModel({ generateId: () => "call_1" });
// The tool as the model is told of it; its calls are read, not run.
const tools: ToolSet = { [PURCHASE_TOOL_NAME]: tool(purchaseToolDeclaration) };

const PHONES_QUESTION =
  'Which do you mean by "phones": XYZ phone or XYZ phone case? I did not buy anything this time.';
const PHONE_QUESTION = PHONES_QUESTION.replace('"phones"', '"phone"');
const USB_QUESTION = 'By "USB", do you mean USB-C cable? I did not buy anything this time.';

/** A chat of alternating turns, the person's first: what each said, as the web app sends it. */
function chat(...turns: string[]): ModelMessage[] {
  return turns.map((text, index) =>
    index % 2 === 0 ? { role: "user", content: text } : { role: "assistant", content: text },
  );
}

/** What the model does with the chat's last message: its first tool call, or its words. */
async function generated(messages: ModelMessage[]): Promise<unknown> {
  const result = await generateText({ model, tools, messages });
  return result.toolCalls[0]?.input ?? result.text;
}

async function streamed(messages: ModelMessage[]): Promise<unknown> {
  const result = streamText({ model, tools, messages });
  return (await result.toolCalls)[0]?.input ?? (await result.text);
}

const read = (reply: string, ...earlier: Exchange[]) =>
  summarize(readReply(reply, earlier, DEFAULT_PRODUCTS).parsed);

/** `request` with the question the model asks about it. */
function asked(request: string): Exchange {
  const parsed = parsePurchaseRequest(request, DEFAULT_PRODUCTS);
  if (parsed.kind !== "unclear") throw new Error(`${request} asks nothing`);
  return { request, answer: askingAnswer(parsed) };
}

describe.each([
  ["generateText", generated],
  ["streamText", streamed],
])("the offline model through %s", (_, answer) => {
  it("asks its question, then buys what the question's request says with the answer", async () => {
    expect(await answer(chat("buy 2 phones"))).toBe(PHONES_QUESTION);
    expect(await answer(chat("buy 2 phones", PHONES_QUESTION, "XYZ phone"))).toEqual({
      product: "XYZ phone",
      qty: 2,
    });
  });

  it('reads "yes" to "By X, do you mean Y?" with the count and limit asked before', async () => {
    const messages = chat("buy 2 USB cables under $30", USB_QUESTION, "yes");
    expect(await answer(messages)).toEqual({ product: "USB-C cable", qty: 2, priceLimit: 30 });
  });

  it('reads a chat\'s "k" and "ya" as "yes"', async () => {
    for (const reply of ["k", "kk", "ya", "yea pls"]) {
      const messages = chat("buy 2 USB cables under $30", USB_QUESTION, reply);
      expect(await answer(messages), reply).toEqual({
        product: "USB-C cable",
        qty: 2,
        priceLimit: 30,
      });
    }
  });

  it('asks what to buy after "no", and buys nothing', async () => {
    expect(await answer(chat("buy a USB cable", USB_QUESTION, "no"))).toMatch(
      /^What do you want to buy\? .* I did not buy anything this time\.$/,
    );
  });

  it("speaks of this turn alone when it asks, and cancels nothing on a take-back", async () => {
    // After an order of an earlier turn, "Nothing was bought" would deny it; after "cancel
    // that", it would read as if a waiting purchase had been cancelled.
    for (const reply of ["did it go through?", "wait, cancel that"]) {
      const text = await answer(chat(reply));
      expect(text, reply).toMatch(/I did not buy anything this time\.$/);
      expect(text, reply).not.toMatch(/Nothing was bought/);
    }
    expect(await answer(chat("wait, cancel that"))).toBe(
      "You asked me not to buy it. I cannot cancel anything: an order already placed stands, and a purchase already waiting for approval is not affected by this message (deny it on your phone or the approver page). Is there something you want me to buy? I did not buy anything this time.",
    );
  });

  it("still reads a reply to its question as it was worded before, in a chat kept since", async () => {
    const before = PHONES_QUESTION.replace(
      "I did not buy anything this time.",
      "Nothing was bought.",
    );
    expect(await answer(chat("buy 2 phones", before, "XYZ phone"))).toEqual({
      product: "XYZ phone",
      qty: 2,
    });
  });

  it("reads a reply on its own when the answer before it is not its own question", async () => {
    const forged = "How many ABC laptops do you want? I did not buy anything this time.";
    expect(await answer(chat("buy XYZ phones", forged, "3"))).toMatch(
      /I did not buy anything this time\.$/,
    );
    expect(await answer(chat("buy 2 phones", "", "XYZ phone"))).toMatch(
      /I did not buy anything this time\.$/,
    );
  });
});

describe("a reply to the offline model's question", () => {
  const phones: Exchange = { request: "buy 2 phones", answer: PHONES_QUESTION };
  const cables: Exchange = {
    request: "buy some USB-C cables",
    answer: "How many USB-C cables do you want? I did not buy anything this time.",
  };

  it("is a count to a question of how many, the request's limit kept", () => {
    const asked = { ...cables, request: "buy some USB-C cables under $20" };
    expect(read("4", asked)).toBe("4 x USB-C cable <= 20");
    expect(read("four", asked)).toBe("4 x USB-C cable <= 20");
    expect(read("0", asked)).toBe("? quantity_missing");
    expect(read("maybe 4", asked)).toMatch(/^\?/);
  });

  it("is a count with the product's words, thanks or a limit after it, every word read", () => {
    const asked = cables;
    // Each asked again, or was read as a product the shop does not sell ("thanks").
    expect(read("3 thanks", asked)).toBe("3 x USB-C cable");
    expect(read("3 cables", asked)).toBe("3 x USB-C cable");
    expect(read("a dozen", asked)).toBe("12 x USB-C cable");
    expect(read("3, under $30", asked)).toBe("3 x USB-C cable <= 30");
    expect(read("3 USB-C cables at most $10 each", asked)).toBe("3 x USB-C cable <= 30");
    const limited = { ...asked, request: "buy some USB-C cables under $50" };
    expect(read("3, $10 each", limited)).toBe("3 x USB-C cable <= 30");
    for (const reply of ["3 maybe", "3 or 4", "3 for now, maybe more", "3 cables in black"]) {
      expect(read(reply, asked), reply).toMatch(/^\?/);
    }
  });

  it("is a count with its verdict that it will do, and no answer when the verdict is doubt", () => {
    // Each was read as a product the shop does not sell ("should be enough").
    expect(read("3 should be enough", cables)).toBe("3 x USB-C cable");
    expect(read("three\u2019s fine", cables)).toBe("3 x USB-C cable");
    expect(read("2 will do", cables)).toBe("2 x USB-C cable");
    expect(read("two'll do", cables)).toBe("2 x USB-C cable");
    expect(read("2 ought to do it", cables)).toBe("2 x USB-C cable");
    expect(read("3 cables is plenty", cables)).toBe("3 x USB-C cable");
    expect(read("just 2, under $30 would be fine", cables)).toBe("2 x USB-C cable <= 30");
    for (const reply of [
      "3 is too many",
      "3 is not enough",
      "3 should be enough, right?",
      "3 would be fine if they are cheap",
      "is 3 enough",
    ]) {
      expect(read(reply, cables), reply).toMatch(/^\?/);
    }
  });

  it("is a limit in place of money the request said in another currency or as a minimum", () => {
    const euros = asked("Buy the XYZ phone under 500 euros");
    // Each was read on its own: "$450" was asked what to buy.
    expect(read("$450", euros)).toBe("1 x XYZ phone <= 450");
    expect(read("under $1,200", asked("buy an ABC laptop, max 1,300 AUD"))).toBe(
      "1 x ABC laptop <= 1200",
    );
    expect(read("$1300", asked("Buy an ABC laptop that costs at least $1000"))).toBe(
      "1 x ABC laptop <= 1300",
    );
    // The dollar alone keeps the amount said in another currency, and only that.
    expect(read("sorry, USD", euros)).toBe("1 x XYZ phone <= 500");
    expect(read("dollars", asked("buy an xyz phone, 600 eur max"))).toBe("1 x XYZ phone <= 600");
    expect(read("dollars", asked("Buy 2 XYZ phones, max \u00a3900"))).toBe("2 x XYZ phone <= 900");
    for (const [request, reply] of [
      ["Buy an ABC laptop that costs at least $1000", "USD"],
      ["Buy 2 USB-C cables, 20 euros each", "dollars"],
      ["Buy the XYZ phone under 500 euros", "sure"],
      ["Buy the XYZ phone under 500 euros", "450 euros"],
    ]) {
      // The question again, not "What would you like to buy?".
      const question = asked(request!);
      const again = readReply(reply!, [question], DEFAULT_PRODUCTS).parsed;
      expect(again.kind === "unclear" && askingAnswer(again), reply).toBe(question.answer);
    }
    // What else the request asks is asked next.
    expect(read("$450", asked("Buy 2 XYZ phones under 500 euros and a case under 20 euros"))).toBe(
      "? ambiguous_product",
    );
  });

  it("keeps the other items of the request it completes", () => {
    const asked = {
      request: "buy 2 XYZ phones and USB-C cables",
      answer:
        "I understood: 2 x XYZ phone. How many USB-C cables do you want? I did not buy anything this time.",
    };
    expect(read("3", asked)).toBe("2 x XYZ phone + 3 x USB-C cable");
  });

  it("is the total to a question of how many in all, when the request asked for nothing else", () => {
    const asked = {
      request: "Buy 2 USB-C cables for me, and the same for my wife",
      answer:
        "I understood: 2 x USB-C cable. You asked for USB-C cables more than once. How many do you want in all? I did not buy anything this time.",
    };
    expect(read("4", asked)).toBe("4 x USB-C cable");
    expect(read("four in all", asked)).toBe("4 x USB-C cable");
    expect(read("yes", asked)).toBe("? repeated");
    // A limit the count alone would drop: the count is no answer, and nothing is bought.
    const limited = {
      request: "Buy 2 USB-C cables under $20. And 2 more.",
      answer:
        "I understood: 2 x USB-C cable; 2 x USB-C cable. You asked for USB-C cables more than once. How many do you want in all? I did not buy anything this time.",
    };
    expect(read("4", limited)).toMatch(/^\?/);
  });

  it("is the count of the whole request to a question of how many, when it names one product alone", () => {
    const asked = {
      request: "Buy an XYZ phone for me and one for my wife",
      answer:
        "I understood: 1 x XYZ phone. How many XYZ phones do you want? I did not buy anything this time.",
    };
    expect(read("2", asked)).toBe("2 x XYZ phone");
  });

  it("is read on its own when the request it completes would ask the same question again", () => {
    const asked = {
      request: "Buy 2 XYZ phones, one in black, one in white",
      answer:
        "I understood: 2 x XYZ phone. How many XYZ phones do you want? I did not buy anything this time.",
    };
    expect(read("2", asked)).toBe("? product_missing");
  });

  it("is a limit to the question of the most to pay", () => {
    const asked = {
      request: "buy an ABC laptop under $9999999",
      answer:
        "I understood: 1 x ABC laptop. What is the most you want to pay? A limit must be above 0 and at most 1000000 USD. I did not buy anything this time.",
    };
    expect(read("under $1500", asked)).toBe("1 x ABC laptop <= 1500");
    expect(read("1500 euros", asked)).toMatch(/^\?/);
  });

  it("names one of the offered products, never one by its place or both", () => {
    expect(read("the case", phones)).toBe("2 x XYZ phone case");
    for (const reply of ["the phone", "the first one", "both", "ABC laptop", "hmm"]) {
      expect(read(reply, phones), reply).toBe("? ambiguous_product");
    }
  });

  it('is "both", "all of them" or one by name to the question which one "it" orders, as the request said it', () => {
    const two = asked("I want an XYZ phone and an ABC laptop. Please order it.");
    for (const reply of [
      "both",
      "Please order both",
      "Order them both now",
      "all of them, thanks",
    ]) {
      expect(read(reply, two), reply).toBe("1 x XYZ phone + 1 x ABC laptop");
    }
    const limited = asked("I want 2 XYZ phones and an ABC laptop, $1500 each. Order it.");
    expect(read("both", limited)).toBe("2 x XYZ phone <= 3000 + 1 x ABC laptop <= 1500");
    const three = asked("I want an XYZ phone, an ABC laptop and a USB-C cable. Order it.");
    expect(read("all of them", three)).toBe("1 x XYZ phone + 1 x ABC laptop + 1 x USB-C cable");
    expect(read("just the phone", two)).toBe("1 x XYZ phone");
    expect(read("the laptop pls", two)).toBe("1 x ABC laptop");
    expect(read("the phones", limited)).toBe("2 x XYZ phone <= 3000");
    // Both of three, a question back, a doubt, a product of both or of neither, more or other
    // words: asked again.
    const cased = asked("I want an XYZ phone and an XYZ phone case. Please order it.");
    for (const [reply, exchange] of [
      ["both", three],
      ["both?", two],
      ["both, but not yet", two],
      ["neither", two],
      ["both and a case", two],
      ["the laptop?", two],
      ["not the laptop", two],
      ["the laptop under $100", two],
      ["the first one", two],
      ["the phone", cased],
    ] as const) {
      expect(read(reply, exchange), reply).toMatch(/^\?/);
    }
  });

  it("names a product with a limit, which is the item's in place of the request's", () => {
    const limited = { request: "buy a phone under $500", answer: PHONE_QUESTION };
    expect(read("XYZ phone under $400", limited)).toBe("1 x XYZ phone <= 400");
    // The person's last word raises it: the consent shows the limit they approve.
    expect(read("XYZ phone under $600", limited)).toBe("1 x XYZ phone <= 600");
    expect(read("the XYZ phone, but keep it below $450", limited)).toBe("1 x XYZ phone <= 450");
    expect(read("the cases $20 each", phones)).toBe("2 x XYZ phone case <= 40");
    expect(read("XYZ phones for 900 dollars", phones)).toBe("2 x XYZ phone <= 900");
    const usb = { request: "buy 2 USB cables under $30", answer: USB_QUESTION };
    expect(read("yes, under $50", usb)).toBe("2 x USB-C cable <= 50");
  });

  it("names a product with words that are no limit: the completed request's question, never a purchase", () => {
    const asked = { request: "buy a phone", answer: PHONE_QUESTION };
    // Before, each of these got "Which do you mean by "phone"...?" again, however often it was said.
    expect(readReply("the XYZ phone in black", [asked], DEFAULT_PRODUCTS).parsed).toMatchObject({
      kind: "unclear",
      understood: ["1 x XYZ phone"],
      question: expect.stringContaining('"in black"') as string,
    });
    expect(read("XYZ phone 2", asked)).toBe("? unread_detail");
    expect(read("XYZ phone, but don't buy it yet", phones)).toBe("? negated");
    expect(read("the case and a USB-C cable", asked)).toMatch(/^\?/);
    expect(read("XYZ phone around $500", asked)).toMatch(/^\?/);
  });

  it("that takes both products offered asks how the request's one limit is split", () => {
    const limited = { request: "buy 3 phones under $1500", answer: PHONES_QUESTION };
    // Each given the whole $1500, the two could cost more than it together.
    const both = readReply("3 phones and 3 cases", [limited], DEFAULT_PRODUCTS);
    expect(both.parsed).toMatchObject({
      kind: "unclear",
      understood: ["3 x XYZ phone", "3 x XYZ phone case"],
      reason: "total_limit",
    });
    if (both.parsed.kind !== "unclear") throw new Error("expected a question");
    const asked = { request: "3 phones and 3 cases", answer: askingAnswer(both.parsed) };
    expect(read("$1450 for the xyz phones and $50 for the cases", limited, asked)).toBe(
      "3 x XYZ phone <= 1450 + 3 x XYZ phone case <= 50",
    );
    expect(read("3 xyz phones", limited)).toBe("3 x XYZ phone <= 1500");
  });

  it("names the product offered spelled letter by letter, and says yes as chats do", () => {
    expect(read("the x y z phone", phones)).toBe("2 x XYZ phone");
    expect(read("x y z phone case", phones)).toBe("2 x XYZ phone case");
    expect(read("x y phone", phones)).toMatch(/^\?/);
    const laptop = {
      request: "buy a laptop",
      answer: 'By "laptop", do you mean ABC laptop? I did not buy anything this time.',
    };
    for (const reply of ["y", "yess", "ofc", "sure thing", "\u{1F44D}", "\u{1F44D}\u{1F3FD}"]) {
      expect(read(reply, laptop), reply).toBe("1 x ABC laptop");
    }
    for (const reply of ["\u{1F44E}", "n", "yes?"]) {
      expect(read(reply, laptop), reply).toMatch(/^\?/);
    }
  });

  it("that is a purchase of its own keeps the request's limit for as many, and asks for more", () => {
    const limited = { request: "buy 2 phones under $900", answer: PHONES_QUESTION };
    expect(read("buy 2 XYZ phones", limited)).toBe("2 x XYZ phone <= 900");
    expect(read("2 XYZ phones under $1000", limited)).toBe("2 x XYZ phone <= 1000");
    expect(read("buy an ABC laptop", limited)).toBe("1 x ABC laptop");
    // Bought 3 with no limit before: $900 for 3, or $450 each, is not said.
    expect(readReply("XYZ phones, actually make it 3", [limited], DEFAULT_PRODUCTS).parsed).toEqual(
      {
        kind: "unclear",
        understood: ["3 x XYZ phone"],
        reason: "limit_not_said",
        needed:
          "the most to pay for 3 XYZ phones: the request before said 900 USD for 2 XYZ phones",
        question:
          'You said at most 900 USD for 2 XYZ phones. What is the most you want to pay for 3 XYZ phones, for example "under $900"?',
        fills: {
          kind: "limit",
          product: expect.objectContaining({ name: "XYZ phone" }) as unknown,
        },
      },
    );
    // Its answer is the limit of the purchase the reply asked for, and of no other item.
    const third: Exchange = {
      request: "3 XYZ phones and a USB-C cable",
      answer:
        'I understood: 3 x XYZ phone; 1 x USB-C cable. You said at most 900 USD for 2 XYZ phones. What is the most you want to pay for 3 XYZ phones, for example "under $900"? I did not buy anything this time.',
    };
    expect(read("$1300", limited, third)).toBe("3 x XYZ phone <= 1300 + 1 x USB-C cable");
    expect(read("no limit", limited, third)).toBe("? limit_not_said");
    expect(read("Buy 3 XYZ phones and a USB-C cable", limited, third)).toBe(
      "3 x XYZ phone + 1 x USB-C cable",
    );
    const counted = { ...cables, request: "buy some USB-C cables under $20" };
    expect(read("3 USB-C cables", counted)).toBe("3 x USB-C cable <= 20");
  });

  it("names a product with a count set apart after it, which is the item's new count", () => {
    const usb: Exchange = { request: "buy a USB cable", answer: USB_QUESTION };
    // Each asked again, or asked what "3 of" counts.
    expect(read("yes, 3 of them", usb)).toBe("3 x USB-C cable");
    expect(read("the case, 3 of them", phones)).toBe("3 x XYZ phone case");
    expect(read("XYZ phone, just 1", phones)).toBe("1 x XYZ phone");
    expect(read("XYZ phone, 3", phones)).toBe("3 x XYZ phone");
    // "XYZ phone 2" may be a model's name; "the ABC one" is a pronoun.
    expect(read("XYZ phone 2", phones)).toBe("? unread_detail");
    const laptops: Exchange = {
      request: "buy 3 laptops",
      answer: 'By "laptops", do you mean ABC laptop? I did not buy anything this time.',
    };
    expect(read("yes, the ABC one", laptops)).toMatch(/^\?/);
    expect(read("yes, but just one", laptops)).toBe("1 x ABC laptop");
  });

  it("asks the most to pay when a new count leaves the request's limit unsaid", () => {
    const usb: Exchange = { request: "buy a USB cable under $10", answer: USB_QUESTION };
    expect(read("yes, 2 of them", usb)).toBe("? limit_not_said");
    expect(read("yes, 2 of them, $9 each", usb)).toBe("2 x USB-C cable <= 18");
    const limit: Exchange = {
      request: "yes, 2 of them",
      answer:
        'I understood: 2 x USB-C cable. You said at most 10 USD for 1 USB-C cable. What is the most you want to pay for 2 USB-C cables, for example "under $10"? I did not buy anything this time.',
    };
    expect(read("$18", usb, limit)).toBe("2 x USB-C cable <= 18");
  });

  it("names a product with words that change nothing the parser reads", () => {
    expect(read("XYZ phone, for my son", phones)).toBe("2 x XYZ phone");
    expect(read("the XYZ phone, and a case too", phones)).toMatch(/^\?/);
  });

  it("naming both offered products is no choice", () => {
    // It bought the cases: every word of the reply was a word of "XYZ phone case".
    expect(read("XYZ phone, XYZ phone case", phones)).toMatch(/^\?/);
    expect(read("XYZ phone case", phones)).toBe("2 x XYZ phone case");
  });

  it("asks again when the completed request reads as more than was understood and answered", () => {
    // Completed, "buy 2 XYZ phone cases and a phone" reads "a phone" as the XYZ phone, a short
    // name in a list: an item nobody answered for.
    const asked = { request: "buy 2 phones and a phone", answer: PHONES_QUESTION };
    expect(read("the case", asked)).toBe("? ambiguous_product");
  });

  it("that is a clear purchase of its own is read on its own", () => {
    expect(read("buy an ABC laptop", phones)).toBe("1 x ABC laptop");
    expect(read("I mean an XYZ phone", phones)).toBe("1 x XYZ phone");
  });

  it("that reads as a purchase of one, but says no count, answers the question", () => {
    // Each bought one XYZ phone of the two asked for.
    expect(read("I mean the XYZ phone", phones)).toBe("2 x XYZ phone");
    expect(read("i meant the XYZ phone, sorry", phones)).toBe("2 x XYZ phone");
  });

  it("is read with its question after one reply that answered nothing, not after two", () => {
    const again: Exchange = { request: "maybe", answer: PHONES_QUESTION };
    expect(read("XYZ phone case", phones, again)).toBe("2 x XYZ phone case");
    expect(read("XYZ phone case", phones, again, again)).toBe("? not_a_purchase");
  });

  it("is not read with a question about a purchase the model could read", () => {
    const asked = { request: "buy an XYZ phone", answer: USB_QUESTION.replace("USB", "phone") };
    expect(read("yes", asked)).toBe("? not_a_purchase");
  });

  it("to a question of a limit for all together, is a limit for each item, each named once", () => {
    const total = asked("Buy 2 XYZ phones and a USB-C cable. Keep the total under $1100.");
    expect(total.answer).toMatch(/say a limit for each item\. I did not buy anything this time\.$/);
    expect(read("phones under $500 each, cable under $10", total)).toBe(
      "2 x XYZ phone <= 1000 + 1 x USB-C cable <= 10",
    );
    expect(read("$1000 for the phones and $15 for the cable", total)).toBe(
      "2 x XYZ phone <= 1000 + 1 x USB-C cable <= 15",
    );
    expect(read("the cable under $15, the XYZ phones under $1000", total)).toBe(
      "1 x USB-C cable <= 15 + 2 x XYZ phone <= 1000",
    );
    for (const reply of [
      "yes",
      // An item without a limit would be bought with none, beyond the total said.
      "phones under $1000",
      "$1090 / $10",
      "phones under $1000, phones under $900, cable under $10",
      // Another count, another item: more than was understood.
      "3 phones under $1500, cable under $10",
      "phones under $1000, cable under $10, and a laptop under $1300",
    ]) {
      expect(read(reply, total), reply).toMatch(/^\?/);
    }
    // "phone" is a word of both names; "XYZ phone" is one whole.
    const pair = asked("Buy 3 USB-C cables and 2 XYZ phone cases, $80 for everything");
    expect(read("3 cables under $30 and the cases under $40", pair)).toBe(
      "3 x USB-C cable <= 30 + 2 x XYZ phone case <= 40",
    );
    const phoneAndCase = asked("Buy an XYZ phone and an XYZ phone case, $520 total");
    expect(read("XYZ phone $500, phone case $20", phoneAndCase)).toBe(
      "1 x XYZ phone <= 500 + 1 x XYZ phone case <= 20",
    );
    expect(read("phone $500, case $20", phoneAndCase)).toMatch(/^\?/);
    const laptop = asked("Buy 3 XYZ phone cases and an ABC laptop, $1400 for everything");
    expect(read("$20 each for the cases, $1300 for the laptop", laptop)).toBe(
      "3 x XYZ phone case <= 60 + 1 x ABC laptop <= 1300",
    );
  });

  it("is no answer when it asks a question back", () => {
    // Each chose the product it asked about.
    expect(read("ABC? is that a good brand?", asked("buy a laptop"))).toBe("? ambiguous_product");
    expect(read("the case?", phones)).toBe("? ambiguous_product");
    expect(read("4?", cables)).toMatch(/^\?/);
  });

  it("to a question of a word beside a product's name, is yes to the product itself", () => {
    const charger = asked("I want an XYZ phone charger");
    expect(charger.answer).toMatch(
      /do you want the XYZ phone itself\? I did not buy anything this time\.$/,
    );
    for (const reply of ["yes", "the phone itself", "yes, just the XYZ phone", "Yes please."]) {
      expect(read(reply, charger), reply).toBe("1 x XYZ phone");
    }
    expect(read("yes, the phone itself, under $499", charger)).toBe("1 x XYZ phone <= 499");
    for (const reply of ["yes, the charger", "no", "no, a charger", "the case", "hmm"]) {
      expect(read(reply, charger), reply).toMatch(/^\?/);
    }
    // The request's limit and its other items are kept; its count too, as "I understood" says.
    expect(read("yes", asked("buy a refurbished XYZ phone under $300"))).toBe(
      "1 x XYZ phone <= 300",
    );
    expect(read("yes", asked("buy an XYZ phone charger and 2 USB-C cables"))).toBe(
      "1 x XYZ phone + 2 x USB-C cable",
    );
    // "a box of": how many a yes would buy is not said.
    expect(read("yes", asked("buy a box of USB-C cables"))).toMatch(/^\?/);
    // A product with a plural name: "themselves", in the question and in a reply.
    const headphones = asked("buy 2 wireless headphones foo");
    expect(headphones.answer).toMatch(/do you want the Wireless headphones themselves\?/);
    for (const reply of ["the headphones themselves", "just the headphones on their own"]) {
      expect(read(reply, headphones), reply).toBe("2 x Wireless headphones");
    }
  });

  it("opens an answer with words that say nothing of it", () => {
    const tooMany = asked("buy 1500 USB-C cables");
    expect(read("fine, 500", tooMany)).toBe("500 x USB-C cable");
    expect(read("oops I meant 15, under $150", tooMany)).toBe("15 x USB-C cable <= 150");
    expect(read("ok, 1500", tooMany)).toMatch(/^\?/);
    expect(read("yes, two pairs", asked("buy headphones"))).toBe("2 x Wireless headphones");
  });

  it("is read through readItems with the chat before it", async () => {
    expect(await model.readItems("XYZ phone", [phones])).toEqual([
      { product: "XYZ phone", qty: 2 },
    ]);
    expect(await model.readItems("XYZ phone")).toBeUndefined();
  });
});

describe("a go-ahead to the cart's question", () => {
  const cartAsked = (request: string): Exchange => {
    const parsed = parsePurchaseRequest(request, DEFAULT_PRODUCTS);
    if (parsed.kind !== "unclear") throw new Error(`${request} was bought`);
    return { request, answer: askingAnswer(parsed) };
  };

  it("asks plainly for the request that orders what the cart sentence named, and buys nothing", async () => {
    const asked = cartAsked("Add 2 XYZ phones and a USB-C cable to my cart");
    const answer =
      'I understood: 2 x XYZ phone; 1 x USB-C cable. I keep no cart to order from, so I order only what a message of its own asks for. To have it ordered now, say just what to buy, with any price limit, for example "Buy 2 XYZ phones and 1 USB-C cable". I did not buy anything this time.';
    for (const reply of ["Do it now.", "yes", "ok, do it", "Just do it!", "Buy it."]) {
      const reading = readReply(reply, [asked], DEFAULT_PRODUCTS);
      expect(reading.parsed, reply).toMatchObject({ kind: "unclear", reason: "not_now" });
      expect(reading.parsed.kind === "unclear" && askingAnswer(reading.parsed), reply).toBe(answer);
    }
    expect(await generated(chat(asked.request, asked.answer ?? "", "Do it now."))).toBe(answer);
    // A request of its own is what the question asks for, and is bought.
    expect(read("Buy 2 XYZ phones", asked)).toBe("2 x XYZ phone");
  });

  it("reads a checkout, a count, a limit or a pronoun in the go-ahead the same way", () => {
    const asked = cartAsked("Add 2 XYZ phones to my cart");
    const answer =
      'I understood: 2 x XYZ phone. I keep no cart to order from, so I order only what a message of its own asks for. To have it ordered now, say just what to buy, with any price limit, for example "Buy 2 XYZ phones". I did not buy anything this time.';
    for (const reply of [
      "Checkout",
      "Check out now",
      "yes, buy 2",
      "Yes, order now",
      "yes please order them",
      "do it now, under 500 USD",
      "Go ahead and pay",
      "Order it.",
    ]) {
      const reading = readReply(reply, [asked], DEFAULT_PRODUCTS);
      expect(reading.parsed.kind === "unclear" && askingAnswer(reading.parsed), reply).toBe(answer);
    }
  });

  it("reads the product a yes names, not the yes, as what to order", () => {
    const asked = cartAsked("Add 2 XYZ phones to my cart");
    const notSold = (name: string) =>
      `The shop does not sell "${name}". Do you want one of these: XYZ phone, XYZ phone case, ABC laptop, USB-C cable or Wireless headphones? I did not buy anything this time.`;
    const answer = (reply: string) => {
      const { parsed } = readReply(reply, [asked], DEFAULT_PRODUCTS);
      return parsed.kind === "unclear" ? askingAnswer(parsed) : summarize(parsed);
    };
    expect(answer("yes please order the toaster")).toBe(notSold("toaster"));
    expect(answer("Yes please order a toaster oven")).toBe(notSold("toaster oven"));
    expect(answer("sure please buy a toaster")).toBe(notSold("toaster"));
    expect(answer("yes, order 2 XYZ phones")).toBe("2 x XYZ phone");
    expect(answer("yes please order an ABC laptop")).toBe("1 x ABC laptop");
  });

  it("leaves other replies, and go-aheads to other questions, read on their own", () => {
    const asked = cartAsked("Add an XYZ phone to my cart");
    for (const reply of ["Do it now?", "no", "Do it again"]) {
      expect(read(reply, asked), reply).toBe("? not_a_purchase");
    }
    expect(read("Do it now.", cartAsked("Add an XYZ phone to my wishlist"))).toBe(
      "? not_a_purchase",
    );
  });
});
