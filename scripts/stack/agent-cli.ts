import { spawn } from "node:child_process";

import { REPO_ROOT, TSX_BIN } from "./repo-root.js";

export interface AgentJson {
  outcome: string;
  exitCode: number;
  message: string;
  threadId: string;
  authReqId: string | null;
  bindingMessage: string | null;
  order: { id: string; qty: number; total: number; product: { id: string; name: string } } | null;
  fix: string | null;
  purchases: unknown[];
  timings: { totalMs: number; approvalMs?: number; orderMs?: number };
}

export interface AgentRun {
  exitCode: number;
  json: AgentJson;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/**
 * Runs the real agent CLI (`pnpm agent ... --json`) as its own process against a stack and
 * returns its one JSON report. The environment is exactly the stack's plus `env`: no
 * OPENAI_API_KEY leaks in, so the offline model answers.
 */
export function runAgent(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<AgentRun> {
  const started = Date.now();
  const child = spawn(TSX_BIN, ["apps/agent/src/main.ts", ...args, "--json"], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", OPENAI_API_KEY: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`agent ${args.join(" ")} ran over ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").at(-1) ?? "";
      try {
        resolve({
          exitCode: code ?? -1,
          json: JSON.parse(line) as AgentJson,
          stdout,
          stderr,
          wallMs: Date.now() - started,
        });
      } catch {
        reject(
          new Error(`agent printed no JSON report (exit ${String(code)}):\n${stdout}\n${stderr}`),
        );
      }
    });
  });
}
