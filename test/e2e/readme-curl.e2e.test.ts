/**
 * The README's "A CIBA flow with curl", run as written: its shell block, pointed at this
 * worker's stack instead of the default ports, with the person's answer given on the way. What
 * each step prints must be what the README says it prints.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { beforeAll, describe, expect, it } from "vitest";

import { printedAnswers, readmeBlockUnder } from "../support/readme-example.js";
import { BUYER, Scenario } from "../support/scenario.js";

describe.runIf(spawnSync("curl", ["--version"]).status === 0)("the README's curl flow", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await Scenario.shared("test/fixtures/e2e-tenant.mock-auth0.json");
    await s.policy("manual");
  });

  it("asks, waits, is approved, buys once and is refused a second purchase", async () => {
    const block = readmeBlockUnder("README.md", "## A CIBA flow with curl", "sh");
    const tenant = s.stack.issuer.replace(/\/$/, "");
    const shop = new URL(s.stack.purchasesUrl).origin;
    // Only the addresses change; every command is the README's.
    const script = block
      .replaceAll("https://localhost:4010", tenant)
      .replace("SHOP=http://127.0.0.1:4020", `SHOP=${shop}`)
      .replace("CA=.certs/ca.pem", `CA=${s.stack.caCertPath}`);
    expect(script).not.toBe(block);
    const before = (await s.ordersOf(BUYER)).length;

    const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script], {
      cwd: REPO_ROOT,
    });
    // One answer per printing step: pending, approved, the order, the refusal.
    const answers = printedAnswers(stdout);
    expect(answers).toMatchObject([
      { error: "authorization_pending" },
      { status: "approved" },
      {
        status: "confirmed",
        product: { name: "XYZ phone" },
        qty: 2,
        authorization: {
          sub: BUYER,
          azp: "ciba-testbed-agent",
          authorization_details_matched: true,
        },
      },
      {
        error: "insufficient_authorization_details",
        error_description: expect.stringMatching(/^This approval was already used for order /),
      },
    ]);
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);
  });
});
