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

/**
 * CPU time another process has used, all its threads, in ms, from /proc/<pid>/stat (Linux;
 * undefined elsewhere): `utime` and `stime`, in the kernel's clock ticks of 10 ms (USER_HZ is
 * 100 wherever Node runs on Linux).
 */
export async function cpuMilliseconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name, in parentheses, may hold spaces: the fields after it are split.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

export const mebibytes = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
