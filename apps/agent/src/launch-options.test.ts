import { describe, expect, it } from "vitest";

import { launchOptions } from "./launch-options.js";

const CLI = "/repo/build/agent-cli.cjs";
const SHORT_LIVED =
  "--liftoff-only --no-opt --no-sparkplug --semi-space-growth-factor=1 --no-regexp-optimization";

describe("launchOptions", () => {
  it("runs a request or a resume with the short-lived flags and the CLI's own cache", () => {
    for (const args of [["Buy 2 XYZ phones"], ["resume", "thr_1", "--json"], ["--", "Buy it"]]) {
      for (const env of [{}, { AGENT_STORE: "/var/agent" }, { AGENT_STORE: "" }]) {
        expect(launchOptions(args, CLI, env)).toEqual({
          read: [`${CLI}.cache`],
          v8Flags: SHORT_LIVED,
        });
      }
    }
  });

  it("gives a run with a Redis store a cache of its own, which a run without one never reads", () => {
    for (const store of ["redis://127.0.0.1:6379/0", " rediss://agent:pw@cache:6380 "]) {
      for (const args of [["Buy 2 XYZ phones"], ["resume", "thr_1", "--mode", "interrupt"]]) {
        expect(launchOptions(args, CLI, { AGENT_STORE: store })).toEqual({
          read: [`${CLI}.redis.cache`],
          v8Flags: SHORT_LIVED,
        });
      }
    }
    // Usage and the web app keep theirs whatever the store.
    expect(launchOptions(["--help"], CLI, { AGENT_STORE: "redis://h" })).toEqual({
      read: [`${CLI}.usage.cache`],
    });
    expect(launchOptions(["serve"], CLI, { AGENT_STORE: "redis://h" })).toEqual({
      read: [`${CLI}.serve.cache`],
    });
  });

  it("prints usage with Node's flags and a cache of its own", () => {
    for (const args of [[], ["--help"], ["resume", "-h"]]) {
      expect(launchOptions(args, CLI, {})).toEqual({ read: [`${CLI}.usage.cache`] });
    }
  });

  it("runs the web app, a server, with Node's flags and a cache of its own", () => {
    for (const args of [["serve"], ["--", "serve"]]) {
      expect(launchOptions(args, CLI, {})).toEqual({ read: [`${CLI}.serve.cache`] });
    }
    // A request that mentions serving is a request.
    expect(launchOptions(["Buy a serving tray"], CLI, {})).toHaveProperty("v8Flags");
  });
});
