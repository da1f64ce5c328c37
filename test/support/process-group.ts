import { readdir } from "node:fs/promises";

// The module itself, not the package: its index loads the whole agent (the AI SDK, Auth0's
// SDK, Redis) into this worker for two functions that read /proc.
import { isDead, readProcess } from "../../apps/agent/src/process-info.js";

/** Live (not zombie) processes of a process group, read from /proc. */
export async function liveMembers(pgrp: number): Promise<number[]> {
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name)).map(Number);
  return pids.filter((pid) => {
    const info = readProcess(pid);
    return info?.pgrp === pgrp && !isDead(info);
  });
}

/** The live members of a process group once they are all gone, or after `timeoutMs`. */
export async function liveMembersAfter(pgrp: number, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const members = await liveMembers(pgrp);
    if (members.length === 0 || Date.now() > deadline) return members;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
