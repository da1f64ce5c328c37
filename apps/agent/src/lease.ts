import { readFileSync } from "node:fs";

/** Who is working on a thread, so two agent processes never resume it at once. */
export interface Lease {
  owner: string;
  host: string;
  pid: number;
  /** Epoch milliseconds by the claimer's clock. */
  expiresAt: number;
}

/**
 * A lease ends when it expires, or at once when it belongs to a process on this host that no
 * longer exists (killed with -9), so a resume right after a crash is never locked out.
 */
export function isStale(lease: Lease, now: number, host: string): boolean {
  if (lease.expiresAt <= now) return true;
  if (lease.host !== host) return false;
  try {
    process.kill(lease.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  return isZombie(lease.pid);
}

/**
 * A killed process whose parent died too stays a zombie until something reaps it, and in a
 * container nothing may: signal 0 still finds it. On Linux its state tells.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state follows the parenthesised command name, which may itself contain spaces.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}
