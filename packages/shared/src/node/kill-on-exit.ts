import type { ChildProcess } from "node:child_process";

import { onProcessEnd } from "./on-process-end.js";

/**
 * However this process ends (a crash, `process.exit`, a test file whose `afterAll` never ran,
 * SIGINT or SIGTERM that nothing else handles), `end` runs for `child` if it is still running,
 * so no server it started outlives it: a server does not notice its parent is gone. By default
 * `end` is SIGKILL to the child. Only SIGKILL of this process skips it (see `onProcessEnd`).
 */
export function killOnExit(
  child: ChildProcess,
  end: () => void = () => child.kill("SIGKILL"),
): void {
  const forget = onProcessEnd(end);
  child.once("exit", forget);
}
