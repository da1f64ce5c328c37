// @ts-check
/**
 * The build every process runs from: each entry below bundled by esbuild into `build/<name>.js`
 * (ESM, code-split, so a dynamic `import()` in the source loads its chunk only when reached),
 * with source maps pointing at the TypeScript. `pnpm install` and `pnpm test` make it; a
 * process started with `node --enable-source-maps build/<name>.js` starts in milliseconds
 * instead of compiling TypeScript first. The agent CLI runs without `--enable-source-maps`
 * (`LAZY_SOURCE_MAPS`) and maps the stack of a crash itself when it prints one.
 *
 * Incremental: `build/state.json` records every workspace source file the build read (size and
 * mtime), the lockfile and this file. When none changed, there is nothing to do (a few ms of
 * `stat`); otherwise everything is rebuilt (esbuild takes a few seconds), so no stale output
 * survives a change. `pnpm dev` (`node scripts/build.js dev`) runs from here too when the build
 * is current, and from its TypeScript otherwise (FROM_SOURCE_WHEN_STALE); it builds the servers
 * it runs into a folder of its own, and again at every change (`watchBuild`), starting from its
 * last build when none of that build's inputs changed (kept in node_modules/.cache/dev-build).
 *
 * Plain JavaScript, checked by `tsc` (`// @ts-check`), so that it runs before anything is
 * built: `node scripts/build.js` builds if needed, `node scripts/build.js <name> [args]` then
 * runs that entry in this same process.
 */
import { createHash, randomBytes } from "node:crypto";
import { watch } from "node:fs";
import {
  copyFile,
  cp,
  lstat,
  mkdir,
  readFile,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import Module from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import {
  PREBUILT_CHAT_CLIENT_FILE,
  PREBUILT_CHAT_CLIENT_FORMAT,
  chatClientBuildOptions,
  chatClientSources,
} from "../apps/agent/src/web/chat-client-build.js";

const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));
export const BUILD_DIR = path.join(REPO_ROOT, "build");
const STATE_FILE = path.join(BUILD_DIR, "state.json");
/** Bump when the build's options change in a way the inputs do not show. */
const FORMAT = 6;

/** What runs as a process: output name -> source, relative to the repository. */
export const ENTRIES = /** @type {const} */ ({
  // Starts AGENT_CLI_BUNDLE with V8's code cache (see launch.ts).
  agent: "apps/agent/src/launch.ts",
  "mock-auth0": "apps/mock-auth0/src/main.ts",
  "shop-api": "apps/shop-api/src/main.ts",
  "model-server": "apps/model-server/src/main.ts",
  "agent-web": "apps/agent/src/web/main.ts",
  // The published bins (`--port`, `--ready-file`), as the testkit and `pnpm <server>` run them.
  "mock-auth0-bin": "apps/mock-auth0/src/bin.ts",
  "shop-api-bin": "apps/shop-api/src/bin.ts",
  "model-server-bin": "apps/model-server/src/bin.ts",
  // `pnpm pack`'s prepack: a publishable package's dist/ (scripts/package/build.ts).
  "package-build": "scripts/package/build.ts",
  // `pnpm dev`, when the build is current (FROM_SOURCE_WHEN_STALE).
  dev: "scripts/dev.ts",
  demo: "scripts/demo.ts",
  test: "scripts/test.ts",
  bench: "scripts/bench/main.ts",
  "bench-shop-api": "scripts/bench/shop-api-bench-server.ts",
  "bench-gc-on-signal": "scripts/bench/gc-on-signal.ts",
  // Loaded first into every process the stack's supervisor starts (scripts/stack/supervisor.ts).
  "exit-with-supervisor": "scripts/stack/exit-with-supervisor.ts",
  // Loaded first into `pnpm mock-auth0`, `pnpm shop-api` and `pnpm model-server` (STOPPED_WITH_PNPM).
  "stop-with-pnpm": "scripts/stack/stop-with-pnpm-main.ts",
  // Loaded first into every server `pnpm dev` runs in Node's watch mode (scripts/stack/supervisor.ts).
  "watch-without-dependencies": "scripts/stack/watch-without-dependencies.ts",
  // Started as processes by the tests.
  "test-supervised-server": "test/fixtures/supervised-server.ts",
  "test-supervisor-launcher": "test/fixtures/supervisor-launcher.ts",
  "test-auth0-sdk-client": "test/fixtures/auth0-sdk-client.ts",
  "test-lease-claimer": "apps/agent/src/test-support/lease-claimer.ts",
});

/** @typedef {keyof typeof ENTRIES} EntryName */

/**
 * The agent CLI, also built as one CommonJS file (`build/agent-cli.cjs`): Node 20 can reuse
 * V8's compiled code from one run to the next only for scripts, not for ES modules, and a
 * process started hundreds of times a test run spends a fifth of its CPU compiling. The file is
 * the function Node makes of a CommonJS file, `(function (exports, require, module, ...) {`
 * ... `})`, which `runWithCodeCache` calls: it runs with `node build/agent.cjs`, not on its own.
 */
export const AGENT_CLI_BUNDLE = /** @type {const} */ ({
  file: "agent-cli.cjs",
  source: "apps/agent/src/main.ts",
});

/**
 * `agent serve`'s web app, a one-file build of its own beside the CLI's: in the CLI's, the
 * module `source` is `standIn`, which runs this file (with its own code cache) when the command
 * starts. Express, the login middleware and the rest of the web app were 1.6 MB of the CLI's
 * 3.6 MB, read by every run and set up in every purchase's code cache.
 */
export const AGENT_SERVE_BUNDLE = /** @type {const} */ ({
  file: "agent-serve.cjs",
  source: "apps/agent/src/web/serve.ts",
  standIn: "apps/agent/src/web/serve-apart.ts",
});

/** What Node wraps a CommonJS file's text in (`Module.wrap`): before it and after it. */
const [WRAPPER_START = "", WRAPPER_END = ""] = Module.wrap("\0").split("\0");

/**
 * Entries that run without Node's `--enable-source-maps`: processes started many times, where
 * Node parsing source maps for stacks nobody prints costs much of their CPU. The agent CLI: web
 * streams format a stack each time a reader is released, a fifth of a run's CPU. shop-api: Node
 * reads the map of every file it loads, PGlite's 1.2 MB among them, at every start (a stack's
 * shop started for 1.34 s of CPU with them, 1.20 s without, and was ready 0.1 s sooner).
 * mock-auth0, which every stack and testbed starts: Node's maps of its files took 27 ms of its
 * 319 ms of CPU to start and stop, and 22 ms of the 543 ms to its ready record (medians of 12
 * alternating starts, 2-core AMD EPYC). Their crashes are printed mapped (`mapStacksOfCrashes`
 * in @ciba-testbed/shared/node), and the servers map the stacks they log
 * (`serializeError` in @ciba-testbed/shared/http).
 */
export const LAZY_SOURCE_MAPS = /** @type {ReadonlySet<EntryName>} */ (
  new Set(["agent", "shop-api", "shop-api-bin", "mock-auth0", "mock-auth0-bin"])
);

/** Node's flags for the source maps of the built file that runs `script` (see LAZY_SOURCE_MAPS). */
export function sourceMapFlags(/** @type {string} */ script) {
  const name = path.basename(builtFileOf(script)).replace(/\.c?js$/, "");
  return LAZY_SOURCE_MAPS.has(/** @type {EntryName} */ (name)) ? [] : ["--enable-source-maps"];
}

/**
 * Left to Node: packages that find their own files at run time (wasm, workers, native
 * binaries), or that are only ever loaded by tools. Each is imported from where it is
 * installed, not from `build/`.
 */
const EXTERNAL = [
  "@electric-sql/pglite",
  "auth0-deploy-cli",
  "autocannon",
  "esbuild",
  "oidc-provider",
  "pg-native",
  "pino-pretty",
  "playwright-core",
  "tsx",
  "vitest",
];

/**
 * An import of an `EXTERNAL` package or one of its files. esbuild tests it in Go and calls the
 * plugin only on a match: a filter that matched every bare import made each of the thousands in
 * `node_modules` a round trip to this process (a `pnpm dev` build of its three servers took
 * 0.5 s more CPU, and 0.25 s more wall time, on a 2-core AMD EPYC). Of the characters an npm
 * name may hold, only `.` means something else in a regular expression.
 */
