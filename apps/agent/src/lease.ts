import { z } from "zod";

import { isDead, readProcess, type ReadProcess } from "./process-info.js";

/** Who asks to work on a thread, so two agent processes never resume it at once. */
export interface LeaseRequest {
  owner: string;
  host: string;
  pid: number;
  /** The holder's start time from /proc (Linux): a reused pid is not mistaken for it. */
  startTime?: string;
  /** Epoch milliseconds by the claimer's clock. */
  expiresAt: number;
}

/**
 * A granted lease. `token` is the fencing token: it grows with every claim of the key, so a
 * holder can tell whether anyone has claimed the key since it did.
 */
export interface Lease extends LeaseRequest {
  token: number;
}

export function leaseKey(threadId: string): string {
  return `leases/${threadId}`;
}

export function isLeaseKey(key: string): boolean {
  return key.startsWith("leases/");
}

export type Claim = { granted: true; lease: Lease } | { granted: false; holder: Lease };

export const leaseSchema = z
  .object({
    owner: z.string().min(1),
    host: z.string(),
    pid: z.number().int().positive(),
    startTime: z.string().optional(),
    expiresAt: z.number(),
    token: z.number().int().positive(),
  })
  .strict();

/**
 * A lease ends when it expires, or at once when it belongs to a process on this host that no
 * longer exists (killed with -9, a zombie nothing reaps, or its pid now names another process),
 * so a resume right after a crash is never locked out.
 */
export function isStale(
  lease: LeaseRequest,
  now: number,
  host: string,
  read: ReadProcess = readProcess,
): boolean {
  if (lease.expiresAt <= now) return true;
  if (lease.host !== host) return false;
  const info = read(lease.pid);
  if (info !== undefined) {
    return isDead(info) || (lease.startTime !== undefined && info.startTime !== lease.startTime);
  }
  // No /proc (not Linux): signal 0 tells whether the pid exists.
  try {
    process.kill(lease.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
