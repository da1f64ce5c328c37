import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { readEnvironment } from "@ciba-testbed/agent/config";
import { loadWebConfig } from "@ciba-testbed/agent/web-config";
import { SHOP_API_AUDIENCE } from "@ciba-testbed/shared";
import { VARIABLES as TENANT_VARIABLES } from "@ciba-testbed/mock-auth0/config";
import { VARIABLES as MODEL_SERVER_VARIABLES } from "@ciba-testbed/model-server/config";
import { loadConfig as loadShopConfig } from "@ciba-testbed/shop-api";
import { VARIABLES as SHOP_VARIABLES } from "@ciba-testbed/shop-api/config";
import { describe, expect, it, onTestFinished } from "vitest";

import {
  ignoredLines,
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

/** The servers' variables as `pnpm dev` names them, from their configurations. */
const SERVERS = [
  {
    command: "pnpm dev",
    variables: [...Object.keys(TENANT_VARIABLES), ...Object.keys(SHOP_VARIABLES)],
  },
  { command: "pnpm model-server", variables: Object.keys(MODEL_SERVER_VARIABLES) },
];

describe("the web app of pnpm dev", () => {
  const webApp = webAppEnvOf(agentEnvOf("localhost:4010", "http://localhost:4020", CA));
  /** What pnpm dev names of `shell` and `envFile`, with the stack's shop and web app. */
  const ignoredBy = (
    shell: Record<string, string | undefined>,
    envFile: Record<string, string | undefined>,
  ) =>
    ignoredSettings({ shell, envFile, shop: shopTenantEnv(ISSUER, CA), webApp, servers: SERVERS });

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
    const ignored = ignoredBy(shell, envFile);
    expect(ignored).toEqual({
      shell: ["AUTH0_CLIENT_SECRET", "AUTH0_DOMAIN", "AUTH0_ISSUER_BASE_URL", "SHOP_API_AUDIENCE"],
      envFile: ["AGENT_APPROVER_URL", "SHOP_CATALOG_URL"],
      unreadByServers: [],
    });
    const [line, ...more] = ignoredLines(ignored);
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
    const ignored = ignoredBy({}, envFile);
    expect(ignored).toEqual({ shell: [], envFile: [], unreadByServers: [] });
    expect(ignoredLines(ignored)).toEqual([]);
    expect(ignoredLines({ shell: [], envFile: ["SHOP_CATALOG_URL"], unreadByServers: [] })).toEqual(
      ["  .env's SHOP_CATALOG_URL is ignored: this stack uses its local tenant and shop"],
    );
  });

  // The .env.example shipped until early December 2026 set the tenant's and the shop's own
  // variables, which no server reads from .env: pnpm dev's servers read the environment alone.
  it("names every server variable .env sets, which no server reads, with the command that sets each in the environment, never a value", () => {
    const envFile = readEnvironment(
      {},
      envFileWith(
        [
          "AUTH0_DOMAIN=localhost:4010",
          "SHOP_API_AUDIENCE=sample-shop-api",
          "MOCK_AUTH0_PORT=4010",
          "MOCK_AUTH0_APPROVER=approve",
          "MOCK_AUTH0_CONTROL_TOKEN=a-secret-control-token",
          "# SHOP_API_PORT=4020",
          "SHOP_API_REQUIRE_AUTHORIZATION_DETAILS=false",
          "SHOP_API_TOKEN_CACHE_SIZE=",
          "MODEL_SERVER_API_KEY=a-model-key",
          "LOG_LEVEL=debug",
          "AGENT_MODE=interrupt",
        ].join("\n"),
      ),
    );
    // Set in the shell, a variable is the shell's: the server reads that.
    const ignored = ignoredBy({ MOCK_AUTH0_PORT: "4011" }, envFile);
    expect(ignored).toEqual({
      shell: [],
      envFile: [],
      unreadByServers: [
        {
          command: "pnpm dev",
          names: [
            "LOG_LEVEL",
            "MOCK_AUTH0_APPROVER",
            "MOCK_AUTH0_CONTROL_TOKEN",
            "SHOP_API_REQUIRE_AUTHORIZATION_DETAILS",
          ],
        },
        { command: "pnpm model-server", names: ["MODEL_SERVER_API_KEY"] },
      ],
    });
    const lines = ignoredLines(ignored);
    expect(lines).toEqual([
      "  .env's LOG_LEVEL, MOCK_AUTH0_APPROVER, MOCK_AUTH0_CONTROL_TOKEN, MODEL_SERVER_API_KEY, SHOP_API_REQUIRE_AUTHORIZATION_DETAILS are ignored: the servers read only the environment, so set them there (LOG_LEVEL=<value> MOCK_AUTH0_APPROVER=<value> MOCK_AUTH0_CONTROL_TOKEN=<value> SHOP_API_REQUIRE_AUTHORIZATION_DETAILS=<value> pnpm dev; MODEL_SERVER_API_KEY=<value> pnpm model-server)",
    ]);
    expect(lines.join("\n")).not.toMatch(/approve\b|a-secret|a-model-key|debug|false/);
    expect(
      ignoredLines({
        shell: ["AUTH0_DOMAIN"],
        envFile: [],
        unreadByServers: [{ command: "pnpm dev", names: ["MOCK_AUTH0_APPROVER"] }],
      }),
    ).toEqual([
      "  your shell's AUTH0_DOMAIN is ignored: this stack uses its local tenant and shop",
      "  .env's MOCK_AUTH0_APPROVER is ignored: the servers read only the environment, so set it there (MOCK_AUTH0_APPROVER=<value> pnpm dev)",
    ]);
  });
});
