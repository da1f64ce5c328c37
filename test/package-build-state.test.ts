import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { PackageBuildState, contentHash, filesUnder } from "../scripts/package/build-state.js";

// `pnpm pack` builds a package's dist/ only when its inputs, its options or its outputs changed
// since the last build (scripts/package/build.ts); the record lives in node_modules/.cache.
describe("PackageBuildState", () => {
  let dir: string;
  let input: string;
  let dist: string;
  const recordFile = () => path.join(dir, "build", "package-builds", "pkg.json");

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "package-build-state-"));
    input = path.join(dir, "src.ts");
    dist = path.join(dir, "dist");
    writeFileSync(input, "export const a = 1;\n");
    mkdirSync(path.join(dist, "nested"), { recursive: true });
    writeFileSync(path.join(dist, "index.js"), "a");
    writeFileSync(path.join(dist, "nested", "notice.txt"), "b");
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function built(options = "{}") {
    const state = new PackageBuildState(recordFile(), options);
    state.record([input, path.join(dir, "missing.ts")], dist);
    return state;
  }

  it("lists the files under a folder, or the file itself", () => {
    expect(filesUnder(dist).sort()).toEqual(
      [path.join(dist, "index.js"), path.join(dist, "nested", "notice.txt")].sort(),
    );
    expect(filesUnder(input)).toEqual([input]);
    expect(filesUnder(path.join(dir, "nowhere"))).toEqual([]);
  });

  it("is current after a build, with nothing changed", () => {
    expect(new PackageBuildState(recordFile(), "{}").isCurrent()).toBe(false);
    expect(built().isCurrent()).toBe(true);
  });

  it("builds again when an input changed", () => {
    const state = built();
    utimesSync(input, new Date(), new Date(Date.now() + 5_000));
    expect(state.isCurrent()).toBe(false);
  });

  it("builds again when an output was changed or removed", () => {
    const state = built();
    writeFileSync(path.join(dist, "index.js"), "changed");
    expect(state.isCurrent()).toBe(false);
    built();
    rmSync(path.join(dist, "nested"), { recursive: true });
    expect(state.isCurrent()).toBe(false);
  });

  it("builds again with other options, or when the record is gone or damaged", () => {
    built('{"library":false}');
    expect(new PackageBuildState(recordFile(), '{"library":true}').isCurrent()).toBe(false);
    writeFileSync(recordFile(), "{ not json");
    expect(new PackageBuildState(recordFile(), '{"library":false}').isCurrent()).toBe(false);
  });

  // What the options name by content: the build's own code and the lockfile.
  it("hashes files by name and content, in any order, a missing one as empty", () => {
    const other = path.join(dir, "other.ts");
    writeFileSync(other, "export const b = 2;\n");
    const missing = path.join(dir, "missing.ts");
    const hash = contentHash([input, other]);
    expect(contentHash([other, input])).toBe(hash);
    // Touched without a change: the same hash, where a size-and-mtime record would differ.
    utimesSync(input, new Date(), new Date(Date.now() + 5_000));
    expect(contentHash([input, other])).toBe(hash);
    writeFileSync(input, "export const a = 3;\n");
    expect(contentHash([input, other])).not.toBe(hash);
    const absent = contentHash([missing]);
    expect(absent).not.toBe(contentHash([other]));
    writeFileSync(missing, "");
    expect(contentHash([missing])).toBe(absent);
  });
});
