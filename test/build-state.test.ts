import { readFile } from "node:fs/promises";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { describe, expect, it } from "vitest";

import { BUILD_DIR, inputsAsRead, isBuildCurrent } from "../scripts/build.js";

// `build/state.json` records each source as the build saw it just before reading it: a source
// saved while the build runs must make the next check build again, never pass for built.
describe("the build's record of its sources", () => {
  const file = (name: string) => path.join(REPO_ROOT, "apps/agent/src", name);
  type Print = [number, number];

  it("records a source as the builds that read it saw it", () => {
    const seen: Print = [120, 1_764_800_000_123.456];
    const reads = [new Map([[file("a.ts"), seen]]), new Map([[file("a.ts"), seen]])];
    expect(inputsAsRead([file("a.ts")], reads)).toEqual({ "apps/agent/src/a.ts": seen });
  });

  it("records a source saved between two builds' reads, or read unseen, as never current", () => {
    const reads = [
      new Map<string, Print>([[file("a.ts"), [120, 1_000]]]),
      new Map<string, Print>([[file("a.ts"), [121, 2_000]]]),
    ];
    expect(inputsAsRead([file("a.ts"), file("b.ts")], reads)).toEqual({
      "apps/agent/src/a.ts": [-1, -1],
      "apps/agent/src/b.ts": [-1, -1],
    });
  });

  it("saw every source of today's build as it read it, JavaScript and TypeScript alike", async () => {
    const state = JSON.parse(await readFile(path.join(BUILD_DIR, "state.json"), "utf8")) as {
      inputs: Record<string, Print>;
    };
    const sources = Object.keys(state.inputs);
    expect(sources).toEqual(expect.arrayContaining(["scripts/build.js", "pnpm-lock.yaml"]));
    expect(sources.filter((source) => state.inputs[source]![0] < 0)).toEqual([]);
    expect(await isBuildCurrent()).toBe(true);
  });
});
