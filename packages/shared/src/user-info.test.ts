import { describe, expect, it } from "vitest";

import { withoutUserInfo } from "./user-info.js";

const SPECIALS = ["/", "?", "#", "@", ";", "{", "}", "=", "%", ":", " "];

describe("withoutUserInfo", () => {
  it.each([
    ["https://u:SECRET@host/p?q=1", "https://[x]@host/p?q=1"],
    ["https://u:SE/C@R;E{T}=%@host:1/p", "https://[x]@host:1/p"],
    ["//u:SE/CRET@host/p", "//[x]@host/p"],
    ["jdbc:postgresql://u:SE/CRET@db/shop", "jdbc:postgresql://[x]@db/shop"],
    ["https://u:SE?CRET@host/p", "https://[x]"],
    ["https://u:SE#CRET@host/p", "https://[x]"],
    ["https://host/p?to=a@b", "https://[x]"],
  ])("shows %s as %s", (target, shown) => {
    expect(withoutUserInfo(target, "[x]")).toBe(shown);
  });

  it.each([["/api/products?to=a@b"], ["https://host/p?q=1"], ["/u@v"]])(
    "returns %s as sent",
    (target) => {
      expect(withoutUserInfo(target, "[x]")).toBe(target);
    },
  );

  it("hides every password that holds any of / ? # @ ; { } = % : and spaces, in any place", () => {
    for (const a of SPECIALS) {
      for (const b of SPECIALS) {
        for (const password of [`SE${a}CR${b}ET`, `${a}SECRET${b}`, `${a}${b}SECRET`]) {
          for (const target of [
            `https://u:${password}@localhost:5260/jwks.json`,
            `//${password}@localhost:5260/x?y=1`,
            `http://u:${password}@127.0.0.1:5260/api/products#f`,
          ]) {
            expect(withoutUserInfo(target, "[x]")).not.toMatch(/S|E|C|R|T/);
          }
        }
      }
    }
  });
});
