// @ts-check
/**
 * `pnpm check`: `pnpm typecheck` and `pnpm lint` in one process, on one TypeScript program per
 * tsconfig. Run apart, tsc and typescript-eslint each build the same program and type-check the
 * same files; here ESLint's typed rules reuse the program tsc's check has already filled, which
 * takes about 30% less CPU than the two (37 s instead of 52 s on 2 cores). `pnpm test` runs
 * this. The verdict is theirs: every TypeScript error and every ESLint error or warning fails
 * (as `eslint --max-warnings 0` does), printed as tsc and ESLint print them.
 *
 * Incremental, and never stale: the type check is TypeScript's own incremental builder (as
 * `tsc --incremental`), which checks again every file whose text changed and every file that
 * uses a declaration whose type changed. ESLint lints again every file whose text changed, every
 * file that imports a changed file, directly or through others (re-exports and `import()` types
 * included; TypeScript's dependency graph), every file when a file that declares globals or
 * augments a module changed, when a tsconfig, the lint configuration, the lockfile or this
 * script changed, and every file whose module format (a package.json's `type`) changed or whose
 * imports now resolve elsewhere; it reuses the last results of the rest. A typed rule's answer
 * for a file depends only on that file and the types it sees, which come from those files alone.
 * (TypeScript's list of affected files is narrower than this: with `isolatedModules` it holds
 * only the changed file.) That costs lint time where a file has many importers: a line added to
 * apps/shop-api/src/http-server.ts lints 148 files again (about 35 s of CPU for the check
 * instead of 21 s), one added to packages/shared/src/clock.ts 291 (45 s instead of 25 s); a check
 * of everything takes about 68 s. When nothing at all
 * changed (every file the programs read, every linted file, the workspace's package.json files,
 * the configuration), the last verdict is printed again without building the programs, as
 * `tsc -b` finds a project up to date: about 1 s instead of 10 s. Both caches live in
 * `node_modules/.cache/check/` (delete it to check everything again); the TypeScript state is
 * saved after the lint results, so a check stopped half-way repeats its work instead of
 * trusting it. In a fresh clone, everything is checked.
 *
 * package.json starts it with `--max-semi-space-size=64`: the checker allocates fast, and with
 * V8's 16 MB semi-spaces a check of everything made 549 scavenges, pausing 5.1 s in all; with
 * 64 MB, 148 scavenges and 4.0 s (`node --trace-gc`, 2-core AMD EPYC).
 *
 * Plain JavaScript checked by tsc (`// @ts-check`), like build.js: it needs no build.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { ESLint } from "eslint";
import ts from "typescript";

import { TSCONFIGS } from "../eslint.config.js";

const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Bump when what the lint cache holds changes shape. */
const CACHE_FORMAT = 2;
/** What ESLint lints in a folder with this repository's config (`eslint .`). */
const LINTED_EXTENSIONS = new Set([".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx"]);
/** Besides the configuration file, what a lint result depends on (rules come from the lockfile). */
const LINT_INPUTS = ["eslint.config.js", "pnpm-lock.yaml"];

const sha1 = (/** @type {string | Buffer} */ data) => createHash("sha1").update(data).digest("hex");

