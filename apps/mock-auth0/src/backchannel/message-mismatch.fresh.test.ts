import { bindingMessageProblems } from "@ciba-testbed/shared";
import type { AuthorizationDetail } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import fresh from "./message-mismatch.fresh.json" with { type: "json" };
import { messageMismatch } from "./message-mismatch.js";

/**
 * A binding message and the details it is sent with, written before the check ran on it: whether
 * a person reading it learns what the token buys (`honest`: the products, their counts and any
 * limit it states) or is shown less or other (`misleads`), and, where the check reads it wrong,
 * why.
 */
interface Row {
  message: string;
  details: AuthorizationDetail[];
  truth: "honest" | "misleads";
  misread?: string;
}

const rows = fresh as Row[];

/** How the check reads a row: right, an honest message flagged, or a misleading one passed. */
function reading({ message, details, truth }: Row): "right" | "honestFlagged" | "misleadingPassed" {
  const flagged = messageMismatch(message, details) !== undefined;
  if (flagged === (truth === "misleads")) return "right";
  return flagged ? "honestFlagged" : "misleadingPassed";
}

describe("messageMismatch on message-mismatch.fresh.json, phrasings no rule was written for", () => {
  it("holds at least 100 messages Auth0 accepts, each with its request once", () => {
    expect(rows.length).toBeGreaterThanOrEqual(100);
    for (const { message } of rows) expect(bindingMessageProblems(message), message).toEqual([]);
    const keys = rows.map(({ message, details }) => JSON.stringify([message, details]));
    expect(new Set(keys).size).toBe(rows.length);
  });

  it("reads 123 right, flags 12 honest ones and passes no misleading one", () => {
    const counts = { right: 0, honestFlagged: 0, misleadingPassed: 0 };
    for (const row of rows) counts[reading(row)]++;
    expect(counts).toEqual({ right: 123, honestFlagged: 12, misleadingPassed: 0 });
  });

  it.each(rows)("$message | $details.0.product $truth", (row) => {
    // A row the check reads wrong says why; once it reads it right, drop the reason.
    expect(reading(row) === "right", row.misread).toBe(row.misread === undefined);
  });
});
