/**
 * Builds the publishable package in the current directory into `dist/`, from its package.json
 * `bundle` field (see build-config.ts). The workspace keeps running TypeScript source; only
 * `pnpm pack` (its `prepack` script runs this) and the packed-tarball test use `dist/`.
 *
 * - A server (`library` unset): each entry bundled with its dependencies into one ESM file, a
 *   bin for plain Node, plus the files it reads at run time and the notices of what it bundles.
 * - A library (`--library`): ESM (`.js`) and CommonJS (`.cjs`) builds of each entry, and its
 *   type declarations bundled into one `.d.ts` (and a `.d.cts` twin) per entry.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";

import type { BuildOptions, Metafile } from "esbuild";

import { largeJsonAsParse } from "../build.js";
import { REPO_ROOT, bundleFieldOf, readManifest } from "./build-config.js";
import { PackageBuildState, contentHash, filesUnder } from "./build-state.js";
import { workspaceModulesPlugin } from "./workspace-modules.js";
import { bundledPackages, noticeText } from "./third-party-licenses.js";

const { values } = parseArgs({ options: { library: { type: "boolean", default: false } } });
const packageDir = process.cwd();
const manifest = readManifest(packageDir);
const field = bundleFieldOf(manifest);
const dist = path.join(packageDir, "dist");

const NODE_TARGET = "node20.19";

const common: BuildOptions = {
  bundle: true,
  platform: "node",
  target: NODE_TARGET,
  external: field.external.flatMap((name) => [name, `${name}/*`]),
  // As in the workspace's build (scripts/build.js, which this build's state includes).
  plugins: [workspaceModulesPlugin(REPO_ROOT, packageDir), largeJsonAsParse()],
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  absWorkingDir: packageDir,
};

function metafileOf(result: { metafile?: Metafile | undefined }): Metafile {
  if (result.metafile === undefined) throw new Error("esbuild returned no metafile");
  return result.metafile;
}

async function buildServer(): Promise<Metafile[]> {
  const results = await Promise.all(
    Object.entries(field.entries).map(([name, entry]) =>
      build({
        ...common,
        entryPoints: { [name]: entry },
        outdir: dist,
        format: "esm",
        // CommonJS dependencies inside an ESM bundle call require() for Node's own modules.
        banner: {
          js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);',
        },
      }),
    ),
  );
  return results.map(metafileOf);
}

async function buildLibrary(): Promise<Metafile[]> {
  const entryPoints = field.entries;
  const esm = await build({ ...common, entryPoints, outdir: dist, format: "esm" });
  const cjs = await build({
    ...common,
    entryPoints,
    outdir: dist,
    format: "cjs",
    outExtension: { ".js": ".cjs" },
    // The same source finds its files from `import.meta.url` in both builds.
    define: { "import.meta.url": "__moduleUrl" },
    // Strict, as the ES build is: a directive counts only before the first statement, and
    // esbuild's own comes after the banner.
    banner: {
      js: '"use strict";\nconst __moduleUrl = require("node:url").pathToFileURL(__filename).href;',
    },
  });
  // The package's compiler options with `noCheck`: the generator type-checks the sources before
  // it emits their declarations, a quarter of its CPU, and the workspace's `tsc` (pnpm check)
  // checks the same sources. Errors that make declarations wrong (TS4xxx) are still reported.
  // The file sits beside the build's record, in the repository's node_modules, where
  // `node_modules/@types` resolve as from the package.
  const declarationsConfig = `${stateFile.slice(0, -".json".length)}.declarations.tsconfig.json`;
  mkdirSync(path.dirname(declarationsConfig), { recursive: true });
  writeFileSync(
    declarationsConfig,
    JSON.stringify({
      extends: path.join(packageDir, "tsconfig.json"),
      compilerOptions: { noCheck: true },
      include: [],
    }),
  );
  for (const [name, entry] of Object.entries(entryPoints)) {
    const out = path.join(dist, `${name}.d.ts`);
    execFileSync(
      path.join(REPO_ROOT, "node_modules/.bin/dts-bundle-generator"),
      // --no-check: the generator would compile its output once more to check it; the
      // packed-tarball test compiles it as ESM and CommonJS projects do, with --strict.
      ["--silent", "--no-banner", "--no-check", "--project", declarationsConfig, "-o", out, entry],
      { cwd: packageDir, stdio: "inherit" },
    );
    cpSync(out, path.join(dist, `${name}.d.cts`));
  }
  return [metafileOf(esm), metafileOf(cjs)];
}

/**
 * Fills the package's generated folders (`bundle.generated`): each module bundled into `dist/`
 * as the package's code is, so that it finds its dependencies as the packed bin will, then
 * imported and its `generate(folder)` called; the bundle itself is removed. Returns what the
 * bundles read, for the build's record.
 */
