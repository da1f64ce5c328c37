/**
 * Where the paths are kept: on the global object, because the program `runWithCodeCache` runs
 * is a bundle with its own copy of this module.
 */
const PATHS_TAKEN: unique symbol = Symbol.for("@ciba-testbed/shared/code-cache/paths-taken");
const holder = globalThis as { [PATHS_TAKEN]?: Set<string> };

/**
 * Records that this run took the path `name` through the program that `runWithCodeCache`
 * (code-cache.ts) started: its command, the store it used, the outcome it reached, whatever
 * decides which of the program's code runs. V8's code cache holds only the functions that the
 * runs which made it compiled: a cache made by a run that printed `--version`, or that stopped
 * on a Redis that did not answer, holds little of what a purchase runs, and every later
 * purchase compiled the rest again (an approved purchase of the agent CLI took 20% more CPU
 * with the second kind of cache, 35% more with the first). So a run that took a path its
 * cache was not made with writes the cache again as it exits: V8 then writes what the cache
 * held and what this run compiled, and the cache records both runs' paths. The cache grows to
 * the paths that are taken, whichever run came first. Outside such a run it only keeps the
 * name.
 */
export function recordCodePath(name: string): void {
  const taken = holder[PATHS_TAKEN] ?? new Set<string>();
  holder[PATHS_TAKEN] = taken.add(name);
}

/** The paths this process took (`recordCodePath`). */
export function pathsTaken(): string[] {
  return [...(holder[PATHS_TAKEN] ?? [])];
}
