import { readFileSync } from "node:fs";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { describe, expect, it } from "vitest";

/**
 * The GitHub workflow's steps, each as its lines: a step starts at a `- ` of the list under
 * `steps:`, and its lines follow, indented further.
 */
function workflowSteps(): string[][] {
  const text = readFileSync(path.join(REPO_ROOT, ".github/workflows/ci.yml"), "utf8");
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.trim() === "steps:");
  const steps: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\s*- /.test(line) && line.indexOf("-") === 6) steps.push([line]);
    else steps.at(-1)?.push(line);
  }
  return steps;
}

const indexOf = (steps: string[][], line: string) =>
  steps.findIndex((step) => step.some((text) => text.trim() === line));

describe("the GitHub workflow", () => {
  // A job that starts with none of them checks and lints every file, runs Prettier on every
  // file, transforms every test module, installs the packed packages with npm and starts the
  // test files in no known order: about a minute of CPU more than one that finds them.
  it("restores the caches the suite's tools keep, after pnpm install and before pnpm test, from the latest job", () => {
    const steps = workflowSteps();
    const cache = indexOf(steps, "- uses: actions/cache@v4");
    expect(cache).toBeGreaterThan(indexOf(steps, "- run: pnpm install --frozen-lockfile"));
    expect(cache).toBeLessThan(indexOf(steps, "- run: pnpm test"));
    const step = steps[cache]!.map((line) => line.trim());
    expect(step).toEqual(
      expect.arrayContaining([
        // pnpm check's (scripts/check.js), Prettier's, the packed install's (testkit-pack.e2e).
        "node_modules/.cache",
        // vitest.config.ts: `experimental.fsModuleCache`.
        "node_modules/.experimental-vitest-cache",
        // Each file's last duration: Vitest starts the longest first.
        "node_modules/.vite/vitest",
      ]),
    );
    // Saved under a key of its own each run, restored from the newest that starts alike.
    const key = step.find((line) => line.startsWith("key: "))?.slice(5) ?? "";
    const restore = step.find((line) => line.startsWith("restore-keys: "))?.slice(14) ?? "";
    expect(restore).not.toBe("");
    expect(key.startsWith(restore)).toBe(true);
    expect(key).toContain("${{ github.run_id }}");
  });
});
