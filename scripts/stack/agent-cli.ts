import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";

import type { AgentReportJson } from "@ciba-testbed/agent";
import { build } from "esbuild";

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
 * `node build/agent.js`, what `pnpm agent` runs (scripts/build.js builds it), without
 * `--enable-source-maps`, as `pnpm agent` runs it (see LAZY_SOURCE_MAPS there).
 */
export const AGENT_CLI: AgentCli = {
  command: process.execPath,
  args: [builtEntry("agent")],
};

/**
 * The agent CLI with the test-only stop point `stopAt` compiled in (see the agent's
 * stop-point.ts); without `stopAt`, the build's own CLI. Each stop point's CLI is bundled
 * once (one file, `build/stop-points/<point>/agent.js`) and reused while `build/` is current:
 * a rebuild replaces the whole folder, so none outlives the sources it was made from. The
 * agent finds the repository three folders above its module, which for this file is `build/`
 * itself: it reads no `<repo>/.env` and has no default store or CA file, so pass AGENT_STORE
 * and NODE_EXTRA_CA_CERTS (a stack's `agentEnv()` does).
 */
export async function buildAgentCli(
  options: { stopAt?: string } = {},
): Promise<AgentCli & { remove(): Promise<void> }> {
  const kept = { remove: () => Promise.resolve() };
  if (options.stopAt === undefined) return { ...AGENT_CLI, ...kept };
  if (!/^[a-z-]+$/.test(options.stopAt)) throw new Error(`no stop point "${options.stopAt}"`);
  // Rebuilt first when a source changed, which also drops every stop point's old bundle.
  await ensureBuilt({ quiet: true });
  const outfile = path.join(BUILD_DIR, "stop-points", options.stopAt, "agent.js");
  if (!existsSync(outfile)) {
    await mkdir(path.dirname(outfile), { recursive: true });
    // Written beside and renamed, so a test file bundling the same point at once, or one
    // starting it, never reads half a file.
    const partial = `${outfile}.${String(process.pid)}.partial.js`;
    await build({
      entryPoints: [path.join(REPO_ROOT, "apps/agent/src/main.ts")],
      outfile: partial,
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
    await rename(partial, outfile);
  }
  return { command: process.execPath, args: [outfile], ...kept };
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
