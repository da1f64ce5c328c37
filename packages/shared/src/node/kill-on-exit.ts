import type { ChildProcess } from "node:child_process";

const running = new Map<ChildProcess, () => void>();
let exitHookInstalled = false;

/**
 * However this process ends (a crash, `process.exit`, a test file whose `afterAll` never ran),
 * `end` runs for `child` if it is still running, so no server it started outlives it: a
 * server does not notice its parent is gone. By default `end` is SIGKILL to the child.
 */
export function killOnExit(
  child: ChildProcess,
  end: () => void = () => child.kill("SIGKILL"),
): void {
  running.set(child, end);
  child.once("exit", () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const endOne of running.values()) endOne();
  });
}
