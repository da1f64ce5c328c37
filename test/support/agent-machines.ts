import { spawn } from "node:child_process";
import { copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import type { AgentReportJson } from "@ciba-testbed/agent";
import type { AgentCli, AgentExit, AgentRun } from "@ciba-testbed/stack/agent-cli";

/**
 * A stand-in for one machine of an agent fleet: agent processes that run in a working directory
 * of their own, with their own copy of the tenant's CA and their own HOME. The only thing two
 * machines share is what AGENT_STORE names: a Redis.
 */
export class Machine {
  private constructor(
    readonly name: string,
    readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  /** `stackEnv` is a stack's `agentEnv()`: the tenant, the shop and the CA file to copy. */
  static async create(
    name: string,
    stackEnv: Record<string, string>,
    agentStore: string,
  ): Promise<Machine> {
    const dir = await mkdtemp(path.join(tmpdir(), `machine-${name}-`));
    const caFile = stackEnv.NODE_EXTRA_CA_CERTS;
    if (caFile === undefined) throw new Error("The stack's environment names no CA file");
    const ownCa = path.join(dir, "ca.pem");
    await copyFile(caFile, ownCa);
    return new Machine(name, dir, {
      ...stackEnv,
      NODE_EXTRA_CA_CERTS: ownCa,
      AGENT_STORE: agentStore,
      HOME: dir,
    });
  }

  /** Starts the agent CLI here; `env` is added to this machine's environment. */
  start(
    args: string[],
    cli: AgentCli,
    env: Record<string, string> = {},
  ): { pid: number | undefined; exited: Promise<AgentExit>; kill(signal: NodeJS.Signals): void } {
    const started = Date.now();
    const child = spawn(cli.command, [...cli.args, ...args], {
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? "", OPENAI_API_KEY: "", ...this.env, ...env },
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
    return { pid: child.pid, exited, kill: (signal) => child.kill(signal) };
  }

  /** Runs the agent CLI here with `--json` and returns its one report. */
  async run(args: string[], cli: AgentCli, env: Record<string, string> = {}): Promise<AgentRun> {
    const { code, stdout, stderr, wallMs } = await this.start([...args, "--json"], cli, env).exited;
    const line = stdout.trim().split("\n").at(-1) ?? "";
    try {
      const json = JSON.parse(line) as AgentReportJson;
      return { exitCode: code ?? -1, json, stdout, stderr, wallMs };
    } catch {
      throw new Error(
        `agent on ${this.name} printed no JSON report (exit ${String(code)}):\n${stdout}\n${stderr}`,
      );
    }
  }

  /** Every file under this machine's directory: the agent must have written none. */
  async files(): Promise<string[]> {
    return (await readdir(this.dir, { recursive: true })).sort();
  }

  remove(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}
