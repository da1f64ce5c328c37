import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";

import { loadScaled } from "./load-scaled.js";

/** How a process ended, in words: `exit code 3` or `signal SIGKILL`. */
const howEnded = (child: ChildProcess) =>
  child.signalCode === null ? `exit code ${String(child.exitCode)}` : `signal ${child.signalCode}`;

/**
 * The ready record `name` (the process `child`) writes to `file` (its `--ready-file`), once it
 * is there. The wait ends as soon as the process ends without writing it, naming how it ended
 * (and its stderr, when piped to this process), or after `within` ms stretched by the machine's
 * load (`loadScaled`). The record is written whole (a rename): a file that is there is whole.
 */
export async function readyRecord(
  child: ChildProcess,
  file: string,
  { name, within }: { name: string; within: number },
): Promise<Record<string, unknown>> {
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const limit = loadScaled(within);
  const deadline = Date.now() + limit;
  while (!existsSync(file)) {
    if (child.exitCode !== null || child.signalCode !== null) {
      // What it wrote last may still be in the pipe.
      if (child.stderr && !child.stderr.readableEnded) await once(child.stderr, "end");
      throw new Error(
        `${name} ended (${howEnded(child)}) before it wrote its ready record ${file}` +
          (stderr === "" ? "" : `; its stderr:\n${stderr}`),
      );
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${name} wrote no ready record to ${file} within ${String(limit / 1000)} s and still runs`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}
