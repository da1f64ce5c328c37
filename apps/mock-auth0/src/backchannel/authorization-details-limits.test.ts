import { describe, expect, it } from "vitest";

import {
  authorizationDetailsLimitProblem,
  authorizationDetailsSizeProblem,
} from "./authorization-details-limits.js";

const entry = (extra: Record<string, unknown> = {}) => ({ type: "product_purchase", ...extra });
const properties = (n: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, i]));
/** An entry with objects nested `levels` deep in all (the entry is level 1). */
const nested = (levels: number): Record<string, unknown> => {
  let inner: Record<string, unknown> = { leaf: true };
  for (let level = levels; level > 2; level -= 1) inner = { down: inner };
  return levels === 1 ? entry() : entry({ down: inner });
};

describe("Auth0's limits on authorization_details", () => {
  it("keeps what stays within every limit, at each limit exactly", () => {
    expect(
      authorizationDetailsLimitProblem([
        entry(properties(9)),
        entry({ ["n".repeat(255)]: "v".repeat(255), "a.b_c-D9": [1, "two", { three: 3 }] }),
        nested(5),
        entry({ a: { b: { c: { items: [{ d: 1 }] } } } }),
        entry(),
      ]),
    ).toBeUndefined();
    expect(authorizationDetailsSizeProblem("x".repeat(5 * 1024))).toBeUndefined();
  });

  it.each([
    [
      "six entries",
      Array.from({ length: 6 }, () => entry()),
      "authorization_details may have at most 5 entries; got 6",
    ],
    [
      "eleven properties in an entry",
      [entry(properties(10))],
      "authorization_details objects may have at most 10 properties; authorization_details[0] has 11",
    ],
    [
      "eleven properties in a nested object",
      [entry({ amount: properties(11) })],
      "authorization_details objects may have at most 10 properties; authorization_details[0].amount has 11",
    ],
    [
      "a property name with a space",
      [entry({ "max amount": 5 })],
      'authorization_details property names may only contain A-Z, a-z, 0-9, _, . and -; authorization_details[0]["max amount"] does not',
    ],
    [
      "a property name of 256 characters",
      [entry({ ["n".repeat(256)]: 1 })],
      "authorization_details property names may be at most 255 characters; one in authorization_details[0] has 256",
    ],
    [
      "a value of 256 characters",
      [entry({ note: "é".repeat(256) })],
      "authorization_details values may be at most 255 characters; authorization_details[0].note has 256",
    ],
    [
      "a long value in an array",
      [entry({ notes: ["ok", "v".repeat(300)] })],
      "authorization_details values may be at most 255 characters; authorization_details[0].notes[1] has 300",
    ],
    [
      "objects six levels deep",
      [nested(6)],
      "authorization_details may nest objects at most 5 levels deep (an entry is the first); authorization_details[0].down.down.down.down.down is level 6",
    ],
    [
      "an object in an array at level 6",
      [entry({ a: { b: { c: { d: { items: [{ e: 1 }] } } } } })],
      "authorization_details may nest objects at most 5 levels deep (an entry is the first); authorization_details[0].a.b.c.d.items[0] is level 6",
    ],
  ])("refuses %s, naming the limit", (_name, details, problem) => {
    expect(authorizationDetailsLimitProblem(details)).toBe(problem);
  });

  it("measures 5 KB in UTF-8 bytes of the parameter", () => {
    expect(authorizationDetailsSizeProblem("é".repeat(2561))).toBe(
      "authorization_details may be at most 5 KB (5120 bytes of JSON); got 5122 bytes",
    );
  });
});
