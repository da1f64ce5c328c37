import { hostname } from "node:os";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";

import { pidNamespace, processExists } from "./scratch.js";

/** Who holds a lock: written into it as it is taken. */
interface Holder {
  pid: number;
  host: string;
  namespace: string;
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
  host?: string;
  namespace?: string;
}

const HOLDER_FILE = "holder.json";

/** The lock could not be made (its folder refuses new entries): the error is its cause. */
export class LockFolderError extends Error {
  override name = "LockFolderError";
}

/**
 * Runs `work` while holding the lock `lock`, a folder made with `mkdir` (which one process
 * alone succeeds at) holding its holder's PID, host and PID namespace. A process killed while
 * it held the lock leaves it behind: one whose holder is a process of this host and namespace
 * that no longer runs is taken over at once; one whose holder cannot be checked (another host
 * or container sharing the folder, a holder not written yet, a lock of an earlier version) when
 * it is `staleMs` old.
 */
export async function withHolderLock<T>(
  lock: string,
  work: () => Promise<T>,
  options: HolderLockOptions = {},
): Promise<T> {
  const {
    timeoutMs = 60_000,
    staleMs = 30_000,
    pollMs = 25,
    now = Date.now,
    sleep = delay,
    alive = processExists,
    host = hostname(),
    namespace = pidNamespace(),
  } = options;
  const me: Holder = { pid: process.pid, host, namespace };
  const deadline = now() + timeoutMs;
  for (;;) {
    if (await take(lock, me)) break;
    const held = await holderOf(lock);
    const abandoned =
      held?.host === host && held.namespace === namespace
        ? !alive(held.pid)
        : await olderThan(lock, staleMs, now());
    if (abandoned) {
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    if (now() > deadline) {
      throw new Error(
        `Timed out after ${String(timeoutMs)} ms waiting for the lock ${lock}, held by ` +
          (held === undefined
            ? "a process that did not say which"
            : `process ${String(held.pid)} of ${held.host}`),
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

async function holderOf(lock: string): Promise<Holder | undefined> {
  try {
    const held = JSON.parse(
      await readFile(path.join(lock, HOLDER_FILE), "utf8"),
    ) as Partial<Holder>;
    return typeof held.pid === "number" &&
      typeof held.host === "string" &&
      typeof held.namespace === "string"
      ? { pid: held.pid, host: held.host, namespace: held.namespace }
      : undefined;
  } catch {
    return undefined; // Not written yet, gone meanwhile, or a lock of an earlier version.
  }
}

async function olderThan(lock: string, ageMs: number, at: number): Promise<boolean> {
  try {
    return at - (await stat(lock)).mtimeMs > ageMs;
  } catch {
    return false; // Gone meanwhile: the next try takes it.
  }
}
