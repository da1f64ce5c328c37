import path from "node:path";

import { DEV_TENANT_SETTINGS_FILE } from "@ciba-testbed/shared";

import type { TenantClient, TenantKeyword } from "../tenant/tenant-model.js";

/** The keyword `pnpm dev` sets to its web app's URL (scripts/dev.ts `tenantFiles`). */
const WEB_APP_KEYWORD = "AGENT_WEB_URL";

/** What `pnpm dev` sets WEB_APP_KEYWORD from. */
const DEV_SETS =
  "APP_BASE_URL, or else the web app's address from AGENT_HOST and AGENT_PORT " +
  "(http://localhost:3000 when none of them is set)";

/**
 * Where a developer fixes a callback mismatch: the application's Allowed Callback URLs are the
 * tenant's `callbacks`, and a keyword of the settings (this repository's tenant names the web
 * app's callback `##AGENT_WEB_URL##/auth/callback`) may write part of them: the hint names the
 * settings file whose `keywords` hold that part, and how `pnpm dev` sets AGENT_WEB_URL.
 */
export function callbackHint(client: TenantClient, keywords: readonly TenantKeyword[]): string {
  const { name, callbacks } = client;
  const allowed =
    callbacks.length === 0
      ? `${name} has no Allowed Callback URLs.`
      : `${name}'s Allowed Callback URLs: ${callbacks.join(", ")}.`;
  const written = keywords.filter(
    (keyword) =>
      typeof keyword.value === "string" &&
      keyword.value !== "" &&
      callbacks.some((callback) => callback.includes(keyword.value as string)),
  );
  // pnpm dev's own settings file is written at each start: its value comes from pnpm dev's
  // variables, and editing the file changes nothing.
  const fromDev = (keyword: TenantKeyword) =>
    keyword.name === WEB_APP_KEYWORD && path.basename(keyword.file) === DEV_TENANT_SETTINGS_FILE;
  const sources = written.map((keyword) =>
    fromDev(keyword)
      ? ` ${String(keyword.value)} in them is the ${WEB_APP_KEYWORD} that pnpm dev gave the ` +
        `tenant: ${DEV_SETS}; set those and start pnpm dev again.`
      : ` ${String(keyword.value)} in them is the ${keyword.name} keyword of the tenant's ` +
        `settings, "keywords" in ${keyword.file}: change it there and start the tenant again.`,
  );
  const dev = written.some((keyword) => keyword.name === WEB_APP_KEYWORD && !fromDev(keyword))
    ? ` pnpm dev starts the tenant with settings of its own, which extend these and set ` +
      `${WEB_APP_KEYWORD}: ${DEV_SETS}; with pnpm dev, set those.`
    : "";
  return (
    `${allowed} Add this one to the application's callbacks in the tenant, or run the ` +
    `application at one of them.${sources.join("")}${dev}`
  );
}
