import { readdir, readFile } from "node:fs/promises";
import { constants } from "node:os";

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

/**
 * Resolves once every live member of a process group has taken `signal`, sent to the group:
 * none has it pending in /proc any more (SigPnd, ShdPnd). One without a handler is gone by then.
 */
export async function signalTaken(pgrp: number, signal: NodeJS.Signals): Promise<void> {
  const bit = 1n << BigInt(constants.signals[signal] - 1);
  const pending = async (pid: number) => {
    const status = await readFile(`/proc/${String(pid)}/status`, "utf8").catch(() => "");
    return [...status.matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm)].some(
      ([, mask = "0"]) => (BigInt(`0x${mask}`) & bit) !== 0n,
    );
  };
  for (;;) {
    const members = await liveMembers(pgrp);
    if (!(await Promise.all(members.map(pending))).some(Boolean)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
