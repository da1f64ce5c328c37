/**
 * Preloaded into the benchmarked mock-auth0 process (with --expose-gc): SIGUSR2 runs a full
 * garbage collection, so memory still held after the load can be told from memory V8 simply
 * has not handed back yet.
 */
const collect = (globalThis as { gc?: () => void }).gc;
process.on("SIGUSR2", () => {
  collect?.();
});
