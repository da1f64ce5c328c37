import { X509Certificate, createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import { chromium } from "playwright-core";
import type { Browser } from "playwright-core";

/**
 * Debian's two builds of Chromium, the lighter first. chromium-headless-shell is Chromium's own
 * headless build (the one Playwright downloads for headless runs): the same Blink, V8 and
 * network stack, without the browser's window, tabs and profile machinery, which a headless
 * page never shows. The browser files' Chromium took 72-77 s of CPU with it against 102-120 s
 * with the full browser (`docs/performance.md`), for the same results.
 */
export const DEBIAN_CHROMIUMS = ["/usr/bin/chromium-headless-shell", "/usr/bin/chromium"] as const;

/**
 * The Chromium the tests and scripts drive: CHROMIUM_PATH when set, else the first of Debian's
 * builds that is installed (the headless shell when both are), else undefined.
 */
export function chromiumPath(
  env: NodeJS.ProcessEnv = process.env,
  installed: (file: string) => boolean = existsSync,
): string | undefined {
  const chosen = env.CHROMIUM_PATH;
  if (chosen !== undefined && chosen !== "") return chosen;
  return DEBIAN_CHROMIUMS.find((file) => installed(file));
}

/**
 * The `--disable-features` list Playwright passes (playwright-core 1.65.2, its
 * chromiumSwitches.ts). Chromium keeps only the last `--disable-features` switch of its command
 * line, so disabling one more feature means repeating Playwright's list in place of its switch.
 */
const PLAYWRIGHT_DISABLED_FEATURES = {
  version: "1.65.2",
  features: [
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
  ],
};

/**
 * The full browser (Chromium 156) gives every window (each browser context opens one) two
 * renderer processes for the omnibox's WebUI popups, although a headless window never shows its
 * address bar: about 0.6 s of CPU per context, twice what the page itself costs. Pages render and
 * behave the same without them. The headless shell has no omnibox and ignores the switch.
 */
const UNUSED_BROWSER_UI = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"];

/**
 * Playwright's feature switch swapped for one that also turns UNUSED_BROWSER_UI off, when the
 * installed playwright-core is the one PLAYWRIGHT_DISABLED_FEATURES was copied from; with
 * another, Playwright's own switch stays, so an upgrade costs CPU but never drops its list.
 */
function featureSwitches(): { args: string[]; ignoreDefaultArgs?: string[] } {
  const require = createRequire(import.meta.url);
  const { version } = require("playwright-core/package.json") as { version: string };
  if (version !== PLAYWRIGHT_DISABLED_FEATURES.version) return { args: [] };
  const playwrights = `--disable-features=${PLAYWRIGHT_DISABLED_FEATURES.features.join(",")}`;
  return {
    ignoreDefaultArgs: [playwrights],
    args: [`${playwrights},${UNUSED_BROWSER_UI.join(",")}`],
  };
}

/**
 * Chromium gives every site its own renderer process on desktop (site isolation), so each hop of
 * a login (the web app, the tenant's login page, back) and each new page starts renderers of its
 * own, about 0.3-0.5 s of CPU each. Without it, a page keeps its process across sites, as Chrome
 * does on Android; what a page sees (layout, events, timers, storage, the same-origin policy) is
 * unchanged. The chat page's file started 43 renderers instead of 97, for about 20 s less CPU.
 */
const SHARED_RENDERERS = ["--disable-site-isolation-trials"];

/**
 * Debian's Chromium (`chromiumPath`), headless, trusting exactly the local tenant's server key
 * (by its SPKI hash) rather than ignoring certificate errors wholesale.
 */
export async function launchChromium(certDir: string): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) {
    throw new Error(
      `No Chromium at ${DEBIAN_CHROMIUMS.join(" or ")}: install Debian's chromium-headless-shell package (.ci/run does) or set CHROMIUM_PATH`,
    );
  }
  if (!existsSync(executablePath)) {
    throw new Error(`No Chromium at CHROMIUM_PATH (${executablePath}): point it at a Chromium`);
  }
  const cert = new X509Certificate(readFileSync(path.join(certDir, "localhost.pem")));
  const spki = createHash("sha256")
    .update(cert.publicKey.export({ type: "spki", format: "der" }))
    .digest("base64");
  const features = featureSwitches();
  return chromium.launch({
    executablePath,
    ...(features.ignoreDefaultArgs ? { ignoreDefaultArgs: features.ignoreDefaultArgs } : {}),
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--ignore-certificate-errors-spki-list=${spki}`,
      ...SHARED_RENDERERS,
      ...features.args,
    ],
  });
}
