import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import * as esbuild from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { largeJsonAsParse } from "../scripts/build.js";

const exec = promisify(execFile);

// A package with a large JSON file and a small one, required as mime-types requires mime-db's
// database, and a large JSON file of the project's own, imported with a named import.
const TYPES = Object.fromEntries(
  Array.from({ length: 600 }, (_, i) => [
    `application/x-type-${String(i)}`,
    { extensions: [`e${String(i)}`] },
  ]),
);
const ENTRY = `const db = require("types-db/db.json");
const small = require("types-db/small.json");
import own, { greeting } from "./own.json";
console.log(JSON.stringify({
  types: Object.keys(db).length,
  last: db["application/x-type-599"],
  small,
  own: own.rows.length,
  greeting,
}));
`;

let dir: string;
let bundle: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "ciba-large-json-"));
  const pkg = path.join(dir, "node_modules", "types-db");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "types-db" }));
  writeFileSync(path.join(pkg, "db.json"), JSON.stringify(TYPES, null, 2));
  writeFileSync(path.join(pkg, "small.json"), JSON.stringify({ answer: 42 }));
  writeFileSync(
    path.join(dir, "own.json"),
    JSON.stringify({ greeting: "hello", rows: Array.from({ length: 4_000 }, (_, i) => i) }),
  );
  writeFileSync(path.join(dir, "entry.mjs"), ENTRY);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function build(entry: string, outfile: string) {
  return esbuild.build({
    absWorkingDir: dir,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    logLevel: "silent",
    plugins: [largeJsonAsParse()],
  });
}

describe("largeJsonAsParse (scripts/build.js)", () => {
  beforeAll(async () => {
    bundle = path.join(dir, "out.cjs");
    await build("entry.mjs", bundle);
  });

  it("bundles a dependency's large JSON as JSON.parse of its text, and the same data comes out", async () => {
    const text = readFileSync(bundle, "utf8");
    expect(text).toMatch(/exports = JSON\.parse\(/);
    const { stdout } = await exec(process.execPath, [bundle]);
    expect(JSON.parse(stdout)).toEqual({
      types: 600,
      last: { extensions: ["e599"] },
      small: { answer: 42 },
      own: 4_000,
      greeting: "hello",
    });
  });

  it("leaves small JSON and the project's own JSON to esbuild's loader", () => {
    const text = readFileSync(bundle, "utf8");
    // One JSON.parse: the dependency's large file. The small one and the project's own are
    // object literals, the latter with its named export.
    expect(text.match(/JSON\.parse\(/g)).toHaveLength(1);
    expect(text).toMatch(/exports = \{ answer: 42 \}/);
    expect(text).toMatch(/var greeting = "hello"/);
  });

  it("fails the build on a dependency's large file that is not JSON, naming it", async () => {
    const broken = path.join(dir, "node_modules", "types-db", "broken.json");
    writeFileSync(broken, `${JSON.stringify(TYPES)},`);
    writeFileSync(path.join(dir, "broken.mjs"), 'require("types-db/broken.json");\n');
    const failed = await build("broken.mjs", path.join(dir, "broken.cjs")).then(
      () => undefined,
      (error: unknown) => error as esbuild.BuildFailure,
    );
    expect(failed?.errors.map((e) => e.text)).toEqual([
      expect.stringMatching(/broken\.json is not JSON: .*JSON/) as unknown,
    ]);
  });
});
