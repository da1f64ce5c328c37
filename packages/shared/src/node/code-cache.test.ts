import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import Module from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { build, type BuildOptions } from "esbuild";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { CodeCacheOptions, CodeCacheRun } from "./code-cache.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Started as `node runner.mjs <file> <args>`: runs `<file>` with the options in CC_OPTIONS. */
const RUNNER = `import { runWithCodeCache } from ${JSON.stringify(path.join(HERE, "code-cache.ts"))};
const run = runWithCodeCache(process.argv[2], JSON.parse(process.env.CC_OPTIONS ?? "{}"));
process.stderr.write(\`code-cache \${JSON.stringify({ ...run, exports: Object.keys(run.exports) })}\\n\`);
`;

/** A CommonJS one-file bundle, as scripts/build.js makes the agent CLI's. */
const APP = `import path from "node:path";
import { getHeapCodeStatistics } from "node:v8";
import { mapStacksOfCrashes } from ${JSON.stringify(path.join(HERE, "source-mapped-stack.ts"))};
import { recordCodePath } from ${JSON.stringify(path.join(HERE, "code-path.ts"))};
export function failingStep(id: string): never {
  throw new Error(\`step \${id} failed\`);
}

// Which Node modules were loaded before this file ran (see v8Flags).
const loaded = (process as unknown as { moduleLoadList: string[] }).moduleLoadList;
const loadedAtStart = {
  zlib: loaded.includes("NativeModule zlib"),
  fetch: loaded.includes("NativeModule internal/deps/undici/undici"),
};

if (process.argv.includes("modules")) {
  // What a run that uses them loads: zlib, and fetch with its classes.
  const zlib = require("node:zlib") as typeof import("node:zlib");
  const body = new Response(zlib.gzipSync("x"));
  void body.arrayBuffer().then(() => {
    process.stdout.write(JSON.stringify(loadedAtStart));
  });
} else if (process.argv.includes("loaded")) {
  process.stdout.write(JSON.stringify(loadedAtStart));
} else if (process.argv.includes("path")) {
  // One of two paths through the file, each with code of its own; how much code V8 compiled
  // to run it (none when the cache held it).
  const name = process.argv[process.argv.indexOf("path") + 1];
  const before = getHeapCodeStatistics().bytecode_and_metadata_size;
  const result = name === "a" ? pathA(7) : pathB(7);
  const compiled = getHeapCodeStatistics().bytecode_and_metadata_size - before;
  recordCodePath("path " + String(name));
  process.stdout.write(JSON.stringify({ result, compiled }));
  // "hold": the process ends only when its stdin does, after a run started later.
  if (process.argv.includes("hold")) process.stdin.resume();
} else if (process.argv.includes("crash")) {
  mapStacksOfCrashes();
  setTimeout(() => failingStep("s-1"), 1);
} else {
  void import("node:os").then((os) => {
    process.stdout.write(JSON.stringify({ file: path.basename(__filename), eol: os.EOL === "\\n" }));
  });
}

function pathA(n: number): number {
  const step = (x: number) => (x % 2 === 0 ? x / 2 : 3 * x + 1);
  let steps = 0;
  for (let x = n; x !== 1; x = step(x)) steps++;
  return steps;
}

function pathB(n: number): number {
  const fib = (k: number): number => (k < 2 ? k : fib(k - 1) + fib(k - 2));
  let sum = 0;
  for (let k = 0; k <= n; k++) sum += fib(k);
  return sum;
}
`;
const THROW_LINE = 6;
const THROW_COLUMN = 9;

