/**
 * Renders docs/chat.png: the agent's web app (`pnpm agent serve`) waiting for the person to
 * approve a purchase, as the README shows it. Needs Debian's Chromium (CHROMIUM_PATH to use
 * another).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { INTERACTIVE_TENANT_SETTINGS, REPO_ROOT, startStack } from "@ciba-testbed/stack";
import { launchChromium } from "@ciba-testbed/stack/browser";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";

const output = path.join(REPO_ROOT, "docs", "chat.png");

// Any free port, named to the tenant through its AGENT_WEB_URL keyword (the login callback).
const probe = createServer();
await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
const port = (probe.address() as AddressInfo).port;
await new Promise<void>((resolve) => {
  probe.close(() => {
    resolve();
  });
});
const dir = mkdtempSync(path.join(tmpdir(), "chat-screenshot-"));
const settings = path.join(dir, "mock-auth0.json");
writeFileSync(
  settings,
  JSON.stringify({
    // The chat as `pnpm dev` serves it, with its 1 s interval.
    extends: path.relative(dir, INTERACTIVE_TENANT_SETTINGS),
    keywords: { AGENT_WEB_URL: `http://localhost:${port}` },
  }),
);

const stack = await startStack({ approver: "manual", tenantSettingsFile: settings });
try {
  const { child: web } = await SupervisedChild.start({
    name: "agent-web",
    script: "apps/agent/src/web/main.ts",
    env: { ...stack.agentEnv(), AGENT_PORT: String(port) },
  });
  const baseUrl = `http://localhost:${port}`;
  const browser = await launchChromium(path.dirname(stack.caCertPath));
  const page = await browser.newPage({
    viewport: { width: 720, height: 560 },
    deviceScaleFactor: 2,
  });
  await page.goto(baseUrl);
  await page.getByRole("link", { name: "Log in" }).click();
  await page.getByRole("button", { name: /Test Buyer/ }).click();
  await page.getByText(/^Logged in as /).waitFor();
  await page.getByLabel("Message").fill("Buy 2 XYZ phones");
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator(".approval.pending").waitFor();
  await page.screenshot({ path: output });
  await browser.close();
  const pending = await stack.control.waitForPending();
  await stack.control.deny(pending.auth_req_id);
  await web.stop();
  process.stdout.write(`wrote ${path.relative(process.cwd(), output)}\n`);
} finally {
  await stack.stop();
}
