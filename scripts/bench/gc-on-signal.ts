/**
 * Preloaded into the benchmarked mock-auth0 process (with --expose-gc): SIGUSR2 runs a full
 * garbage collection and prints the memory still in use as one JSON line on stderr, so state
 * kept after the load can be told from memory V8 has not handed back to the system yet.
 */
const collect = (globalThis as { gc?: () => void }).gc;
process.on("SIGUSR2", () => {
  collect?.();
  process.stderr.write(`${JSON.stringify({ benchMemoryAfterGc: process.memoryUsage() })}\n`);
});
