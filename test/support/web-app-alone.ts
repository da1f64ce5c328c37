import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { systemClock } from "@ciba-testbed/shared";
import { chromium, type Browser } from "playwright-core";

import { offlineWebApp } from "../../apps/agent/src/web/offline-web-app.js";
import type { WebDeps } from "../../apps/agent/src/web/web-app.js";
import { loadWebConfig } from "../../apps/agent/src/web/web-config.js";
import { chromiumPath } from "../../scripts/stack/browser.js";

/** The agent's web app alone, in this process, with Chromium to open its pages. */
export interface WebAppAlone {
  /** Where it listens: `http://localhost:<port>`. */
  baseUrl: string;
  browser: Browser;
  stop(): Promise<void>;
}

/**
 * The web app (`offlineWebApp`, signing its session cookies with `secret`) on a free loopback
 * port, no tenant nor shop behind it, and Debian's Chromium, headless.
 */
export async function startWebAppAlone(
  secret: string,
  deps: Pick<WebDeps, "sessions" | "clientScript" | "tenantFetch">,
): Promise<WebAppAlone> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://localhost:${String(port)}`;
  const config = loadWebConfig({ AUTH0_SECRET: secret, AGENT_PORT: "0", APP_BASE_URL: baseUrl });
  server.on("request", offlineWebApp(config, { clock: systemClock, ...deps }));
  const browser = await chromium.launch({
    executablePath: chromiumPath() ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  return {
    baseUrl,
    browser,
    async stop() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
