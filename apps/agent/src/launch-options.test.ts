import { describe, expect, it } from "vitest";

import { launchOptions } from "./launch-options.js";

const CLI = "/repo/build/agent-cli.cjs";

describe("launchOptions", () => {
  it("runs a request or a resume with the short-lived flags and the CLI's own cache", () => {
    for (const args of [["Buy 2 XYZ phones"], ["resume", "thr_1", "--json"], ["--", "Buy it"]]) {
      expect(launchOptions(args, CLI)).toEqual({
        read: [`${CLI}.cache`],
        v8Flags: "--liftoff-only --no-opt --semi-space-growth-factor=1",
      });
    }
  });

  it("prints usage with Node's flags and a cache of its own", () => {
    for (const args of [[], ["--help"], ["resume", "-h"]]) {
      expect(launchOptions(args, CLI)).toEqual({ read: [`${CLI}.usage.cache`] });
    }
  });

  it("runs the web app, a server, with Node's flags and a cache of its own", () => {
    for (const args of [["serve"], ["--", "serve"]]) {
      expect(launchOptions(args, CLI)).toEqual({ read: [`${CLI}.serve.cache`] });
    }
    // A request that mentions serving is a request.
    expect(launchOptions(["Buy a serving tray"], CLI)).toHaveProperty("v8Flags");
  });
});
