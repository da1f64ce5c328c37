import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  CIBA_GRANT_TYPE,
  LOCAL_DEFAULTS,
  PRODUCT_BUY_SCOPE,
  PURCHASE_AUTHORIZATION_DETAILS_TYPE,
  SHOP_API_AUDIENCE,
} from "@ciba-testbed/shared";
import { describe, expect, it, onTestFinished } from "vitest";

import { derivedCredentials } from "./build-tenant.js";
import { deployCliSchemaProblems } from "./deploy-cli-schema.js";
import {
  DEFAULT_TENANT_FILE,
  TenantFileError,
  loadTenant,
  loadTenantReport,
} from "./load-tenant.js";
import type { TenantLocation } from "./load-tenant.js";
import { SETTINGS_JSON_SCHEMA_FILE, settingsJsonSchemaText } from "./settings-json-schema.js";
import { readTenantSources } from "./tenant-sources.js";
import { userFileProblems } from "./users-file.js";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const AUTH0_DIR = path.join(REPO, "auth0");
const fixture = (name: string) => path.join(REPO, "test/fixtures", name);

/** Writes a tenant.yaml (and the files beside it) into a fresh directory. */
function writeTenant(files: { yaml: string; users?: unknown; settings?: unknown }): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tenant-"));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(path.join(dir, "tenant.yaml"), files.yaml);
  if (files.users !== undefined) {
    writeFileSync(path.join(dir, "users.json"), JSON.stringify(files.users));
  }
  if (files.settings !== undefined) {
    writeFileSync(path.join(dir, "mock-auth0.json"), JSON.stringify(files.settings));
  }
  return path.join(dir, "tenant.yaml");
}

function problemsOf(location: string | TenantLocation): readonly string[] {
  try {
    loadTenant(location);
  } catch (error) {
    expect(error).toBeInstanceOf(TenantFileError);
    return (error as TenantFileError).problems;
  }
  throw new Error("expected a TenantFileError");
}

const CIBA_CLIENT = `
clients:
  - name: Agent
    app_type: regular_web
    grant_types: [urn:openid:params:grant-type:ciba]
resourceServers:
  - name: API
    identifier: https://api.example.com/
    scopes:
      - value: thing:do
`;
const ONE_USER = [{ user_id: "u1", email: "u1@example.com", email_verified: true }];

