import { createHash, randomBytes } from "node:crypto";
import {
  constants,
  existsSync,
  lstatSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { chmod, lstat, mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { userTempPrefix } from "./local-ca.js";
import { pidNamespace, processExists } from "./scratch.js";

/**
 * The name and version of the installed package a file belongs to, from the first
 * `package.json` above `resolvedFile` (what `require.resolve` or `import.meta.resolve` gave)
 * that names both: a package's own manifest, past any in its folders that only set `type`.
 * Undefined when there is none.
 */
export function installedPackageOf(
  resolvedFile: string,
): { name: string; version: string } | undefined {
  let dir = path.dirname(
    resolvedFile.startsWith("file:") ? fileURLToPath(resolvedFile) : resolvedFile,
  );
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (typeof manifest.name === "string" && typeof manifest.version === "string") {
        return { name: manifest.name, version: manifest.version };
      }
    } catch {
      // No package.json here (a dist/ folder): the one above.
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * A key for a cache made by an npm package's code (an empty PGlite cluster, say): its name and
 * version (`installedPackageOf`). Every checkout that installed the same version shares the
 * key, where the resolved path would differ from one clone's folder to the next.
 */
export function packageVersionKey(resolvedFile: string): string {
  const installed = installedPackageOf(resolvedFile);
  return installed === undefined ? resolvedFile : `${installed.name}@${installed.version}`;
}

export interface BuildSweepOptions {
  dir?: string;
  now?: number;
  /** This process's PID namespace; read from /proc unless given. */
  namespace?: string;
  /** Whether process `pid` of this namespace still runs; `processExists` unless given. */
  alive?: (pid: number) => boolean;
}

export interface PruneOptions extends BuildSweepOptions {
  /** How many of the others to keep, the most recently made first. */
  keep?: number;
  /** Younger than this, an entry stays: a run of another build may be reading it right now. */
  minAgeMs?: number;
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Older than this, a building folder named without its namespace is no build still going. */
const UNNAMESPACED_BUILD_MAX_AGE_MS = 10 * 60_000;

/**
 * Removes the folders `cachedFolder` was filling for processes that ended before they renamed
 * them into place or removed them: a run killed with SIGKILL (a CI job's timeout) or ended by
 * `process.exit()` mid-build leaves one per process, up to tens of MB, that no later run would
 * touch. Such a folder is `<family><16 hex digits>.<PID>.<namespace>.<8 hex digits>`; it goes
 * when it is this user's, was made in this PID namespace and its process no longer runs. One
 * named without its namespace (`.<PID>.<8 hex digits>`, made by an earlier version) goes once
 * its process no longer runs here and it is ten minutes old, longer than any build takes.
 * Returns what it removed; never throws.
 */
export function sweepAbandonedBuilds(
  family: string,
  {
    dir = tmpdir(),
    now = Date.now(),
    namespace = pidNamespace(),
    alive = processExists,
  }: BuildSweepOptions = {},
): string[] {
  const pattern = new RegExp(
    `^${escaped(family)}[0-9a-f]{16}\\.(\\d+)\\.(?:(\\d+)\\.)?[0-9a-f]{8}$`,
  );
  const me = process.getuid?.();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const build = pattern.exec(name);
    if (build === null) continue;
    const file = path.join(dir, name);
    try {
      const found = lstatSync(file);
      if (me !== undefined && found.uid !== me) continue;
      const sameNamespace =
        build[2] === undefined
          ? now - found.mtimeMs >= UNNAMESPACED_BUILD_MAX_AGE_MS
          : build[2] === namespace;
      if (!sameNamespace || alive(Number(build[1]))) continue;
      rmSync(file, { recursive: true, force: true });
      removed.push(file);
    } catch {
      // Gone meanwhile, or not ours to remove: left as it is.
    }
  }
  return removed;
}

/**
 * Caches kept in the temporary folder across runs are named `<family><16 hex digits>` (with an
 * extension or not), the digits a key of what made them. A new key (another build of the shop,
 * another PGlite) would leave every earlier one behind, tens of MB each, for as long as the
 * machine lives. Called after making `current`, this removes the family's others but the
 * `keep` most recent, and none younger than `minAgeMs`; what is being built (a name with a
 * suffix after the key) is left to its process, and removed once that has ended
 * (`sweepAbandonedBuilds`). Returns what it removed.
 */
export function pruneCacheFamily(
  family: string,
  current: string,
  { keep = 2, minAgeMs = 10 * 60_000, ...sweep }: PruneOptions = {},
): string[] {
  const { dir = tmpdir(), now = Date.now() } = sweep;
  const pattern = new RegExp(`^${escaped(family)}[0-9a-f]{16}(\\.tar\\.gz)?$`);
  const others = readdirSync(dir)
    .filter((name) => pattern.test(name) && name !== path.basename(current))
    .flatMap((name) => {
      try {
        return [{ file: path.join(dir, name), made: statSync(path.join(dir, name)).mtimeMs }];
      } catch {
        return []; // Gone meanwhile.
      }
    })
    .sort((a, b) => b.made - a.made);
  const removed = sweepAbandonedBuilds(family, sweep);
  for (const { file, made } of others.slice(keep)) {
    if (now - made < minAgeMs) continue;
    rmSync(file, { recursive: true, force: true });
    removed.push(file);
  }
  return removed;
}

/**
 * The folder `<tmpdir>/<family><16 hex digits of keyText's hash>`, made once by `make` (which
 * fills the folder it is given, empty and this user's alone) and kept for later runs. Processes
 * that make it at once each fill a folder of their own; whoever renames theirs into place first
 * wins and the others' go. Making one prunes the family's older ones (`pruneCacheFamily`);
 * finding it removes what processes that ended mid-build left (`sweepAbandonedBuilds`).
 *
 * What it holds is this user's alone: the folder is made 0700 and what `make` wrote loses its
 * group and other write bits (PGlite writes its files 0666, whatever the umask), since another
 * user who could write in it would change what every later run starts from. One found open to
 * others (made so by an earlier version) is set aside and made anew.
 */
export async function cachedFolder(
  family: string,
  keyText: string | Buffer,
  make: (folder: string) => Promise<void>,
): Promise<string> {
  const temp = tmpdir();
  try {
    return await cachedFolderTrying(family, keyText, make, 1, temp);
  } catch (error) {
    if (!(error instanceof HeldByAnotherError)) throw error;
    // Another user took its name first (a folder, a link): this user's own folder instead.
    return cachedFolderTrying(family, keyText, make, 1, await privateTempFolder(temp));
  }
}

async function cachedFolderTrying(
  family: string,
  keyText: string | Buffer,
  make: (folder: string) => Promise<void>,
  retries: number,
  dir: string,
): Promise<string> {
  const key = createHash("sha256").update(keyText).digest("hex").slice(0, 16);
  const folder = path.join(dir, `${family}${key}`);
  const buildingName = () =>
    `${folder}.${String(process.pid)}.${pidNamespace()}.${randomBytes(4).toString("hex")}`;
  let setAside: string | undefined;
  if (existsSync(folder) || (await lstat(folder).catch(() => undefined)) !== undefined) {
    sweepAbandonedBuilds(family, { dir });
    if (await ownFolder(folder)) return folder;
    // Named as a build of this process: removed below, or by a later sweep if this one is killed.
    const aside = buildingName();
    setAside = await rename(folder, aside).then(
      () => aside,
      () => undefined, // Another process set it aside first.
    );
  }
  const building = buildingName();
  try {
    await mkdir(building, { mode: 0o700 });
    await make(building);
    await makePrivate(building);
    // A later rename onto a folder already there fails: that process's copy goes.
    await rename(building, folder).catch(() => undefined);
  } finally {
    const left = setAside === undefined ? [building] : [building, setAside];
    await Promise.all(left.map((leftover) => rm(leftover, { recursive: true, force: true })));
  }
  pruneCacheFamily(family, folder, { dir });
  if (await ownFolder(folder)) return folder;
  // A process of an earlier version put its open copy in place first.
  if (retries > 0) return cachedFolderTrying(family, keyText, make, retries - 1, dir);
  throw new Error(
    `${folder} is open to other users (${modeOf((await lstat(folder)).mode)}), who could change ` +
      "what every testbed starts from: the testbed will not use it. Delete it " +
      `(rm -rf ${folder}); the next testbed makes it anew, for this user only`,
  );
}

const modeOf = (mode: number) => `mode ${(mode & 0o777).toString(8).padStart(4, "0")}`;

/** Takes group and other write from everything in `folder`, and closes `folder` to others. */
async function makePrivate(folder: string): Promise<void> {
  if (process.platform === "win32") return;
  const names = await readdir(folder, { recursive: true });
  await Promise.all(
    names.map(async (name) => {
      const file = path.join(folder, name);
      const { mode } = await lstat(file);
      if ((mode & 0o022) !== 0 && (mode & constants.S_IFMT) !== constants.S_IFLNK) {
        await chmod(file, mode & 0o7755);
      }
    }),
  );
  await chmod(folder, 0o700);
}

/**
 * Who holds `folder`: this user (`mine`, with its mode), or not (`uid`, the user it belongs to;
 * none when it is a link or a file, not a folder of its own); undefined where the platform has
 * no user ids. What matters in the temporary folder, which every user may write: another user
 * can make a folder under this user's name first, or put a link there, and read or plant what
 * the caller keeps in it.
 */
export async function folderHolder(
  folder: string,
): Promise<{ mine: true; mode: number } | { mine: false; me: number; uid?: number } | undefined> {
  const me = process.getuid?.();
  if (me === undefined) return undefined;
  const found = await lstat(folder);
  if (!found.isDirectory()) return { mine: false, me };
  return found.uid === me ? { mine: true, mode: found.mode } : { mine: false, me, uid: found.uid };
}

/** A name in the temporary folder another user holds: this user's things go elsewhere. */
class HeldByAnotherError extends Error {
  override name = "HeldByAnotherError";
}

/**
 * Whether `folder`, a folder of this user's (`folderHolder`), is closed to other users. A cache
 * another user made would be theirs, a shop database with their orders or their code in it:
 * such a folder is never used (`HeldByAnotherError`); `cachedFolder` then keeps its cache in a
 * folder of this user's own (`privateTempFolder`).
 */
async function ownFolder(folder: string): Promise<boolean> {
  const holder = await folderHolder(folder);
  if (holder?.mine === false) {
    throw new HeldByAnotherError(
      `${folder} is not a folder of this user's (${
        holder.uid === undefined
          ? "it is a link or a file"
          : `it belongs to user ${String(holder.uid)}`
      }), and this user cannot remove it from ${path.dirname(folder)}: the testbed will not ` +
        "use what another user may have put there. Set TMPDIR to a folder of this user's own",
    );
  }
  return holder === undefined || (holder.mode & 0o077) === 0;
}

/**
 * A folder of this user's alone in the temporary folder `dir`, for what would go under a name
 * another user took first (`/tmp` is everyone's, and the names of this user's caches are
 * known): `ciba-testbed-<uid>-private.<6 random characters>`, made by `mkdtemp` (0700), which no
 * one can guess. Later runs find it again by its owner and mode, not its name: the first such
 * folder that is a folder of this user's closed to others, else a new one.
 */
export async function privateTempFolder(dir: string = tmpdir()): Promise<string> {
  const base = `${userTempPrefix()}private.`;
  const me = process.getuid?.();
  const names = (await readdir(dir))
    .filter((name) => name.startsWith(base) && name.length === base.length + 6)
    .sort();
  for (const name of names) {
    const found = await lstat(path.join(dir, name)).catch(() => undefined);
    if (found?.isDirectory() === true && found.uid === me && (found.mode & 0o077) === 0) {
      return path.join(dir, name);
    }
  }
  return mkdtemp(path.join(dir, base));
}

/**
 * `<dir>/<name>`, a folder of this user's kept across runs (made 0700 when missing), or, when
 * another user holds that name (a folder, a link or a file of theirs, which this user cannot
 * remove from a temporary folder with the sticky bit), `<name>` in this user's
 * `privateTempFolder`: another user can never keep this user from having it.
 */
export async function userTempFolder(name: string, dir: string = tmpdir()): Promise<string> {
  const folder = path.join(dir, name);
  try {
    await mkdir(folder, { mode: 0o700 });
    return folder;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  if ((await folderHolder(folder))?.mine !== false) return folder;
  const own = path.join(await privateTempFolder(dir), name);
  await mkdir(own, { mode: 0o700 }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  });
  return own;
}
