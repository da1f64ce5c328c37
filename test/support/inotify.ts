import { existsSync } from "node:fs";
import { readdir, readFile, readlink, stat } from "node:fs/promises";

import { vi } from "vitest";

/**
 * Whether process `pid` has an inotify watch on `file` (Linux: each watch is a line of the
 * inotify descriptor's fdinfo, naming the watched inode in hex).
 */
export async function watches(pid: number, file: string): Promise<boolean> {
  const inode = `ino:${(await stat(file)).ino.toString(16)} `;
  for (const fd of await readdir(`/proc/${String(pid)}/fd`)) {
    const target = await readlink(`/proc/${String(pid)}/fd/${fd}`).catch(() => "");
    if (target !== "anon_inode:inotify") continue;
    const info = await readFile(`/proc/${String(pid)}/fdinfo/${fd}`, "utf8").catch(() => "");
    if (info.split("\n").some((line) => line.startsWith("inotify") && line.includes(inode))) {
      return true;
    }
  }
  return false;
}

/**
 * Resolves once process `pid` (Node's watcher) watches `file`. A watcher hears of a file from
 * the process it runs after that process loaded it, and starts watching it a moment later
 * (sooner than a person saves it again); a change before then is not seen, so a test edits a
 * file only once it is watched. Where there is no /proc, it resolves at once.
 */
export async function untilWatched(pid: number | undefined, file: string): Promise<void> {
  if (pid === undefined || !existsSync("/proc/self/fdinfo")) return;
  await vi.waitFor(
    async () => {
      if (!(await watches(pid, file)))
        throw new Error(`process ${String(pid)} does not watch ${file}`);
    },
    { timeout: 15_000, interval: 20 },
  );
}
