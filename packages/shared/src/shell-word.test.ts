import { spawnSync } from "node:child_process";

import { describe, expect, it } from "vitest";

import { shellWord } from "./shell-word.js";

/** What `sh` makes of the word: the value it assigns, printed back. */
function readBySh(word: string): string {
  const run = spawnSync("sh", ["-c", `value=${word}; printf %s "$value"`], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  return run.stdout;
}

describe("shellWord", () => {
  it("leaves a plain path bare", () => {
    expect(shellWord("/repo/.certs/ca.pem")).toBe("/repo/.certs/ca.pem");
  });

  it.each([
    "/home/ci/my work/.certs/ca.pem",
    "it's here",
    '$HOME `id` \\ "x" *',
    "",
    "auth0|testbed-user",
  ])("quotes %j so that sh reads it back as it was", (value) => {
    expect(readBySh(shellWord(value))).toBe(value);
  });
});
