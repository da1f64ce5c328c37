import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { readEnvironment } from "@ciba-testbed/agent/config";
import { loadWebConfig } from "@ciba-testbed/agent/web-config";
import { SHOP_API_AUDIENCE } from "@ciba-testbed/shared";
import { loadConfig as loadShopConfig } from "@ciba-testbed/shop-api";
import { describe, expect, it, onTestFinished } from "vitest";

import {
  ignoredLine,
  ignoredSettings,
  overriddenVariables,
} from "../scripts/stack/ignored-settings.js";
import { agentEnvOf, shopTenantEnv, webAppEnvOf } from "../scripts/stack/stack.js";

const ISSUER = "https://localhost:4010/";
const CA = "/repo/.certs/ca.pem";

/** A shell set up for a real tenant, as a person who also uses one has it. */
const REAL_TENANT_SHELL = {
  AUTH0_DOMAIN: "acme.us.auth0.com",
  AUTH0_ISSUER_BASE_URL: "https://login.acme.example/",
  SHOP_API_AUDIENCE: "https://shop.acme.example",
};

// The stack's services inherit this process's environment (`pnpm dev`'s shell): what the stack
// sets goes over it.
describe("the stack's shop", () => {
  it("trusts the stack's own tenant and audience whatever tenant the shell names", () => {
    const config = loadShopConfig({ ...REAL_TENANT_SHELL, ...shopTenantEnv(ISSUER, CA) });
    expect(config).toMatchObject({ issuer: ISSUER, audience: SHOP_API_AUDIENCE });
  });
});

describe("overriddenVariables", () => {
  const shop = shopTenantEnv(ISSUER, CA);
  const agent = { AUTH0_DOMAIN: "localhost:4010", AUTH0_CLIENT_SECRET: "local-secret" };

  it("names each variable of the shell that a service was given another value for", () => {
    expect(
      overriddenVariables({ ...REAL_TENANT_SHELL, AUTH0_CLIENT_SECRET: "real" }, [shop, agent]),
    ).toEqual([
      "AUTH0_CLIENT_SECRET",
      "AUTH0_DOMAIN",
      "AUTH0_ISSUER_BASE_URL",
      "SHOP_API_AUDIENCE",
    ]);
  });

  it("leaves out the values the stack would give anyway, blank ones and the CA file", () => {
    const shell = {
      AUTH0_DOMAIN: "localhost:4010",
      AUTH0_ISSUER_BASE_URL: " ",
      NODE_EXTRA_CA_CERTS: "/etc/ssl/certs/ca-certificates.crt",
      SHOP_API_PORT: "4021",
    };
    expect(overriddenVariables(shell, [shop, agent])).toEqual([]);
  });
});

/** A `.env` with `text`, as the agent reads it (`readEnvironment`'s file). */
function envFileWith(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "stack-env-file-"));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = path.join(dir, ".env");
  writeFileSync(file, text);
  return file;
}

/** What a `.env` written for another run has: another shop's catalog, a real tenant's approver. */
const STALE_ENV_FILE = [
  "SHOP_CATALOG_URL=http://localhost:4021/api/products",
  "AGENT_APPROVER_URL=https://login.acme.example/approver",
  "SHOP_API_URL=http://localhost:4021/api/purchases",
  "AGENT_MODE=interrupt",
].join("\n");

describe("the web app of pnpm dev", () => {
  const webApp = webAppEnvOf(agentEnvOf("localhost:4010", "http://localhost:4020", CA));

  // Its process inherits the shell with these over it, and reads .env under that.
  it("reads the stack's catalog and approver page whatever .env and the shell name, and the rest from them", () => {
    const shell = { SHOP_CATALOG_URL: "http://localhost:4022/api/products" };
    const config = loadWebConfig(
      readEnvironment({ ...shell, ...webApp }, envFileWith(STALE_ENV_FILE)),
    );
    expect(config.agent.catalogUrl).toBe("http://localhost:4020/api/products");
    expect(config.approverUrl).toBe("https://localhost:4010/approver");
    expect(config.agent.shopApiUrl).toBe("http://localhost:4020/api/purchases");
    expect(config.agent.mode).toBe("interrupt");
  });

  it("names in one line what the shell and .env set otherwise, never a value", () => {
    const shell = {
      ...REAL_TENANT_SHELL,
      AUTH0_CLIENT_SECRET: "real-secret",
      // Set in the shell, blank or not, a variable is not .env's: the shell's wins.
      SHOP_API_URL: "",
    };
    const envFile = readEnvironment({}, envFileWith(STALE_ENV_FILE));
    const ignored = ignoredSettings({ shell, envFile, shop: shopTenantEnv(ISSUER, CA), webApp });
    expect(ignored).toEqual({
      shell: ["AUTH0_CLIENT_SECRET", "AUTH0_DOMAIN", "AUTH0_ISSUER_BASE_URL", "SHOP_API_AUDIENCE"],
      envFile: ["AGENT_APPROVER_URL", "SHOP_CATALOG_URL"],
    });
    const [line, ...more] = ignoredLine(ignored);
    expect(more).toEqual([]);
    expect(line).toBe(
      "  your shell's AUTH0_CLIENT_SECRET, AUTH0_DOMAIN, AUTH0_ISSUER_BASE_URL, SHOP_API_AUDIENCE and .env's AGENT_APPROVER_URL, SHOP_CATALOG_URL are ignored: this stack uses its local tenant and shop",
    );
    expect(line).not.toContain("real-secret");
  });

  it("names no .env value that the stack gives anyway, and no line when nothing is ignored", () => {
    const envFile = readEnvironment(
      {},
      envFileWith(`SHOP_CATALOG_URL=${webApp.SHOP_CATALOG_URL}\nAGENT_MODE=interrupt`),
    );
    const ignored = ignoredSettings({
      shell: {},
      envFile,
      shop: shopTenantEnv(ISSUER, CA),
      webApp,
    });
    expect(ignored).toEqual({ shell: [], envFile: [] });
    expect(ignoredLine(ignored)).toEqual([]);
    expect(ignoredLine({ shell: [], envFile: ["SHOP_CATALOG_URL"] })).toEqual([
      "  .env's SHOP_CATALOG_URL is ignored: this stack uses its local tenant and shop",
    ]);
  });
});
