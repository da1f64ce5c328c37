import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";

import { pidNamespace, processExists } from "./scratch.js";

/** Who holds a lock: written into it as it is taken. */
interface Holder {
  pid: number;
  host: string;
  namespace: string;
  /** The boot it was taken in (`/proc/sys/kernel/random/boot_id`); none off Linux. */
  boot?: string;
  /** When its process started, in clock ticks after boot (`/proc/<pid>/stat`); none off Linux. */
  start?: string;
}

/** When a process started: as `/proc/<pid>/stat` says, and as a time of the clock. */
export interface ProcessStart {
  /** Clock ticks after boot (field 22): with the boot, the same only for the same process. */
  ticks: string;
  /** Milliseconds since the epoch, to within a second or two. */
  atMs: number;
}

export interface HolderLockOptions {
  /** How long to wait for the lock before failing. */
  timeoutMs?: number;
  /** A lock whose holder cannot be checked is taken over at this age. */
  staleMs?: number;
  /** Between tries. */
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<unknown>;
  /** Whether process `pid` of this host and PID namespace still runs; `processExists` unless given. */
  alive?: (pid: number) => boolean;
  /** When process `pid` of this PID namespace started; `processStart` unless given. */
  startOf?: (pid: number) => ProcessStart | undefined;
  host?: string;
  namespace?: string;
  /** This boot's id; `bootId()` unless given. */
  boot?: string | undefined;
}

const HOLDER_FILE = "holder.json";
/** Older than this, a takeover under way is one whose process died in it. */
const TAKEOVER_STALE_MS = 5_000;
/** How much later than its lock a process must have started to be told apart from its holder. */
const START_SLACK_MS = 2_000;

/** The lock could not be made (its folder refuses new entries): the error is its cause. */
export class LockFolderError extends Error {
  override name = "LockFolderError";
}

