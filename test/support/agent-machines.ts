import { copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { runAgent, startAgent } from "@ciba-testbed/stack/agent-cli";
import type { AgentCli, AgentRun } from "@ciba-testbed/stack/agent-cli";

import { selfTrusting } from "./scenario.js";

/**
 * A stand-in for one machine of an agent fleet: agent processes that run in a working directory
 * of their own, with their own copy of the tenant's CA and their own HOME. The only thing two
 * machines share is what AGENT_STORE names: a Redis.
 *
 * The CLI finds that CA as `pnpm agent` does, in MOCK_AUTH0_CERT_DIR, and trusts it itself
 * (`selfTrusting`).
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
    await copyFile(caFile, path.join(dir, "ca.pem"));
    return new Machine(name, dir, {
      ...selfTrusting(stackEnv, dir),
      AGENT_STORE: agentStore,
      HOME: dir,
    });
  }

  /** Starts the agent CLI here; `env` is added to this machine's environment. */
  start(args: string[], cli: AgentCli, env: Record<string, string> = {}) {
    return startAgent(args, { ...this.env, ...env }, cli, { cwd: this.dir });
  }

  /**
   * Runs the agent CLI here with `--json` and returns its one report: within `runAgent`'s
   * default limit, or, given the test's `signal`, until the test ends it.
   */
  run(
    args: string[],
    cli: AgentCli,
    env: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<AgentRun> {
    const all = { ...this.env, ...env };
    if (signal === undefined) return runAgent(args, all, undefined, cli, { cwd: this.dir });
    return runAgent(args, all, null, cli, { cwd: this.dir, signal });
  }

  /** Every file under this machine's directory: the agent must have written none. */
  async files(): Promise<string[]> {
    return (await readdir(this.dir, { recursive: true })).sort();
  }

  remove(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}
