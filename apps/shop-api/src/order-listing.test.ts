import { OAuthError } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { encodeOrderCursor } from "./order-cursor.js";
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, readPageQuery } from "./order-listing.js";

const ALICE = "auth0|alice";

/** What `readPageQuery` throws for `query`, as status, code and description. */
function refusal(query: Record<string, unknown>, others: string[] = []) {
  try {
    readPageQuery(query, ALICE, others);
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return { status: error.status, error: error.code, description: error.description };
  }
  throw new Error(`readPageQuery took ${JSON.stringify(query)}`);
}

describe("readPageQuery", () => {
  it("asks for the first page of 50 when given nothing", () => {
    expect(DEFAULT_PAGE_LIMIT).toBe(50);
    expect(readPageQuery({}, ALICE)).toEqual({ limit: 50 });
  });

  it.each([
    ["1", 1],
    ["7", 7],
    ["100", MAX_PAGE_LIMIT],
  ])("takes limit=%s", (limit, expected) => {
    expect(readPageQuery({ limit }, ALICE)).toEqual({ limit: expected });
  });

  it("takes a cursor the owner's listing gave, as the order it names", () => {
    const after = encodeOrderCursor(ALICE, "ord-0002");
    expect(readPageQuery({ limit: "2", after }, ALICE)).toEqual({ limit: 2, after: "ord-0002" });
  });

  it.each([
    "0",
    "101",
    "abc",
    "",
    "-1",
    "1.5",
    "1e2",
    " 5",
    "5 ",
    "+5",
    "0x10",
    "1000",
    "99999999999999999999",
  ])("refuses limit=%j, saying what it takes", (limit) => {
    expect(refusal({ limit })).toEqual({
      status: 400,
      error: "invalid_request",
      description: `limit must be a whole number from 1 to 100 (orders per page; 50 when left out), not ${JSON.stringify(limit)}`,
    });
  });

  it("quotes a long limit cut short", () => {
    expect(refusal({ limit: "9".repeat(500) }).description).toMatch(/, not "9{40}\.\.\."$/);
  });

  it.each([
    ["limit", { limit: ["5", "5"] }],
    ["limit", { limit: ["5", "500"] }],
    ["after", { after: ["x", "y"] }],
    // node:querystring gives an array; a parser that nests gives an object.
    ["limit", { limit: { a: "1" } }],
  ])("refuses %s given twice", (name, query) => {
    expect(refusal(query)).toMatchObject({
      status: 400,
      error: "invalid_request",
      description: expect.stringMatching(new RegExp(`^Give ${name} once; this request had \\d`)),
    });
  });

  it("refuses a parameter it does not take, naming those it does", () => {
    expect(refusal({ offset: "50" })).toEqual({
      status: 400,
      error: "invalid_request",
      description:
        'Unknown query parameter "offset": this listing takes limit (1 to 100, default 50) and ' +
        "after (the next_cursor of the page before)",
    });
    expect(refusal({ page: "2", cursor: "x" }, ["user"]).description).toBe(
      'Unknown query parameter "page", "cursor": this listing takes user, limit (1 to 100, ' +
        "default 50) and after (the next_cursor of the page before)",
    );
    expect(readPageQuery({ user: ALICE, limit: "3" }, ALICE, ["user"])).toEqual({ limit: 3 });
  });

  it("refuses an empty after", () => {
    expect(refusal({ after: "" }).description).toBe(
      "after is empty: pass the next_cursor of the page before as it was, or leave after out " +
        "to start from the first page",
    );
  });

  it.each(["ord-0002", "not a cursor", "%%%", "A".repeat(1000)])(
    "refuses after=%s, which no listing gave",
    (after) => {
      expect(refusal({ after })).toMatchObject({
        status: 400,
        error: "invalid_request",
        description: expect.stringMatching(
          /^after is not a cursor this listing gave \(".*"\): pass the next_cursor of the page before as it was, or leave after out to start from the first page$/,
        ),
      });
    },
  );

  it("refuses a cursor of another person's listing, or one changed on the way", () => {
    const description =
      "after is a cursor changed on the way, or given for another person's orders: pass the " +
      "next_cursor of this listing's page before as it was, or leave after out to start from " +
      "the first page";
    expect(refusal({ after: encodeOrderCursor("auth0|bob", "ord-0002") }).description).toBe(
      description,
    );
    const cursor = encodeOrderCursor(ALICE, "ord-0002");
    const changed = `${cursor.slice(0, 3)}${cursor[3] === "A" ? "B" : "A"}${cursor.slice(4)}`;
    expect(refusal({ after: changed }).description).toBe(description);
  });
});