/** This boot's id, which changes at every boot; undefined without /proc. */
export function bootId(): string | undefined {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** When process `pid` (of this PID namespace) started; undefined without /proc or once it ended. */
export function processStart(pid: number): ProcessStart | undefined {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
    // proc(5): the fields after the command, which is in parentheses; starttime is field 22.
    const ticks = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .at(22 - 3);
    const btime = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1];
    if (ticks === undefined || !/^\d+$/.test(ticks) || btime === undefined) return undefined;
    // USER_HZ, 100 on every Linux Node runs on.
    return { ticks, atMs: Number(btime) * 1000 + Number(ticks) * 10 };
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` while holding the lock `lock`, a folder made with `mkdir` (which one process
 * alone succeeds at) holding its holder's PID, host, PID namespace, boot and start time. A
 * process killed while it held the lock leaves it behind: one whose holder is of this host and
 * namespace is taken over at once when that process no longer runs, when the machine booted
 * since, or when the PID is now another process's (one that started at another time, or after
 * the lock was made: PIDs are reused, quickly in a container); one whose holder cannot be
 * checked (another host or container sharing the folder, a holder not written yet, a lock of an
 * earlier version) when it is `staleMs` old.
 *
 * Taking a lock over is done by one waiter at a time (a `<lock>.takeover` folder), which checks
 * the lock still names the holder it judged gone before moving it away: of two waiters that
 * judged one holder gone, the second never removes the lock the first has just taken.
 */
export async function withHolderLock<T>(
  lock: string,
  work: () => Promise<T>,
  options: HolderLockOptions = {},
): Promise<T> {
  const {
    timeoutMs = 20_000,
    staleMs = 15_000,
    pollMs = 25,
    now = Date.now,
    sleep = delay,
    alive = processExists,
    startOf = processStart,
    host = hostname(),
    namespace = pidNamespace(),
    boot = "boot" in options ? options.boot : bootId(),
  } = options;
  const myStart = startOf(process.pid)?.ticks;
  const me: Holder = {
    pid: process.pid,
    host,
    namespace,
    ...(boot !== undefined && { boot }),
    ...(myStart !== undefined && { start: myStart }),
  };
  const gone = async (held: Holder | undefined): Promise<boolean> => {
    if (held?.host !== host || held.namespace !== namespace) {
      return olderThan(lock, staleMs, now());
    }
    if (held.boot !== undefined && boot !== undefined && held.boot !== boot) return true;
    if (!alive(held.pid)) return true;
    const running = startOf(held.pid);
    if (running === undefined) return false;
    if (held.start !== undefined) return running.ticks !== held.start;
    // An earlier version's record: a process that started after the lock was made is not its holder.
    const made = await madeAt(lock);
    return made !== undefined && running.atMs > made + START_SLACK_MS;
  };
  const deadline = now() + timeoutMs;
  for (;;) {
    if (await take(lock, me)) break;
    const held = await holderOf(lock);
    if ((await gone(held)) && (await takeOver(lock, held, gone, now()))) continue;
    if (now() > deadline) {
      throw new Error(
        `Timed out after ${String(timeoutMs)} ms waiting for the lock ${lock}, held by ` +
          (held === undefined
            ? "a process that did not say which"
            : `process ${String(held.pid)} of ${held.host}`) +
          `: if no such process should hold it any more, remove the lock (rm -rf ${lock})`,
      );
    }
    await sleep(pollMs);
  }
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Makes the lock, naming `me` in it; false when another process holds it. */
async function take(lock: string, me: Holder): Promise<boolean> {
  try {
    await mkdir(lock);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new LockFolderError(`cannot make the lock ${lock}`, { cause: error });
  }
  await writeFile(path.join(lock, HOLDER_FILE), JSON.stringify(me));
  return true;
}

/**
 * Removes `lock`, judged abandoned with `judged` its holder, when it still names that holder
 * and is still judged so (`gone`), as the one waiter taking it over (`<lock>.takeover`, made
 * with `mkdir`). Moved away first, then removed: no one sees it half removed. True when the
 * lock is gone (this call removed it, or someone else did); false when another waiter is
 * taking it over, or it is no longer the lock that was judged.
 */
async function takeOver(
  lock: string,
  judged: Holder | undefined,
  gone: (held: Holder | undefined) => Promise<boolean>,
  at: number,
): Promise<boolean> {
  const mutex = `${lock}.takeover`;
  try {
    await mkdir(mutex);
  } catch {
    // Another waiter's takeover, or one whose process died in it: that one goes.
    if (await olderThan(mutex, TAKEOVER_STALE_MS, at)) await removeAside(mutex);
    return false;
  }
  try {
    const held = await holderOf(lock);
    if (JSON.stringify(held) !== JSON.stringify(judged) || !(await gone(held))) {
      return !(await exists(lock));
    }
    await removeAside(lock);
    return true;
  } finally {
    await rm(mutex, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Renames `folder` to a name of this call's, then removes that: gone at once, whole. */
async function removeAside(folder: string): Promise<void> {
  const aside = `${folder}.gone-${String(process.pid)}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(folder, aside);
  } catch {
    return; // Gone meanwhile.
  }
  await rm(aside, { recursive: true, force: true });
}

async function holderOf(lock: string): Promise<Holder | undefined> {
  try {
    const held = JSON.parse(
      await readFile(path.join(lock, HOLDER_FILE), "utf8"),
    ) as Partial<Holder>;
    if (
      typeof held.pid !== "number" ||
      typeof held.host !== "string" ||
      typeof held.namespace !== "string"
    ) {
      return undefined;
    }
    return {
      pid: held.pid,
      host: held.host,
      namespace: held.namespace,
      ...(typeof held.boot === "string" && { boot: held.boot }),
      ...(typeof held.start === "string" && { start: held.start }),
    };
  } catch {
    return undefined; // Not written yet, gone meanwhile, or a lock of an earlier version.
  }
}

async function madeAt(lock: string): Promise<number | undefined> {
  try {
    return (await stat(lock)).mtimeMs;
  } catch {
    return undefined; // Gone meanwhile: the next try takes it.
  }
}

const exists = async (file: string) => (await madeAt(file)) !== undefined;

async function olderThan(lock: string, ageMs: number, at: number): Promise<boolean> {
  const made = await madeAt(lock);
  return made !== undefined && at - made > ageMs;
}
