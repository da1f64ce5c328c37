import { describe, expect, it } from "vitest";

import { isDatabaseUnavailable } from "./database-unavailable.js";

const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("isDatabaseUnavailable", () => {
  it.each([
    ["a refused connection", withCode("ECONNREFUSED")],
    ["a reset connection", withCode("ECONNRESET")],
    ["a timed-out connection", withCode("ETIMEDOUT")],
    [
      "localhost refused on both addresses (Node 20's AggregateError)",
      Object.assign(new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")]), {
        code: "ECONNREFUSED",
      }),
    ],
    ["an AggregateError whose parts say it", new AggregateError([withCode("EHOSTUNREACH")])],
    ["a connection exception (SQLSTATE class 08)", withCode("08006")],
    ["the server shutting down (57P01)", withCode("57P01")],
    ["the server starting up (57P03)", withCode("57P03")],
    ["too many connections (53300)", withCode("53300")],
    ["a full disk (53100)", withCode("53100")],
    ["a write on a server that is read-only now (25006)", withCode("25006")],
    ["a serialization failure (40001)", withCode("40001")],
    ["a deadlock (40P01)", withCode("40P01")],
    ["a lock not had within lock_timeout (55P03)", withCode("55P03")],
    ["a database that takes no connections now (55000)", withCode("55000")],
    ["a role that may not log in (28000)", withCode("28000")],
    ["a password no longer right (28P01)", withCode("28P01")],
    ["a database dropped (3D000)", withCode("3D000")],
    ["a privilege taken from the role (42501)", withCode("42501")],
    ["a database file gone (58P01)", withCode("58P01")],
    ["an I/O error (58030)", withCode("58030")],
    ["pg's ended connection", new Error("Connection terminated unexpectedly")],
    ["pg-pool's connect timeout", new Error("timeout exceeded when trying to connect")],
    ["one wrapped as a cause", new Error("query failed", { cause: withCode("ECONNREFUSED") })],
  ])("holds for %s", (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ["a unique violation (23505)", withCode("23505")],
    ["an undefined table (42P01)", withCode("42P01")],
    ["a check violation (23514)", withCode("23514")],
    ["a bug", new TypeError("Cannot read properties of undefined")],
    ["no error at all", undefined],
    ["a string", "ECONNREFUSED"],
    [
      "a cycle of causes",
      (() => {
        const error: Error & { cause?: unknown } = new Error("loop");
        error.cause = error;
        return error;
      })(),
    ],
  ])("does not hold for %s", (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