/** Writes `text` whole or not at all: a check stopped half-way never leaves half a cache. */
function writeAtomically(/** @type {string} */ file, /** @type {string} */ text) {
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${String(process.pid)}.partial`;
  writeFileSync(partial, text);
  renameSync(partial, file);
}

/**
 * The program `tsc -p <configPath>` would check, built incrementally from the state saved in
 * `cacheDir`; `affected` lists the files checked again (all of them when there is no state).
 */
function checkProgram(
  /** @type {string} */ cwd,
  /** @type {string} */ configPath,
  /** @type {string} */ cacheDir,
) {
  /** @type {ts.Diagnostic[]} */
  const unrecoverable = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => unrecoverable.push(diagnostic),
    },
  );
  if (parsed === undefined) return { builder: undefined, diagnostics: unrecoverable };
  const stateFile = `${path.relative(cwd, configPath).replace(/[\\/]/g, "__")}.tsbuildinfo`;
  const builder = ts.createIncrementalProgram({
    rootNames: parsed.fileNames,
    options: {
      ...parsed.options,
      incremental: true,
      tsBuildInfoFile: path.join(cacheDir, stateFile),
    },
    projectReferences: parsed.projectReferences ?? [],
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsed),
  });
  /** @type {Set<string>} */
  const affected = new Set();
  for (;;) {
    const next = builder.getSemanticDiagnosticsOfNextAffectedFile();
    if (next === undefined) break;
    if ("fileName" in next.affected) affected.add(path.resolve(next.affected.fileName));
  }
  // What `ts.getPreEmitDiagnostics` reports, from the builder's cache for unaffected files.
  const diagnostics = ts.sortAndDeduplicateDiagnostics([
    ...builder.getConfigFileParsingDiagnostics(),
    ...builder.getOptionsDiagnostics(),
    ...builder.getSyntacticDiagnostics(),
    ...builder.getGlobalDiagnostics(),
    ...builder.getSemanticDiagnostics(),
  ]);
  // What this verdict depends on besides the lockfile: the config files and every file read.
  const configFile = /** @type {ts.TsConfigSourceFile | undefined} */ (parsed.options.configFile);
  const configFiles = [configPath, ...(configFile?.extendedSourceFiles ?? [])];
  const inputs = [
    ...configFiles,
    ...builder
      .getProgram()
      .getSourceFiles()
      .map((file) => file.fileName),
  ];
  return {
    builder,
    diagnostics: [...diagnostics],
    affected,
    typeDigest: typeDigests(builder, configFiles),
    saved: { config: configPath, roots: parsed.fileNames, inputs: stamps(inputs) },
  };
}

/**
 * Whether a file's declarations reach files that do not import it: a script (no import or
 * export, as lib.*.d.ts) declares globals, and `declare global` or `declare module "..."` adds to
 * the globals or to another module. TypeScript's own test is a little narrower; erring wide only
 * lints more.
 */
function reachesEveryFile(/** @type {ts.SourceFile} */ file) {
  if (file.fileName.endsWith(".json")) return false;
  if (!ts.isExternalModule(file)) return true;
  return file.statements.some(
    (statement) =>
      ts.isModuleDeclaration(statement) &&
      (ts.isStringLiteral(statement.name) ||
        (statement.flags & ts.NodeFlags.GlobalAugmentation) !== 0),
  );
}

/**
 * For a file of the program, a digest of everything the types it sees come from, so that while
 * the digest holds, a typed rule's answer for the file does: the text and module format (ESM or
 * CommonJS, which package.json decides) of every file it depends on, directly or through others
 * (TypeScript's own dependency graph, as `getAllDependencies` walks it: imports, re-exports,
 * `import()` types, `/// <reference>`s, ambient modules), of every file that reaches every file
 * (above), and the tsconfig files, which set the compiler options. Undefined for a file outside
 * the program.
 *
 * TypeScript's incremental builder could not give this set: it checks again the files whose
 * diagnostics may change, but lists as affected only the changed file when `isolatedModules` is
 * on (as in this repository), and only the files whose declaration output changed otherwise, so a
 * type that reaches a file through a re-export (`export * from`) or through a type named in
 * another file's signature changed nothing it listed.
 */
function typeDigests(
  /** @type {ts.EmitAndSemanticDiagnosticsBuilderProgram} */ builder,
  /** @type {string[]} */ configFiles,
) {
  const program = builder.getProgram();
  /** @type {Map<string, string>} */
  const digests = new Map();
  const fileDigest = (/** @type {string} */ fileName) => {
    let digest = digests.get(fileName);
    if (digest === undefined) {
      const file = program.getSourceFile(fileName);
      digest = file === undefined ? "gone" : `${sha1(file.text)}:${String(file.impliedNodeFormat)}`;
      digests.set(fileName, digest);
    }
    return digest;
  };
  const everywhere = sha1(
    JSON.stringify([
      configFiles.map((file) => [file, sha1(readFileSync(file))]),
      program
        .getSourceFiles()
        .filter(reachesEveryFile)
        .map((file) => [file.fileName, fileDigest(file.fileName)]),
    ]),
  );
  return (/** @type {string} */ fileName) => {
    const file = program.getSourceFile(fileName);
    if (file === undefined) return undefined;
    const dependencies = [...builder.getAllDependencies(file)].sort();
    return sha1(JSON.stringify([everywhere, dependencies.map((name) => [name, fileDigest(name)])]));
  };
}

/** @typedef {Record<string, [number, number] | null>} Stamps */

/** Size and modification time of each file (null for a file that is gone). */
function stamps(/** @type {string[]} */ files) {
  /** @type {Stamps} */
  const result = {};
  for (const file of files) {
    const info = statSync(file, { throwIfNoEntry: false });
    result[file] = info === undefined ? null : [info.size, info.mtimeMs];
  }
  return result;
}

/** @typedef {{ config: string; roots: string[]; inputs: Stamps }} SavedProgram */
/** @typedef {{ format: number; programs: SavedProgram[]; count: number; plain: string; color: string }} TypecheckCache */

/**
 * Whether the saved type-check still holds, as `tsc -b` decides a project is up to date: the
 * same root files (a file added or removed under `include` changes them) and every file the
 * program read, config files included, unchanged (package.json files and the lockfile are the
 * lint key's and LINT_INPUTS' concern, checked beside this).
 */
function typecheckHolds(
  /** @type {TypecheckCache | undefined} */ saved,
  /** @type {string[]} */ configPaths,
) {
  if (saved?.format !== CACHE_FORMAT || saved.programs.length !== configPaths.length) return false;
  return saved.programs.every((program, i) => {
    if (program.config !== configPaths[i]) return false;
    const parsed = ts.getParsedCommandLineOfConfigFile(
      program.config,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: () => undefined,
      },
    );
    if (
      parsed === undefined ||
      JSON.stringify(parsed.fileNames) !== JSON.stringify(program.roots)
    ) {
      return false;
    }
    const now = stamps(Object.keys(program.inputs));
    return Object.entries(program.inputs).every(
      ([file, was]) => JSON.stringify(now[file]) === JSON.stringify(was),
    );
  });
}

