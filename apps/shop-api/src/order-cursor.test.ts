import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { MAX_CURSOR_LENGTH, decodeOrderCursor, encodeOrderCursor } from "./order-cursor.js";

const ALICE = "auth0|alice";
const ORDER = "3f6c2f4e-2c1b-4a8e-9a55-0d8f7f5d1c2a";

describe("order cursors", () => {
  it("give back the order they name, for the owner they were made for", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (owner, id) => {
        expect(decodeOrderCursor(owner, encodeOrderCursor(owner, id))).toEqual({
          ok: true,
          orderId: id,
        });
      }),
    );
  });

  it("are base64url, and say nothing a reader can take for a row number or a count", () => {
    const cursor = encodeOrderCursor(ALICE, ORDER);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor.length).toBeLessThan(80);
    expect(encodeURIComponent(cursor)).toBe(cursor);
  });

  it("refuse a cursor made for another person's orders", () => {
    const bobs = encodeOrderCursor("auth0|bob", ORDER);
    expect(decodeOrderCursor(ALICE, bobs)).toEqual({ ok: false, problem: "not-this-owner" });
    // The owner and the id are kept apart: "a|b" + "c" is not "a" + "|bc".
    expect(decodeOrderCursor("a", encodeOrderCursor("a|b", "c"))).toEqual({
      ok: false,
      problem: "not-this-owner",
    });
  });

  it("refuse every cursor with one character changed, to base64url's or standard base64's", () => {
    const cursor = encodeOrderCursor(ALICE, ORDER);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= %.";
    for (let at = 0; at < cursor.length; at++) {
      for (const replacement of alphabet) {
        if (replacement === cursor[at]) continue;
        const changed = cursor.slice(0, at) + replacement + cursor.slice(at + 1);
        expect(decodeOrderCursor(ALICE, changed).ok, changed).toBe(false);
      }
    }
  });

  it("refuse a cursor cut short or lengthened", () => {
    const cursor = encodeOrderCursor(ALICE, ORDER);
    for (let length = 0; length < cursor.length; length++) {
      expect(decodeOrderCursor(ALICE, cursor.slice(0, length)).ok).toBe(false);
    }
    expect(decodeOrderCursor(ALICE, `${cursor}A`).ok).toBe(false);
    expect(decodeOrderCursor(ALICE, `${cursor}AAAA`).ok).toBe(false);
  });

  it.each([
    ["empty", ""],
    ["a plain order id", ORDER],
    ["padded", `${encodeOrderCursor(ALICE, ORDER)}=`],
    ["a number", "50"],
    ["too long", "A".repeat(MAX_CURSOR_LENGTH + 1)],
    ["another version", Buffer.from([2, ...Array<number>(12).fill(0), 65]).toString("base64url")],
    ["no order id", Buffer.from([1, ...Array<number>(12).fill(0)]).toString("base64url")],
    [
      "bytes that are not UTF-8",
      Buffer.from([1, ...Array<number>(12).fill(0), 0xff]).toString("base64url"),
    ],
  ])("call %s malformed", (_name, cursor) => {
    expect(decodeOrderCursor(ALICE, cursor)).toEqual({ ok: false, problem: "malformed" });
  });
});
