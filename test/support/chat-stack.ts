import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { freePort } from "@ciba-testbed/shared/node";
import { REPO_ROOT } from "@ciba-testbed/stack";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";

import { Scenario } from "./scenario.js";

/** A stack and the chat web app beside it, as `startChatStack` starts them. */
export interface ChatStack {
  s: Scenario;
  /** Where the web app listens: `http://localhost:<port>`. */
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * A stack on the repository's e2e tenant, with the chat web app's address as its login
 * callback, and the web app (its own entry, in interrupt mode: the page sends the chat again to
 * resume a purchase). `name` names the tenant's scratch folder.
 */
export async function startChatStack(name: string): Promise<ChatStack> {
  const port = await freePort();
  const baseUrl = `http://localhost:${String(port)}`;
  const tenantDir = mkdtempSync(path.join(tmpdir(), `${name}-tenant-`));
  const tenant = path.join(tenantDir, "mock-auth0.json");
  const base = path.join(REPO_ROOT, "test/fixtures/e2e-tenant.mock-auth0.json");
  const keywords = { AGENT_WEB_URL: baseUrl };
  writeFileSync(tenant, JSON.stringify({ extends: path.relative(tenantDir, base), keywords }));
  const s = await Scenario.start(path.relative(REPO_ROOT, tenant));
  const { child: web } = await SupervisedChild.start({
    name: "agent-web",
    script: "apps/agent/src/web/main.ts",
    env: { ...s.agentEnv(), AGENT_PORT: String(port), AGENT_MODE: "interrupt" },
  });
  return {
    s,
    baseUrl,
    async stop() {
      await web.stop();
      await s.stop();
      rmSync(tenantDir, { recursive: true, force: true });
    },
  };
}
