import { describe, expect, it } from "vitest";

import { authorizationDetailsTextProblem } from "./authorization-details-text.js";

describe("authorizationDetailsTextProblem", () => {
  it("keeps text in any script, emoji (a surrogate pair) and numbers", () => {
    expect(
      authorizationDetailsTextProblem([
        {
          type: "product_purchase",
          product: "Caf\u00e9 \u0442\u0435\u043b\u0435\u0444\u043e\u043d \u{1f4f1}",
          quantity: 2,
          tags: ["\u05e9\u05dc\u05d5\u05dd", null, true],
          // Bidirectional controls: kept as sent, and shown escaped on the approver page.
          seller: ["\u202eenohp", "a\u2067b"],
        },
      ]),
    ).toBeUndefined();
  });

  it.each([
    ["XYZ \ud800 phone", "authorization_details[0].product holds a lone surrogate (U+D800)"],
    ["XYZ phone \udc00", "authorization_details[0].product holds a lone surrogate (U+DC00)"],
    ["a\u0000b", "authorization_details[0].product holds the control character U+0000"],
    ["a\nb", "authorization_details[0].product holds the control character U+000A"],
  ])("names where %j is", (product, says) => {
    expect(authorizationDetailsTextProblem([{ type: "t", product }])).toMatch(
      new RegExp(`^${says.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
    );
  });

  it("looks into nested objects and arrays", () => {
    expect(
      authorizationDetailsTextProblem([{ type: "t" }, { type: "t", a: { b: ["ok", "\u0000"] } }]),
    ).toMatch(/^authorization_details\[1\]\.a\.b\[1\] holds the control character U\+0000/);
  });
});
