import { describe, expect, it } from "vitest";

import { canonicalManifest } from "./reused-npm-install.js";

describe("canonicalManifest", () => {
  it("puts the dependency maps in name order and leaves every other order as it was", () => {
    const manifest = (dependencies: object, exports: object) =>
      JSON.stringify({ name: "p", exports, dependencies });
    const imports = { import: "./a.js", require: "./a.cjs" };
    const requires = { require: "./a.cjs", import: "./a.js" };
    expect(canonicalManifest(manifest({ b: "1", a: "2" }, imports))).toBe(
      canonicalManifest(manifest({ a: "2", b: "1" }, imports)),
    );
    // Node takes the first condition of `exports` that matches: its order is meaning.
    expect(canonicalManifest(manifest({}, imports))).not.toBe(
      canonicalManifest(manifest({}, requires)),
    );
  });
});
