import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

import { buildAgentCli, runAgent } from "@ciba-testbed/stack/agent-cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { loadScaled } from "../support/load-scaled.js";
import { BUYER, SECOND_BUYER, Scenario } from "../support/scenario.js";

const AGENTS_PER_PERSON = 10;
const RESUMES = 40;

describe("agents at once", () => {
  let s: Scenario;
  // Plain Node on a bundle: dozens of tsx starts would take half a minute on two cores.
  let cli: Awaited<ReturnType<typeof buildAgentCli>>;
  // The end-to-end tenant's stack this worker's files share: the agents are the processes
  // under test here, and each test counts only the orders and consent requests it made.
  beforeAll(async () => {
    [s, cli] = await Promise.all([
      Scenario.shared("test/fixtures/e2e-tenant.mock-auth0.json"),
      buildAgentCli(),
    ]);
  });
  afterAll(async () => {
    await cli.remove();
  });

  // The agents run at a lower priority (nice 10) than the tenant and the shop, as clients on
  // machines of their own would not take the servers' CPU: twenty agents starting at once on
  // two cores otherwise starve the shop past the 1.5 s an agent waits for its catalog, and that
  // agent reports the shop unreachable instead of ordering. Every agent still runs at once.
  // As `pnpm agent` runs: the CLI trusts the tenant's CA itself (`selfTrustingAgentEnv`).
  // Each agent runs until the test ends it: tens of them at once take as long as the machine's
  // load makes them, which the test's limit allows for (`loadScaled`).
  const agent = (args: string[], signal: AbortSignal) =>
    runAgent(
      args,
      s.selfTrustingAgentEnv(),
      null,
      { command: "nice", args: ["-n", "10", cli.command, ...cli.args] },
      { signal },
    );
  const consentIds = async () => (await s.consentRequests()).map((c) => c.auth_req_id);
  const orderIds = async () => (await s.ordersOf(BUYER)).map((o) => o.id);
  /** The ids in `after` that are not in `before`, whatever order the lists come in. */
  const newIds = (before: string[], after: string[]) => after.filter((id) => !before.includes(id));

  // 20 agent processes at once, for two people: one approves everything, the other denies.
  it(
    "creates exactly one order per approval and none per denial",
    { timeout: loadScaled(120_000) },
    async ({ signal }) => {
      await s.policy("ignore", [
        { when: { user: BUYER }, outcome: "approve-after:500" },
        { when: { user: SECOND_BUYER }, outcome: "deny-after:500" },
      ]);
      const before = await consentIds();
      const ordersBefore = await orderIds();
      const secondBuyerOrdersBefore = await s.ordersOf(SECOND_BUYER);
      const runs = await Promise.all(
        Array.from({ length: AGENTS_PER_PERSON * 2 }, (_, i) =>
          agent(["Buy a USB-C cable", "--user", i % 2 === 0 ? BUYER : SECOND_BUYER], signal),
        ),
      );
      const approved = runs.filter((_, i) => i % 2 === 0);
      const denied = runs.filter((_, i) => i % 2 === 1);

      expect(approved.map((r) => r.json.outcome)).toEqual(Array(AGENTS_PER_PERSON).fill("ORDERED"));
      expect(denied.map((r) => r.json.outcome)).toEqual(Array(AGENTS_PER_PERSON).fill("DENIED"));

      const ordered = approved.map((r) => String(r.json.order?.id));
      expect(new Set(ordered).size).toBe(AGENTS_PER_PERSON);
      expect(newIds(ordersBefore, await orderIds()).sort()).toEqual([...ordered].sort());
      expect(await s.ordersOf(SECOND_BUYER)).toEqual(secondBuyerOrdersBefore);

      const consents = (await s.consentRequests()).filter((c) => !before.includes(c.auth_req_id));
      expect(consents).toHaveLength(AGENTS_PER_PERSON * 2);
      expect(consents.filter((c) => c.status === "consumed")).toHaveLength(AGENTS_PER_PERSON);
      expect(consents.filter((c) => c.status === "denied")).toHaveLength(AGENTS_PER_PERSON);
    },
  );

  // Each resume either finds the thread leased (IN_PROGRESS: another process is on it) or
  // takes the lease. The first to take it orders; any later one finds the thread finished and
  // reports that same order from the journal, without asking the tenant or the shop.
  it(
    `lets one of ${RESUMES} simultaneous resumes of an approved thread order, once`,
    { timeout: loadScaled(120_000) },
    async ({ signal }) => {
      await s.policy("manual");
      const ordersBefore = await orderIds();
      const sent = await agent(["--mode", "interrupt", "Buy a USB-C cable"], signal);
      expect(sent.json.outcome).toBe("PENDING");
      const authReqId = String(sent.json.authReqId);
      const { polls } = await s.stack.control.approve(authReqId);

      const runs = await Promise.all(
        Array.from({ length: RESUMES }, () => agent(["resume", sent.json.threadId], signal)),
      );

      const ordered = runs.filter((r) => r.json.outcome === "ORDERED");
      const busy = runs.filter((r) => r.json.outcome === "IN_PROGRESS");
      expect(ordered.length + busy.length).toBe(RESUMES);
      expect(ordered.length).toBeGreaterThanOrEqual(1);
      expect(ordered.every((r) => r.exitCode === 0)).toBe(true);
      expect(busy.map((r) => [r.exitCode, r.json.error])).toEqual(
        busy.map(() => [9, "thread_busy"]),
      );
      const reported = [...new Set(ordered.map((r) => String(r.json.order?.id)))];
      expect(reported).toHaveLength(1);

      // One process polled and got the token; the shop has one order, the reported one.
      const consent = await s.stack.control.request(authReqId);
      expect(consent).toMatchObject({ status: "consumed", polls: polls + 1 });
      expect(newIds(ordersBefore, await orderIds())).toEqual(reported);

      // Nothing of the approval stays in the store, and the lease is free.
      const store = s.agentEnv().AGENT_STORE!;
      const files = await readdir(store, { recursive: true });
      expect(files.filter((f) => f.includes(encodeURIComponent(sent.json.threadId)))).toEqual(
        expect.not.arrayContaining([expect.stringMatching(/^ciba%2F/)]),
      );
      const leaseDir = path.join(
        store,
        `${encodeURIComponent(`leases/${sent.json.threadId}`)}.lease`,
      );
      const generations = await readdir(leaseDir);
      expect(generations).toHaveLength(1);
      expect(
        JSON.parse(await readFile(path.join(leaseDir, generations[0]!), "utf8")),
      ).toMatchObject({ released: true });
    },
  );
});
