/** What the process still has to undo, in the order it was set up. */
const cleanups: (() => void)[] = [];
let installed = false;

/** The signals that end a Node process without its `exit` event, unless someone listens. */
const ENDING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Runs every cleanup once, the last set up first; one that throws does not stop the others. */
function runCleanups(): void {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch {
      // The process is ending: nobody is left to tell, and the rest must still run.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  // A return, a throw, an unhandled rejection, process.exit(): Node emits `exit` for each.
  process.once("exit", runCleanups);
  if (process.platform === "win32") return;
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of ENDING_SIGNALS) {
    const onSignal = () => {
      // Someone else decides what this signal does (a server's graceful stop, a test runner):
      // the process keeps running until it exits, and `exit` runs the cleanups then.
      if (process.listenerCount(signal) > 1) return;
      // The signal would have ended the process at once: clean up, then let it do so, so that
      // whoever started the process still sees it end by that signal.
      runCleanups();
      for (const [other, handler] of handlers) process.removeListener(other, handler);
      process.kill(process.pid, signal);
    };
    handlers.set(signal, onSignal);
    // First, so that the count above still holds a `process.once` listener of someone else's.
    process.prependListener(signal, onSignal);
  }
}

/**
 * Runs `cleanup` when this process ends, however it ends but SIGKILL: a return, a throw, an
 * unhandled rejection, `process.exit()`, or SIGINT, SIGTERM or SIGHUP when nothing else
 * handles them (the process still ends by that signal). `cleanup` must be synchronous: nothing
 * asynchronous runs after `exit`. Cleanups run the last registered first. Returns a function
 * that unregisters it, for when the work is undone the ordinary way.
 */
export function onProcessEnd(cleanup: () => void): () => void {
  install();
  cleanups.push(cleanup);
  return () => {
    const index = cleanups.indexOf(cleanup);
    if (index !== -1) cleanups.splice(index, 1);
  };
}
