import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import * as esbuild from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { EXTERNAL_FILTER, deferredPackages, narrowedEntries, standIns } from "../scripts/build.js";

const exec = promisify(execFile);

// A CommonJS package that counts its loads in a global, bundled the way the agent CLI is
// (CommonJS output, the plugin first) by modules that import it by name, as `@auth0/ai` imports
// OpenFGA's client. The bundle runs in a Node process of its own: the build itself loads the
// package to read its export names, which must not count.
const PACKAGE = `globalThis.loads = (globalThis.loads ?? 0) + 1;
Object.defineProperty(exports, "__esModule", { value: true });
exports.answer = 42;
exports.Client = class Client {
  constructor(name) { this.name = name; }
};
`;
const NAMED = `import { answer, Client } from "counted";
export function useNamed() {
  return { answer, client: new Client("named").name, isClient: new Client("x") instanceof Client };
}
`;
const STAR = `export * from "counted";\n`;
// The same for an ES module package, as `ai` imports its gateway provider.
const ESM_PACKAGE = `globalThis.esmLoads = (globalThis.esmLoads ?? 0) + 1;
export const greeting = "hello";
`;
const ESM_USER = `import { greeting } from "counted-esm";
export const greet = () => greeting;
`;
const ENTRY = `import { useNamed } from "./named.mjs";
import * as star from "./star.mjs";
import { greet } from "./esm-user.mjs";
const loadsAtStart = globalThis.loads ?? 0;
const esmLoadsAtStart = globalThis.esmLoads ?? 0;
const named = useNamed();
const loadsAfterUse = globalThis.loads;
const answerThroughStar = star.answer;
const greeting = greet();
console.log(JSON.stringify({ loadsAtStart, named, loadsAfterUse, answerThroughStar, loadsAtEnd: globalThis.loads, esmLoadsAtStart, greeting, esmLoadsAtEnd: globalThis.esmLoads }));
`;

let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "ciba-deferred-"));
  const pkg = path.join(dir, "node_modules", "counted");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    path.join(pkg, "package.json"),
    JSON.stringify({ name: "counted", main: "index.js" }),
  );
  writeFileSync(path.join(pkg, "index.js"), PACKAGE);
  const esmPkg = path.join(dir, "node_modules", "counted-esm");
  mkdirSync(esmPkg, { recursive: true });
  writeFileSync(
    path.join(esmPkg, "package.json"),
    // An ES module named .mjs, as @ai-sdk/gateway's entry for `import` is.
    JSON.stringify({ name: "counted-esm", type: "module", exports: "./index.mjs" }),
  );
  writeFileSync(path.join(esmPkg, "index.mjs"), ESM_PACKAGE);
  writeFileSync(path.join(dir, "esm-user.mjs"), ESM_USER);
  writeFileSync(path.join(dir, "named.mjs"), NAMED);
  writeFileSync(path.join(dir, "star.mjs"), STAR);
  writeFileSync(path.join(dir, "entry.mjs"), ENTRY);
  bundle = await bundleDeferring("bundle.cjs", ["counted", "counted-esm"]);
});

/** `entry` (in `dir`) bundled into `name` as the agent CLI is (CommonJS), with `plugin`. */
async function bundleWith(entry: string, name: string, plugin: esbuild.Plugin): Promise<string> {
  const outfile = path.join(dir, name);
  await esbuild.build({
    absWorkingDir: dir,
    entryPoints: [path.join(dir, entry)],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    logLevel: "silent",
    plugins: [plugin],
  });
  return outfile;
}

const bundleDeferring = (
  name: string,
  packages: string[],
  how: "bundled" | "installed" = "bundled",
) =>
  bundleWith(
    "entry.mjs",
    name,
    deferredPackages(Object.fromEntries(packages.map((pkg) => [pkg, how])), dir),
  );

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("deferredPackages (the agent CLI's build)", () => {
  /** What the entry prints when both packages load at the first read of an export, once. */
  const LOADED_AT_FIRST_READ = {
    loadsAtStart: 0,
    named: { answer: 42, client: "named", isClient: true },
    loadsAfterUse: 1,
    answerThroughStar: 42,
    loadsAtEnd: 1,
    esmLoadsAtStart: 0,
    greeting: "hello",
    esmLoadsAtEnd: 1,
  };

  it("loads a package (CommonJS or ES module) when one of its exports is first read, once, not when its importers load", async () => {
    const { stdout } = await exec(process.execPath, [bundle]);
    expect(JSON.parse(stdout)).toEqual(LOADED_AT_FIRST_READ);
  });

  it("leaves a package given as installed out of the bundle, and loads it from where it is installed on first read", async () => {
    const apart = await bundleDeferring("apart.cjs", ["counted", "counted-esm"], "installed");
    // The packages' own code, which the bundled build holds.
    const marks = ["(globalThis.loads ?? 0) + 1", "(globalThis.esmLoads ?? 0) + 1"];
    const [bundled, leftOut] = [bundle, apart].map((file) => readFileSync(file, "utf8"));
    for (const mark of marks) {
      expect(bundled).toContain(mark);
      expect(leftOut).not.toContain(mark);
    }
    // Run from elsewhere: the package is found beside the bundle, not from the working directory.
    const { stdout } = await exec(process.execPath, [apart], { cwd: tmpdir() });
    expect(JSON.parse(stdout)).toEqual(LOADED_AT_FIRST_READ);
  });

  it("leaves a package it is not given as esbuild bundles it: loaded with its importer", async () => {
    const eager = await bundleDeferring("eager.cjs", ["another"]);
    const { stdout } = await exec(process.execPath, [eager]);
    expect(JSON.parse(stdout)).toMatchObject({
      loadsAtStart: 1,
      loadsAtEnd: 1,
      esmLoadsAtStart: 1,
    });
  });
});

