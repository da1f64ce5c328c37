import { bindingMessageProblems } from "@ciba-testbed/shared";
import type { AuthorizationDetail } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import fresh2 from "./message-mismatch.fresh-2.json" with { type: "json" };
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

type Counts = Record<"right" | "honestFlagged" | "misleadingPassed", number>;

/**
 * Each file, with how the check reads it. message-mismatch.fresh.json was written before the
 * check's fixes of December 2026 (it read 82 right, flagged 39 honest ones and passed 14
 * misleading ones then); message-mismatch.fresh-2.json after them, to try their rules.
 */
const sets: [file: string, rows: Row[], counts: Counts, least: number][] = [
  [
    "message-mismatch.fresh.json",
    fresh as Row[],
    { right: 123, honestFlagged: 12, misleadingPassed: 0 },
    100,
  ],
  [
    "message-mismatch.fresh-2.json",
    fresh2 as Row[],
    { right: 34, honestFlagged: 3, misleadingPassed: 0 },
    30,
  ],
];

/** How the check reads a row: right, an honest message flagged, or a misleading one passed. */
function reading({ message, details, truth }: Row): keyof Counts {
  const flagged = messageMismatch(message, details) !== undefined;
  if (flagged === (truth === "misleads")) return "right";
  return flagged ? "honestFlagged" : "misleadingPassed";
}

describe.each(sets)(
  "messageMismatch on %s, phrasings no rule was written for",
  (_file, rows, counts, least) => {
    it(`holds at least ${least} messages Auth0 accepts, each with its request once`, () => {
      expect(rows.length).toBeGreaterThanOrEqual(least);
      for (const { message } of rows) expect(bindingMessageProblems(message), message).toEqual([]);
      const keys = rows.map(({ message, details }) => JSON.stringify([message, details]));
      expect(new Set(keys).size).toBe(rows.length);
    });

    it(`reads ${counts.right} right, flags ${counts.honestFlagged} honest ones and passes ${counts.misleadingPassed} misleading ones`, () => {
      const found: Counts = { right: 0, honestFlagged: 0, misleadingPassed: 0 };
      for (const row of rows) found[reading(row)]++;
      expect(found).toEqual(counts);
    });

    it.each(rows)("$message | $details.0.product $truth", (row) => {
      // A row the check reads wrong says why; once it reads it right, drop the reason.
      expect(reading(row) === "right", row.misread).toBe(row.misread === undefined);
    });
  },
);
