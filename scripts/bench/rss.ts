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

export const mebibytes = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
