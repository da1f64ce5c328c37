import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { DEV_TENANT_SETTINGS_FILE } from "@ciba-testbed/shared";
import { describe, expect, it, onTestFinished } from "vitest";

import { DEFAULT_TENANT_FILE, loadTenant } from "../tenant/load-tenant.js";
import type { Tenant } from "../tenant/tenant-model.js";

import { callbackHint } from "./callback-hint.js";

const REPO_SETTINGS = path.join(path.dirname(DEFAULT_TENANT_FILE), "mock-auth0.json");

/** The repository's tenant read with `settings` written to a file of its own; returns both. */
function tenantWithSettings(
  settings: Record<string, unknown>,
  name = "agent-6231.json",
): { tenant: Tenant; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "callback-hint-"));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ extends: REPO_SETTINGS, ...settings }));
  return { tenant: loadTenant({ tenant: DEFAULT_TENANT_FILE, settings: file }), file };
}

const agentOf = (tenant: Tenant) => {
  const agent = tenant.clients.find((client) => client.name === "Shopping agent");
  if (agent === undefined) throw new Error("the repository's tenant has no Shopping agent");
  return agent;
};

describe("the hint of a callback URL mismatch", () => {
  it("names the settings file whose AGENT_WEB_URL keyword wrote the callback, and what pnpm dev sets it from", () => {
    const tenant = loadTenant();
    expect(callbackHint(agentOf(tenant), tenant.keywords)).toBe(
      "Shopping agent's Allowed Callback URLs: http://localhost:3000/auth/callback. Add this one " +
        "to the application's callbacks in the tenant, or run the application at one of them. " +
        "http://localhost:3000 in them is the AGENT_WEB_URL keyword of the tenant's settings, " +
        `"keywords" in ${REPO_SETTINGS}: change it there and start the tenant again. pnpm dev ` +
        "starts the tenant with settings of its own, which extend these and set AGENT_WEB_URL: " +
        "APP_BASE_URL, or else the web app's address from AGENT_HOST and AGENT_PORT " +
        "(http://localhost:3000 when none of them is set); with pnpm dev, set those.",
    );
  });

  it("names the file that set the keyword, not the one it extends", () => {
    const { tenant, file } = tenantWithSettings({
      keywords: { AGENT_WEB_URL: "http://localhost:6231" },
    });
    expect(callbackHint(agentOf(tenant), tenant.keywords)).toContain(
      `http://localhost:6231 in them is the AGENT_WEB_URL keyword of the tenant's settings, "keywords" in ${file}: change it there`,
    );
  });

  it("names pnpm dev's variables, not the file it writes at each start, when the keyword came from pnpm dev", () => {
    const { tenant } = tenantWithSettings(
      {
        keywords: { AGENT_WEB_URL: "http://localhost:6231" },
      },
      DEV_TENANT_SETTINGS_FILE,
    );
    expect(callbackHint(agentOf(tenant), tenant.keywords)).toBe(
      "Shopping agent's Allowed Callback URLs: http://localhost:6231/auth/callback. Add this one " +
        "to the application's callbacks in the tenant, or run the application at one of them. " +
        "http://localhost:6231 in them is the AGENT_WEB_URL that pnpm dev gave the tenant: " +
        "APP_BASE_URL, or else the web app's address from AGENT_HOST and AGENT_PORT " +
        "(http://localhost:3000 when none of them is set); set those and start pnpm dev again.",
    );
  });

  it("names no keyword, nor pnpm dev, for callbacks no keyword wrote", () => {
    const { tenant } = tenantWithSettings({});
    const client = { ...agentOf(tenant), callbacks: ["https://app.example/callback"] };
    expect(callbackHint(client, tenant.keywords)).toBe(
      "Shopping agent's Allowed Callback URLs: https://app.example/callback. Add this one to " +
        "the application's callbacks in the tenant, or run the application at one of them.",
    );
  });
});
