import { describe, expect, it } from "vitest";

import { DEBIAN_CHROMIUMS, chromiumPath } from "../scripts/stack/browser.js";

const [HEADLESS_SHELL, FULL_BROWSER] = DEBIAN_CHROMIUMS;

/** A file system on which exactly `files` exist. */
const only =
  (...files: string[]) =>
  (file: string) =>
    files.includes(file);

describe("the Chromium the browser tests drive", () => {
  it("is Debian's headless shell when it is installed, with or without the full browser", () => {
    expect(chromiumPath({}, only(HEADLESS_SHELL, FULL_BROWSER))).toBe(
      "/usr/bin/chromium-headless-shell",
    );
    expect(chromiumPath({}, only(HEADLESS_SHELL))).toBe("/usr/bin/chromium-headless-shell");
  });

  it("is Debian's full browser where only it is installed", () => {
    expect(chromiumPath({}, only(FULL_BROWSER))).toBe("/usr/bin/chromium");
  });

  it("is CHROMIUM_PATH when set, whatever is installed, and no Chromium when nothing is", () => {
    const env = { CHROMIUM_PATH: "/opt/chrome/chrome" };
    expect(chromiumPath(env, only(HEADLESS_SHELL, FULL_BROWSER))).toBe("/opt/chrome/chrome");
    expect(chromiumPath({ CHROMIUM_PATH: "" }, only(FULL_BROWSER))).toBe("/usr/bin/chromium");
    expect(chromiumPath({}, only())).toBeUndefined();
  });
});
