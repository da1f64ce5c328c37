import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { launchChromium } from "@ciba-testbed/stack/browser";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import type { Browser } from "playwright-core";

import { onFreePort } from "./on-free-port.js";
import { Scenario } from "./scenario.js";

/** A stack, the chat web app beside it and a browser, as `startChatStack` starts them. */
export interface ChatStack {
  s: Scenario;
  /** Where the web app listens: `http://localhost:<port>`. */
  baseUrl: string;
  /** Chromium, trusting the tenant's CA. */
  browser: Browser;
  /** The web app's process. */
  web: SupervisedChild;
  stop(): Promise<void>;
}

/** How `startChatStack` starts the web app besides its mode. */
export interface ChatStackOptions {
  /** As a person does, `pnpm agent serve` (the CLI's build, which runs the web app's), not its own entry. */
  cli?: boolean;
  /** More of its environment, once the stack runs (a proxy before the stack's shop, say). */
  env?: (s: Scenario) => Promise<Record<string, string>>;
}

/**
 * A stack on the repository's e2e tenant, with the chat web app's address as its login
 * callback, the web app (its own entry) and Chromium to open its pages. In `interrupt` mode,
 * the default, the page sends the chat again to resume a purchase; in `block` mode the chat
 * request waits for the person's answer. `name` names the tenant's scratch folder. The web
 * app's port is a free one, and the whole stack starts again on another when a process took it
 * before the app listened (`onFreePort`).
 */
export function startChatStack(
  name: string,
  mode: "interrupt" | "block" = "interrupt",
  options: ChatStackOptions = {},
): Promise<ChatStack> {
  return onFreePort(async (port) => {
    const baseUrl = `http://localhost:${String(port)}`;
    const tenantDir = mkdtempSync(path.join(tmpdir(), `${name}-tenant-`));
    const tenant = path.join(tenantDir, "mock-auth0.json");
    const base = path.join(REPO_ROOT, "test/fixtures/e2e-tenant.mock-auth0.json");
    const keywords = { AGENT_WEB_URL: baseUrl };
    writeFileSync(tenant, JSON.stringify({ extends: path.relative(tenantDir, base), keywords }));
    const s = await Scenario.start(path.relative(REPO_ROOT, tenant));
    const stopStack = async () => {
      await s.stop();
      rmSync(tenantDir, { recursive: true, force: true });
    };
    const web = await (async () =>
      SupervisedChild.start({
        name: "agent-web",
        ...(options.cli === true
          ? { script: "apps/agent/src/launch.ts", args: ["serve"] }
          : { script: "apps/agent/src/web/main.ts" }),
        env: {
          ...s.agentEnv(),
          AGENT_PORT: String(port),
          AGENT_MODE: mode,
          ...(await options.env?.(s)),
        },
      }))().then(
      ({ child }) => child,
      async (error: unknown) => {
        await stopStack();
        throw error;
      },
    );
    const browser = await launchChromium(path.dirname(s.stack.caCertPath));
    return {
      s,
      baseUrl,
      browser,
      web,
      async stop() {
        await browser.close();
        await web.stop();
        await stopStack();
      },
    };
  });
}
