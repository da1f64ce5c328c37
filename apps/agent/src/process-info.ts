import { readFileSync } from "node:fs";

/** What Linux says about one process in `/proc/<pid>/stat` (proc(5)). */
export interface ProcessInfo {
  pid: number;
  /** The executable's name, at most 15 characters. */
  command: string;
  /** R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** Clock ticks after boot: with the pid, it names one process even after the pid is reused. */
  startTime: string;
}

/** Reads a process's stat line; undefined when it does not exist or /proc is not there. */
export type ReadProcess = (pid: number) => ProcessInfo | undefined;

export const readProcess: ReadProcess = (pid) => {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
};

export function parseStat(line: string): ProcessInfo | undefined {
  // The command is parenthesised and may itself hold spaces and parentheses.
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const fields = line.slice(close + 2).split(" ");
  const [state, ppid, pgrp] = fields;
  const startTime = fields[19];
  if (state === undefined || ppid === undefined || pgrp === undefined || startTime === undefined) {
    return undefined;
  }
  return {
    pid: Number(line.slice(0, open).trim()),
    command: line.slice(open + 1, close),
    state,
    ppid: Number(ppid),
    pgrp: Number(pgrp),
    startTime,
  };
}

/** A zombie has exited; nothing may reap it here (pid 1 of these machines does not). */
export function isDead(info: ProcessInfo | undefined): boolean {
  return info === undefined || info.state === "Z" || info.state === "X";
}

/** A process seen before has exited, or its pid now names another process (another start). */
export function isGone(
  seen: Pick<ProcessInfo, "pid" | "startTime">,
  read: ReadProcess = readProcess,
): boolean {
  const now = read(seen.pid);
  return isDead(now) || now?.startTime !== seen.startTime;
}
