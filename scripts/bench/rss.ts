import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";

/** Resident memory of another process in bytes, from /proc (Linux); undefined elsewhere. */
export async function residentBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ): 100 on Linux. */
const USER_HZ = 100;

/**
 * Seconds from two clock-tick fields of a /proc/<pid>/stat text, numbered as proc(5) does:
 * counted after the command name, which may hold spaces (the state is field 3).
 */
function statSeconds(stat: string, first: number, second: number): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[first - 3]) + Number(fields[second - 3])) / USER_HZ;
}

/** CPU seconds (user + system, every thread) a process has used so far, from /proc; NaN elsewhere. */
export async function cpuSecondsOf(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  try {
    // utime and stime.
    return statSeconds(await readFile(`/proc/${pid}/stat`, "utf8"), 14, 15);
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds (user + system) of every process this one has started and waited for, and of
 * the processes those waited for in turn, from /proc/self/stat (Linux); NaN elsewhere. Node
 * waits for each child it spawns, so around a `pnpm test` it counts the checks, Vitest and its
 * workers, and the servers, agents and browsers the tests started and waited for. Not a process
 * whose parent ended first (killed on purpose, or a server that leaves its starter behind): the
 * kernel gives it to another parent, and its time to no one here (`machineBusySeconds`).
 */
export function waitedChildrenCpuSeconds(): number {
  try {
    // cutime and cstime.
    return statSeconds(readFileSync("/proc/self/stat", "utf8"), 16, 17);
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds the whole machine has been busy so far, every core (the first line of
 * /proc/stat: user, nice, system, irq, softirq and steal; not idle or iowait), whoever used
 * them; NaN where /proc cannot tell.
 */
export function machineBusySeconds(): number {
  try {
    const [, ...ticks] = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
      .trim()
      .split(/\s+/)
      .map(Number);
    const [user, nice, system, , , irq, softirq, steal] = ticks;
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>(
      (sum, value) => sum + (value ?? Number.NaN),
      0,
    );
    return busy / USER_HZ;
  } catch {
    return Number.NaN;
  }
}

export const mebibytes = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