async function generateFolders(): Promise<Metafile[]> {
  const read: Metafile[] = [];
  for (const [folder, module] of Object.entries(field.generated)) {
    const outfile = path.join(dist, `.generate-${String(read.length)}.mjs`);
    const result = await build({
      ...common,
      entryPoints: [path.join(packageDir, module)],
      outfile,
      format: "esm",
      banner: {
        js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);',
      },
    });
    try {
      const { generate } = (await import(pathToFileURL(outfile).href)) as {
        generate?: (folder: string) => unknown;
      };
      if (typeof generate !== "function") {
        throw new Error(`${module} (bundle.generated) exports no generate(folder) function`);
      }
      await generate(path.join(dist, folder));
    } finally {
      rmSync(outfile, { force: true });
    }
    read.push(metafileOf(result));
  }
  return read;
}

// `pnpm pack` again with nothing changed packs the dist/ it built before. The record outlives
// `build/`, which is made again at every change of any workspace source: a change to the agent
// would otherwise have every package built again (18 s on two cores). What it does not list
// file by file, the code of this build and the dependencies (the lockfile), is in its options.
const stateFile = path.join(
  REPO_ROOT,
  "node_modules/.cache/package-builds",
  `${manifest.name.replace(/[@/]/g, "_")}.json`,
);
const state = new PackageBuildState(
  stateFile,
  JSON.stringify({
    library: values.library,
    field,
    build: contentHash([
      ...filesUnder(path.join(REPO_ROOT, "scripts/package")),
      path.join(REPO_ROOT, "scripts/build.js"),
      path.join(REPO_ROOT, "pnpm-lock.yaml"),
    ]),
  }),
);
if (state.isCurrent()) process.exit(0);

// Loaded only to build: a `pnpm pack` with nothing changed runs this file for each package, and
// importing esbuild's CommonJS API from an ES module (its exports found by parsing it) was
// about half of such a run's CPU.
const { build } = await import("esbuild");

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const metafiles = values.library ? await buildLibrary() : await buildServer();

for (const asset of field.assets) {
  cpSync(path.join(REPO_ROOT, asset), path.join(dist, asset), { recursive: true });
}
// The generators run WebAssembly once, in a process about to end (shop-api's empty cluster is
// PGlite's initdb): V8's baseline compiler alone, without its optimising tier, made that cluster
// for 5.1 s of CPU instead of 9.1 s (wall 4.2 s instead of 5.8 s; 3 alternating runs, 2-core AMD
// EPYC). Set now, when the modules it would cost Node's code cache are loaded.
setFlagsFromString("--liftoff-only");
const generators = await generateFolders();
cpSync(path.join(REPO_ROOT, "LICENSE"), path.join(dist, "LICENSE"));
const packages = bundledPackages(
  {
    inputs: {},
    outputs: Object.assign({}, ...metafiles.map((m) => m.outputs)) as Metafile["outputs"],
  },
  packageDir,
);
writeFileSync(path.join(dist, "THIRD-PARTY-NOTICES.txt"), noticeText(manifest.name, packages));

state.record(
  [
    ...[...metafiles, ...generators].flatMap((metafile) =>
      Object.keys(metafile.inputs).map((input) => path.resolve(packageDir, input)),
    ),
    ...field.assets.flatMap((asset) => filesUnder(path.join(REPO_ROOT, asset))),
    path.join(REPO_ROOT, "LICENSE"),
    path.join(packageDir, "package.json"),
    path.join(packageDir, "tsconfig.json"),
    // The declarations also come from files esbuild never reads (type-only imports), in any
    // workspace package.
    ...(values.library
      ? ["apps", "packages"].flatMap((dir) =>
          filesUnder(path.join(REPO_ROOT, dir)).filter(
            (file) => file.endsWith(".ts") && !file.includes(`${path.sep}node_modules${path.sep}`),
          ),
        )
      : []),
  ],
  dist,
);
