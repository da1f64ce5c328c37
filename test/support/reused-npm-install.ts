/**
 * `npm install` of package tarballs and exactly pinned registry packages into a folder, reused
 * from one run to the next when exactly the same would be installed. npm resolving and
 * writing about 11,000 files cost the packed-tarball test 9-10 s of CPU a run; unpacking the
 * folder a former run installed, from one uncompressed archive, costs about 0.4 s.
 *
 * The archive is `<cacheDir>/npm-install-<key>.tar`, the key a hash of everything the install
 * depends on: the content of every file in every tarball (so a package changed in any way,
 * its code, its manifest or its files, is installed fresh), the registry packages and their
 * versions, the folder's package.json, npm's flags, its version and its `npm_config_*`
 * variables and user configuration, and Node's version and platform. Dependencies of
 * dependencies come from npm's cache as `--prefer-offline` gives them to a fresh install: the
 * newest version of each range that npm's cached metadata knows. A registry package named by
 * a range rather than a version is never reused: what it resolves to is not in the key.
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { processExists } from "@ciba-testbed/shared/node";

const exec = promisify(execFile);

/** Bump when what the archive holds, or how it is made, changes. */
const FORMAT = 1;

/** The archives' names: `npm-install-<key>.tar`, `<archive>.<pid>.partial` while written. */
const FAMILY = "npm-install-";

/** `name@1.2.3` or `@scope/name@1.2.3`, nothing looser. */
const EXACT = /^(@[^/@]+\/)?[^/@]+@\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** What npm writes into the folder; the archive holds these. */
const INSTALLED = ["package.json", "package-lock.json", "node_modules"];

/** The maps of a manifest whose order means nothing to npm (pnpm writes them in any order). */
const UNORDERED = [
  "dependencies",
  "devDependencies",
  "optionalDependencies",
  "peerDependencies",
  "peerDependenciesMeta",
];

/**
 * A package.json as npm reads it: the same text, with the dependency maps in name order. pnpm
 * pack writes the dependencies it resolves from `workspace:` in the order they resolved: the
 * same package comes packed with either order.
 */