describe("the repository's tenant (auth0/)", () => {
  it("is valid under the pinned Deploy CLI's own schema, and users.json under Auth0's import schema", () => {
    const sources = readTenantSources({ tenant: DEFAULT_TENANT_FILE });
    expect(sources.format).toBe("yaml");
    expect(Object.keys(sources.assets).sort()).toEqual([
      "clientGrants",
      "clients",
      "guardianFactors",
      "resourceServers",
    ]);
    expect(deployCliSchemaProblems(sources.assets)).toEqual([]);
    expect(userFileProblems(sources.users)).toEqual([]);
  });

  it("comes with a Deploy CLI config.json example that maps its keywords as mock-auth0.json does, and holds no secret", () => {
    const example = JSON.parse(
      readFileSync(path.join(AUTH0_DIR, "config.example.json"), "utf8"),
    ) as {
      AUTH0_CLIENT_SECRET: string;
      AUTH0_KEYWORD_REPLACE_MAPPINGS: Record<string, unknown>;
    };
    const settings = JSON.parse(readFileSync(path.join(AUTH0_DIR, "mock-auth0.json"), "utf8")) as {
      keywords: Record<string, unknown>;
    };
    const used = [
      ...new Set(readFileSync(DEFAULT_TENANT_FILE, "utf8").match(/(?<=##)[A-Z0-9_]+(?=##)/g)),
    ];
    expect(used).toEqual(["SHOP_API_AUDIENCE", "AGENT_WEB_URL"]);
    expect(Object.keys(example.AUTH0_KEYWORD_REPLACE_MAPPINGS)).toEqual(used);
    expect(example.AUTH0_KEYWORD_REPLACE_MAPPINGS).toEqual(settings.keywords);
    expect(example.AUTH0_CLIENT_SECRET).toMatch(/^<.*>$/);
  });

  it("serves what the testbed has always served", () => {
    const tenant = loadTenant();
    expect(tenant.name).toBe("ciba-testbed");
    expect(
      tenant.clients.map(({ clientId, clientSecret, grantTypes }) => ({
        clientId,
        clientSecret,
        grantTypes,
      })),
    ).toEqual([
      {
        clientId: "ciba-testbed-agent",
        clientSecret: "ciba-testbed-agent-secret",
        grantTypes: ["authorization_code", CIBA_GRANT_TYPE, "refresh_token"],
      },
      {
        clientId: "ciba-testbed-m2m",
        clientSecret: "ciba-testbed-m2m-secret",
        grantTypes: ["client_credentials"],
      },
    ]);
    expect(tenant.clients[0]?.clientGrants).toEqual([
      {
        audience: "sample-shop-api",
        subjectType: "user",
        scopes: ["product:buy"],
        allowAllScopes: false,
        authorizationDetailsTypes: ["product_purchase"],
      },
    ]);
    expect(tenant.clients[1]?.clientGrants).toEqual([
      {
        audience: "sample-shop-api",
        subjectType: "client",
        scopes: ["product:buy"],
        allowAllScopes: false,
        authorizationDetailsTypes: [],
      },
    ]);
    expect(tenant.users.map((u) => [u.sub, u.pushEnrolled])).toEqual([
      ["auth0|testbed-user", true],
      ["auth0|second-user", true],
      ["auth0|no-push-user", false],
    ]);
    expect(tenant.apis).toEqual([
      {
        identifier: "sample-shop-api",
        name: "Sample Shop API",
        scopes: ["product:buy"],
        authorizationDetailsTypes: ["product_purchase"],
        tokenLifetimeSeconds: 86_400,
        allowOfflineAccess: false,
        userPolicy: "require_client_grant",
        clientPolicy: "require_client_grant",
        accessTokenProfile: "auth0",
      },
    ]);
    expect(tenant.guardianPushEnabled).toBe(true);
    // Auth0's answers and limits, its 5 s poll interval included.
    expect(tenant.ciba).toMatchObject({
      intervalSeconds: 5,
      maxExpiresInSeconds: 300,
      expiredError: "access_denied",
      perUserRequestsPerMinute: 5,
      perIpRequestsPerMinute: 500,
    });
    expect(tenant.rateLimits.authenticationApiRequestsPerSecond).toBe(100);
    expect(tenant.resourceParameterProfile).toBe("audience");
    expect(tenant.approver).toEqual({ default: { action: "manual" }, rules: [] });
  });

  it("agrees with the local defaults every other app starts with (LOCAL_DEFAULTS)", () => {
    const tenant = loadTenant();
    const agent = tenant.clients.find((c) => c.clientId === LOCAL_DEFAULTS.clientId);
    expect(agent?.clientSecret).toBe(LOCAL_DEFAULTS.clientSecret);
    expect(agent?.grantTypes).toContain(CIBA_GRANT_TYPE);
    expect(tenant.users.find((u) => u.sub === LOCAL_DEFAULTS.userId)?.pushEnrolled).toBe(true);
    const api = tenant.apis.find((a) => a.identifier === SHOP_API_AUDIENCE);
    expect(api?.scopes).toContain(PRODUCT_BUY_SCOPE);
    expect(api?.authorizationDetailsTypes).toContain(PURCHASE_AUTHORIZATION_DETAILS_TYPE);
  });

  it("lists the parts it does not model, and assumes nothing", () => {
    const report = loadTenantReport();
    expect(report.ignored).toEqual([
      'clients[0] ("Shopping agent"): description, jwt_configuration',
      'clients[1] ("Back-office service"): description, jwt_configuration',
      'resourceServers[0] ("Sample Shop API"): signing_alg',
    ]);
    expect(report.notices).toEqual([]);
    expect(report.warnings).toEqual([]);
  });

  it("reads the same tenant from an a0deploy directory export", () => {
    const fromDirectory = loadTenantReport({
      tenant: fixture("directory-export-tenant"),
      users: path.join(AUTH0_DIR, "users.json"),
      settings: path.join(AUTH0_DIR, "mock-auth0.json"),
    });
    const byName = <T extends { name: string }>(list: readonly T[]) =>
      [...list].sort((a, b) => a.name.localeCompare(b.name));
    const fromYaml = loadTenant();
    expect({ ...fromDirectory.tenant, clients: byName(fromDirectory.tenant.clients) }).toEqual({
      ...fromYaml,
      clients: byName(fromYaml.clients),
    });
    expect(fromDirectory.ignored).toEqual([
      "rules/ (not read)",
      'clients[0] ("Back-office service"): description, jwt_configuration',
      'clients[1] ("Shopping agent"): description, jwt_configuration',
      'resourceServers[0] ("Sample Shop API"): signing_alg',
    ]);
  });

  it("names a problem in a directory export by the asset's own file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "export-"));
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    cpSync(fixture("directory-export-tenant"), dir, { recursive: true });
    const file = path.join(dir, "resource-servers", "Sample Shop API.json");
    const api = JSON.parse(readFileSync(file, "utf8")) as { scopes: object[] };
    writeFileSync(file, JSON.stringify({ ...api, scopes: [{ description: "no value" }] }));
    expect(problemsOf({ tenant: dir, settings: path.join(AUTH0_DIR, "mock-auth0.json") })).toEqual([
      `${file}: scopes[0].value: a scope needs "value"`,
    ]);
  });
});

describe("Deploy CLI files with mistakes", () => {
  it("stops at typos, naming the file and each path in it", () => {
    const file = writeTenant({
      yaml: `
clients:
  - name: Agent
    grant_types:
      - client_credentials
      - urn:openid:params:grant-type:cibaa
    async_approval_notification_channels: [guardian-push, sms]
    token_endpoint_auth_method: private_key_jwt
resourceServers:
  - name: API
    identifier: https://api.example.com/
    scopes:
      - description: no value
resourceServer: []
`,
      users: ONE_USER,
    });
    // The file is outside the working folder: named whole, not "../../tmp/...".
    const shown = path.resolve(file);
    expect(path.relative(process.cwd(), shown)).toMatch(/^\.\./);
    expect(problemsOf(file)).toEqual([
      `${shown}: resourceServer: unknown property (the Deploy CLI's schema does not allow it here)`,
      `${shown}: clients[0].async_approval_notification_channels[1]: must be one of "guardian-push", "email"`,
      `${shown}: clients[0].grant_types[1]: unknown grant type "urn:openid:params:grant-type:cibaa"`,
      `${shown}: clients[0].token_endpoint_auth_method: must be none, client_secret_post or client_secret_basic (Private Key JWT and mTLS are set with client_authentication_methods and token_endpoint_auth_method: null)`,
      `${shown}: resourceServers[0].scopes[0].value: a scope needs "value"`,
    ]);
  });

  it("checks what refers to what, and Auth0's rules for CIBA clients", () => {
    const file = writeTenant({
      yaml: `
clients:
  - name: SPA
    app_type: spa
    grant_types: [urn:openid:params:grant-type:ciba]
    callbacks: ["not a url", "https://*.example.com/callback", "javascript://x/%0aalert(1)", "com.example.app:/oauth2redirect"]
  - name: Third party
    is_first_party: false
    grant_types: [urn:openid:params:grant-type:ciba]
clientGrants:
  - client_id: Nobody
    audience: https://api.example.com/
  - client_id: Third party
    audience: https://elsewhere.example.com/
  - client_id: Third party
    audience: https://api.example.com/
    scope: [thing:undo]
    authorization_details_types: [payment]
  - client_id: Third party
    audience: https://tenant.eu.auth0.com/api/v2/
resourceServers:
  - name: API
    identifier: https://api.example.com/
    scopes:
      - value: thing:do
`,
      users: ONE_USER,
      settings: {
        clients: { Unknown: { client_id: "x" } },
        guardian: { pushEnrolled: ["auth0|u1", "u1"] },
      },
    });
    const at = (where: string) => `${file}: ${where}`;
    const settings = path.join(path.dirname(file), "mock-auth0.json");
    expect(problemsOf(file)).toEqual([
      `${settings}: clients.Unknown: the tenant has no client named "Unknown"`,
      at(
        "clients[0].grant_types: the CIBA grant needs a confidential client: token_endpoint_auth_method must not be none (https://auth0.com/docs/get-started/applications/configure-client-initiated-backchannel-authentication)",
      ),
      at('clients[0].callbacks[0]: "not a url" is not a URL'),
      at(
        'clients[0].callbacks[2]: "javascript://x/%0aalert(1)": a javascript: URL cannot receive a redirect; use an http(s) URL or a native app\'s custom scheme',
      ),
      at(
        "clients[1].is_first_party: the CIBA grant needs a first-party client (https://auth0.com/docs/get-started/applications/configure-client-initiated-backchannel-authentication)",
      ),
      at(
        'clientGrants[0].client_id: no client is named "Nobody" (a grant names its client by name)',
      ),
      at(
        'clientGrants[1].audience: no API (resourceServers) has the identifier "https://elsewhere.example.com/"',
      ),
      at(
        'clientGrants[2].scope[0]: scope "thing:undo" is not defined on API https://api.example.com/',
      ),
      at(
        'clientGrants[2].authorization_details_types[0]: authorization_details type "payment" is not registered on API https://api.example.com/',
      ),
      `${settings}: guardian.pushEnrolled[1]: no user has the id "u1" (ids are auth0|<user_id>)`,
    ]);
  });

  it("refuses a token_dialect Auth0 does not have, naming the four it has", () => {
    const file = writeTenant({
      yaml: `${CIBA_CLIENT}    token_dialect: rfc9068\n`,
      users: ONE_USER,
    });
    expect(problemsOf(file)).toEqual([
      `${file}: resourceServers[0].token_dialect: must be one of access_token, access_token_authz, rfc9068_profile, rfc9068_profile_authz (https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles)`,
    ]);
  });

  it("names a keyword with no value by its line, and bad YAML by its place", () => {
    const file = writeTenant({
      yaml: "clients:\n  - name: Agent\n    callbacks: @@CALLBACKS@@\n    logo_uri: ##LOGO##\n",
      settings: { keywords: { OTHER: "x" } },
    });
    // The file is outside the working folder: named whole, not "../../tmp/...".
    const shown = path.resolve(file);
    expect(path.relative(process.cwd(), shown)).toMatch(/^\.\./);
    expect(problemsOf(file)).toEqual([
      `${shown}:3: keyword @@CALLBACKS@@ has no value: add CALLBACKS to "keywords" in mock-auth0.json (the Deploy CLI's AUTH0_KEYWORD_REPLACE_MAPPINGS)`,
      `${shown}:4: keyword ##LOGO## has no value: add LOGO to "keywords" in mock-auth0.json (the Deploy CLI's AUTH0_KEYWORD_REPLACE_MAPPINGS)`,
    ]);
    const broken = writeTenant({ yaml: "clients:\n  - name: [unclosed\n" });
    expect(problemsOf(broken)[0]).toMatch(/tenant\.yaml: not valid YAML: .*\(3:1\)/);
    expect(problemsOf(path.join(tmpdir(), "no-such-tenant.yaml"))[0]).toMatch(
      /no-such-tenant\.yaml: cannot read the tenant file/,
    );
    // A settings file named and missing is the one problem: the tenant's keywords are its, and
    // each was named as missing after it.
    const missing = path.join(tmpdir(), "no-such-settings.json");
    expect(problemsOf({ tenant: file, settings: missing })).toEqual([
      `${missing}: cannot read the settings file: ENOENT: no such file or directory, open '${missing}'`,
    ]);
  });

  it("replaces keywords as the Deploy CLI does: ##KEY## as text, @@KEY@@ as JSON", () => {
    const file = writeTenant({
      yaml: CIBA_CLIENT.replace(
        "    app_type: regular_web",
        "    app_type: regular_web\n    callbacks: @@CALLBACKS@@\n    description: '##APP## agent'",
      ),
      users: ONE_USER,
      settings: {
        keywords: {
          CALLBACKS: ["https://app.example.com/cb", "https://app.example.com/cb2"],
          APP: "Shop",
        },
      },
    });
    const sources = readTenantSources({ tenant: file });
    expect((sources.assets.clients as object[])[0]).toMatchObject({
      callbacks: ["https://app.example.com/cb", "https://app.example.com/cb2"],
      description: "Shop agent",
    });
  });
});

describe("API settings that change Auth0's answer", () => {
  const apis = (...settings: string[]) =>
    `${CIBA_CLIENT.replace(/resourceServers:[\s\S]*/, "resourceServers:\n")}${settings
      .map(
        (setting, i) =>
          `  - name: API ${i}\n    identifier: https://api${i}.example.com/\n    ${setting}\n`,
      )
      .join("")}`;

  it("maps token_dialect to the access token profile: RFC 9068's for rfc9068_profile, else Auth0's", () => {
    const file = writeTenant({
      yaml: apis(
        "token_dialect: access_token",
        "token_dialect: rfc9068_profile",
        "scopes: []",
        "token_dialect: rfc9068_profile_authz",
      ),
      users: ONE_USER,
    });
    const report = loadTenantReport(file);
    expect(report.tenant.apis.map((api) => api.accessTokenProfile)).toEqual([
      "auth0",
      "rfc9068",
      "auth0",
      "rfc9068",
    ]);
    expect(report.ignored).toEqual([]);
  });

  it("warns at start, one warning per API and setting, of RBAC, the _authz dialects and CIBA's unsupported consent policy", () => {
    const file = writeTenant({
      yaml: apis(
        "enforce_policies: true",
        "token_dialect: access_token_authz",
        "consent_policy: transactional-authorization-with-mfa",
        "enforce_policies: false",
        "consent_policy: null",
      ),
      users: ONE_USER,
    });
    const report = loadTenantReport(file);
    expect(report.warnings).toEqual([
      'API "API 0" (https://api0.example.com/): enforce_policies (RBAC) is not modelled: Auth0 would grant only the scopes the person\'s roles give; mock-auth0 grants every scope asked for. Test what depends on roles against a real tenant, or set enforce_policies: false (https://auth0.com/docs/get-started/apis/enable-role-based-access-control-for-apis).',
      'API "API 1" (https://api1.example.com/): token_dialect access_token_authz is served as access_token: Auth0 would add a permissions claim with the permissions of the person\'s roles; mock-auth0 adds none. Authorize on the scope claim, or test permissions against a real tenant (https://auth0.com/docs/get-started/apis/enable-role-based-access-control-for-apis).',
      'API "API 2" (https://api2.example.com/): consent_policy transactional-authorization-with-mfa is not modelled: Auth0 does not support CIBA for an API with this consent policy; mock-auth0 serves CIBA for it as usual. Remove consent_policy from an API that CIBA clients use (https://auth0.com/docs/get-started/apis/configure-rich-authorization-requests).',
    ]);
    // Read, so not among the parts listed as not modelled at debug level.
    expect(report.ignored).toEqual([]);
  });
});

describe("users.json (Auth0's bulk user import format)", () => {
  it("makes auth0|<user_id> the user id, as Auth0's import does, and checks the schema", () => {
    const file = writeTenant({
      yaml: CIBA_CLIENT,
      users: [
        { user_id: "a", email: "a@example.com", given_name: "Ann", family_name: "Example" },
        {
          user_id: "google-oauth2|123",
          email: "b@example.com",
          email_verified: true,
          nickname: "bee",
          picture: "https://example.com/b.png",
        },
        { email: "c@example.com" },
      ],
    });
    const tenant = loadTenant(file);
    expect(tenant.users).toEqual([
      {
        sub: "auth0|a",
        name: "Ann Example",
        nickname: "a",
        // Auth0's default picture: the Gravatar, else the initials.
        picture: expect.stringMatching(
          /^https:\/\/s\.gravatar\.com\/avatar\/[0-9a-f]{32}\?s=480&r=pg&d=https%3A%2F%2Fcdn\.auth0\.com%2Favatars%2Fae\.png$/,
        ),
        givenName: "Ann",
        familyName: "Example",
        email: "a@example.com",
        emailVerified: false,
        pushEnrolled: true,
      },
      {
        sub: "auth0|google-oauth2|123",
        name: "bee",
        nickname: "bee",
        picture: "https://example.com/b.png",
        givenName: undefined,
        familyName: undefined,
        email: "b@example.com",
        emailVerified: true,
        pushEnrolled: true,
      },
      expect.objectContaining({ sub: expect.stringMatching(/^auth0\|[0-9a-f]{24}$/) }),
    ]);

    const bad = writeTenant({
      yaml: CIBA_CLIENT,
      users: [
        { user_id: "a", email: "not-an-email", pushEnrolled: true },
        { user_id: "b", email: "b@example.com", app_metadata: { email: "x" } },
      ],
    });
    const users = path.join(path.dirname(bad), "users.json");
    expect(problemsOf(bad)).toEqual([
      `${users}: [0].pushEnrolled: unknown property (Auth0's import schema does not allow it here)`,
      `${users}: [0].email: must match format "email"`,
    ]);
  });

  it("refuses reserved app_metadata and two users with one id", () => {
    const file = writeTenant({
      yaml: CIBA_CLIENT,
      users: [
        { user_id: "a", email: "a@example.com", app_metadata: { email: "x" } },
        { user_id: "a", email: "b@example.com" },
      ],
    });
    const users = path.join(path.dirname(file), "users.json");
    expect(problemsOf(file)).toEqual([
      `${users}: [0].app_metadata.email: Auth0 does not allow this property in app_metadata`,
    ]);
    const twice = writeTenant({
      yaml: CIBA_CLIENT,
      users: [
        { user_id: "a", email: "a@example.com" },
        { user_id: "a", email: "b@example.com" },
        { user_id: "auth0|b", email: "c@example.com" },
      ],
    });
    const shown = path.join(path.dirname(twice), "users.json");
    expect(problemsOf(twice)).toEqual([
      `${shown}: [2].user_id: Auth0's import adds the auth0| prefix itself (https://auth0.com/docs/manage-users/user-migration/bulk-user-imports): write "b"`,
    ]);
    const again = writeTenant({
      yaml: CIBA_CLIENT,
      users: [
        { user_id: "a", email: "a@example.com" },
        { user_id: "a", email: "b@example.com" },
      ],
    });
    expect(problemsOf(again)).toEqual([
      `${path.join(path.dirname(again), "users.json")}: [1].user_id: a second user with the id auth0|a`,
    ]);
  });
});