describe("runWithCodeCache", () => {
  let dir: string;
  let source: string;
  let runner: string;
  let app: string;
  /** The same bundle written as the function Node makes of it, as scripts/build.js writes. */
  let wrapped: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "code-cache-"));
    source = path.join(dir, "app.ts");
    writeFileSync(source, APP);
    writeFileSync(path.join(dir, "runner.ts"), RUNNER);
    runner = path.join(dir, "out", "runner.mjs");
    app = path.join(dir, "out", "app.cjs");
    wrapped = path.join(dir, "out", "wrapped.cjs");
    const appOptions: BuildOptions = {
      entryPoints: [source],
      bundle: true,
      platform: "node",
      format: "cjs",
      // As scripts/build.js builds the agent CLI: no import() (see runWithCodeCache).
      supported: { "dynamic-import": false },
      sourcemap: "linked",
      sourcesContent: false,
      logLevel: "warning",
    };
    const [wrapperStart = "", wrapperEnd = ""] = Module.wrap("\0").split("\0");
    await Promise.all([
      build({
        entryPoints: [path.join(dir, "runner.ts")],
        outfile: runner,
        bundle: true,
        platform: "node",
        format: "esm",
        logLevel: "warning",
      }),
      build({ ...appOptions, outfile: app }),
      build({
        ...appOptions,
        outfile: wrapped,
        banner: { js: `${wrapperStart}const banner = 1;` },
        footer: { js: wrapperEnd },
      }),
    ]);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    for (const name of ["app.cjs.cache", "usage.cache", "wrapped.cjs.cache"]) {
      rmSync(path.join(dir, "out", name), { force: true });
    }
  });

  function run(options: CodeCacheOptions = {}, args: string[] = [], file = app) {
    const ran = spawnSync(process.execPath, [runner, file, ...args], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", CC_OPTIONS: JSON.stringify(options) },
    });
    const line = ran.stderr.split("\n").find((text) => text.startsWith("code-cache "));
    return {
      status: ran.status,
      stdout: ran.stdout,
      stderr: ran.stderr,
      ...(line === undefined
        ? {}
        : (JSON.parse(line.slice(11)) as Omit<CodeCacheRun, "exports"> & { exports: string[] })),
    };
  }

  it("runs the file as node would: its __filename, require and import()", () => {
    const first = run();
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ file: "app.cjs", eol: true });
    // And hands back what it exports, as require() would.
    expect(first.exports).toContain("failingStep");
  });

  it("compiles at the first run and writes the cache as it exits; the next run reads it", () => {
    expect(run().cache).toBe("none");
    expect(existsSync(`${app}.cache`)).toBe(true);
    const second = run();
    expect(second.cache).toBe("accepted");
    expect(JSON.parse(second.stdout)).toEqual({ file: "app.cjs", eol: true });
  });

  it("refuses a cache made from another source, compiles, and writes one for this source", () => {
    writeFileSync(`${app}.cache`, Buffer.from("not a code cache of this file"));
    const refused = run();
    expect(refused.cache).toBe("rejected");
    expect(refused.status).toBe(0);
    expect(run().cache).toBe("accepted");
  });

  it("refuses a cache made before the file was edited, even to the same length", () => {
    expect(run().cache).toBe("none");
    expect(run().cache).toBe("accepted");
    const original = readFileSync(app, "utf8");
    try {
      writeFileSync(app, original.replace("failed", "FAILED"));
      utimesSync(app, new Date(), new Date(Date.now() + 5_000));
      const edited = run({}, ["crash"]);
      expect(edited.cache).toBe("rejected");
      expect(edited.stderr).toContain("Error: step s-1 FAILED");
      expect(run().cache).toBe("accepted");
    } finally {
      writeFileSync(app, original);
    }
  });

  it("reads the first cache that exists, and writes where it is told", () => {
    const usage = path.join(dir, "out", "usage.cache");
    const options = { read: [`${app}.cache`, usage], write: usage };
    expect(run(options).cache).toBe("none");
    expect(existsSync(usage)).toBe(true);
    expect(existsSync(`${app}.cache`)).toBe(false);
    expect(run(options).cache).toBe("accepted");
    // A full run's cache, once there, comes first.
    expect(run().cache).toBe("none");
    const written = readFileSync(`${app}.cache`);
    expect(run(options).cache).toBe("accepted");
    expect(readFileSync(`${app}.cache`)).toEqual(written);
  });

  it("with V8 flags: loads first the Node modules that the run writing the cache loaded, then sets the flags", () => {
    const flags = { v8Flags: "--liftoff-only" };
    const first = run(flags, ["modules"]);
    expect(first.cache).toBe("none");
    expect(JSON.parse(first.stdout)).toEqual({ zlib: false, fetch: false });
    // The next run has them before the file starts, though it uses neither.
    const next = run(flags, ["loaded"]);
    expect(next.cache).toBe("accepted");
    expect(JSON.parse(next.stdout)).toEqual({ zlib: true, fetch: true });
    // Without the flags: nothing loaded ahead, and V8 refuses a cache compiled under others,
    // which that run replaces.
    const plain = run({}, ["loaded"]);
    expect(plain.cache).toBe("rejected");
    expect(JSON.parse(plain.stdout)).toEqual({ zlib: false, fetch: false });
    expect(run({}, ["loaded"]).cache).toBe("accepted");
  });

  it("writes the cache again, with that run's code added, when a run takes a path it was not made with", () => {
    const onPath = (name: string) => {
      const ran = run({}, ["path", name]);
      expect(ran.status).toBe(0);
      const { compiled } = JSON.parse(ran.stdout) as { compiled: number };
      return { cache: ran.cache, compiled };
    };
    const first = onPath("a");
    expect(first.cache).toBe("none");
    expect(first.compiled).toBeGreaterThan(0);
    // Made by path a: path b's code is compiled, and written to the cache beside a's.
    const other = onPath("b");
    expect(other).toMatchObject({ cache: "accepted" });
    expect(other.compiled).toBeGreaterThan(0);
    const both = readFileSync(`${app}.cache`);
    expect(onPath("a")).toEqual({ cache: "accepted", compiled: 0 });
    expect(onPath("b")).toEqual({ cache: "accepted", compiled: 0 });
    // Paths it was made with: the cache is left as it was.
    expect(readFileSync(`${app}.cache`)).toEqual(both);
  });

  it("leaves a cache that another run wrote meanwhile with this run's path in it", async () => {
    // Started first, it ends last: both compiled path a, and the first to end wrote it.
    const held = spawn(process.execPath, [runner, app, "path", "a", "hold"], {
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["pipe", "pipe", "inherit"],
    });
    const ended = new Promise((resolve) => held.once("close", resolve));
    await new Promise((resolve) => held.stdout.once("data", resolve));
    expect(run({}, ["path", "a"]).cache).toBe("none");
    const written = readFileSync(`${app}.cache`);
    const stat = () => statSync(`${app}.cache`, { bigint: true }).mtimeNs;
    const writtenAt = stat();
    held.stdin.end();
    expect(await ended).toBe(0);
    expect(readFileSync(`${app}.cache`)).toEqual(written);
    expect(stat()).toBe(writtenAt);
  });

  it("runs as usual when the cache cannot be written", () => {
    const nowhere = path.join(dir, "missing-folder", "app.cache");
    const ran = run({ write: nowhere });
    expect(ran.status).toBe(0);
    expect(ran.cache).toBe("none");
    expect(existsSync(nowhere)).toBe(false);
  });

  /** What the cache written for `file` says of it (the JSON after the stamp). */
  function cacheContents(file: string) {
    const cache = readFileSync(`${file}.cache`);
    const length = cache.readUInt32LE(24);
    return JSON.parse(cache.subarray(28, 28 + length).toString("utf8")) as { ascii: boolean };
  }

  it("refuses a cache cut short or with a header longer than the file, and runs as usual", () => {
    expect(run().cache).toBe("none");
    const cache = readFileSync(`${app}.cache`);
    // And one whose header claims 4 GB: refused, not read.
    const huge = Buffer.from(cache);
    huge.writeUInt32LE(0xffffffff, 24);
    writeFileSync(`${app}.cache`, huge);
    expect(run()).toMatchObject({ status: 0, cache: "rejected" });
    for (const cut of [30, cache.length - 100]) {
      writeFileSync(`${app}.cache`, cache.subarray(0, cut));
      const ran = run();
      expect(ran).toMatchObject({ status: 0, cache: "rejected" });
      expect(JSON.parse(ran.stdout)).toEqual({ file: "app.cjs", eol: true });
    }
    expect(run().cache).toBe("accepted");
  });

  it("runs a file written already wrapped as Node wraps CommonJS, as the build writes the agent CLI", () => {
    expect(readFileSync(wrapped, "utf8")).toMatch(/^\(function \(exports, require, module,/);
    const first = run({}, [], wrapped);
    expect(first).toMatchObject({ status: 0, cache: "none" });
    expect(JSON.parse(first.stdout)).toEqual({ file: "wrapped.cjs", eol: true });
    // ASCII, read as Latin-1: the cache says so, and later runs take its word.
    expect(cacheContents(wrapped).ascii).toBe(true);
    expect(run({}, [], wrapped).cache).toBe("accepted");
    const crashed = run({}, ["crash"], wrapped);
    expect(crashed.status).toBe(1);
    expect(crashed.stderr).toContain(`${source}:${String(THROW_LINE)}:${String(THROW_COLUMN)}`);
  });

  it("reads a file that is not ASCII as UTF-8", () => {
    const text = path.join(dir, "out", "text.cjs");
    writeFileSync(text, 'process.stdout.write("caf\u00e9 \u2713 " + /\u00e9/.source);\n');
    expect(readFileSync(text, "utf8")).toContain("café ✓");
    const ran = run({}, [], text);
    expect(ran.status).toBe(0);
    expect(ran.stdout).toBe("café ✓ é");
    expect(cacheContents(text).ascii).toBe(false);
    expect(run({}, [], text)).toMatchObject({ cache: "accepted", stdout: "café ✓ é" });
  });

  it("prints a crash in the file against its TypeScript source, exit 1", () => {
    const crashed = run({}, ["crash"]);
    expect(crashed.status).toBe(1);
    expect(crashed.stderr).toContain("Error: step s-1 failed");
    expect(crashed.stderr).toContain(`${source}:${String(THROW_LINE)}:${String(THROW_COLUMN)}`);
    expect(crashed.stderr).not.toContain(`${app}:`);
  });
});
