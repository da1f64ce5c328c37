import { execFile } from "node:child_process";
import { readFileSync, readlinkSync, statfsSync } from "node:fs";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

/** tmpfs's magic number in `statfs(2)`'s `f_type`. */
const TMPFS = 0x01021994;

/** Free space /dev/shm must have to be used: Docker gives a container 64 MB by default. */
const MIN_FREE_BYTES = 1024 ** 3;

/**
 * Where throw-away folders go (a test's or a testbed's copy of an empty shop database, a
 * packed package's install): the RAM-backed /dev/shm when it is a tmpfs with at least 1 GiB
 * free, else the system's temporary folder. Writing and removing the thousand files of a shop
 * database there costs a fifth of the kernel time it costs on a disk's file system (0.05 s of
 * CPU against 0.28 s a copy, on this project's 2-core CI machines), and their `fsync` nothing.
 * What lives for a run only goes here (`makeScratchFolder`); caches kept between runs stay in
 * `tmpdir()`.
 */
export function scratchRoot(
  probe: (dir: string) => { type: number; bavail: number; bsize: number } = statfsSync,
): string {
  try {
    const { type, bavail, bsize } = probe("/dev/shm");
    if (type === TMPFS && bavail * bsize >= MIN_FREE_BYTES) return "/dev/shm";
  } catch {
    // No /dev/shm (macOS, Windows): the system's temporary folder does.
  }
  return tmpdir();
}

/**
 * Copies a folder and what it holds. On a POSIX system, with the system's `cp -R`, in a child
 * process: for a shop database's ~1,000 files `fs.promises.cp` spends 0.2-0.6 s of this
 * process's CPU (a promise and a few system calls per file) where `cp` takes about 0.1 s, and
 * this process's event loop stays free meanwhile.
 */
export async function copyFolder(from: string, to: string): Promise<void> {
  if (process.platform === "win32") {
    await cp(from, to, { recursive: true });
    return;
  }
  await promisify(execFile)("cp", ["-R", from, to]);
}

/** Which process made a scratch folder: in its name, `<prefix>pid<PID>.<namespace>-XXXXXX`. */
const OWNED = /^ciba-[a-z0-9-]*-pid(\d+)\.(\d+)-[A-Za-z0-9]{6}$/;

/**
 * This process's PID namespace (the inode of /proc/self/ns/pid): a PID names a process only
 * within its namespace, and containers that share a folder may each have a process 1234.
 * "0" where there is no /proc (macOS: one namespace per machine).
 */
export function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))?.[1] ?? "0";
  } catch {
    return "0";
  }
}

/**
 * Whether a process `pid` runs (EPERM: it does, as another user's). A zombie does not: a process
 * killed with its parent stays one where PID 1 reaps no orphans (a container whose first
 * process is not an init), and `kill(pid, 0)` still succeeds on it.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !isZombie(pid);
}

/** proc(5): the state follows the command, which is in parentheses and may hold any character. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
    return /^\) [ZX] /.test(stat.slice(stat.lastIndexOf(")")));
  } catch {
    return false; // No /proc (macOS), or gone meanwhile: kill(2) answered.
  }
}

export interface ScratchOptions {
  /** The folder to make it in; `scratchRoot()` unless given. */
  root?: string;
  /** This process's PID namespace; read from /proc unless given. */
  namespace?: string;
  /** Whether process `pid` of this namespace still runs; `kill(pid, 0)` unless given. */
  alive?: (pid: number) => boolean;
}

/**
 * How often a removal is tried again when a file appeared in a folder as it was being emptied
 * (ENOTEMPTY): a killed process's servers end on their own a moment after it, and may write
 * into its folder until then. Node waits `retryDelay` times the attempt's number: 5.5 s in all.
 */
const REMOVAL_RETRIES = { maxRetries: 10, retryDelay: 100 };

/** The roots this process has swept already: once per process is enough. */
const swept = new Set<string>();

/**
 * Removes the folders `makeScratchFolder` made in `root` for processes of this PID namespace
 * that no longer run, and returns their names. Such a folder is what a process killed with
 * SIGKILL (a CI job's timeout, the kernel's out-of-memory killer) left behind: in /dev/shm, a
 * shop database's 40 MB of RAM each, for as long as the machine runs. A folder whose process
 * still runs, or was made in another namespace (another container sharing the folder), stays;
 * so does a folder whose PID a new process has taken, until that one ends. A folder that
 * something still writes into is removed once the writing stops (`REMOVAL_RETRIES`). Never
 * throws: a folder that cannot be read or removed is left as it is.
 */
export async function sweepScratch(root: string, options: ScratchOptions = {}): Promise<string[]> {
  const namespace = options.namespace ?? pidNamespace();
  const alive = options.alive ?? processExists;
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const stale = names.filter((name) => {
    const owner = OWNED.exec(name);
    return owner !== null && owner[2] === namespace && !alive(Number(owner[1]));
  });
  const removed = await Promise.all(
    stale.map((name) =>
      rm(path.join(root, name), { recursive: true, force: true, ...REMOVAL_RETRIES }).then(
        () => name,
        () => undefined,
      ),
    ),
  );
  return removed.filter((name) => name !== undefined);
}

/**
 * A new folder for this process's throw-away files (`mkdtemp`), in `scratchRoot()`: named
 * `<prefix>pid<PID>.<namespace>-XXXXXX`, so that a later process can tell that its maker is
 * gone. `prefix` starts with `ciba-` and ends with `-`, e.g. `ciba-testbed-`. The first call
 * in a process first removes the folders of processes that ended without removing their own
 * (`sweepScratch`). The caller removes its folder when done.
 */
export async function makeScratchFolder(
  prefix: string,
  options: ScratchOptions = {},
): Promise<string> {
  if (!/^ciba-[a-z0-9-]*-$/.test(prefix)) {
    throw new Error(`A scratch folder's prefix is ciba-<lowercase words>-, not "${prefix}"`);
  }
  const root = options.root ?? scratchRoot();
  const namespace = options.namespace ?? pidNamespace();
  if (!swept.has(root)) {
    swept.add(root);
    await sweepScratch(root, { ...options, namespace });
  }
  return mkdtemp(path.join(root, `${prefix}pid${String(process.pid)}.${namespace}-`));
}
