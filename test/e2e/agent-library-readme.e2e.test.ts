/**
 * The agent README's "Library" example, run as written: its `ts` block as a module of its own,
 * with the agent's settings of this worker's stack in its environment, the person approving at
 * once. The example prints the agent's events; what it must do is buy what it asked for.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { beforeAll, describe, expect, it } from "vitest";

import { readmeBlockUnder } from "../support/readme-example.js";
import { BUYER, Scenario } from "../support/scenario.js";

describe("the agent README's library example", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await Scenario.shared("test/fixtures/e2e-tenant.mock-auth0.json");
    await s.policy("approve");
  });

  it("runs as written and orders what it asked for", async () => {
    const before = new Set((await s.ordersOf(BUYER)).map((order) => order.id));

    // Plain JavaScript as written; tsx loads the workspace package's TypeScript it imports.
    await promisify(execFile)(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        readmeBlockUnder("apps/agent/README.md", "## Library", "ts"),
      ],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...s.agentEnv() }, timeout: 60_000 },
    );

    const added = (await s.ordersOf(BUYER)).filter((order) => !before.has(order.id));
    expect(added).toMatchObject([{ product: { name: "XYZ phone" }, qty: 2 }]);
  });
});
