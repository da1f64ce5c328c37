import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

import { loadTenant } from "@ciba-testbed/mock-auth0";
import { CIBA_GRANT_TYPE } from "@ciba-testbed/shared";
import { REPO_ROOT, httpsJson } from "@ciba-testbed/stack";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import { createLocalJWKSet, jwtVerify } from "jose";
import type { JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";

import { builtFileOf, sourceMapFlags } from "../../scripts/build.js";
import { printedAnswers, readmeBlockUnder } from "../support/readme-example.js";

/**
 * The acceptance test of mock-auth0's tenant files: a tenant written by hand in the Auth0
 * Deploy CLI's format (another API, another scope, a client with callbacks and the CIBA grant,
 * two users) runs with MOCK_AUTH0_TENANT=<file> in the real process, and a CIBA flow for that
 * API works with plain HTTPS requests (the curl example in apps/mock-auth0/README.md).
 */
const TENANT = path.join(REPO_ROOT, "test/fixtures/hand-written-tenant/tenant.yaml");
const MAIN = "apps/mock-auth0/src/main.ts";
const API = "https://calendar.example.com/api";
const CLIENT = { id: "calendar-assistant", secret: "calendar-assistant-secret" };
const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString("base64")}`;

const hasCurlAndJq = ["curl", "jq"].every((tool) => spawnSync(tool, ["--version"]).status === 0);

let child: SupervisedChild;
let issuer: string;
let caCertPath: string;
let ca: string;

const post = async (endpoint: string, form: Record<string, string>) => {
  const answer = await httpsJson(new URL(endpoint, issuer), {
    ca,
    form,
    headers: { authorization: basic },
  });
  return { status: answer.status, body: answer.body as Record<string, unknown> };
};

const startRequest = (user: string, extra: Record<string, string> = {}) =>
  post("bc-authorize", {
    scope: "openid calendar:write",
    audience: API,
    login_hint: JSON.stringify({ format: "iss_sub", iss: issuer, sub: user }),
    binding_message: "Add Dentist on Tuesday at 10:00",
    ...extra,
  });

beforeAll(async () => {
  const started = await SupervisedChild.start({
    name: "mock-auth0 (hand-written tenant)",
    script: MAIN,
    runner: {},
    env: {
      MOCK_AUTH0_PORT: "0",
      MOCK_AUTH0_TENANT: TENANT,
      MOCK_AUTH0_USERS: "",
      MOCK_AUTH0_SETTINGS: "",
      MOCK_AUTH0_CONTROL_TOKEN: "",
      MOCK_AUTH0_CERT_DIR: path.join(REPO_ROOT, ".certs"),
      LOG_LEVEL: "warn",
    },
  });
  child = started.child;
  issuer = started.ready.url;
  caCertPath = String(started.ready.caCertPath);
  ca = readFileSync(caCertPath, "utf8");
});

afterAll(async () => {
  await child.stop();
});

describe("a tenant written by hand in the Deploy CLI's format", () => {
  it("runs a CIBA flow for its own API with plain HTTPS requests", async () => {
    const details = [{ type: "calendar_event", title: "Dentist", start: "Tuesday 10:00" }];
    const started = await startRequest("auth0|alice", {
      authorization_details: JSON.stringify(details),
    });
    expect(started).toMatchObject({ status: 200, body: { expires_in: 300, interval: 5 } });
    const id = String(started.body.auth_req_id);

    const pending = await post("oauth/token", { grant_type: CIBA_GRANT_TYPE, auth_req_id: id });
    expect(pending).toMatchObject({ status: 400, body: { error: "authorization_pending" } });

    const approved = await httpsJson(new URL(`approver/api/requests/${id}/approve`, issuer), {
      ca,
      method: "POST",
    });
    expect(approved.status).toBe(200);

    // A second request, approved before its first poll, gives tokens at once: no waiting for
    // the interval in a test.
    // product:buy is not one of this API's scopes: left out of the grant, as Auth0 does.
    const second = await startRequest("auth0|alice", {
      scope: "openid calendar:write product:buy",
    });
    const secondId = String(second.body.auth_req_id);
    await httpsJson(new URL(`approver/api/requests/${secondId}/approve`, issuer), {
      ca,
      method: "POST",
    });
    const granted = await post("oauth/token", {
      grant_type: CIBA_GRANT_TYPE,
      auth_req_id: secondId,
    });
    expect(granted).toMatchObject({
      status: 200,
      body: { token_type: "Bearer", scope: "openid calendar:write", expires_in: 86_400 },
    });

    const jwks = await httpsJson(new URL(".well-known/jwks.json", issuer), { ca });
    const { payload } = await jwtVerify(
      String(granted.body.access_token),
      createLocalJWKSet(jwks.body as JSONWebKeySet),
      { issuer, audience: API },
    );
    expect(payload).toMatchObject({
      sub: "auth0|alice",
      azp: CLIENT.id,
      scope: "openid calendar:write",
      aud: [API, `${issuer}userinfo`],
    });
  });

  it("answers in Auth0's dialect for its users and its RAR types", async () => {
    // bob is in users.json but not enrolled in Guardian push (mock-auth0.json).
    expect(await startRequest("auth0|bob")).toMatchObject({
      status: 400,
      body: { error: "invalid_request" },
    });
    expect(await startRequest("auth0|carol")).toMatchObject({
      status: 400,
      body: { error: "unknown_user_id" },
    });
    expect(
      await startRequest("auth0|alice", {
        authorization_details: JSON.stringify([{ type: "product_purchase" }]),
      }),
    ).toMatchObject({ status: 400, body: { error: "invalid_authorization_details" } });
    const discovery = await httpsJson(new URL(".well-known/openid-configuration", issuer), { ca });
    // As Auth0's: OIDC scopes only, and no RAR types advertised.
    expect(discovery.body).toMatchObject({
      scopes_supported: ["openid", "profile", "offline_access", "email"],
    });
    expect(discovery.body).not.toHaveProperty("authorization_details_types_supported");
  });

  it.runIf(hasCurlAndJq)("works with curl alone: mock-auth0's README example, as written", () => {
    const block = readmeBlockUnder(
      "apps/mock-auth0/README.md",
      "### A tenant of your own, with curl",
      "sh",
    );
    // This file's tenant is the one the example starts, on the same file and CA folder: the
    // lines that start one go, and only its port changes.
    const script = block
      .replace(/^MOCK_AUTH0_TENANT=.*\n/gm, "")
      .replaceAll("https://localhost:4010/", issuer)
      .replaceAll("https://localhost:4010", issuer.replace(/\/$/, ""));
    expect(script).not.toMatch(/mock-auth0/);
    expect(script).toContain(`CA=${path.relative(REPO_ROOT, caCertPath)} `);
    const stdout = execFileSync("bash", ["--norc", "-euo", "pipefail", "-c", script], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    const [asked, approved, granted, ...rest] = printedAnswers(stdout);
    expect(rest).toEqual([]);
    expect(asked).toEqual({
      auth_req_id: expect.any(String),
      expires_in: 300,
      interval: 5,
    });
    expect(approved).toMatchObject({ auth_req_id: asked?.auth_req_id, status: "approved" });
    expect(granted).toEqual({
      access_token: expect.stringMatching(/^eyJ/),
      id_token: expect.stringMatching(/^eyJ/),
      token_type: "Bearer",
      expires_in: 86400,
      scope: "openid calendar:write",
    });
  });

  it("is the README's tenant.yaml, with more", () => {
    // The README shows the file shortened; what it shows must load and be the fixture's.
    const dir = mkdtempSync(path.join(tmpdir(), "readme-tenant-"));
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const yaml = readmeBlockUnder("apps/mock-auth0/README.md", "### A tenant of your own", "yaml");
    writeFileSync(path.join(dir, "tenant.yaml"), yaml);
    const shown = loadTenant({
      tenant: path.join(dir, "tenant.yaml"),
      users: path.join(path.dirname(TENANT), "users.json"),
      settings: path.join(path.dirname(TENANT), "mock-auth0.json"),
    });
    const fixture = loadTenant(TENANT);
    expect(shown.apis).toEqual(fixture.apis);
    expect(shown.clients.map((c) => [c.clientId, c.grantTypes])).toEqual(
      fixture.clients.map((c) => [c.clientId, c.grantTypes]),
    );
  });
});

describe("a tenant file with a typo", () => {
  it("stops mock-auth0 with exit 2 and a message naming each path in the file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "typo-tenant-"));
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const typo = readFileSync(TENANT, "utf8")
      .replace("urn:openid:params:grant-type:ciba", "urn:openid:params:grant-type:cibaa")
      .replace("      - value: calendar:write\n", "      - name: calendar:write\n");
    writeFileSync(path.join(dir, "tenant.yaml"), typo);
    const run = spawnSync(process.execPath, [...sourceMapFlags(MAIN), builtFileOf(MAIN)], {
      cwd: REPO_ROOT,
      env: {
        ...Object.fromEntries(
          Object.entries(process.env).filter(([name]) => !name.startsWith("MOCK_AUTH0_")),
        ),
        MOCK_AUTH0_PORT: "0",
        MOCK_AUTH0_TENANT: path.join(dir, "tenant.yaml"),
        MOCK_AUTH0_USERS: path.join(path.dirname(TENANT), "users.json"),
        MOCK_AUTH0_SETTINGS: path.join(path.dirname(TENANT), "mock-auth0.json"),
      },
      encoding: "utf8",
      timeout: 30_000,
    });
    // Outside the working folder, the file is named whole.
    const shown = path.join(dir, "tenant.yaml");
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      [
        "Invalid tenant:",
        `  - ${shown}: clients[0].grant_types[1]: unknown grant type "urn:openid:params:grant-type:cibaa"`,
        `  - ${shown}: resourceServers[0].scopes[0].value: a scope needs "value"`,
        "",
      ].join("\n"),
    );
  });
});

/** Requires a module of the pinned Deploy CLI (mock-auth0's dependency) by its path in it. */
const requireDeployCli = createRequire(
  createRequire(path.join(REPO_ROOT, "apps/mock-auth0/package.json")).resolve(
    "auth0-deploy-cli/package.json",
  ),
);

/** What the pinned Deploy CLI sends to the Management API, by resource kind. */
interface Imported {
  resourceServers: Record<string, unknown>[];
  clients: Record<string, unknown>[];
  clientGrants: Record<string, unknown>[];
  other: unknown[][];
}

/**
 * `a0deploy import` of auth0/tenant.yaml with auth0/config.example.json, as the root README's
 * real-tenant steps run it, into an empty tenant: the pinned Deploy CLI's own YAML loader and
 * handlers, with an in-memory Management API in place of Auth0's. Its schema validation is left
 * out (it compiles for half a minute; the tenant's unit test validates against the same schema).
 */
async function importIntoEmptyTenant(): Promise<Imported> {
  const { default: YamlContext } = requireDeployCli("./lib/context/yaml") as {
    default: new (
      config: Record<string, unknown>,
      client: object,
    ) => {
      assets: object;
      loadAssetsFromLocal(): Promise<void>;
    };
  };
  const { default: Auth0 } = requireDeployCli("./lib/tools/auth0") as {
    default: new (
      client: object,
      assets: object,
      config: (key: string) => unknown,
    ) => { processChanges(): Promise<void> };
  };
  const { default: pagedClient } = requireDeployCli("./lib/tools/auth0/client") as {
    default: (client: object) => object;
  };
  const example = JSON.parse(
    readFileSync(path.join(REPO_ROOT, "auth0/config.example.json"), "utf8"),
  ) as Record<string, unknown>;
  const config: Record<string, unknown> = {
    ...example,
    AUTH0_CLIENT_ID: "management-api-client",
    AUTH0_INPUT_FILE: path.join(REPO_ROOT, "auth0/tenant.yaml"),
  };
  const imported: Imported = { resourceServers: [], clients: [], clientGrants: [], other: [] };
  let ids = 0;
  const manager = (kind: "resourceServers" | "clients" | "clientGrants") => ({
    list: () => Promise.resolve({ data: imported[kind], hasNextPage: () => false }),
    create: (body: Record<string, unknown>) => {
      ids += 1;
      const created = { ...body, [kind === "clients" ? "client_id" : "id"]: `${kind}-${ids}` };
      imported[kind].push(created);
      return Promise.resolve(created);
    },
    update: (...args: unknown[]) => {
      imported.other.push(["update", kind, ...args]);
      return Promise.resolve(args[1]);
    },
    delete: (...args: unknown[]) => {
      imported.other.push(["delete", kind, ...args]);
      return Promise.resolve();
    },
  });
  const managementApi = {
    resourceServers: manager("resourceServers"),
    clients: manager("clients"),
    clientGrants: manager("clientGrants"),
    guardian: {
      factors: {
        list: () => Promise.resolve([{ name: "push-notification", enabled: false }]),
        set: (...args: unknown[]) => {
          imported.other.push(["set", "guardian.factors", ...args]);
          return Promise.resolve(args[1]);
        },
      },
    },
  };
  const context = new YamlContext(config, {});
  await context.loadAssetsFromLocal();
  await new Auth0(
    pagedClient(managementApi),
    context.assets,
    (key) => config[key],
  ).processChanges();
  return imported;
}

describe("auth0/tenant.yaml imported into a real tenant (the pinned Deploy CLI, config.example.json)", () => {
  // One import (half a minute of CPU to load the Deploy CLI) for both tests.
  let importing: Promise<Imported> | undefined;
  const imported = () => (importing ??= importIntoEmptyTenant());

  it("lets only the shopping agent act for a person on the shop API, within its client grant", async () => {
    const result = await imported();
    expect(result.resourceServers).toEqual([
      expect.objectContaining({
        identifier: "sample-shop-api",
        subject_type_authorization: {
          user: { policy: "require_client_grant" },
          client: { policy: "require_client_grant" },
        },
      }),
    ]);
    const agent = result.clients.find((c) => c.name === "Shopping agent");
    expect(agent?.grant_types).toContain(CIBA_GRANT_TYPE);
    expect(result.clientGrants.filter((g) => g.subject_type === "user")).toEqual([
      {
        id: expect.any(String),
        client_id: agent?.client_id,
        audience: "sample-shop-api",
        subject_type: "user",
        scope: ["product:buy"],
        authorization_details_types: ["product_purchase"],
      },
    ]);
    expect(result.other).toEqual([
      ["set", "guardian.factors", "push-notification", { enabled: true }],
    ]);
  }, 120_000);

  it("creates no machine-to-machine client: the testbed's Back-office service stays out", async () => {
    const { clients, clientGrants } = await imported();
    expect(clients.map((c) => c.name)).toEqual(["Shopping agent"]);
    expect(clientGrants.map((g) => g.client_id)).toEqual([clients[0]?.client_id]);
  }, 120_000);
});

describe("the root README's import command (step 2), run by the pinned Deploy CLI", () => {
  const step = (() => {
    const text = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const start = text.indexOf("2. **Import the tenant**");
    return text.slice(start, text.indexOf("3. **The plan**", start)).replace(/\s+/g, " ");
  })();
  const { default: importCommand } = requireDeployCli("./lib/commands/import") as {
    default: (params: Record<string, unknown>) => Promise<unknown>;
  };
  /** `a0deploy import` with config.example.json filled in, against a port nothing answers. */
  const runImport = (params: Record<string, unknown>) => {
    const dir = mkdtempSync(path.join(tmpdir(), "deploy-cli-config-"));
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const { AUTH0_CLIENT_SECRET: _deleted, ...example } = JSON.parse(
      readFileSync(path.join(REPO_ROOT, "auth0/config.example.json"), "utf8"),
    ) as Record<string, unknown>;
    const configFile = path.join(dir, "config.json");
    writeFileSync(
      configFile,
      JSON.stringify({ ...example, AUTH0_DOMAIN: "localhost:6199", AUTH0_CLIENT_ID: "deploy" }),
    );
    return importCommand({
      input_file: path.join(REPO_ROOT, "auth0/tenant.yaml"),
      config_file: configFile,
      ...params,
    });
  };

  it("with --env=false, takes the secret from --secret, never from the environment", async () => {
    const missing = /parameters were missing.*AUTH0_CLIENT_SECRET/;
    vi.stubEnv("AUTH0_CLIENT_SECRET", "the-management-client-secret");
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
    await expect(runImport({ env: false })).rejects.toThrow(missing);
    // Past its configuration: the secret is taken, and the token request finds nobody.
    const error = await runImport({ env: false, secret: "the-management-client-secret" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toMatch(missing);
    // So the README gives the secret to an --env=false import as --secret.
    expect(step).toContain("`--env=false`");
    expect(step).toMatch(/`--env=false`[^.]*`--secret` \(`-x`\)/);
  }, 120_000);
});
