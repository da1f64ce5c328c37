/**
 * Renders docs/approver.png: the approver page with a pending purchase, as the README shows it.
 * Needs Debian's Chromium (CHROMIUM_PATH to use another).
 */
import { X509Certificate, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";

import { chromium } from "playwright-core";

import { runAgent } from "./stack/agent-cli.js";
import { REPO_ROOT } from "./stack/repo-root.js";
import { startStack } from "./stack/stack.js";

const output = path.join(REPO_ROOT, "docs", "approver.png");
const stack = await startStack({ approver: "manual" });
try {
  const cert = new X509Certificate(
    readFileSync(path.join(path.dirname(stack.caCertPath), "localhost.pem")),
  );
  const spki = createHash("sha256")
    .update(cert.publicKey.export({ type: "spki", format: "der" }))
    .digest("base64");
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--ignore-certificate-errors-spki-list=${spki}`,
    ],
  });
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
