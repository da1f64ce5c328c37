import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { sourceMappedStack } from "./source-mapped-stack.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * A TypeScript file bundled as scripts/build.js bundles (ESM, linked source map, no sources
 * content), whose error is thrown from a known line.
 */
const SOURCE = `import { mapStacksOfCrashes } from ${JSON.stringify(path.join(HERE, "source-mapped-stack.ts"))};

type Order = { id: string };

export function failingStep(order: Order): never {
  throw new Error(\`order \${order.id} failed\`);
}

if (process.argv[2] === "crash") {
  mapStacksOfCrashes();
  // As pino's flush at exit does when stdout is on a full disk.
  if (process.argv[3] === "exit-listener-throws") {
    process.on("exit", () => {
      throw new Error("ENOSPC: no space left on device, write");
    });
  }
  setTimeout(() => failingStep({ id: "o-1" }), 1);
}
`;
const THROW_LINE = 6;
const THROW_COLUMN = 9;

describe("sourceMappedStack", () => {
  let dir: string;
  let source: string;
  let built: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "mapped-stack-"));
    source = path.join(dir, "step.ts");
    built = path.join(dir, "out", "step.js");
    writeFileSync(source, SOURCE);
    await build({
      entryPoints: [source],
      outfile: built,
      bundle: true,
      platform: "node",
      format: "esm",
      sourcemap: "linked",
      sourcesContent: false,
      logLevel: "warning",
    });
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("rewrites frames in a built file to the TypeScript source's line and column", () => {
    // The stack as a process without --enable-source-maps makes it (this test's own process
    // maps stacks already).
    const printed = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { failingStep } = await import(${JSON.stringify(pathToFileURL(built).href)});
         try { failingStep({ id: "o-1" }); } catch (error) { process.stdout.write(error.stack); }`,
      ],
      { encoding: "utf8" },
    );
    const stack = printed.stdout;
    expect(stack).toContain(`${pathToFileURL(built).href}:`);

    const frames = sourceMappedStack(stack).split("\n");
    expect(frames[0]).toBe("Error: order o-1 failed");
    expect(frames[1]).toBe(
      `    at failingStep (${source}:${String(THROW_LINE)}:${String(THROW_COLUMN)})`,
    );
    // The caller, from \`-e\`, has no map and is left as it was.
    expect(frames.slice(2).join("\n")).toBe(stack.split("\n").slice(2).join("\n"));
  });

  it("leaves a frame as it is when the map is missing or has no entry for it", () => {
    const stack = [
      "Error: x",
      "    at f (/nowhere/build/chunk.js:1:1)",
      "    at node:internal/process/task_queues:95:5",
      "    at /elsewhere/file.mjs:3:4",
    ].join("\n");
    expect(sourceMappedStack(stack, () => undefined)).toBe(stack);
  });

  it("prints a crash of a process started without --enable-source-maps against its sources, exit 1", () => {
    const run = spawnSync(process.execPath, [built, "crash"], { encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("Error: order o-1 failed");
    expect(run.stderr).toContain(`${source}:${String(THROW_LINE)}:${String(THROW_COLUMN)}`);
    expect(run.stderr).not.toContain(`${built}:`);
  });

  it("exits 1 with the crash's stack alone when an exit listener throws", () => {
    const run = spawnSync(process.execPath, [built, "crash", "exit-listener-throws"], {
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${source}:${String(THROW_LINE)}:${String(THROW_COLUMN)}`);
    // Node's fatal path for a throw in the handler (exit 7) printed the built line and the
    // listener's error.
    expect(run.stderr).not.toContain("ENOSPC");
    expect(run.stderr).not.toContain("throw new Error");
  });

  it("leaves Node's own mapping alone under --enable-source-maps", () => {
    const run = spawnSync(process.execPath, ["--enable-source-maps", built, "crash"], {
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    // Node's format: the source line and a caret above the mapped stack.
    expect(run.stderr).toContain("throw new Error(`order ${order.id} failed`);");
    expect(run.stderr).toContain(`${source}:${String(THROW_LINE)}:${String(THROW_COLUMN)}`);
  });
});