/**
 * The files `eslint .` lints in `cwd` (every linted extension outside node_modules and
 * ignores), and the workspace's package.json files, which decide how TypeScript reads modules.
 */
async function workspaceFiles(/** @type {ESLint} */ eslint, /** @type {string} */ cwd) {
  /** @type {string[]} */
  const found = [];
  /** @type {string[]} */
  const manifests = [];
  const walk = (/** @type {string} */ dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && entry.name !== ".git") walk(full);
      } else if (entry.isFile() && LINTED_EXTENSIONS.has(path.extname(entry.name))) {
        found.push(full);
      } else if (entry.name === "package.json") {
        manifests.push(full);
      }
    }
  };
  walk(cwd);
  const ignored = await Promise.all(found.map((file) => eslint.isPathIgnored(file)));
  return { linted: found.filter((_, i) => !ignored[i]).sort(), manifests: manifests.sort() };
}

/**
 * `hash` is the file's text's, `types` its type digest when it was linted (null when the programs
 * could not all be built, which nothing matches).
 * @typedef {{ format: number; key: string; files: Record<string, { hash: string; types: string | null; result: ESLint.LintResult }> }} LintCache
 */

/** @template T @returns {T | undefined} */
function readCache(/** @type {string} */ file) {
  try {
    return /** @type {T} */ (JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return undefined;
  }
}

/**
 * Runs both checks in `cwd` (its eslint.config.js, and `tsconfigs` relative to it); resolves
 * with the exit code after writing what they found to `out`. `cacheDir` keeps what the next
 * check can reuse.
 */
export async function check(
  cwd = REPO_ROOT,
  tsconfigs = TSCONFIGS,
  /** @type {{ write(text: string): unknown, isTTY?: boolean }} */ out = process.stdout,
  cacheDir = path.join(cwd, "node_modules", ".cache", "check"),
) {
  const started = performance.now();
  const configPaths = tsconfigs.map((config) => path.resolve(cwd, config));
  const lintCacheFile = path.join(cacheDir, "lint.json");
  const typecheckCacheFile = path.join(cacheDir, "typecheck.json");

  // Every file is linted again unless its text, the types it sees, and the lint configuration
  // are all what they were when its result was saved.
  const lockfile = path.join(cwd, "pnpm-lock.yaml");
  const key = sha1(
    JSON.stringify([
      CACHE_FORMAT,
      tsconfigs,
      readFileSync(fileURLToPath(import.meta.url), "utf8"),
      ...LINT_INPUTS.map((name) => {
        try {
          return readFileSync(path.join(cwd, name), "utf8");
        } catch {
          return null;
        }
      }),
    ]),
  );
  const { linted: files, manifests } = await workspaceFiles(new ESLint({ cwd }), cwd);
  const hashes = files.map((file) => sha1(readFileSync(file)));
  /** @type {LintCache | undefined} */
  const lintCache = readCache(lintCacheFile);
  const reusable =
    lintCache?.format === CACHE_FORMAT && lintCache.key === key ? lintCache.files : {};
  const savedEntry = (/** @type {string} */ file, /** @type {number} */ i) => {
    const saved = reusable[path.relative(cwd, file)];
    return saved !== undefined && saved.hash === hashes[i] ? saved : undefined;
  };

  // Nothing changed since the last check (no file TypeScript read, no linted file, no
  // configuration): its verdict holds, as `tsc -b` finds a project up to date.
  /** @type {TypecheckCache | undefined} */
  const typecheckCache = readCache(typecheckCacheFile);
  const upToDate =
    files.every((file, i) => savedEntry(file, i) !== undefined) &&
    typecheckHolds(typecheckCache, configPaths);

  /** @type {ReturnType<typeof checkProgram>[]} */
  const checked = upToDate
    ? []
    : configPaths.map((configPath) => checkProgram(cwd, configPath, cacheDir));
  const diagnostics = checked.flatMap((one) => one.diagnostics);
  const host = {
    getCanonicalFileName: (/** @type {string} */ name) => name,
    getCurrentDirectory: () => cwd,
    getNewLine: () => "\n",
  };
  /** @type {TypecheckCache} */
  const typecheck =
    upToDate && typecheckCache
      ? typecheckCache
      : {
          format: CACHE_FORMAT,
          programs: checked.flatMap((one) => (one.saved ? [one.saved] : [])),
          count: diagnostics.length,
          plain: ts.formatDiagnostics(diagnostics, host),
          color: ts.formatDiagnosticsWithColorAndContext(diagnostics, host),
        };
  if (typecheck.count > 0) {
    out.write(out.isTTY === true ? typecheck.color : typecheck.plain);
    out.write(`\ntypecheck: ${String(typecheck.count)} error(s)\n`);
  }
  const typechecked = performance.now();

  const builders = checked.flatMap((one) => (one.builder ? [one.builder] : []));
  const programs = builders.map((builder) => builder.getProgram());
  const eslint = new ESLint({
    cwd,
    // The TypeScript files' typed rules use the programs just checked instead of building them
    // again from eslint.config.js's `project` (which lists the same tsconfigs).
    overrideConfig:
      programs.length === tsconfigs.length
        ? [
            {
              files: ["**/*.ts", "**/*.mts", "**/*.cts"],
              languageOptions: { parserOptions: { programs } },
            },
          ]
        : [],
  });
  // A file's last result holds while its text and the types it sees are what they were: its type
  // digest in each program (none for a file in no program). Unknown when a program could not be
  // built, and then nothing is reused.
  const digests = checked.flatMap((one) => (one.typeDigest ? [one.typeDigest] : []));
  const types =
    digests.length === configPaths.length
      ? files.map((file) => digests.map((digest) => digest(file) ?? "").join(" "))
      : files.map(() => null);
  /** @type {ESLint.LintResult[]} */
  const reused = [];
  /** @type {string[]} */
  const toLint = [];
  files.forEach((file, i) => {
    const saved = savedEntry(file, i);
    if (saved !== undefined && (upToDate || (saved.types !== null && saved.types === types[i]))) {
      reused.push({ ...saved.result, filePath: file });
    } else {
      toLint.push(file);
    }
  });
  const linted = toLint.length > 0 ? await eslint.lintFiles(toLint) : [];
  const results = [...reused, ...linted].sort((a, b) => a.filePath.localeCompare(b.filePath));
  const problems = results.reduce((sum, one) => sum + one.errorCount + one.warningCount, 0);
  if (problems > 0) {
    const formatter = await eslint.loadFormatter("stylish");
    out.write(await formatter.format(results));
  }

  // The lint results first, then TypeScript's state and verdict: stopped in between, the next
  // check type-checks again what this one did.
  if (!upToDate) {
    const index = new Map(files.map((file, i) => [file, i]));
    /** @type {LintCache} */
    const saved = { format: CACHE_FORMAT, key, files: {} };
    for (const result of results) {
      const i = index.get(result.filePath);
      if (i === undefined) continue;
      saved.files[path.relative(cwd, result.filePath)] = {
        hash: hashes[i] ?? "",
        types: types[i] ?? null,
        result,
      };
    }
    writeAtomically(lintCacheFile, JSON.stringify(saved));
    for (const builder of builders) {
      builder.emit(undefined, (file, text) => writeAtomically(file, text));
    }
    if (typecheck.programs.length === configPaths.length) {
      // The workspace's package.json files and the lockfile decide how modules resolve.
      const shared = stamps([...manifests, lockfile]);
      for (const program of typecheck.programs) Object.assign(program.inputs, shared);
      writeAtomically(typecheckCacheFile, JSON.stringify(typecheck));
    }
  }

  const seconds = (/** @type {number} */ from, /** @type {number} */ to) =>
    `${((to - from) / 1000).toFixed(1)} s`;
  const ended = performance.now();
  const typeChecked = checked.reduce((sum, one) => sum + (one.affected?.size ?? 0), 0);
  out.write(
    `typecheck: ${typecheck.count === 0 ? "passed" : "failed"} in ${seconds(started, typechecked)}; ` +
      `lint (${String(results.length)} files): ${problems === 0 ? "passed" : "failed"} in ${seconds(typechecked, ended)}; ` +
      (upToDate
        ? "nothing changed since the last check\n"
        : `since the last check: ${String(typeChecked)} files type-checked again (libraries' included), ${String(toLint.length)} linted again\n`),
  );
  return typecheck.count === 0 && problems === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await check();
}