export function canonicalManifest(text: string): string {
  const manifest = JSON.parse(text) as Record<string, unknown>;
  for (const key of UNORDERED) {
    const map = manifest[key];
    if (map !== null && typeof map === "object") {
      manifest[key] = Object.fromEntries(
        Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
  }
  return JSON.stringify(manifest);
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * A package's files (path inside the package -> contents) as hashes of their contents, the
 * manifest's by `canonicalManifest`.
 */
export function fileDigests(files: ReadonlyMap<string, Buffer>): Record<string, string> {
  const digests: Record<string, string> = {};
  for (const [file, contents] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    digests[file] =
      file === "package.json"
        ? sha256(canonicalManifest(contents.toString("utf8")))
        : sha256(contents);
  }
  return digests;
}

export interface PackedPackage {
  name: string;
  /** Its files: path inside the package -> hash of the contents (`fileDigests`). */
  files: Record<string, string>;
}

/**
 * A package tarball's files, by their path inside the package: unpacked as npm unpacks it
 * (without the archive's first folder, whatever its name), then read as `installedPackage` reads
 * an installed one.
 */
export function tarballPackage(tarball: string): PackedPackage {
  const dir = mkdtempSync(path.join(tmpdir(), "packed-package-"));
  try {
    execFileSync("tar", ["-xzf", tarball, "-C", dir, "--strip-components=1"]);
    const manifest = path.join(dir, "package.json");
    if (!existsSync(manifest)) throw new Error(`${tarball} holds no package.json`);
    const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name: string };
    return { name, files: installedPackage(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The files of an installed package, as `tarballPackage` gives its tarball's. */
export function installedPackage(dir: string): Record<string, string> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.relative(dir, path.join(entry.parentPath, entry.name));
    // Its own dependencies, where npm placed them under it.
    if (file.startsWith(`node_modules${path.sep}`)) continue;
    files.set(file.split(path.sep).join("/"), readFileSync(path.join(dir, file)));
  }
  return fileDigests(files);
}

/** The version of the `npm` on PATH: from its package.json, or by asking it. */
function npmVersion(): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const bin = path.join(dir, "npm");
    if (!existsSync(bin)) continue;
    // A link into npm's package (bin/npm-cli.js): its package.json is above.
    for (let at = path.dirname(realpathSync(bin)); at !== path.dirname(at); at = path.dirname(at)) {
      try {
        const manifest = JSON.parse(readFileSync(path.join(at, "package.json"), "utf8")) as {
          name?: unknown;
          version?: unknown;
        };
        if (manifest.name === "npm" && typeof manifest.version === "string") {
          return manifest.version;
        }
      } catch {
        // No package.json at this level.
      }
    }
    break;
  }
  return execFileSync("npm", ["--version"], { encoding: "utf8" }).trim();
}

/** npm's configuration from outside the folder: its variables and the user's .npmrc. */
function npmConfiguration(env: NodeJS.ProcessEnv): Record<string, string> {
  const config: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    // The user agent only names the tool that started this one (pnpm, npx).
    if (/^npm_config_/i.test(name) && !/^npm_config_user_agent$/i.test(name)) {
      config[name.toLowerCase()] = value ?? "";
    }
  }
  const userConfig = env.npm_config_userconfig ?? path.join(homedir(), ".npmrc");
  config[".npmrc"] = existsSync(userConfig) ? readFileSync(userConfig, "utf8") : "";
  return Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Besides `archive`, the newest other one stays (about 115 MB each): `pnpm test` hands npm other
 * `npm_config_*` variables than `pnpm vitest` does, so each has its own. The partial ones of
 * processes that died writing them go; those another process is writing stay.
 */
function removeOthers(cacheDir: string, archive: string): void {
  const others = [];
  for (const name of readdirSync(cacheDir)) {
    if (!name.startsWith(FAMILY) || name === path.basename(archive)) continue;
    const file = path.join(cacheDir, name);
    const writer = /\.(\d+)\.partial$/.exec(name)?.[1];
    if (writer === undefined) others.push({ file, made: statSync(file).mtimeMs });
    else if (!processExists(Number(writer))) rmSync(file, { force: true });
  }
  others.sort((a, b) => b.made - a.made);
  for (const { file } of others.slice(1)) rmSync(file, { force: true });
}

export interface NpmInstall {
  /** The folder to install into, empty but for its package.json. */
  dir: string;
  /** Package tarballs, installed as files. */
  tarballs: readonly string[];
  /** Registry packages, `name@version`. */
  registry: readonly string[];
  /** npm's flags. */
  flags: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Where the archives of former installs are kept. */
  cacheDir: string;
}

/**
 * Runs `npm install <flags> <tarballs> <registry>` in `dir`, or unpacks the archive of an
 * install of exactly the same (see the top of this file). Resolves with the tarballs' packages
 * as the key named them.
 */
export async function npmInstall(install: NpmInstall): Promise<PackedPackage[]> {
  const tarballs = [...install.tarballs].sort();
  const packages = tarballs.map(tarballPackage);
  const pinned = install.registry.every((spec) => EXACT.test(spec));
  const key = sha256(
    JSON.stringify({
      format: FORMAT,
      manifest: readFileSync(path.join(install.dir, "package.json"), "utf8"),
      tarballs: packages,
      registry: install.registry,
      flags: install.flags,
      npm: npmVersion(),
      config: npmConfiguration(install.env),
      node: [process.version, process.platform, process.arch],
    }),
  ).slice(0, 16);
  const archive = path.join(install.cacheDir, `${FAMILY}${key}.tar`);
  if (pinned && existsSync(archive)) {
    await exec("tar", ["-xf", archive, "-C", install.dir]);
    return packages;
  }
  await exec("npm", ["install", ...install.flags, ...tarballs, ...install.registry], {
    cwd: install.dir,
    env: install.env,
  });
  if (pinned) {
    mkdirSync(install.cacheDir, { recursive: true });
    // Whole or not at all: written aside, renamed into place.
    const partial = `${archive}.${String(process.pid)}.partial`;
    const written = INSTALLED.filter((name) => existsSync(path.join(install.dir, name)));
    try {
      await exec("tar", ["-cf", partial, "-C", install.dir, ...written]);
      renameSync(partial, archive);
    } finally {
      rmSync(partial, { force: true });
    }
    removeOthers(install.cacheDir, archive);
  }
  return packages;
}