describe("narrowedEntries (the agent CLI's build)", () => {
  // A package whose entry re-exports a module with a side effect (as auth0's entry builds its
  // Management API client) beside the one its importer uses.
  async function bundleWide(importer: string, entries: Record<string, string>) {
    const wide = path.join(dir, "node_modules", "wide");
    mkdirSync(wide, { recursive: true });
    writeFileSync(
      path.join(wide, "package.json"),
      JSON.stringify({ name: "wide", type: "module", exports: { ".": "./index.js" } }),
    );
    writeFileSync(
      path.join(wide, "index.js"),
      'export * from "./heavy.js";\nexport * from "./light.js";\n',
    );
    writeFileSync(
      path.join(wide, "heavy.js"),
      "globalThis.heavyLoads = (globalThis.heavyLoads ?? 0) + 1;\nexport const Heavy = 1;\n",
    );
    writeFileSync(path.join(wide, "light.js"), 'export class Light { name = "light"; }\n');
    writeFileSync(path.join(dir, "wide-user.mjs"), importer);
    const outfile = await bundleWith("wide-user.mjs", "wide-user.cjs", narrowedEntries(entries));
    const { stdout } = await exec(process.execPath, [outfile]);
    return JSON.parse(stdout) as unknown;
  }
  const USES_LIGHT = `import { Light } from "wide";
console.log(JSON.stringify({ name: new Light().name, heavyLoads: globalThis.heavyLoads ?? 0 }));
`;

  it("resolves the package to the one module named, so the rest of its entry never loads", async () => {
    expect(await bundleWide(USES_LIGHT, { wide: "light.js" })).toEqual({
      name: "light",
      heavyLoads: 0,
    });
    // Without it the entry loads its every module.
    expect(await bundleWide(USES_LIGHT, {})).toEqual({ name: "light", heavyLoads: 1 });
  });

  it("fails the build when an importer needs what the module named does not export", async () => {
    const usesHeavy = `import { Heavy } from "wide";\nconsole.log(Heavy);\n`;
    await expect(bundleWide(usesHeavy, { wide: "light.js" })).rejects.toThrow(
      /No matching export in .*light\.js.* for import "Heavy"/,
    );
  });

  it("fails the build, naming it, when the package has no such module", async () => {
    await expect(bundleWide(USES_LIGHT, { wide: "gone.js" })).rejects.toThrow(
      "wide has no gone.js to narrow its entry to",
    );
  });
});

describe("standIns (the agent CLI's build)", () => {
  // A module with a heavy side effect (as the web app loads Express), imported by another as
  // cli.ts imports web/serve.ts, and a stand-in with the same exports.
  async function bundleServing(modules: Record<string, string>) {
    writeFileSync(
      path.join(dir, "serving.ts"),
      'globalThis.servingLoads = (globalThis.servingLoads ?? 0) + 1;\nexport const serve = () => "in the bundle";\n',
    );
    writeFileSync(path.join(dir, "serving-apart.ts"), 'export const serve = () => "apart";\n');
    writeFileSync(
      path.join(dir, "serving-user.mjs"),
      `import { serve } from "./serving.js";
console.log(JSON.stringify({ served: serve(), servingLoads: globalThis.servingLoads ?? 0 }));
`,
    );
    const outfile = await bundleWith("serving-user.mjs", "serving-user.cjs", standIns(modules));
    const { stdout } = await exec(process.execPath, [outfile]);
    return JSON.parse(stdout) as unknown;
  }

  it("bundles the stand-in wherever the module is imported, and never the module", async () => {
    expect(
      await bundleServing({
        [path.join(dir, "serving.ts")]: path.join(dir, "serving-apart.ts"),
      }),
    ).toEqual({ served: "apart", servingLoads: 0 });
    // Without it, the module itself.
    expect(await bundleServing({})).toEqual({ served: "in the bundle", servingLoads: 1 });
  });
});

describe("EXTERNAL_FILTER (every build's external packages)", () => {
  it("matches an external package and its files, and no package whose name merely begins alike", () => {
    const matched = (specifier: string) => EXTERNAL_FILTER.test(specifier);
    expect(
      ["esbuild", "vitest/config", "@electric-sql/pglite", "@electric-sql/pglite/vector"].map(
        matched,
      ),
    ).toEqual([true, true, true, true]);
    expect(
      [
        "esbuild-wasm",
        "vitest-environment-x",
        "@electric-sql/pglite-tools",
        "express",
        "./esbuild",
        "@electric-sql",
      ].map(matched),
    ).toEqual([false, false, false, false, false, false]);
  });
});
