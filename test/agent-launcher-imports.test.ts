import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

describe("build/agent.cjs's launcher", () => {
  // It runs at every start of the agent, before the CLI's bundle and its code cache: what it
  // imports is loaded and run in full each time. Through redis-url.ts it took in the shared
  // package's entry, zod and every schema built when that loads (93 kB against 8 kB).
  it("takes in no package and not the shared package's entry: only what choosing a code cache needs", async () => {
    const result = await build({
      entryPoints: [path.join(REPO_ROOT, "apps/agent/src/launch.ts")],
      absWorkingDir: REPO_ROOT,
      bundle: true,
      platform: "node",
      format: "cjs",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain("apps/agent/src/launch-options.ts");
    expect(inputs.filter((input) => input.includes("node_modules"))).toEqual([]);
    expect(inputs).not.toContain("packages/shared/src/index.ts");
  });
});
