/**
 * Two blocks of the root README that set an agent up rather than run one, run as written: step
 * 9's variables, read as the agent reads `<repo>/.env`, and the `createRequire` lines of "`@auth0/*`
 * in plain Node ESM", as a module of their own beside the agent, whose dependencies they load.
 */
import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import { makeScratchFolder } from "@ciba-testbed/shared/node";
import { REPO_ROOT } from "@ciba-testbed/stack";
import { describe, expect, it } from "vitest";

import { readEnvironment } from "../../apps/agent/src/config.js";
import { readmeBlockUnder } from "../support/readme-example.js";

/** Runs `text` as an ES module in the agent's folder; what it prints. */
async function agentModule(text: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "-e", text],
    { cwd: path.join(REPO_ROOT, "apps/agent"), env: { PATH: process.env.PATH }, timeout: 30_000 },
  );
  return stdout;
}

describe("the root README's agent set-up blocks", () => {
  it("step 9's variables are a .env the agent reads as the README gives them", async () => {
    const block = readmeBlockUnder("README.md", "9. **The variables**", "dotenv");
    // The block is indented in its list item; the file the reader writes is not.
    const file = block.replace(/^ {3}/gm, "");
    const folder = await makeScratchFolder("ciba-readme-env-");
    try {
      await writeFile(path.join(folder, ".env"), file);
      expect(readEnvironment({}, path.join(folder, ".env"))).toEqual({
        AUTH0_DOMAIN: "your-tenant.us.auth0.com",
        AUTH0_CLIENT_ID: "<the Shopping agent's client id>",
        AUTH0_CLIENT_SECRET: "<its secret>",
        AGENT_USER_ID: "auth0|testbed-user",
        SHOP_API_AUDIENCE: "sample-shop-api",
        AUTH0_SECRET: "<32+ random characters, e.g. openssl rand -hex 32>",
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("@auth0/* in plain Node ESM: an import fails as it says, the createRequire lines load them", async () => {
    const block = readmeBlockUnder("README.md", "### `@auth0/*` in plain Node ESM", "js");
    const importFails = await agentModule(
      'await import("@auth0/ai-vercel").then(() => console.log("loaded"), (e) => console.log(e.code));',
    );
    expect(importFails.trim()).toBe("ERR_MODULE_NOT_FOUND");
    const loaded = await agentModule(
      `${block}\nconsole.log(JSON.stringify({ Auth0AI: typeof Auth0AI, getAsyncAuthorizationCredentials: typeof getAsyncAuthorizationCredentials, AccessDeniedInterrupt: typeof AccessDeniedInterrupt }));`,
    );
    expect(JSON.parse(loaded)).toEqual({
      Auth0AI: "function",
      getAsyncAuthorizationCredentials: "function",
      AccessDeniedInterrupt: "function",
    });
  });
});
