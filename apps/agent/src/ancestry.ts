import { AgentHalt } from "./halt.js";
import { isDead, isGone, readProcess, type ReadProcess } from "./process-info.js";

/** A process this one watches, as it was when this one started. */
export interface Ancestor {
  pid: number;
  command: string;
  startTime: string;
}

export interface AncestryWatch {
  /** Throws an AgentHalt (`parent_gone`) once a watched ancestor has died or been replaced. */
  check(): void;
  stop(): void;
}

export interface AncestryOptions {
  /** How often the watch looks while nothing asks it to. */
  intervalMs: number;
  /** Called once, from a timer, when an ancestor is gone; the CLI exits the process here. */
  onGone: (halt: AgentHalt) => void;
  read?: ReadProcess;
  pid?: number;
  /** The current parent pid; where there is no /proc, a changed parent is all that shows. */
  parentPid?: () => number;
}

/**
 * `pnpm agent` runs as pnpm -> node (-> node, once it restarts to trust the local CA), a
 * script as pnpm -> sh -> tsx -> node, and a `kill -9` of pnpm leaves the rest running:
 * without this watch, the orphan would go on to place the order. The watched
 * ancestors are the parent and, above it, the processes of the same process group: the job
 * a shell started (`pnpm agent ...`), but not the shell itself, so `nohup pnpm agent ... &`
 * typed in a terminal still outlives it. A script's shell has no job control: its background
 * commands share its process group, so it is watched (`setsid` starts one apart). A zombie
 * counts as dead: nothing may reap it here.
 */
export function watchAncestry(options: AncestryOptions): AncestryWatch {
  const read = options.read ?? readProcess;
  const parentPid = options.parentPid ?? (() => process.ppid);
  const ancestors = ancestorsOf(options.pid ?? process.pid, read);
  const firstParent = parentPid();

  const gone = (): AgentHalt | undefined => {
    if (ancestors === undefined) {
      return parentPid() === firstParent ? undefined : goneHalt({ pid: firstParent });
    }
    const missing = ancestors.find((ancestor) => isGone(ancestor, read));
    return missing === undefined ? undefined : goneHalt(missing);
  };

  let reported = false;
  const timer = setInterval(() => {
    const halt = gone();
    if (halt === undefined || reported) return;
    reported = true;
    clearInterval(timer);
    options.onGone(halt);
  }, options.intervalMs);
  timer.unref();

  return {
    check: () => {
      const halt = gone();
      if (halt !== undefined) throw halt;
    },
    stop: () => {
      clearInterval(timer);
    },
  };
}

/** The watched ancestors, nearest first; undefined where /proc cannot tell. */
export function ancestorsOf(pid: number, read: ReadProcess = readProcess): Ancestor[] | undefined {
  const self = read(pid);
  if (self === undefined) return undefined;
  const ancestors: Ancestor[] = [];
  let current = self;
  while (current.ppid > 1) {
    const parent = read(current.ppid);
    if (parent === undefined) break;
    if (ancestors.length > 0 && parent.pgrp !== self.pgrp) break;
    // One that is already a zombie is kept: the first check reports it.
    ancestors.push({ pid: parent.pid, command: parent.command, startTime: parent.startTime });
    if (isDead(parent) || parent.pgrp !== self.pgrp) break;
    current = parent;
  }
  return ancestors;
}

function goneHalt(ancestor: { pid: number; command?: string }): AgentHalt {
  const name = ancestor.command === undefined ? "" : ` (${ancestor.command})`;
  return new AgentHalt(
    "parent_gone",
    `Process ${ancestor.pid}${name}, which started this agent, is gone, so the agent stopped; it places no order after that.`,
    "Resume the thread to see where it stands and to finish it.",
  );
}