describe("an a0deploy export with nothing beside it", () => {
  it("runs, with credentials derived from each client's name, push on, and says so", () => {
    const file = writeTenant({ yaml: CIBA_CLIENT });
    const report = loadTenantReport(file);
    const derived = derivedCredentials("Agent");
    expect(derived).toEqual(derivedCredentials("Agent"));
    expect(derived.clientId).toMatch(/^[0-9a-f]{32}$/);
    expect(derived.clientSecret).toHaveLength(64);
    expect(report.tenant.clients[0]).toMatchObject({
      name: "Agent",
      clientId: derived.clientId,
      clientSecret: derived.clientSecret,
      notificationChannels: ["guardian-push"],
    });
    expect(report.tenant.users).toEqual([]);
    expect(report.tenant.guardianPushEnabled).toBe(true);
    expect(report.tenant.ciba.intervalSeconds).toBe(5);
    expect(report.notices).toEqual([
      `client "Agent": client_id ${derived.clientId}, client_secret ${derived.clientSecret} (derived from its name; set them in mock-auth0.json "clients")`,
      "guardianFactors does not say whether push-notification is enabled: mock-auth0 treats Guardian push as enabled",
      expect.stringMatching(
        /^no settings file \(.*mock-auth0\.json\): mock-auth0\.json's defaults apply$/,
      ),
    ]);
    expect(report.warnings).toEqual([expect.stringMatching(/^no users file .*MOCK_AUTH0_USERS/)]);
  });

  it("lists the sections it does not model", () => {
    const file = writeTenant({
      yaml: `${CIBA_CLIENT}connections:\n  - name: db\n    strategy: auth0\nrules: []\n`,
      users: ONE_USER,
    });
    expect(loadTenantReport(file).ignored).toEqual([
      "connections (not modelled)",
      "rules (not modelled)",
    ]);
  });
});

