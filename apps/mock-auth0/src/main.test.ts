import { spawnSync } from "node:child_process";

import { describe, expect, it } from "vitest";

import { REPO_ROOT } from "./config.js";

describe("mock-auth0's main", () => {
  it("exits 2 before listening when it would expose the control API, naming both variables", () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith("MOCK_AUTH0_")),
    );
    const run = spawnSync(process.execPath, ["--import", "tsx", "apps/mock-auth0/src/main.ts"], {
      cwd: REPO_ROOT,
      env: { ...env, MOCK_AUTH0_HOST: "0.0.0.0", MOCK_AUTH0_PORT: "0" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      [
        "Invalid mock-auth0 configuration:",
        "  - MOCK_AUTH0_HOST=0.0.0.0 is not a loopback address: other machines can reach this tenant, and its control API can approve any consent request: set MOCK_AUTH0_CONTROL_TOKEN to a secret (clients then send Authorization: Bearer <token>), or set MOCK_AUTH0_INSECURE_CONTROL=true to leave it open on purpose",
        "",
      ].join("\n"),
    );
  });
});
