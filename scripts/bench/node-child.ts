import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

import { REPO_ROOT } from "../stack/repo-root.js";

export interface NodeChildOptions<T> {
  name: string;
  /** The entry point, relative to the repository root. */
  script: string;
  env: Record<string, string | undefined>;
  /** Extra Node flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** Modules loaded before the entry point, after tsx (so they may be TypeScript). */
  preload?: string[];
  /** The value the child reports once it is ready, read from one line of its stdout or stderr. */
  ready: (line: string) => T | undefined;
  readyTimeoutMs?: number;
}

export interface NodeChild {
  name: string;
  /** The pid of the Node process itself (no tsx wrapper in between), so its memory can be read. */
  pid: number;
  recentOutput: string[];
  signal(signal: NodeJS.Signals): void;
  /** The next line of output (after this call) that `parse` accepts. */
  nextLine<T>(parse: (line: string) => T | undefined, timeoutMs: number): Promise<T>;
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Runs a TypeScript entry point as `node --import tsx`: one process, whose pid is the app's. */
export function startNodeChild<T>(
  options: NodeChildOptions<T>,
): Promise<{ child: NodeChild; ready: T }> {
  const proc = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      "--import",
      "tsx",
      ...(options.preload ?? []).flatMap((module) => ["--import", module]),
      options.script,
    ],
    { cwd: REPO_ROOT, env: options.env, stdio: ["pipe", "pipe", "pipe"] },
  );
  live.add(proc);
  proc.once("exit", () => live.delete(proc));
  const recentOutput: string[] = [];
  const lineListeners = new Set<(line: string) => void>();
  const exited = new Promise<void>((resolve) =>
    proc.once("exit", () => {
      resolve();
    }),
  );

  const child: NodeChild = {
    name: options.name,
    pid: proc.pid ?? -1,
    recentOutput,
    signal(signal) {
      proc.kill(signal);
    },
    nextLine(parse, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          lineListeners.delete(listener);
          reject(new Error(`${options.name}: no expected output within ${timeoutMs} ms`));
        }, timeoutMs);
        const listener = (line: string) => {
          const value = parse(line);
          if (value === undefined) return;
          clearTimeout(timer);
          lineListeners.delete(listener);
          resolve(value);
        };
        lineListeners.add(listener);
      });
    },
    async stop(graceMs = 5_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      fail(`did not report ready within ${timeoutMs} ms`);
    }, timeoutMs);
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      proc.kill("SIGKILL");
      reject(new Error(`${options.name} ${why}:\n${recentOutput.join("\n")}`));
    };
    const onLine = (line: string) => {
      recentOutput.push(line);
      if (recentOutput.length > 100) recentOutput.shift();
      for (const listener of lineListeners) listener(line);
      if (settled) return;
      const value = options.ready(line);
      if (value !== undefined) {
        settled = true;
        clearTimeout(timer);
        resolve({ child, ready: value });
      }
    };
    createInterface({ input: proc.stdout }).on("line", onLine);
    createInterface({ input: proc.stderr }).on("line", onLine);
    proc.once("error", (error) => {
      fail(`could not start: ${error.message}`);
    });
    proc.once("exit", (code, signal) => {
      fail(`exited (${signal ?? `code ${String(code)}`}) before it was ready`);
    });
  });
}
