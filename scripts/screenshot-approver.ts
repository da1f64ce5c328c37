/**
 * Renders docs/approver.png: the approver page with a pending purchase, as the README shows it.
 * Needs Debian's Chromium (CHROMIUM_PATH to use another).
 */
import path from "node:path";

import { INTERACTIVE_TENANT_SETTINGS, REPO_ROOT, startStack } from "@ciba-testbed/stack";
import { runAgent } from "@ciba-testbed/stack/agent-cli";
import { launchChromium } from "@ciba-testbed/stack/browser";

const output = path.join(REPO_ROOT, "docs", "approver.png");
// The page as `pnpm dev` shows it, with its 1 s interval.
const stack = await startStack({
  approver: "manual",
  tenantSettingsFile: INTERACTIVE_TENANT_SETTINGS,
});
try {
  const browser = await launchChromium(path.dirname(stack.caCertPath));
  const denied = runAgent(["Buy a USB-C cable"], stack.agentEnv());
  const cable = await stack.control.waitForPending();
  await stack.control.deny(cable.auth_req_id);
  await denied;
  const pending = runAgent(["Buy 2 XYZ phones"], stack.agentEnv());
  const phone = await stack.control.waitForPending();

  const page = await browser.newPage({
    viewport: { width: 430, height: 820 },
    deviceScaleFactor: 2,
  });
  await page.goto(`${stack.issuer}approver`);
  await page.locator(".card").waitFor();
  await page.locator(".history > li").waitFor();
  await page.screenshot({ path: output });
  await browser.close();
  await stack.control.deny(phone.auth_req_id);
  await pending;
  process.stdout.write(`wrote ${path.relative(process.cwd(), output)}\n`);
} finally {
  await stack.stop();
}
