import path from "node:path";

import { describe, expect, it } from "vitest";

import { resolveFromInvocation } from "./invocation-dir.js";

describe("resolveFromInvocation", () => {
  it("resolves against INIT_CWD (where pnpm was run), else the working directory", () => {
    expect(resolveFromInvocation("my.json", { INIT_CWD: "/home/me/work" })).toBe(
      "/home/me/work/my.json",
    );
    expect(resolveFromInvocation("my.json", { INIT_CWD: "" })).toBe(path.resolve("my.json"));
    expect(resolveFromInvocation("/abs/t.json", { INIT_CWD: "/x" })).toBe("/abs/t.json");
  });
});
