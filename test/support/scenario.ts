import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { LOCAL_DEFAULTS } from "@ciba-testbed/shared";
import type { OrderJson } from "@ciba-testbed/shop-api";
import { REPO_ROOT, startStack } from "@ciba-testbed/stack";
import type { ApproverPolicyText, Stack, StackOptions } from "@ciba-testbed/stack";
import { buildAgentCli, runAgent } from "@ciba-testbed/stack/agent-cli";

import { perWorker } from "./per-worker.js";
import { allOrders } from "./shop-api-process.js";
import { TenantClient } from "./tenant-client.js";

export const BUYER = LOCAL_DEFAULTS.userId;
export const SECOND_BUYER = "auth0|second-user";
const LIST_ORDERS = "List my orders";

/** The stacks `Scenario.shared` hands out in this worker, by settings file. */
const sharedScenarios = new Map<string, () => Promise<Scenario>>();

/**
 * The agent stores of this worker's scenarios not stopped yet, removed when the worker ends: a
 * worker's shared stacks are never stopped. One hook for all, as for the stack's databases.
 */
const openStores = new Set<string>();
process.once("exit", () => {
  for (const store of openStores) rmSync(store, { recursive: true, force: true });
});

/**
 * `env` for the agent CLI as `pnpm agent` runs against the local tenant: the CLI trusts the
 * tenant's CA itself, found in `certDir` (MOCK_AUTH0_CERT_DIR), without NODE_EXTRA_CA_CERTS, with
 * which Node 20 parses its bundled root certificates at every start (about 40 ms of CPU in a run
 * that opens no TLS connection, such as a resume that finds its thread busy or finished).
 */
export function selfTrusting(env: Record<string, string>, certDir: string): Record<string, string> {
  const trusting: Record<string, string> = { ...env, MOCK_AUTH0_CERT_DIR: certDir };
  delete trusting.NODE_EXTRA_CA_CERTS;
  return trusting;
}

/** A running stack plus what every scenario needs: the agent CLI, the tenant, the shop's orders. */
export class Scenario {
  readonly tenant: TenantClient;
  private readonly store = mkdtempSync(path.join(tmpdir(), "agent-store-"));
  /**
   * The agent CLI bundled for plain Node, built at the first `agent()`: a start then costs
   * ~0.2 s instead of ~1.5 s through tsx. These scenarios are about the flow, not about how
   * the CLI starts (cli.e2e and interrupt.e2e run `pnpm agent` itself).
   */
  private cli: ReturnType<typeof buildAgentCli> | undefined;

  private constructor(readonly stack: Stack) {
    this.tenant = new TenantClient(stack.issuer, stack.caCertPath);
    openStores.add(this.store);
  }

  /**
   * The stack on the repository's tenant (auth0/), with the mock-auth0.json `settingsFile`
   * (relative to the repository) for its speed knobs, and any other of `startStack`'s options.
   */
  static async start(settingsFile: string, options: StackOptions = {}): Promise<Scenario> {
    return new Scenario(
      await startStack({ ...options, tenantSettingsFile: path.join(REPO_ROOT, settingsFile) }),
    );
  }

  /**
   * The stack on `settingsFile` shared by the test files of this Vitest worker that ask for it
   * (see `perWorker`). A file on it shares the tenant, the shop and the agent's store with the
   * files before it, so it sets the approver policy it needs and counts only the orders and
   * consent requests it made itself. A stack with a service gone is replaced.
   */
  static shared(settingsFile: string): Promise<Scenario> {
    let shared = sharedScenarios.get(settingsFile);
    if (shared === undefined) {
      shared = perWorker(() => Scenario.start(settingsFile), {
        alive: (scenario) => scenario.stack.services.every((service) => service.running),
        replace: (scenario) => scenario.stop(),
      });
      sharedScenarios.set(settingsFile, shared);
    }
    return shared();
  }

  async stop(): Promise<void> {
    const cli = this.cli?.catch(() => undefined);
    await this.stack.stop();
    await (await cli)?.remove();
    await rm(this.store, { recursive: true, force: true });
    openStores.delete(this.store);
  }

  /** Replaces the approver policy; a rule that approves "List my orders" always comes first. */
  policy(defaultOutcome: string, rules: NonNullable<ApproverPolicyText["rules"]> = []) {
    return this.stack.control.setPolicy({
      default: defaultOutcome,
      rules: [{ when: { bindingMessage: `^${LIST_ORDERS}$` }, outcome: "approve" }, ...rules],
    });
  }

  /** The environment the agent CLI runs with in these scenarios. */
  agentEnv(): Record<string, string> {
    return { ...this.stack.agentEnv(), AGENT_STORE: this.store };
  }

  /** The same, as `pnpm agent` runs against the local tenant (`selfTrusting`). */
  selfTrustingAgentEnv(): Record<string, string> {
    return selfTrusting(this.agentEnv(), path.dirname(this.stack.caCertPath));
  }

  async agent(args: string[], env: Record<string, string> = {}) {
    this.cli ??= buildAgentCli();
    return runAgent(args, { ...this.agentEnv(), ...env }, 60_000, await this.cli);
  }

  /** The person's orders, read from the shop API with a token of their own. */
  async ordersOf(user: string): Promise<OrderJson[]> {
    const token = await this.tenant.userToken({
      user,
      scope: "openid product:buy",
      bindingMessage: LIST_ORDERS,
    });
    return allOrders(this.stack.purchasesUrl, token);
  }

  /** Consent requests the tenant recorded, oldest first, except the ones `ordersOf` makes. */
  async consentRequests() {
    return (await this.stack.control.requests()).filter((r) => r.binding_message !== LIST_ORDERS);
  }
}