export const EXTERNAL_FILTER = new RegExp(
  `^(?:${EXTERNAL.map((name) => name.replaceAll(".", "\\.")).join("|")})(?:/|$)`,
);

/**
 * Entries built as one CommonJS file each, `build/<name>.cjs`, not as ES modules: the agent's
 * launcher, which the tests start hundreds of times a run. Node starts a CommonJS file without
 * setting up its ES-module loader for it: an agent's start 6-10 ms sooner and 5-6 ms less CPU
 * (paired medians of 20 approved purchases and of 24 interrupt-mode sends, alternating, 2-core
 * AMD EPYC). Not for `watchBuild`.
 */
export const COMMONJS_ENTRIES = /** @type {ReadonlySet<EntryName>} */ (new Set(["agent"]));

/** The built file of `name`, in `build/` or the folder of another build (`watchBuild`). */
export function builtEntry(/** @type {EntryName} */ name, dir = BUILD_DIR) {
  return path.join(dir, `${name}${COMMONJS_ENTRIES.has(name) ? ".cjs" : ".js"}`);
}

/** The built file that runs `script` (a source path relative to the repository). */
export function builtFileOf(/** @type {string} */ script, dir = BUILD_DIR) {
  const wanted = path.normalize(script.replace(/^\.\//, ""));
  for (const [name, source] of Object.entries(ENTRIES)) {
    if (path.normalize(source) === wanted) return builtEntry(/** @type {EntryName} */ (name), dir);
  }
  throw new Error(
    `${script} is not built: add it to ENTRIES in scripts/build.js (built: ${Object.values(ENTRIES).join(", ")})`,
  );
}

const isWorkspaceSource = (/** @type {string} */ file) =>
  file.startsWith(REPO_ROOT) && !file.includes(`${path.sep}node_modules${path.sep}`);

/**
 * What `build/state.json` records: every file the build read (`inputs`), and of those the ones
 * the agent CLI's own files were built from (`agent`: its launcher, its two bundles and the chat
 * page's script), by which `ensureAgentBuilt` tells whether the agent's files are current.
 *
 * @typedef {{ format: number; root: string; entries: Record<string, string>; inputs: Record<string, [number, number]>; agent?: Record<string, [number, number]> }} BuildState
 */

/** The files whose change makes the build stale, besides the sources esbuild read. */
const ALWAYS_INPUTS = ["pnpm-lock.yaml", "scripts/build.js"];

/** @returns {Promise<[number, number] | undefined>} */
async function fingerprint(/** @type {string} */ file) {
  try {
    const info = await stat(path.resolve(REPO_ROOT, file));
    return [info.size, info.mtimeMs];
  } catch {
    return undefined;
  }
}

/** The record of `build/`, when it is a whole build of this checkout by this file's rules. */
async function buildState() {
  /** @type {BuildState} */
  let state;
  try {
    state = JSON.parse(await readFile(STATE_FILE, "utf8"));
  } catch {
    return undefined;
  }
  return state.format === FORMAT &&
    state.root === REPO_ROOT &&
    JSON.stringify(state.entries) === JSON.stringify(ENTRIES)
    ? state
    : undefined;
}

/** Whether `build/` holds the output of exactly today's sources. */
export async function isBuildCurrent() {
  const state = await buildState();
  return state !== undefined && unchanged(state.inputs);
}

/** Whether each file of `inputs` (relative to the repository, or absolute) has its fingerprint. */
async function unchanged(/** @type {Record<string, [number, number]>} */ inputs) {
  const files = Object.entries(inputs);
  const now = await Promise.all(files.map(([file]) => fingerprint(file)));
  return files.every(([, was], i) => {
    const is = now[i];
    return is !== undefined && is[0] === was[0] && is[1] === was[1];
  });
}

/** The path from `from` to `to`, with `/` between its parts whatever the platform. */
const posixRelative = (/** @type {string} */ from, /** @type {string} */ to) =>
  path.relative(from, to).split(path.sep).join("/");

/** @typedef {Map<string, [number, number]>} Fingerprints file -> [size, mtime] */

/** `text` as a regular expression that matches it and nothing else. */
const escapeRegExp = (/** @type {string} */ text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Workspace modules find their files from `import.meta.url` (`new URL("../../public/",
 * import.meta.url)`). In a bundle every module shares its chunk's URL, so each workspace
 * module gets its own back: the URL of its source file, relative to `outdir`, the folder the
 * output ends up in.
 *
 * `read`, when given, gets the fingerprint of each workspace source (TypeScript or not, outside
 * node_modules) as it was just before the build read it (emptied as each build starts): a file
 * saved while the build runs then shows a newer fingerprint than the one recorded, never the
 * same one with the older text built.
 *
 * @returns {import("esbuild").Plugin}
 */
function workspaceModules(
  /** @type {string} */ outdir,
  /** @type {Fingerprints | undefined} */ read = undefined,
) {
  return {
    name: "workspace-modules",
    setup(build) {
      build.onStart(() => {
        read?.clear();
      });
      const record = async (/** @type {string} */ file) => {
        if (read !== undefined && !file.includes(`${path.sep}node_modules${path.sep}`)) {
          const info = await stat(file);
          read.set(file, [info.size, info.mtimeMs]);
        }
      };
      // The workspace's other sources (scripts' JavaScript, JSON): recorded, loaded as usual.
      if (read !== undefined) {
        const inWorkspace = new RegExp(
          `^${escapeRegExp(path.resolve(REPO_ROOT))}[\\\\/](?:apps|packages|scripts|test)[\\\\/].*\\.(?:[cm]?js|json)$`,
        );
        build.onLoad({ filter: inWorkspace }, async (args) => {
          await record(args.path);
          return undefined;
        });
      }
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        await record(args.path);
        if (!isWorkspaceSource(args.path)) return undefined;
        const source = await readFile(args.path, "utf8");
        if (!source.includes("import.meta.url")) return { contents: source, loader: "ts" };
        const fromBuild = posixRelative(outdir, args.path);
        const own = `new URL(${JSON.stringify(fromBuild)}, import.meta.url).href`;
        return { contents: replaceOutsideStrings(source, "import.meta.url", own), loader: "ts" };
      });
    },
  };
}

/**
 * `source` with `text` replaced where it is code: an occurrence after an odd number of quotes
 * on its line is inside a string (the banner of a build, say) and stays.
 */
function replaceOutsideStrings(
  /** @type {string} */ source,
  /** @type {string} */ text,
  /** @type {string} */ replacement,
) {
  return source
    .split("\n")
    .map((line) =>
      line
        .split(text)
        .reduce((done, part, i) =>
          i === 0 || (done.match(/["'`]/g)?.length ?? 0) % 2 === 1
            ? `${done}${i === 0 ? "" : text}${part}`
            : `${done}${replacement}${part}`,
        ),
    )
    .join("\n");
}

/**
 * Where esbuild itself resolves the import `args`, asked from a plugin's onResolve: `marker`
 * comes back to that onResolve as `pluginData`, which must then leave the import alone.
 *
 * @returns {Promise<import("esbuild").ResolveResult>}
 */
function resolveAsUsual(
  /** @type {import("esbuild").PluginBuild} */ build,
  /** @type {import("esbuild").OnResolveArgs} */ args,
  /** @type {string} */ marker,
) {
  const { kind, resolveDir, importer } = args;
  return build.resolve(args.path, { kind, resolveDir, importer, pluginData: marker });
}

/**
 * Packages the agent CLI's bundle loads when a program first reads one of their exports, not
 * when a module that imports them loads; each is imported at load for something an agent run
 * does not do.
 * - `@openfga/sdk`: `@auth0/ai` imports OpenFGA's client (and with it axios, form-data and
 *   mime-db) for its FGA authorizers, which a CIBA purchase never uses. A fifth of the code V8
 *   compiled for a purchase (its code cache: 1.83 MB with it, 1.42 MB without), and 10 ms of a
 *   run's CPU on a 2-core AMD EPYC. Loaded from where it is installed, not bundled: the 0.5 MB
 *   of it and its dependencies were read by every run for nothing (9 ms of a purchase's CPU).
 * - `@ai-sdk/gateway`: `ai` imports Vercel's AI Gateway provider, used for a model named by a
 *   string and for the gateway's own errors; the agent hands `ai` its model. Its zod schemas
 *   took 4 ms at load, and deferring it 6 ms of a run's CPU. Bundled: `ai` reads it when a model
 *   call fails, and then it shares the bundle's copies of zod and the AI SDK's utilities.
 *
 * @type {Readonly<Record<string, "bundled" | "installed">>}
 */
const DEFERRED_IN_CLI = { "@openfga/sdk": "installed", "@ai-sdk/gateway": "bundled" };

/**
 * Replaces each of `packages` (CommonJS or ES modules that Node loads as installed) with a
 * module of the same exports, each a getter that loads the package the first time any of them
 * is read. The names are read from the installed package at build time, so a new version's
 * exports are all there. The package itself is either bundled once, behind its stand-in
 * (`bundled`), or left out of the bundle and loaded from where it is installed (`installed`,
 * named relative to `outdir`, where the bundle ends up).
 *
 * @returns {import("esbuild").Plugin}
 */
export function deferredPackages(
  /** @type {Readonly<Record<string, "bundled" | "installed">>} */ packages,
  /** @type {string} */ outdir,
) {
  const names = new Set(Object.keys(packages));
  return {
    name: "deferred-packages",
    setup(build) {
      build.onResolve({ filter: /^[@a-z]/ }, async (args) => {
        if (args.pluginData === "deferred" || !names.has(args.path)) return undefined;
        const resolved = await resolveAsUsual(build, args, "deferred");
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        // One stand-in per installed file (named relative to the repository, as the bundle's
        // other modules are), so importers of two installed versions keep them apart. Named
        // .cjs: esbuild takes a .mjs name for an ES module whatever it holds, and then the
        // stand-in's getters went on the bundle's own exports, and its importers read
        // undefined (`ai` reads @ai-sdk/gateway's errors, from its index.mjs, when a model call
        // fails: "Cannot read properties of undefined (reading 'isInstance')").
        return {
          path: `${posixRelative(REPO_ROOT, resolved.path)}.deferred.cjs`,
          namespace: "deferred",
          pluginData: { file: resolved.path, resolveDir: args.resolveDir, name: args.path },
        };
      });
      build.onLoad({ filter: /.*/, namespace: "deferred" }, (args) => {
        const { file, resolveDir, name } =
          /** @type {{ file: string; resolveDir: string; name: string }} */ (args.pluginData);
        const exported = /** @type {Record<string, unknown>} */ (Module.createRequire(file)(file));
        const lazy = Object.keys(exported).filter((key) => key !== "__esModule");
        // A require() of a string esbuild bundles; of a path it computes, Node loads at run time.
        const load =
          packages[name] === "installed"
            ? `const load = () => (loaded ??= require(require("node:path").join(__dirname, ${JSON.stringify(posixRelative(outdir, file))})));`
            : `const load = () => (loaded ??= require(${JSON.stringify(file)}));`;
        return {
          contents: [
            "let loaded;",
            load,
            ...(exported.__esModule === true
              ? ['Object.defineProperty(exports, "__esModule", { value: true });']
              : []),
            `for (const key of ${JSON.stringify(lazy)}) {`,
            "  Object.defineProperty(exports, key, { enumerable: true, get: () => load()[key] });",
            "}",
          ].join("\n"),
          loader: "js",
          resolveDir,
        };
      });
    },
  };
}

/**
 * Packages whose main entry the agent CLI's bundle replaces, for every importer, with the one
 * module of the package that defines what those importers use. `@auth0/ai` imports only
 * `AuthenticationClient` from `auth0`, whose entry also builds the whole Management API client
 * at load (50 managers and their models): the authentication module alone takes 9 ms less of a
 * purchase's CPU on a 2-core AMD EPYC. esbuild checks every import against the module named
 * here, so a new version of an importer that needs more fails the build instead of a run.
 */
const NARROWED_IN_CLI = { auth0: "dist/esm/auth/index.js" };

/**
 * Resolves an import of each package of `entries` (name -> file inside the package) to that
 * file instead of the package's entry.
 *
 * @returns {import("esbuild").Plugin}
 */
export function narrowedEntries(/** @type {Readonly<Record<string, string>>} */ entries) {
  return {
    name: "narrowed-entries",
    setup(build) {
      build.onResolve({ filter: /^[@a-z]/ }, async (args) => {
        const inside = entries[args.path];
        if (inside === undefined || args.pluginData === "narrowed") return undefined;
        const entry = await resolveAsUsual(build, args, "narrowed");
        if (entry.errors.length > 0) return { errors: entry.errors };
        // The installed package's folder: its entry's path up to node_modules/<name>/.
        const folder = `${path.sep}node_modules${path.sep}${args.path.split("/").join(path.sep)}${path.sep}`;
        const at = entry.path.lastIndexOf(folder);
        const file = at < 0 ? "" : path.join(entry.path.slice(0, at + folder.length), inside);
        try {
          await stat(file);
        } catch {
          return { errors: [{ text: `${args.path} has no ${inside} to narrow its entry to` }] };
        }
        return { path: file };
      });
    },
  };
}

/**
 * Resolves every import of a workspace module of `standIns` (source -> stand-in, relative to the
 * repository) to its stand-in, which has the same exports.
 *
 * @returns {import("esbuild").Plugin}
 */
export function standIns(/** @type {Readonly<Record<string, string>>} */ modules) {
  const byFile = new Map(
    Object.entries(modules).map(([source, standIn]) => [
      path.resolve(REPO_ROOT, source),
      path.resolve(REPO_ROOT, standIn),
    ]),
  );
  // The names a relative import of one of them ends with: `./serve.js` for `serve.ts`.
  const names = [...byFile.keys()].map((file) => path.basename(file, path.extname(file)));
  const filter = new RegExp(
    `/(${names.map((name) => name.replace(/\W/g, "\\$&")).join("|")})(\\.[jt]s)?$`,
  );
  return {
    name: "stand-ins",
    setup(build) {
      build.onResolve({ filter }, async (args) => {
        if (args.pluginData === "stand-in") return undefined;
        const resolved = await resolveAsUsual(build, args, "stand-in");
        const standIn = byFile.get(resolved.path);
        return standIn === undefined ? undefined : { path: standIn };
      });
    },
  };
}

/**
 * An external package is imported by its installed file (relative to `outdir`): pnpm installs
 * each package beside its own dependents only, so its bare name would not resolve from there.
 *
 * @returns {import("esbuild").Plugin}
 */
function externalPackages(/** @type {string} */ outdir) {
  return {
    name: "external-packages",
    setup(build) {
      build.onResolve({ filter: EXTERNAL_FILTER }, async (args) => {
        if (args.pluginData === "external") return undefined;
        const resolved = await resolveAsUsual(build, args, "external");
        // Not installed (an optional peer such as pg-native): left for the package to handle.
        if (resolved.errors.length > 0) return { path: args.path, external: true };
        const relative = posixRelative(outdir, resolved.path);
        return { path: relative.startsWith(".") ? relative : `./${relative}`, external: true };
      });
    },
  };
}

/** A dependency's JSON file this large or larger is bundled as `JSON.parse` of its text. */
const LARGE_JSON_BYTES = 10_000;

/**
 * A large JSON file of a dependency becomes `module.exports = JSON.parse("<its data>")` instead
 * of the object literal esbuild writes for it: V8 parses JSON faster than the same data as
 * JavaScript. mime-db's 200 KB database, which Express loads at every start of each server,
 * took 11 ms of a tenant's start as a literal. A workspace file keeps esbuild's loader: the
 * build records what it reads (`workspaceModules`), and a dependency's files change only with
 * the lockfile. Invalid JSON fails the build, as with esbuild's own loader.
 *
 * @returns {import("esbuild").Plugin}
 */
export function largeJsonAsParse() {
  return {
    name: "large-json-as-parse",
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.json$/ }, async (args) => {
        const text = await readFile(args.path, "utf8");
        if (Buffer.byteLength(text) < LARGE_JSON_BYTES) return undefined;
        /** @type {unknown} */
        let data;
        try {
          data = JSON.parse(text);
        } catch (error) {
          return {
            errors: [{ text: `${args.path} is not JSON: ${/** @type {Error} */ (error).message}` }],
          };
        }
        // Without the file's indentation (a third of mime-db's): less for each start to read.
        const compact = JSON.stringify(JSON.stringify(data));
        return { contents: `module.exports = JSON.parse(${compact});`, loader: "js" };
      });
    },
  };
}

/**
 * What every bundle shares, for output that ends up in `outdir` (the plugins' paths are relative
 * to it, so the output may be written elsewhere first and moved there).
 *
 * @returns {import("esbuild").BuildOptions}
 */
function commonOptions(
  /** @type {string} */ outdir,
  /** @type {Fingerprints | undefined} */ read = undefined,
) {
  return {
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: "node",
    target: "node20.19",
    minifySyntax: true,
    minifyWhitespace: true,
    sourcemap: "linked",
    sourcesContent: false,
    // The source maps name files relative to the folder the output ends up in.
    sourceRoot: "",
    metafile: true,
    logLevel: "warning",
    plugins: [externalPackages(outdir), workspaceModules(outdir, read), largeJsonAsParse()],
  };
}

/**
 * What every CommonJS build shares. A CommonJS file has no import.meta: the file's own URL
 * stands in for it, `__buildModuleUrl`, which `MODULE_URL_SHIM` (first in the file) defines.
 */
const COMMONJS_OPTIONS = /** @type {const} */ ({
  format: "cjs",
  define: { "import.meta.url": "__buildModuleUrl" },
});
const MODULE_URL_SHIM =
  'const __buildModuleUrl = require("node:url").pathToFileURL(__filename).href;';

/**
 * `entries` (output name -> source) split into those built as ES modules and those built as one
 * CommonJS file each (`COMMONJS_ENTRIES`).
 *
 * @returns {[Record<string, string>, Record<string, string>]}
 */
function partitionEntries(/** @type {Record<string, string>} */ entries) {
  const all = Object.entries(entries);
  const isCommonJs = (/** @type {string} */ name) =>
    COMMONJS_ENTRIES.has(/** @type {EntryName} */ (name));
  return [
    Object.fromEntries(all.filter(([name]) => !isCommonJs(name))),
    Object.fromEntries(all.filter(([name]) => isCommonJs(name))),
  ];
}

/**
 * The ES-module build of `entries` (output name -> source, relative to the repository), for
 * output that ends up in `outdir` (`read`: see `workspaceModules`).
 *
 * @returns {import("esbuild").BuildOptions}
 */
function moduleOptions(
  /** @type {Record<string, string>} */ entries,
  /** @type {string} */ outdir,
  /** @type {Fingerprints | undefined} */ read = undefined,
) {
  return {
    ...commonOptions(outdir, read),
    entryPoints: Object.fromEntries(
      Object.entries(entries).map(([name, source]) => [name, path.resolve(REPO_ROOT, source)]),
    ),
    splitting: true,
    format: "esm",
    // CommonJS dependencies inside an ESM bundle call require() for Node's own modules.
    banner: {
      js: 'import { createRequire as __buildRequire } from "node:module"; const require = __buildRequire(import.meta.url);',
    },
  };
}

/**
 * The fingerprints to record for `sources` (absolute), relative to the repository: each as the
 * builds that read it saw it just before reading it (`reads`, one map per build). A file two
 * builds read with different fingerprints was saved between the two reads, and one none of them
 * recorded was read in a way nothing saw: either is recorded as never current, so the next
 * check builds again rather than taking what was built for today's text.
 *
 * @returns {Record<string, [number, number]>}
 */
export function inputsAsRead(
  /** @type {Iterable<string>} */ sources,
  /** @type {readonly Fingerprints[]} */ reads,
) {
  /** @type {Record<string, [number, number]>} */
  const inputs = {};
  for (const file of sources) {
    /** @type {Map<string, [number, number]>} */
    const prints = new Map();
    for (const read of reads) {
      const print = read.get(file);
      if (print !== undefined) prints.set(print.join(" "), print);
    }
    const [print] = prints.values();
    inputs[path.relative(REPO_ROOT, file)] = prints.size === 1 && print ? print : [-1, -1];
  }
  return inputs;
}

/**
 * Rebuilds everything into `build/`, then records what it read, each file as it was just
 * before the build read it (see `workspaceModules`): a source saved while the build runs is
 * recorded with its older fingerprint, so the next `isBuildCurrent` sees the change and builds
 * again instead of taking the older text for today's. The output is written beside and swapped
 * in, so a process never starts from a half-written build. `forAgent`: the build a run of the
 * agent makes where `build/` holds none of this checkout (`ensureAgentBuilt`), which leaves the
 * chat page's script out when only that does not compile, recorded as never current.
 */
export async function build({ forAgent = false } = {}) {
  const esbuild = await import("esbuild");
  const staging = newBuildFolder();
  try {
    await buildInto(esbuild, staging, { forAgent });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  await installBuild(staging);
}

/**
 * The build folders this module put in place or moved away (`installBuild`). Of the folders
 * named after this process, only these are its own to remove: one it is still writing is not
 * among them, nor one of a worker thread of the same process (a Vitest pool of threads), which
 * has a copy of this module and builds of its own.
 */
const installedHere = new Set();

/**
 * A new folder for a whole build, beside `build`: `build.<time>-<pid>-<random>`, at the same
 * depth as `build/`, so that every path the output names relative to `build/` holds there too.
 */
export function newBuildFolder(link = BUILD_DIR) {
  const random = randomBytes(4).toString("hex");
  return `${link}.${Date.now().toString(36)}-${String(process.pid)}-${random}`;
}

/** Whether the process `pid` is running (or is not ours to signal, which is running too). */
function isRunning(/** @type {number} */ pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code !== "ESRCH";
  }
}

/**
 * Puts the whole build in `folder` (a `newBuildFolder(link)`) in place as `link`: a symlink to
 * it, renamed over the one before, so `build/` names a whole build at every instant. A process
 * that starts from `build/<name>` while a build is swapped in runs the one before or this one,
 * never a half-written folder or none (Node loads a module from its real path, so it goes on
 * with the build it started from); and a file written under `build/` meanwhile (a stop point's
 * launcher) can no longer recreate an empty `build/` for the swap to trip on.
 *
 * The build replaced stays, for processes still loading chunks of it, until the next swap; older
 * ones go, as do those a process that has ended left behind (a build's folder is named after the
 * process writing it). A `build/` folder of an older checkout is moved away first.
 */
export async function installBuild(/** @type {string} */ folder, link = BUILD_DIR) {
  const parent = path.dirname(link);
  const named = path.basename(link);
  const before = await lstat(link).catch(() => undefined);
  if (before?.isDirectory()) {
    const moved = newBuildFolder(link);
    await rename(link, moved);
    installedHere.add(moved);
  }
  /** The folder `link` points to now (a relative link names a folder beside it). */
  const target = async () => path.resolve(parent, await readlink(link));
  const replaced = before?.isSymbolicLink() ? await target().catch(() => undefined) : undefined;
  const pointer = `${folder}.link`;
  await rm(pointer, { force: true });
  // Windows links a folder with a junction, which needs an absolute path.
  if (process.platform === "win32") await symlink(folder, pointer, "junction");
  else await symlink(path.basename(folder), pointer, "dir");
  await rename(pointer, link);
  installedHere.add(folder);
  const current = await target();
  const stale = (await readdir(parent)).flatMap((name) => {
    const pid = name.startsWith(`${named}.`)
      ? /^[a-z0-9]+-(\d+)-[0-9a-f]+/.exec(name.slice(named.length + 1))?.[1]
      : undefined;
    const file = path.join(parent, name);
    if (pid === undefined || file === current || file === replaced) return [];
    // Another process's build may still be under way; an ended one's never will be.
    if (Number(pid) === process.pid ? !installedHere.has(file) : isRunning(Number(pid))) return [];
    installedHere.delete(file);
    return [file];
  });
  await Promise.all(stale.map((file) => rm(file, { recursive: true, force: true })));
}

/** The chat page's script, bundled for the browser: the web app serves it (client-bundle.ts). */
const CHAT_CLIENT_SOURCE = "apps/agent/src/web/client/chat.ts";

/**
 * What the web app reads of the chat page's script the build bundled (`readPrebuiltChatClient`
 * in client-bundle.ts): its text, and each file of the repository it was built from with its
 * modification time as the build read it (`read`), the lockfile among them for the packages it
 * bundles (`always`). The web app serves it while every file still has that time, and bundles
 * the script itself once one changed. A file whose time the build did not see gets -1, which no
 * file has: the web app bundles again.
 */
function prebuiltChatClient(
  /** @type {import("esbuild").BuildResult<{ write: false; metafile: true }>} */ result,
  /** @type {Fingerprints} */ read,
  /** @type {Record<string, [number, number]>} */ always,
) {
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error("esbuild wrote no chat page script");
  const files = chatClientSources(result.metafile.inputs, REPO_ROOT);
  const lockfile = always["pnpm-lock.yaml"];
  return {
    format: PREBUILT_CHAT_CLIENT_FORMAT,
    text: output.text,
    sources: [
      ...files.map((file) => ({ file, modifiedAt: read.get(file)?.[1] ?? -1 })),
      { file: path.join(REPO_ROOT, "pnpm-lock.yaml"), modifiedAt: lockfile?.[1] ?? -1 },
    ],
  };
}

/**
 * A build that did not compile. Its errors are shown on stderr already (`showMessages`);
 * `agentFailed` says whether the agent CLI's own files were among those that failed.
 */
export class BuildFailedError extends Error {
  /** @override */
  name = "BuildFailedError";

  constructor(
    /** @type {string} */ message,
    /** @type {boolean} */ agentFailed,
    /** @type {{ cause: unknown }} */ options,
  ) {
    super(message, options);
    this.agentFailed = agentFailed;
  }
}

/**
 * The errors and warnings of `settled` builds on stderr, as esbuild shows them, each once:
 * builds that read the same file (the agent's bundles) would each show its error.
 */
async function showMessages(
  /** @type {typeof import("esbuild")} */ esbuild,
  /** @type {PromiseSettledResult<import("esbuild").BuildResult>[]} */ settled,
) {
  /** @type {Map<string, import("esbuild").Message>} */
  const errors = new Map();
  /** @type {Map<string, import("esbuild").Message>} */
  const warnings = new Map();
  for (const result of settled) {
    const { errors: failed = [], warnings: warned = [] } =
      /** @type {Partial<import("esbuild").BuildFailure>} */ (
        result.status === "fulfilled" ? result.value : result.reason
      );
    for (const [kept, messages] of /** @type {const} */ ([
      [errors, failed],
      [warnings, warned],
    ])) {
      for (const message of messages) {
        kept.set(JSON.stringify([message.text, message.location]), message);
      }
    }
  }
  for (const [kind, messages] of /** @type {const} */ ([
    ["warning", warnings],
    ["error", errors],
  ])) {
    if (messages.size === 0) continue;
    const shown = await esbuild.formatMessages([...messages.values()], {
      kind,
      color: process.stderr.isTTY,
    });
    process.stderr.write(shown.join(""));
  }
}

/** `file:line: text` of esbuild's first error in `error`, or its message. */
function firstBuildError(/** @type {unknown} */ error) {
  const { errors } = /** @type {Partial<import("esbuild").BuildFailure>} */ (error);
  const [first] = errors ?? [];
  if (first === undefined) return error instanceof Error ? error.message : String(error);
  const where =
    first.location === null ? "" : `${first.location.file}:${String(first.location.line)}: `;
  return `${where}${first.text}`;
}

/**
 * The builds of `build()`, written into `staging`, and the record of what they read. With
 * `agentOnly` (`ensureAgentBuilt`), the agent CLI's files alone, into a `staging` that holds a
 * copy of the build before, whose record `before` is: the record keeps each file the other
 * entries were built from as that build read it, so that `isBuildCurrent` still sees their
 * changes. Fails with a `BuildFailedError` once every build has ended, when one did not compile.
 */
async function buildInto(
  /** @type {typeof import("esbuild")} */ esbuild,
  /** @type {string} */ staging,
  /** @type {{ agentOnly?: BuildState; forAgent?: boolean }} */ {
    agentOnly: before,
    forAgent,
  } = {},
) {
  /** @type {Record<string, [number, number]>} */
  const always = {};
  for (const file of ALWAYS_INPUTS) {
    const print = await fingerprint(file);
    if (print !== undefined) always[file] = print;
  }
  /** What each of the builds below read, one map each: a build empties its own as it starts. */
  /** @type {Fingerprints[]} */
  const reads = [];
  /** Those of the agent CLI's own builds. */
  /** @type {Fingerprints[]} */
  const agentReads = [];
  const recorded = (agent = false) => {
    /** @type {Fingerprints} */
    const read = new Map();
    reads.push(read);
    if (agent) agentReads.push(read);
    return read;
  };
  /**
   * A one-file build that `runWithCodeCache` runs: `source` to `file`, with `plugins` first.
   *
   * @returns {import("esbuild").BuildOptions}
   */
  const script = (
    /** @type {string} */ source,
    /** @type {string} */ file,
    /** @type {import("esbuild").Plugin[]} */ plugins = [],
  ) => {
    const common = commonOptions(BUILD_DIR, recorded(true));
    return {
      ...common,
      logLevel: "silent",
      entryPoints: [path.join(REPO_ROOT, source)],
      outfile: path.join(staging, file),
      ...COMMONJS_OPTIONS,
      plugins: [
        ...plugins,
        narrowedEntries(NARROWED_IN_CLI),
        deferredPackages(DEFERRED_IN_CLI, BUILD_DIR),
        ...(common.plugins ?? []),
      ],
      // No import(), which Node 20 cannot run in a script read from a code cache: require().
      supported: { "dynamic-import": false },
      // Written already wrapped as Node wraps a CommonJS file, so `runWithCodeCache` compiles
      // the file's text as it is read instead of a wrapped copy of its megabytes.
      banner: { js: `${WRAPPER_START}${MODULE_URL_SHIM}` },
      footer: { js: WRAPPER_END },
    };
  };
  const [modules, commonJs] = partitionEntries(ENTRIES);
  const chatClientRead = recorded(true);
  // The CommonJS entries are the agent's launcher (`COMMONJS_ENTRIES`).
  const agentBuilds = [
    ...Object.entries(commonJs).map(([name, source]) =>
      esbuild.build({
        ...commonOptions(BUILD_DIR, recorded(true)),
        logLevel: "silent",
        entryPoints: [path.join(REPO_ROOT, source)],
        outfile: path.join(staging, `${name}.cjs`),
        ...COMMONJS_OPTIONS,
        banner: { js: MODULE_URL_SHIM },
      }),
    ),
    esbuild.build(
      script(AGENT_CLI_BUNDLE.source, AGENT_CLI_BUNDLE.file, [
        standIns({ [AGENT_SERVE_BUNDLE.source]: AGENT_SERVE_BUNDLE.standIn }),
      ]),
    ),
    esbuild.build(script(AGENT_SERVE_BUNDLE.source, AGENT_SERVE_BUNDLE.file)),
  ];
  const otherBuilds =
    before === undefined
      ? [
          esbuild.build({
            ...moduleOptions(modules, BUILD_DIR, recorded()),
            logLevel: "silent",
            outdir: staging,
          }),
        ]
      : [];
  const chatClientBuild = esbuild.build({
    ...chatClientBuildOptions(path.join(REPO_ROOT, CHAT_CLIENT_SOURCE)),
    absWorkingDir: REPO_ROOT,
    plugins: [workspaceModules(BUILD_DIR, chatClientRead)],
  });
  // Each build to its end, so that one that fails says whether the agent's own did.
  const [agentSettled, otherSettled] = await Promise.all([
    Promise.allSettled([chatClientBuild, ...agentBuilds]),
    Promise.allSettled(otherBuilds),
  ]);
  await showMessages(esbuild, [...agentSettled, ...otherSettled]);
  const failed = (/** @type {PromiseSettledResult<unknown>[]} */ settled) =>
    settled.flatMap((result) => (result.status === "rejected" ? [result.reason] : []));
  const [chatSettled, ...cliSettled] = agentSettled;
  // A run of the agent (`agentOnly`, `forAgent`) does not need the chat page's script: the web
  // app bundles it at the page's request when the build has none current (client-bundle.ts), and
  // says there what does not compile. Such a run goes on with the agent's own files.
  const chatFailed = chatSettled === undefined ? [] : failed([chatSettled]);
  const chatLeftOut =
    (before !== undefined || forAgent === true) &&
    chatFailed.length > 0 &&
    failed(cliSettled).length === 0;
  // The agent's own error first, when its own files fail too.
  const [agentFailure] = [...failed(cliSettled), ...(chatLeftOut ? [] : chatFailed)];
  const [failure = agentFailure] = [agentFailure, ...failed(otherSettled)].filter(
    (reason) => reason !== undefined,
  );
  if (failure !== undefined) {
    throw new BuildFailedError(firstBuildError(failure), agentFailure !== undefined, {
      cause: failure,
    });
  }
  const fulfilled = (
    /** @type {PromiseSettledResult<import("esbuild").BuildResult>[]} */ settled,
  ) => settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const agentResults = fulfilled(cliSettled);
  const [chatClient] = chatSettled === undefined ? [] : fulfilled([chatSettled]);
  if (chatClient === undefined && !chatLeftOut) {
    throw new Error("esbuild built no chat page script");
  }
  if (chatLeftOut) {
    process.stderr.write(
      "The chat page's script does not compile (the error above): the agent runs without it, and its web app answers the page's request for it with that error until it is corrected.\n",
    );
  }
  const built = chatClient === undefined ? agentResults : [chatClient, ...agentResults];
  const sourcesOf = (/** @type {import("esbuild").BuildResult[]} */ results) =>
    new Set(
      results
        .flatMap((result) => Object.keys(result.metafile?.inputs ?? {}))
        .map((file) => path.resolve(REPO_ROOT, file))
        .filter(isWorkspaceSource),
    );
  const agent = {
    ...always,
    ...inputsAsRead(sourcesOf(built), agentReads),
  };
  /** @type {BuildState} */
  const state = {
    format: FORMAT,
    root: REPO_ROOT,
    entries: ENTRIES,
    // The other entries' files as the build before read them: changed since, they are still
    // seen as changed.
    inputs:
      before === undefined
        ? {
            ...always,
            ...inputsAsRead(sourcesOf([...built, ...fulfilled(otherSettled)]), reads),
            // Left out, the chat page's script is never current: the next build that is not
            // the agent's alone builds it again, and fails while it does not compile.
            ...(chatLeftOut ? { [CHAT_CLIENT_SOURCE]: [-1, -1] } : {}),
          }
        : { ...agent, ...before.inputs },
    agent,
  };
  if (chatClient === undefined) {
    await rm(path.join(staging, PREBUILT_CHAT_CLIENT_FILE), { force: true });
  } else {
    await writeFile(
      path.join(staging, PREBUILT_CHAT_CLIENT_FILE),
      JSON.stringify(prebuiltChatClient(chatClient, chatClientRead, always)),
    );
  }
  await writeFile(path.join(staging, "state.json"), `${JSON.stringify(state)}\n`);
  await writeFile(path.join(staging, "package.json"), '{ "type": "module" }\n');
}

/** @typedef {{ errors: number; written: string[] }} BuildReport */

/**
 * A build `watchBuild` keeps (`cacheDir`), in `<cacheDir>/<name>/`: its output files (named
 * relative to the folder), and this record as `state.json`. `key` names what else decides the
 * output: the entries, the repository, and the folder of the `outdir` it was built for (the
 * output names files relative to `outdir`: the same in any folder beside it).
 *
 * @typedef {{ format: number; key: string; sources: string[]; inputs: Record<string, [number, number]>; outputs: string[] }} KeptBuild
 */

/**
 * The start of the names of `key`'s kept builds: `<hash of the key>-<time>-<pid>`, with `.tmp`
 * or `.old` after it while one is written or removed.
 */
const keptBuildPrefix = (/** @type {string} */ key) =>
  `${createHash("sha256").update(key).digest("hex").slice(0, 16)}-`;

/**
 * Copies into `outdir` the newest build kept in `cacheDir` under `key` whose inputs are all as
 * they were when it was built, and resolves with its record. Undefined when there is none, or
 * when it went while being copied (another process kept a newer one): `outdir` may then hold a
 * part of it. A kept build is never changed, only removed (renamed away first), so a copy is
 * either whole or fails.
 *
 * @returns {Promise<KeptBuild | undefined>}
 */
async function keptBuild(
  /** @type {string} */ cacheDir,
  /** @type {string} */ key,
  /** @type {string} */ outdir,
) {
  const prefix = keptBuildPrefix(key);
  const names = await readdir(cacheDir).catch(() => /** @type {string[]} */ ([]));
  const kept = names.filter((name) => name.startsWith(prefix) && !name.includes("."));
  for (const name of kept.sort().reverse()) {
    const folder = path.join(cacheDir, name);
    /** @type {KeptBuild} */
    let record;
    try {
      record = JSON.parse(await readFile(path.join(folder, "state.json"), "utf8"));
    } catch {
      continue;
    }
    if (record.format !== FORMAT || record.key !== key || !(await unchanged(record.inputs))) {
      continue;
    }
    try {
      await Promise.all(
        record.outputs.map(async (file) => {
          await mkdir(path.dirname(path.join(outdir, file)), { recursive: true });
          await copyFile(path.join(folder, file), path.join(outdir, file));
        }),
      );
      return record;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Keeps a build in `cacheDir` (see `KeptBuild`): written aside, then renamed into place. Not
 * when a source is gone since the build read it.
 */
async function keepBuild(
  /** @type {string} */ cacheDir,
  /** @type {string} */ key,
  /** @type {string} */ outdir,
  /** @type {import("esbuild").OutputFile[]} */ files,
  /** @type {string[]} */ sources,
  /** @type {Fingerprints} */ read,
) {
  /** @type {Record<string, [number, number]>} */
  const inputs = {};
  for (const file of [...sources, ...ALWAYS_INPUTS.map((input) => path.join(REPO_ROOT, input))]) {
    const print = read.get(file) ?? (await fingerprint(file));
    if (print === undefined) return;
    inputs[file] = print;
  }
  const prefix = keptBuildPrefix(key);
  const name = `${prefix}${Date.now().toString(36).padStart(9, "0")}-${String(process.pid)}`;
  const staging = path.join(cacheDir, `${name}.tmp`);
  const outputs = files.map((file) => path.relative(outdir, file.path));
  /** @type {KeptBuild} */
  const record = { format: FORMAT, key, sources, inputs, outputs };
  for (const [i, file] of files.entries()) {
    const to = path.join(staging, outputs[i] ?? "");
    await mkdir(path.dirname(to), { recursive: true });
    await writeFile(to, file.contents);
  }
  await writeFile(path.join(staging, "state.json"), `${JSON.stringify(record)}\n`);
  await rename(staging, path.join(cacheDir, name));
  // Only the newest kept build stays, whatever its key: each process removes all others it sees.
  // The newest one's process sees every one kept before it; one renamed into place after it sees
  // it. Each goes renamed away first, so that a copy under way fails instead of taking a part of
  // it. What a killed process left half-written or half-removed goes too.
  const names = await readdir(cacheDir);
  // `<time>-<pid>`: every process orders two builds kept in the same millisecond alike.
  const keptAt = (/** @type {string} */ kept) => kept.slice(kept.indexOf("-") + 1);
  const finished = names.filter((other) => !other.includes("."));
  const newest = finished.reduce((a, b) => (keptAt(b) > keptAt(a) ? b : a), name);
  for (const other of finished.filter((kept) => kept !== newest)) {
    const folder = path.join(cacheDir, other);
    const old = `${folder}.${String(process.pid)}.old`;
    const renamed = await rename(folder, old).then(
      () => true,
      () => false,
    );
    if (renamed) await rm(old, { recursive: true, force: true });
  }
  const abandoned = Date.now() - 10 * 60_000;
  for (const other of names.filter((left) => left.includes("."))) {
    const folder = path.join(cacheDir, other);
    const info = await stat(folder).catch(() => undefined);
    if (info !== undefined && info.mtimeMs < abandoned) {
      await rm(folder, { recursive: true, force: true });
    }
  }
}

/**
 * `pnpm dev`'s build: `entries` (output name -> source, as in ENTRIES) bundled as `build()`
 * bundles them, into `outdir`, and again whenever a source they were built from changes
 * (incrementally: a rebuild takes a fraction of a second). Only output files whose contents
 * changed are written, so a server run with `node --watch` starts again exactly when a file it
 * loaded changed, and the others keep running. A change that does not compile is reported by
 * esbuild and written nowhere: the servers keep running the last code that did. Resolves once
 * the first build is written; `stop()` ends the watching and removes `outdir`. `onBuilt` hears
 * of every build once its files are written: how many errors it had, and the files it wrote.
 *
 * With `cacheDir`, each build that compiled is also kept there (`keepBuild`), and the first
 * build is a copy of the newest one kept for the same entries and an `outdir` in the same
 * folder, when every file it read is as it was then (by the main build's rules: each source
 * it read, as it was just before the build read it; the lockfile; this file; `FORMAT`):
 * `cached` says so. esbuild then starts at the first change of a source, and that rebuild
 * builds everything (as long as a start without the cache); the ones after it are incremental.
 */
export async function watchBuild(
  /** @type {Record<string, string>} */ entries,
  /** @type {string} */ outdir,
  /** @type {(build: BuildReport) => void} */ onBuilt = () => undefined,
  /** @type {{ cacheDir?: string }} */ { cacheDir } = {},
) {
  const commonJs = Object.keys(partitionEntries(entries)[1]);
  if (commonJs.length > 0) {
    throw new Error(`watchBuild builds ES modules only, not ${commonJs.join(", ")}`);
  }
  const emptyOutdir = async () => {
    await rm(outdir, { recursive: true, force: true });
    await mkdir(outdir, { recursive: true });
    await writeFile(path.join(outdir, "package.json"), '{ "type": "module" }\n');
  };
  await emptyOutdir();
  const key = JSON.stringify({ root: REPO_ROOT, entries, folder: path.dirname(outdir) });
  const kept = cacheDir === undefined ? undefined : await keptBuild(cacheDir, key, outdir);
  if (cacheDir !== undefined && kept === undefined) await emptyOutdir();

  /** The sources of a build: what it read outside node_modules (which the lockfile stands for). */
  const sourcesOf = (/** @type {import("esbuild").BuildResult} */ result) =>
    Object.keys(result.metafile?.inputs ?? {})
      .map((file) => path.resolve(REPO_ROOT, file))
      .filter((file) => !file.includes(`${path.sep}node_modules${path.sep}`));
  /** @type {Fingerprints} */
  const read = new Map();
  let keeping = Promise.resolve();
  /** Each output file as this build last wrote it. */
  /** @type {Map<string, Uint8Array>} */
  const written = new Map();
  /** @type {import("esbuild").Plugin} */
  const writeChanged = {
    name: "write-changed",
    setup(build) {
      build.onEnd(async (result) => {
        if (result.errors.length > 0) {
          onBuilt({ errors: result.errors.length, written: [] });
          return;
        }
        const files = result.outputFiles ?? [];
        // A file this build has not written yet may be in `outdir` already: a kept build's copy.
        const before = new Map(
          await Promise.all(
            files.map(async (file) => {
              const was =
                written.get(file.path) ?? (await readFile(file.path).catch(() => undefined));
              return /** @type {const} */ ([file.path, was]);
            }),
          ),
        );
        const changed = files.filter((file) => {
          const was = before.get(file.path);
          return was === undefined || Buffer.compare(was, file.contents) !== 0;
        });
        // New files first (a changed chunk has a new name: its hash), each whole or not at all
        // (written aside, renamed into place); then the ones a server may have loaded, the
        // entries, in place. Node watches a file it loaded by its inode, so a file renamed over
        // it would end the watching. Node starts a server again 200 ms after the last change it
        // saw, by which time every file of this build is written.
        const fresh = changed.filter((file) => before.get(file.path) === undefined);
        const loaded = changed.filter((file) => before.get(file.path) !== undefined);
        for (const file of fresh) {
          await mkdir(path.dirname(file.path), { recursive: true });
          const partial = `${file.path}.partial`;
          await writeFile(partial, file.contents);
          await rename(partial, file.path);
        }
        for (const file of loaded) await writeFile(file.path, file.contents);
        for (const file of files) written.set(file.path, file.contents);
        onBuilt({ errors: 0, written: changed.map((file) => file.path) });
        if (cacheDir !== undefined) {
          // What this build read, taken now: the next build starts over.
          const sources = sourcesOf(result);
          const prints = new Map(read);
          keeping = keeping
            .then(() => keepBuild(cacheDir, key, outdir, files, sources, prints))
            .catch(() => undefined);
        }
      });
    },
  };
  /** @type {import("esbuild").BuildContext | undefined} */
  let context;
  const rebuild = async () => {
    if (context === undefined) {
      const esbuild = await import("esbuild");
      const options = moduleOptions(entries, outdir, read);
      context = await esbuild.context({
        ...options,
        outdir,
        write: false,
        plugins: [...(options.plugins ?? []), writeChanged],
      });
    }
    return context.rebuild();
  };

  // esbuild's own watch mode polls, and may take two seconds to see a change: the folders of
  // the sources are watched instead (inotify on Linux), and a change to a source (an editor's
  // save by rename included) rebuilds 20 ms after the last of a burst.
  /** @type {Map<string, import("node:fs").FSWatcher>} */
  const folders = new Map();
  /** @type {Set<string>} */
  let sources = new Set();
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  let building = Promise.resolve();
  const track = (/** @type {string[]} */ files) => {
    sources = new Set(files);
    for (const folder of new Set(files.map((file) => path.dirname(file)))) {
      if (folders.has(folder)) continue;
      const watcher = watch(folder, (_event, name) => {
        if (name !== null && sources.has(path.join(folder, name))) rebuildSoon();
      });
      // A folder that goes away ends its watcher; the next build watches what is there.
      watcher.on("error", () => {
        watcher.close();
        folders.delete(folder);
      });
      folders.set(folder, watcher);
    }
  };
  const rebuildSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      // A build that fails (reported by esbuild, written nowhere) keeps the sources it had.
      building = building.then(() =>
        rebuild().then(
          (result) => track(sourcesOf(result)),
          () => undefined,
        ),
      );
    }, 20);
  };
  if (kept === undefined) {
    const first = await rebuild().catch(async (/** @type {unknown} */ error) => {
      await context?.dispose();
      throw error;
    });
    track(sourcesOf(first));
  } else {
    onBuilt({ errors: 0, written: kept.outputs.map((file) => path.join(outdir, file)) });
    track(kept.sources);
  }
  // A source saved after the first build read it and before its folder was watched: built now.
  if (!(await unchanged(kept?.inputs ?? Object.fromEntries(read)))) rebuildSoon();
  return {
    /** Whether the first build was a kept one (`cacheDir`). */
    cached: kept !== undefined,
    async stop() {
      clearTimeout(timer);
      for (const watcher of folders.values()) watcher.close();
      await building;
      await keeping;
      await context?.dispose();
      await rm(outdir, { recursive: true, force: true });
    },
  };
}

/** The check and build under way in this process, which a second `ensureBuilt` waits for. */
/** @type {Promise<boolean> | undefined} */
let ensuring;

/**
 * Builds unless `build/` is current. Resolves with whether it built. Calls at once (a test
 * file's `Promise.all` of stop points) share one check and one build. With `forAgent`
 * (`ensureAgentBuilt`), a chat page script that does not compile is left out, as `build`'s.
 *
 * @param {{ quiet: boolean; forAgent?: boolean }} options
 */
export function ensureBuilt(options = { quiet: false }) {
  ensuring ??= buildUnlessCurrent(options).finally(() => {
    ensuring = undefined;
  });
  return ensuring;
}

/** No build can be written in the checkout: its message says so, and what to do, in one line. */
export class BuildFolderError extends Error {
  /** @override */
  name = "BuildFolderError";
}

/**
 * Fails with a `BuildFolderError` when no build can be written beside `link` (`build/`): a
 * read-only checkout (a container's image, a mount with `ro`), or one another user owns, whose
 * `build/` is not current for it (made at another path, or before a source changed). esbuild
 * would otherwise fail with its own words and a stack.
 */
export async function checkBuildWritable(link = BUILD_DIR) {
  const parent = path.dirname(link);
  // A folder made and removed: what the build does first, whoever runs it (root included).
  const probe = newBuildFolder(link);
  try {
    await mkdir(probe);
    await rm(probe, { recursive: true, force: true });
  } catch (error) {
    const code = /** @type {NodeJS.ErrnoException} */ (error).code ?? String(error);
    throw new BuildFolderError(
      `cannot write the build into ${parent} (${code}): its build/ was made for another path ` +
        "or older sources, and this user may not write the checkout to make it again. Run from " +
        `a copy this user may write (cp -a ${parent} <a folder of yours>), or give this user ` +
        "the checkout",
      { cause: error },
    );
  }
}

async function buildUnlessCurrent(/** @type {{ quiet: boolean; forAgent?: boolean }} */ options) {
  if (await isBuildCurrent()) return false;
  await checkBuildWritable();
  const started = performance.now();
  if (!options.quiet) process.stderr.write("building build/ (sources changed) ...\n");
  await mkdir(path.dirname(BUILD_DIR), { recursive: true });
  await build({ forAgent: options.forAgent === true });
  if (!options.quiet) {
    process.stderr.write(`built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  return true;
}

/**
 * What `pnpm agent` runs from (`apps/agent/bin/agent.js`), made current for the agent alone: its
 * launcher, its two bundles and the chat page's script (`BuildState`'s `agent`). `build/` as it
 * is when those are current, whatever other source changed (a shop that does not compile
 * included); when one of theirs changed, those files alone built again into a copy of the
 * build, the rest of it as it was, which the next script that runs another entry builds again
 * (`isBuildCurrent` still sees what changed). The whole build when `build/` holds none of this
 * checkout to keep the rest of (a fresh clone, a build made at another path). Either leaves out
 * the chat page's script when only that does not compile. Fails as `ensureBuilt` does, with a
 * `BuildFailedError` when the build does not compile.
 */
export async function ensureAgentBuilt() {
  if (await isBuildCurrent()) return;
  const before = await buildState();
  if (before === undefined) {
    await ensureBuilt({ quiet: false, forAgent: true });
    return;
  }
  if (before.agent !== undefined && (await unchanged(before.agent))) return;
  await checkBuildWritable();
  const started = performance.now();
  process.stderr.write("building the agent in build/ (its sources changed) ...\n");
  const esbuild = await import("esbuild");
  const staging = newBuildFolder();
  try {
    // Not the code caches, which V8 would refuse for the new files anyway.
    await cp(await realpath(BUILD_DIR), staging, {
      recursive: true,
      filter: (file) => !file.endsWith(".cache"),
    });
    await buildInto(esbuild, staging, { agentOnly: before });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  await installBuild(staging);
  process.stderr.write(`built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

/**
 * `ensureAgentBuilt()`, or, when the agent cannot run, why and the fix, with exit code 1
 * (`ERROR`, error `build_failed`): on stderr, or as the agent's one JSON report on stdout when
 * `args` ask for `--json`, as each of the agent's failures is reported. esbuild has shown its
 * errors above; Node's stack is no help to the person and is left out.
 */
export async function ensureAgentBuiltOrSay(/** @type {string[]} */ args) {
  try {
    await ensureAgentBuilt();
    return true;
  } catch (error) {
    let message;
    let fix;
    if (error instanceof BuildFolderError) {
      message = `The agent cannot be built: ${error.message}.`;
      fix = "Run the agent from a checkout this user may write.";
    } else if (error instanceof BuildFailedError && error.agentFailed) {
      message = `The agent's code does not compile (${error.message}), so it cannot run.`;
      fix =
        "Correct the error esbuild shows (pnpm build shows it again), then run the agent again.";
    } else if (error instanceof BuildFailedError) {
      message = `The build does not compile (${error.message}), and build/ holds no earlier build of this checkout to run the agent from.`;
      fix =
        "Correct the error esbuild shows (pnpm build shows it again), then run the agent again.";
    } else {
      throw error;
    }
    if (args.includes("--json")) {
      const report = {
        outcome: "ERROR",
        exitCode: 1,
        message,
        threadId: "",
        error: "build_failed",
        authReqId: null,
        bindingMessage: null,
        order: null,
        fix,
        warnings: [],
        finishedEarlier: null,
        purchases: [],
        notTried: null,
        timings: { totalMs: Math.round(performance.now()) },
      };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      // The agent's own outcome line (outcome.ts), as each of its runs ends.
      process.stderr.write(`${message}\nFix: ${fix}\nOutcome: ERROR (exit 1)\n`);
    }
    process.exitCode = 1;
    return false;
  }
}

/**
 * Entries that, when `build/` is not current, run from their TypeScript (through tsx) instead
 * of waiting for the whole build: `pnpm dev`, which builds the servers it runs itself (into a
 * folder of its own), and whose start would otherwise wait seconds for every other entry.
 */
const FROM_SOURCE_WHEN_STALE = /** @type {ReadonlySet<EntryName>} */ (new Set(["dev"]));

/**
 * The servers a package script runs for a person, which stop once the pnpm that runs them is gone
 * (`kill -9 <pnpm's pid>` leaves them running, their ports held): `pnpm dev` does it itself.
 */
const STOPPED_WITH_PNPM = /** @type {ReadonlySet<EntryName>} */ (
  new Set(["mock-auth0-bin", "shop-api-bin", "model-server-bin"])
);

/** Runs the TypeScript of an entry in this process, compiled by tsx as it is imported. */
async function runSource(/** @type {EntryName} */ name, /** @type {string[]} */ args) {
  // tsx's hooks for every module loaded from now on, as `node --import tsx` sets them.
  const [esm, cjs] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]);
  esm.register();
  cjs.register();
  const file = path.join(REPO_ROOT, ENTRIES[name]);
  process.argv = [process.argv[0] ?? process.execPath, file, ...args];
  await import(pathToFileURL(file).href);
}

/** Runs a built entry in this process, as `node build/<name>.js <args>` (`.cjs`) would. */
export async function runEntry(/** @type {EntryName} */ name, /** @type {string[]} */ args) {
  if (!LAZY_SOURCE_MAPS.has(name)) process.setSourceMapsEnabled(true);
  const file = builtEntry(name);
  process.argv = [process.argv[0] ?? process.execPath, file, ...args];
  await import(pathToFileURL(file).href);
}

/**
 * `ensureBuilt()`, or one line and exit code 1 when the checkout cannot take the build or a
 * source does not compile (esbuild's errors above it, and no stack of this file's).
 */
async function ensureBuiltOrSay() {
  try {
    await ensureBuilt();
    return true;
  } catch (error) {
    if (error instanceof BuildFailedError) {
      process.stderr.write(
        `scripts/build.js: the build does not compile (${error.message}); correct the error shown above\n`,
      );
      process.exitCode = 1;
      return false;
    }
    if (!(error instanceof BuildFolderError)) throw error;
    process.stderr.write(`scripts/build.js: ${error.message}\n`);
    process.exitCode = 1;
    return false;
  }
}

/**
 * The packages the build and `pnpm dev` load before anything else, missing from a checkout whose
 * dependencies were never installed: a fresh clone run without `pnpm install` got Node's
 * ERR_MODULE_NOT_FOUND for one of them and this file's stack.
 */
const BUILD_TOOLS = ["esbuild", "tsx"];

/** The build's own tools that do not resolve from the repository: none once `pnpm install` ran. */
function missingBuildTools() {
  const require = Module.createRequire(import.meta.url);
  return BUILD_TOOLS.filter((name) => {
    try {
      require.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const missing = missingBuildTools();
  if (missing.length > 0) {
    process.stderr.write(
      `scripts/build.js: the workspace's dependencies are not installed (no ${missing.join(
        " or ",
      )} in ${path.join(REPO_ROOT, "node_modules")}): run pnpm install in ${REPO_ROOT} first\n`,
    );
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, ...args] = process.argv.slice(2);
  if (name === undefined || name === "--force") {
    if (name === "--force") await build();
    else await ensureBuiltOrSay();
  } else if (Object.hasOwn(ENTRIES, name)) {
    const entry = /** @type {EntryName} */ (name);
    if (!FROM_SOURCE_WHEN_STALE.has(entry)) {
      if (!(await ensureBuiltOrSay())) process.exit();
      if (STOPPED_WITH_PNPM.has(entry))
        await import(pathToFileURL(builtEntry("stop-with-pnpm")).href);
      await runEntry(entry, args);
    } else if (await isBuildCurrent()) {
      await runEntry(entry, args);
    } else {
      // Not awaited: the entry imports this module, which must finish loading first.
      void runSource(entry, args);
    }
  } else {
    process.stderr.write(
      `scripts/build.js: no entry "${name}"; entries: ${Object.keys(ENTRIES).join(", ")}\n`,
    );
    process.exitCode = 2;
  }
}
