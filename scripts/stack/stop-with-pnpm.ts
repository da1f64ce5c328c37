import { readFileSync } from "node:fs";
import path from "node:path";

import { isDead, isGone, readProcess } from "@ciba-testbed/agent/process-info";
import type { ProcessInfo, ReadProcess } from "@ciba-testbed/agent/process-info";

/** A process's command line, its arguments in order; undefined when it is gone or unknown. */
export type ReadCommandLine = (pid: number) => string[] | undefined;

const readCommandLine: ReadCommandLine = (pid) => {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    // Each argument ends with a NUL: the last field is empty.
    return args.slice(0, -1);
  } catch {
    return undefined;
  }
};

/** pnpm's own start: its launcher (`pnpm`, a standalone binary) or its script (`pnpm.cjs`). */
function isPnpm(args: string[]): boolean {
  return args.slice(0, 2).some((arg) => /^pnpm(\.c?js)?$/.test(path.basename(arg)));
}

/** How many shells may stand between pnpm and the script's process (`sh -c`). */
const MAX_SHELLS = 2;

/**
 * The pnpm process that runs this process's package script (`pnpm dev`), or undefined when
 * pnpm did not start it, or when that cannot be told for sure. pnpm runs a script as
 * pnpm -> <shell> -c <script> -> node (or without the shell, which may run its last command in
 * its own place): it says so in the script's environment (`npm_config_user_agent`,
 * `npm_lifecycle_script`); the shell's command line ends with the script, and pnpm's names
 * pnpm. Nothing else counts: a pnpm that is gone already, an unknown process in between.
 */
export function pnpmOf(
  env: Record<string, string | undefined>,
  pid: number,
  read: ReadProcess = readProcess,
  commandLine: ReadCommandLine = readCommandLine,
): ProcessInfo | undefined {
  const script = env.npm_lifecycle_script;
  if (env.npm_config_user_agent?.startsWith("pnpm/") !== true || script === undefined) {
    return undefined;
  }
  let current = read(pid);
  for (let shells = 0; current !== undefined && shells <= MAX_SHELLS; shells += 1) {
    const parent = read(current.ppid);
    const args = commandLine(current.ppid);
    if (parent === undefined || isDead(parent) || args === undefined) return undefined;
    if (args.at(-2) !== "-c" || args.at(-1) !== script) return isPnpm(args) ? parent : undefined;
    current = parent;
  }
  return undefined;
}

export interface StopWithPnpmOptions {
  /** How often it looks; reading one /proc file costs next to nothing. */
  intervalMs: number;
  /** Called once pnpm is gone, before this process stops: a line for the person. */
  onGone: (pnpm: ProcessInfo) => void;
}

/**
 * Stops this process, as SIGTERM does (the supervisor's signal hooks stop every service first),
 * once the pnpm that runs its package script is gone. pnpm (10.34) leaves its script running
 * when it is killed: by SIGKILL (kill -9, an IDE's hard stop, the OOM killer) or by a SIGHUP to
 * it alone, the script (and the shell, when pnpm runs it through one) lives on; by a SIGTERM to
 * it alone (`kill <pid>`), a shell between them dies and the script lives on, while pnpm's own
 * interpreter (`shellEmulator`, this workspace's) passes the SIGTERM on to the script. (A SIGINT
 * to pnpm alone it ignores.) A script pnpm did not
 * start (`node scripts/build.js dev`) is left alone, and so is one whose pnpm lives, whatever
 * happens above it (`nohup pnpm dev &` in a terminal that closes). Returns the pnpm it watches.
 */
export function stopWithPnpm(options: StopWithPnpmOptions): ProcessInfo | undefined {
  const pnpm = pnpmOf(process.env, process.pid);
  if (pnpm === undefined) return undefined;
  const timer = setInterval(() => {
    if (!isGone(pnpm)) return;
    clearInterval(timer);
    options.onGone(pnpm);
    process.kill(process.pid, "SIGTERM");
  }, options.intervalMs);
  timer.unref();
  return pnpm;
}