describe("mock-auth0.json", () => {
  it("extends another settings file: objects merge, the rest replaces", () => {
    const tenant = loadTenant({
      tenant: DEFAULT_TENANT_FILE,
      settings: fixture("strict-tenant.mock-auth0.json"),
    });
    expect(tenant.name).toBe("ciba-testbed-strict");
    expect(tenant.ciba).toMatchObject({
      intervalSeconds: 0.2,
      maxExpiresInSeconds: 60,
      slowDownIncrementSeconds: 1,
      enforcedIntervalSeconds: 1,
    });
    expect(tenant.clients[0]?.clientId).toBe("ciba-testbed-agent");
  });

  it("names the files a problem may come from when one extends another, and refuses a loop", () => {
    const file = writeTenant({
      yaml: CIBA_CLIENT,
      users: ONE_USER,
      settings: { extends: "base.json" },
    });
    const dir = path.dirname(file);
    writeFileSync(path.join(dir, "base.json"), JSON.stringify({ ciba: { intervalSeconds: -1 } }));
    const shown = (name: string) => path.join(dir, name);
    expect(problemsOf(file)).toEqual([
      `${shown("mock-auth0.json")} (with ${shown("base.json")}): ciba.intervalSeconds: Number must be greater than 0`,
    ]);
    writeFileSync(path.join(dir, "base.json"), JSON.stringify({ extends: "mock-auth0.json" }));
    expect(problemsOf(file)).toEqual([
      `${shown("mock-auth0.json")}: "extends" makes a loop: ${shown("mock-auth0.json")} -> ${shown("base.json")}`,
    ]);
  });

  it("names every problem with its path", () => {
    const file = writeTenant({
      yaml: CIBA_CLIENT,
      users: ONE_USER,
      settings: { ciba: { intervalSeconds: 0 }, approver: { default: "sometimes" }, extra: true },
    });
    const settings = path.join(path.dirname(file), "mock-auth0.json");
    expect(problemsOf(file)).toEqual([
      `${settings}: ciba.intervalSeconds: Number must be greater than 0`,
      `${settings}: approver.default: "sometimes" is not an approver outcome: use one of manual, approve, deny, ignore, approve-after:<ms>, deny-after:<ms>, expire-after:<ms> (<ms>: 0 to 999999999, whole milliseconds)`,
      `${settings}: extra: unknown property`,
    ]);
  });

  it("refuses approver rules that can never match the tenant, as the control API does", () => {
    const rules = [
      { when: { user: "u1" }, outcome: "deny" },
      { when: { clientId: "agent" }, outcome: "deny" },
      { when: { audience: "https://api.example.com" }, outcome: "deny" },
      { when: { bindingMessage: ".*" }, outcome: "deny" },
      { when: { bindingMessage: "t\u00e9l\u00e9phone" }, outcome: "deny" },
    ];
    const file = writeTenant({
      yaml: CIBA_CLIENT,
      users: ONE_USER,
      settings: { approver: { default: "manual", rules } },
    });
    const settings = path.join(path.dirname(file), "mock-auth0.json");
    const problems = problemsOf(file);
    expect(problems).toEqual([
      `${settings}: approver.rules[0].when.user: "u1" is not in this tenant, so the rule never matches; did you mean "auth0|u1"?`,
      expect.stringMatching(
        /approver\.rules\[1\]\.when\.clientId: "agent" is not in this tenant, so the rule never matches; the tenant has "[^"]+"$/,
      ),
      `${settings}: approver.rules[2].when.audience: "https://api.example.com" is not in this tenant, so the rule never matches; the tenant has "https://api.example.com/"`,
      `${settings}: approver.rules[3].when: names only bindingMessage ".*", which is found in every message, so it matches every request and no later rule or the default is ever used; make it the default instead`,
      `${settings}: approver.rules[4].when.bindingMessage: "t\\u{00E9}l\\u{00E9}phone" needs \\u{00E9}, a character no binding_message holds (Auth0 allows only A-Z, a-z, 0-9, spaces and +-_.,:#), so the rule never matches; write it as the agent's message does: "telephone"`,
    ]);

    const [client] = loadTenant(writeTenant({ yaml: CIBA_CLIENT, users: ONE_USER })).clients;
    const fixed = writeTenant({
      yaml: CIBA_CLIENT,
      users: ONE_USER,
      settings: {
        approver: {
          default: "manual",
          rules: [
            { when: { user: "auth0|u1", clientId: client?.clientId }, outcome: "deny" },
            {
              when: { audience: "https://api.example.com/", bindingMessage: ".*" },
              outcome: "deny",
            },
          ],
        },
      },
    });
    expect(loadTenant(fixed).approver.rules).toHaveLength(2);
    // With no users file, a rule naming a user can never match either.
    const noUsers = writeTenant({
      yaml: CIBA_CLIENT,
      settings: { approver: { default: "manual", rules: [rules[0]] } },
    });
    expect(problemsOf(noUsers)).toEqual([
      `${path.join(path.dirname(noUsers), "mock-auth0.json")}: approver.rules[0].when.user: "u1" is not in this tenant, so the rule never matches; the tenant has none`,
    ]);
  });

  it("has a JSON Schema for editors that is generated from its zod schema and up to date", () => {
    // Compared as JSON: the committed file is formatted by Prettier.
    expect(
      JSON.parse(readFileSync(SETTINGS_JSON_SCHEMA_FILE, "utf8")),
      "run: pnpm --filter @ciba-testbed/mock-auth0 settings-schema",
    ).toEqual(JSON.parse(settingsJsonSchemaText()));
  });
});
