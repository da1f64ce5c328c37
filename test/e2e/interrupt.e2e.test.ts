import { spawn } from "node:child_process";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { REPO_ROOT, TSX_BIN } from "../../scripts/stack/repo-root.js";

import { BUYER, Scenario } from "../support/scenario.js";

// Interrupt mode: the first process sends the consent request and exits; a second process,
// started after the person answered, finishes the purchase. One push, one order.
describe("interrupt mode across two processes", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await Scenario.start("test/fixtures/e2e-tenant.json");
    await s.policy("manual");
  });
  afterAll(async () => {
    await s.stop();
  });

  it("sends, exits pending, and a later process places the approved order once", async () => {
    const before = (await s.ordersOf(BUYER)).length;
    const sent = await s.agent(["--mode", "interrupt", "Buy an XYZ phone"]);
    expect(sent.json.outcome).toBe("PENDING");
    expect(sent.exitCode).toBe(5);
    const threadId = sent.json.threadId;
    const consent = await s.stack.control.request(String(sent.json.authReqId));
    expect(consent.status).toBe("pending");

    // Resuming before the person answered sends nothing new.
    const early = await s.agent(["resume", threadId, "--mode", "interrupt"]);
    expect(early.json.outcome).toBe("PENDING");

    await s.stack.control.approve(consent.auth_req_id);
    const resumed = await s.agent(["resume", threadId]);
    expect(resumed.json.outcome).toBe("ORDERED");
    expect(resumed.json.authReqId).toBe(consent.auth_req_id);

    // Resuming a finished thread never buys twice.
    const again = await s.agent(["resume", threadId]);
    expect(again.json.order?.id ?? null).toBe(resumed.json.order?.id ?? null);

    expect((await s.consentRequests()).map((c) => c.auth_req_id)).toEqual([consent.auth_req_id]);
    const orders = await s.ordersOf(BUYER);
    expect(orders).toHaveLength(before + 1);
    expect(orders.at(-1)?.id).toBe(resumed.json.order?.id);
  });

  it("survives the waiting process being killed: the next resume finishes with no second push", async () => {
    const before = (await s.ordersOf(BUYER)).length;
    const requestsBefore = (await s.consentRequests()).length;
    const sent = await s.agent(["--mode", "interrupt", "Buy a USB-C cable"]);
    expect(sent.json.outcome).toBe("PENDING");
    const authReqId = String(sent.json.authReqId);
    const pollsBefore = (await s.stack.control.request(authReqId)).polls;

    // A block-mode resume waits for the answer; kill -9 it while it polls.
    const waiting = spawn(
      TSX_BIN,
      ["apps/agent/src/main.ts", "resume", sent.json.threadId, "--json"],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? "", OPENAI_API_KEY: "", ...s.agentEnv() },
        stdio: "ignore",
        detached: true,
      },
    );
    const killed = new Promise((resolve) => waiting.once("exit", resolve));
    await s.stack.control.waitForPolls(authReqId, pollsBefore + 1);
    process.kill(-waiting.pid!, "SIGKILL");
    await killed;

    await s.stack.control.approve(authReqId);
    const resumed = await s.agent(["resume", sent.json.threadId]);
    expect(resumed.json.outcome).toBe("ORDERED");
    expect(resumed.json.authReqId).toBe(authReqId);
    expect((await s.consentRequests()).slice(requestsBefore).map((c) => c.auth_req_id)).toEqual([
      authReqId,
    ]);
    expect((await s.ordersOf(BUYER)).slice(before).map((o) => o.id)).toEqual([
      resumed.json.order?.id,
    ]);
  });
});
