import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { runAgent } from "@ciba-testbed/stack/agent-cli";
import { startTestbed } from "@ciba-testbed/testkit";
import type { Testbed } from "@ciba-testbed/testkit";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

// A tenant that enforces a longer gap between polls than it announces (1 s against 0.2 s), so
// an agent polling at the announced pace meets 429 slow_down and must honour Retry-After.
describe("slow_down", () => {
  let testbed: Testbed;
  beforeAll(async () => {
    testbed = await startTestbed({
      settingsFile: path.join(REPO_ROOT, "test/fixtures/strict-tenant.mock-auth0.json"),
      approver: "approve-after:1000",
    });
  });
  afterAll(async () => {
    await testbed.stop();
  });

  it("is honoured: the agent waits as told and then gets its tokens and the order", async () => {
    const store = mkdtempSync(path.join(tmpdir(), "agent-store-"));
    onTestFinished(() => {
      rmSync(store, { recursive: true, force: true });
    });
    const run = await runAgent(["Buy an XYZ phone"], { ...testbed.env(), AGENT_STORE: store });

    expect(run.json.outcome).toBe("ORDERED");
    const consent = await testbed.approver.request(String(run.json.authReqId));
    const answers = consent.timeline.filter((e) => e.type === "poll").map((e) => e.answer);
    expect(answers).toContain("slow_down");
    expect(answers.at(-1)).toBe("token");
    // After a slow_down the agent never polls too fast again.
    const afterSlowDown = answers.slice(answers.indexOf("slow_down") + 1);
    expect(afterSlowDown).not.toContain("slow_down");
    expect((await testbed.shop.orders()).map((o) => o.id)).toContain(run.json.order?.id);
  });
});
