import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import type { AgentReportJson } from "@ciba-testbed/agent";
import { build } from "esbuild";

import { builtEntry } from "../build.js";
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
 * `node build/agent.js`, what `pnpm agent` runs (scripts/build.js builds it), without
 * `--enable-source-maps`, as `pnpm agent` runs it (see LAZY_SOURCE_MAPS there).
 */
export const AGENT_CLI: AgentCli = {
  command: process.execPath,
  args: [builtEntry("agent")],
};

/**
 * The agent CLI with the test-only stop point `stopAt` compiled in (see the agent's
 * stop-point.ts), bundled into a temporary folder; without `stopAt`, the build's own CLI.
 * A bundle outside the repository reads no `<repo>/.env` and has no default store or CA
 * file: pass AGENT_STORE and NODE_EXTRA_CA_CERTS (a stack's `agentEnv()` does).
 */
export async function buildAgentCli(
  options: { stopAt?: string } = {},
): Promise<AgentCli & { remove(): Promise<void> }> {
  if (options.stopAt === undefined) return { ...AGENT_CLI, remove: () => Promise.resolve() };
  const dir = await mkdtemp(path.join(tmpdir(), "agent-cli-"));
  const outfile = path.join(dir, "main.mjs");
  await build({
    entryPoints: [path.join(REPO_ROOT, "apps/agent/src/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    // Some dependencies are CommonJS and call require().
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    define: { AGENT_STOP_AT: JSON.stringify(options.stopAt) },
  });
  return {
    command: process.execPath,
    args: [outfile],
    remove: () => rm(dir, { recursive: true, force: true }),
  };
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
  const exited = new Promise<AgentExit>((resolve) => {
    child.once("close", (code, signal) => {
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
 * OPENAI_API_KEY leaks in, so the offline model answers.
 */
export async function runAgent(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
  cli: AgentCli = AGENT_CLI,
  options: AgentProcessOptions = {},
): Promise<AgentRun> {
  const agent = startAgent([...args, "--json"], env, cli, options);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
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
