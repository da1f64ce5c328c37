import { describe, expect, it } from "vitest";

import { requestForgotten } from "../../authorization-error.js";
import { personWords } from "./person-words.js";

describe("a card's outcome in the person's words", () => {
  it("leaves out the approval request's id and the error code, and says you and your orders", () => {
    const id = "KDVZHIEjJj94nXS10bpX28GnA89__OHGFHbKy3tM41o";
    const { description } = requestForgotten(id, {
      error: "invalid_grant",
      error_description: "Invalid or expired auth_req_id (it may have been (re)started)",
    });
    const said = personWords(description);
    expect(said).toBe(
      'The tenant no longer knows the approval request, though every poll of this thread\'s that reached it was answered "pending": it most likely restarted or dropped it, unless another copy of this thread (a copied or restored store) collected its approval. Nothing was ordered by this run; check your orders before asking again.',
    );
    expect(said).not.toContain(id);
    expect(said).not.toContain("invalid_grant");
  });

  it("keeps what a person reads as it is", () => {
    for (const text of [
      "Only 3 x XYZ phone in stock, 5 wanted; you were not asked.",
      "Denied.",
      "Ordered 2 x XYZ phone: order ord_1, total 998.00 USD.",
    ]) {
      expect(personWords(text)).toBe(text);
    }
    expect(personWords("Only 3 x XYZ phone in stock, 5 wanted; the person was not asked.")).toBe(
      "Only 3 x XYZ phone in stock, 5 wanted; you were not asked.",
    );
  });

  it("makes the verb agree with you", () => {
    for (const [text, said] of [
      ["Ask again once the person is back.", "Ask again once you are back."],
      ["The person has not answered yet.", "You have not answered yet."],
      [
        "Nothing is ordered until the person approves it.",
        "Nothing is ordered until you approve it.",
      ],
      ["If the person denies it, nothing is bought.", "If you deny it, nothing is bought."],
      ["The person was asked; the person had 5 minutes.", "You were asked; you had 5 minutes."],
      ["What the person does next is up to them.", "What you do next is up to them."],
    ] as const) {
      expect(personWords(text)).toBe(said);
    }
  });
});
