import { readFileSync } from "node:fs";
import path from "node:path";

import {
  ENVIRONMENT_HELP,
  SERVE_ENVIRONMENT_HELP,
  WEB_ENVIRONMENT,
  loadConfig as loadAgentConfig,
} from "@ciba-testbed/agent";
import { loadTenant } from "@ciba-testbed/mock-auth0";
import {
  CIBA_GRANT_TYPE,
  LOCAL_DEFAULTS,
  PRODUCT_BUY_SCOPE,
  purchaseAuthorizationDetail,
} from "@ciba-testbed/shared";
import { buildOpenApiDocument, loadConfig as loadShopConfig } from "@ciba-testbed/shop-api";
import { REPO_ROOT, agentEnvOf, webAppEnvOf } from "@ciba-testbed/stack";
import { describe, expect, it } from "vitest";

/**
 * One source of truth: auth0/ (tenant.yaml, users.json, mock-auth0.json), read through
 * mock-auth0's own loader, is the configuration every default of the other apps and
 * .env.example must agree with. A scope or an audience renamed in one place only fails here.
 */
const tenant = loadTenant();
const shop = loadShopConfig({});
const agent = loadAgentConfig({});

function envExample(): Record<string, string> {
  const text = readFileSync(path.join(REPO_ROOT, ".env.example"), "utf8");
  return Object.fromEntries(
    text
      .split("\n")
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map(([, name, value]) => [name ?? "", value ?? ""]),
  );
}

/** Every scope the shop's OpenAPI document says an operation needs. */
function scopesTheShopRequires(): string[] {
  const document = buildOpenApiDocument(shop) as {
    paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
  };
  return [
    ...new Set(
      Object.values(document.paths)
        .flatMap((operations) => Object.values(operations))
        .flatMap((operation) => operation.security ?? [])
        .flatMap((requirement) => Object.values(requirement).flat()),
    ),
  ];
}

describe("the defaults agree with the tenant in auth0/", () => {
  const api = tenant.apis.find((a) => a.identifier === shop.audience);

  it("shop-api: its default audience is an API of the tenant that defines every scope it requires", () => {
    expect(api, `no API ${shop.audience} in auth0/tenant.yaml`).toBeDefined();
    const required = scopesTheShopRequires();
    expect(required).toContain(PRODUCT_BUY_SCOPE);
    for (const scope of required) expect(api?.scopes).toContain(scope);
    expect(shop.issuer).toBe(`https://localhost:${LOCAL_DEFAULTS.mockAuth0Port}/`);
  });

  it("the agent: its client, user and audience are the tenant's, and can run CIBA for it", () => {
    expect(agent.audience).toBe(shop.audience);
    const client = tenant.clients.find((c) => c.clientId === agent.auth0.clientId);
    expect(client, `no client ${agent.auth0.clientId} in auth0/mock-auth0.json`).toBeDefined();
    expect(client?.clientSecret).toBe(agent.auth0.clientSecret);
    expect(client?.grantTypes).toContain(CIBA_GRANT_TYPE);
    expect(client?.notificationChannels).toContain("guardian-push");
    const user = tenant.users.find((u) => u.sub === agent.userId);
    expect(user, `no user ${agent.userId} in auth0/users.json`).toBeDefined();
    expect(user?.pushEnrolled).toBe(true);
    // What the agent asks for: its scope and the type of the purchase's authorization_details.
    expect(api?.scopes).toContain(PRODUCT_BUY_SCOPE);
    const detail = purchaseAuthorizationDetail({ product: "XYZ phone", quantity: 1 });
    expect(api?.authorizationDetailsTypes).toContain(detail.type);
    // Least privilege, as Auth0 recommends: only a client with a user grant for the shop API
    // may get a token for it in a user flow (CIBA), and only the agent has one, for exactly
    // what it asks for.
    expect(api?.userPolicy).toBe("require_client_grant");
    expect(client?.clientGrants.filter((g) => g.audience === shop.audience)).toContainEqual({
      audience: shop.audience,
      subjectType: "user",
      scopes: [PRODUCT_BUY_SCOPE],
      allowAllScopes: false,
      authorizationDetailsTypes: [detail.type],
    });
    const userGrantees = tenant.clients.filter((c) =>
      c.clientGrants.some((g) => g.audience === shop.audience && g.subjectType === "user"),
    );
    expect(userGrantees.map((c) => c.clientId)).toEqual([agent.auth0.clientId]);
    expect(agent.auth0.domain).toBe(`localhost:${LOCAL_DEFAULTS.mockAuth0Port}`);
  });

  it(".env.example: the same client, user, audience and tenant", () => {
    const env = envExample();
    expect(env).toMatchObject({
      AUTH0_DOMAIN: agent.auth0.domain,
      AUTH0_CLIENT_ID: agent.auth0.clientId,
      AUTH0_CLIENT_SECRET: agent.auth0.clientSecret,
      AGENT_USER_ID: agent.userId,
      SHOP_API_AUDIENCE: shop.audience,
    });
    expect(agent.auth0.domain).toBe(`localhost:${String(LOCAL_DEFAULTS.mockAuth0Port)}`);
  });

  it(".env.example and README.md name exactly the variables pnpm dev gives its web app over .env", () => {
    // The web app's variables; the CA file is no setting of .env.
    const given = Object.keys(
      webAppEnvOf(agentEnvOf("localhost:4010", "http://localhost:4020", "ca.pem")),
    )
      .filter((name) => name !== "NODE_EXTRA_CA_CERTS")
      .sort();
    /** The variables a text lists (`A`, `B` and `C`, backquoted or not) in its one `pattern`. */
    const listed = (file: string, pattern: RegExp) => {
      const text = readFileSync(path.join(REPO_ROOT, file), "utf8").replace(/\n(?:# )?/g, " ");
      const list = pattern.exec(text)?.[1] ?? "";
      return list
        .split(/,\s*|\s+and\s+/)
        .map((name) => name.replaceAll("`", "").trim())
        .sort();
    };
    expect(listed(".env.example", /web app gets the local tenant's (.+?) from `pnpm dev`/)).toEqual(
      given,
    );
    expect(listed("README.md", /its web app the tenant's (.+?),\s+whatever the shell/)).toEqual(
      given,
    );
  });

  it("agent serve --help lists every variable its web app reads besides the CLI's", () => {
    expect(SERVE_ENVIRONMENT_HELP.map(([name]) => name).sort()).toEqual(
      [...WEB_ENVIRONMENT].sort(),
    );
  });

  it(".env.example: names only variables the agent reads, the only program that reads .env", () => {
    const text = readFileSync(path.join(REPO_ROOT, ".env.example"), "utf8");
    // Set (`NAME=value`) or shown commented out (`# NAME=value`).
    const named = [...text.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map(([, name]) => name);
    const read = new Set([...ENVIRONMENT_HELP.map(([name]) => name), ...WEB_ENVIRONMENT]);
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((name) => name === undefined || !read.has(name))).toEqual([]);
  });
});
