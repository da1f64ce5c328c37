import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";

import { REPO_ROOT } from "@ciba-testbed/mock-auth0";

export const TSX = `${REPO_ROOT}node_modules/.bin/tsx`;

/** A child process spoken to in JSON lines: one request on stdin, one answer on stdout. */
export class LineProcess {
  private readonly pending: ((line: string) => void)[] = [];
  private stderr = "";

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on("line", (line) => this.pending.shift()?.(line));
    child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  static start(script: string, env: Record<string, string>): LineProcess {
    const child = spawn(TSX, [script], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    return new LineProcess(child);
  }

  async request<T>(message: unknown, timeoutMs = 20_000): Promise<T> {
    const answer = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`No answer within ${timeoutMs} ms. stderr:\n${this.stderr}`));
      }, timeoutMs);
      this.pending.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
    return JSON.parse(await answer) as T;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin.end();
    this.child.kill("SIGTERM");
    await exited;
  }
}
