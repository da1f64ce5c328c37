import { availableParallelism, loadavg } from "node:os";

/** The most a limit is stretched: a test that hangs still fails, within minutes. */
const MOST = 6;

/**
 * `ms`, stretched by how loaded this machine was over the last minute: by the processes that
 * ran or waited for a core, per core (at least 1, at most 6 times). A test of dozens of agent
 * processes at once needs CPU time: on two cores that other test runs share, the wall time it
 * takes grows with their load, and a fixed limit that is ample on an idle machine fails a run
 * that is only slow.
 */
export function loadScaled(ms: number): number {
  const [perMinute = 0] = loadavg();
  return Math.round(ms * Math.min(MOST, Math.max(1, perMinute / availableParallelism())));
}
