import { spawn } from "node:child_process";
import { setMaxListeners } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, realpath, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

import type { AgentReportJson } from "@ciba-testbed/agent";

import { BUILD_DIR, builtEntry, ensureBuilt } from "../build.js";
import { REPO_ROOT } from "./repo-root.js";

export interface AgentRun {
  exitCode: number;
  /** What `--json` printed: the agent's own report type. */
  json: AgentReportJson;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/** How to start the agent CLI: a command and the arguments before the agent's own. */
export interface AgentCli {
  command: string;
  args: string[];
}

/**
 * `node build/agent.cjs`, what `pnpm agent` runs (scripts/build.js builds it), without
 * `--enable-source-maps`, as `pnpm agent` runs it (see LAZY_SOURCE_MAPS there).
 */
export const AGENT_CLI: AgentCli = {
  command: process.execPath,
  args: [builtEntry("agent")],
};

/**
 * The agent CLI with the test-only stop point `stopAt` (see the agent's stop-point.ts); without
 * `stopAt`, the build's own CLI. The stop point is the global `AGENT_STOP_AT`, which the CLI's
 * bundle reads and nothing in it defines: a stop point's CLI is a two-line launcher,
 * `build/stop-points/<point>.js`, that defines it and then starts `build/agent.cjs`. So it runs
 * the very bundle `pnpm agent` runs, as `pnpm agent` runs it (code cache, Node flags), instead
 * of a bundle of its own that every run compiles afresh: a resume stopped once the token
 * arrived costs 0.18 s of CPU instead of 0.24 s. The launcher is written once and reused while
 * `build/` is current: a rebuild replaces the whole folder, so none outlives the build it
 * starts. It runs with what `build/agent.cjs` runs with, so pass AGENT_STORE and
 * NODE_EXTRA_CA_CERTS as for it (a stack's `agentEnv()` does).
 */
export async function buildAgentCli(
  options: { stopAt?: string } = {},
): Promise<AgentCli & { remove(): Promise<void> }> {
  const kept = { remove: () => Promise.resolve() };
  if (options.stopAt === undefined) return { ...AGENT_CLI, ...kept };
  if (!/^[a-z-]+$/.test(options.stopAt)) throw new Error(`no stop point "${options.stopAt}"`);
  // Rebuilt first when a source changed, which also drops every stop point's old launcher.
  await ensureBuilt({ quiet: true });
  // The build's own folder, not `build/`: a rebuild meanwhile swaps in another folder, and this
  // CLI keeps to the build it was made for (see installBuild). A recursive mkdir through the
  // link could also fail then: Node's meets an EEXIST in one build, then stats the next one.
  const folder = await realpath(BUILD_DIR);
  const launcher = path.join(folder, "stop-points", `${options.stopAt}.js`);
  if (!existsSync(launcher)) {
    await mkdir(path.dirname(launcher), { recursive: true });
    // Written beside and renamed, so a test file writing the same point at once, or one
    // starting it, never reads half a file.
    const partial = `${launcher}.${String(process.pid)}.partial.js`;
    const stopAt = JSON.stringify(options.stopAt);
    const agent = JSON.stringify(pathToFileURL(builtEntry("agent", folder)).href);
    await writeFile(
      partial,
      `Object.defineProperty(globalThis, "AGENT_STOP_AT", { value: ${stopAt} });\nawait import(${agent});\n`,
    );
    await rename(partial, launcher);
  }
  return { command: process.execPath, args: [launcher], ...kept };
}

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export interface AgentProcessOptions {
  /** The working directory; the repository root unless a test gives the agent its own. */
  cwd?: string;
  /**
   * Ends the agent with SIGKILL once aborted: a test's own `signal`, which Vitest aborts when
   * the test times out, so that an agent that hangs ends with the test that waits for it.
   */
  signal?: AbortSignal;
}

/** Starts the agent CLI with exactly `env` (plus PATH and HOME) and collects its output. */
export function startAgent(
  args: string[],
  env: Record<string, string>,
  cli: AgentCli = AGENT_CLI,
  options: AgentProcessOptions = {},
): { pid: number | undefined; exited: Promise<AgentExit>; kill(signal: NodeJS.Signals): void } {
  const started = Date.now();
  const child = spawn(cli.command, [...cli.args, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", OPENAI_API_KEY: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const stop = () => child.kill("SIGKILL");
  if (options.signal !== undefined) {
    // Tens of agents at once share one test's signal: each listens until it ends.
    setMaxListeners(0, options.signal);
    options.signal.addEventListener("abort", stop, { once: true });
    if (options.signal.aborted) stop();
  }
  const exited = new Promise<AgentExit>((resolve) => {
    child.once("close", (code, signal) => {
      options.signal?.removeEventListener("abort", stop);
      resolve({ code, signal, stdout, stderr, wallMs: Date.now() - started });
    });
  });
  return {
    pid: child.pid,
    exited,
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

/**
 * Runs the real agent CLI (`pnpm agent ... --json`) as its own process against a stack and
 * returns its one JSON report. The environment is exactly the stack's plus `env`: no
 * OPENAI_API_KEY leaks in, so the offline model answers. The agent is killed after `timeoutMs`;
 * with `null`, only when `options.signal` aborts (the test's, for agents that share a loaded
 * machine with dozens of others, whose wall time says nothing about a hang).
 */
export async function runAgent(
  args: string[],
  env: Record<string, string>,
  timeoutMs: number | null = 60_000,
  cli: AgentCli = AGENT_CLI,
  options: AgentProcessOptions = {},
): Promise<AgentRun> {
  const agent = startAgent([...args, "--json"], env, cli, options);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    if (timeoutMs === null) return;
    timer = setTimeout(() => {
      agent.kill("SIGKILL");
      reject(new Error(`agent ${args.join(" ")} ran over ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    const { code, stdout, stderr, wallMs } = await Promise.race([agent.exited, timedOut]);
    const line = stdout.trim().split("\n").at(-1) ?? "";
    try {
      return {
        exitCode: code ?? -1,
        json: JSON.parse(line) as AgentReportJson,
        stdout,
        stderr,
        wallMs,
      };
    } catch {
      throw new Error(`agent printed no JSON report (exit ${String(code)}):\n${stdout}\n${stderr}`);
    }
  } finally {
    clearTimeout(timer);
  }
}
