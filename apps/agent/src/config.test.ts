import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { ConfigError, LOCAL_DEFAULTS } from "@ciba-testbed/shared";
import { describe, expect, it, onTestFinished } from "vitest";

import { AgentConfigError, loadConfig, REPO_ROOT, readEnvironment } from "./config.js";

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

function problemsOf(run: () => unknown): readonly string[] {
  return configErrorOf(run).problems;
}

describe("loadConfig", () => {
  it("runs the local demo with no variables at all", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      auth0: {
        domain: "localhost:4010",
        clientId: LOCAL_DEFAULTS.clientId,
        clientSecret: LOCAL_DEFAULTS.clientSecret,
      },
      userId: "auth0|testbed-user",
      audience: "sample-shop-api",
      shopApiUrl: "http://localhost:4020/api/purchases",
      mode: "block",
      requestedExpiry: 300,
      model: { kind: "offline" },
    });
    expect(config.store).toEqual({ kind: "file", dir: path.join(REPO_ROOT, ".agent-store") });
  });

  it.each(["127.0.0.2:4010", "[::1]:4010"])(
    "takes a tenant on another loopback address, %s, as the local tenant, with its client",
    (domain) => {
      expect(loadConfig({ AUTH0_DOMAIN: domain }).auth0).toEqual({
        domain,
        clientId: LOCAL_DEFAULTS.clientId,
        clientSecret: LOCAL_DEFAULTS.clientSecret,
      });
    },
  );

  it("treats an empty variable as unset, as `X=` in .env means", () => {
    const blank = loadConfig({
      AUTH0_DOMAIN: "",
      AUTH0_CLIENT_ID: "",
      AGENT_USER_ID: " ",
      SHOP_API_URL: "",
      SHOP_API_AUDIENCE: "",
      AGENT_MODE: "",
      AGENT_STORE: "",
      AGENT_MODEL: "",
      OPENAI_API_KEY: "",
    });
    expect(blank).toEqual(loadConfig({}));
  });

  it("resolves a relative AGENT_STORE from where the command was run", () => {
    const dirOf = (env: Record<string, string>) => {
      const { store } = loadConfig(env);
      return store.kind === "file" ? store.dir : store.kind;
    };
    expect(dirOf({ AGENT_STORE: "my-store", INIT_CWD: "/home/me/work" })).toBe(
      path.resolve("/home/me/work", "my-store"),
    );
    expect(dirOf({ AGENT_STORE: "my-store" })).toBe(path.resolve("my-store"));
    expect(dirOf({ AGENT_STORE: "/abs/store", INIT_CWD: "/x" })).toBe("/abs/store");
  });

  it("reads a Redis AGENT_STORE: host, port (6379 by default), database, TLS, credentials", () => {
    expect(loadConfig({ AGENT_STORE: "redis://127.0.0.1:6390/3" }).store).toEqual({
      kind: "redis",
      redis: {
        url: "redis://127.0.0.1:6390/3",
        host: "127.0.0.1",
        port: 6390,
        db: 3,
        tls: false,
        username: undefined,
        hasPassword: false,
        display: "redis://127.0.0.1:6390/3",
      },
    });
    expect(loadConfig({ AGENT_STORE: " rediss://agent:s3cret@cache.example:6380 " }).store).toEqual(
      {
        kind: "redis",
        redis: {
          url: "rediss://agent:s3cret@cache.example:6380",
          host: "cache.example",
          port: 6380,
          db: 0,
          tls: true,
          username: "agent",
          hasPassword: true,
          display: "rediss://agent:***@cache.example:6380",
        },
      },
    );
    expect(loadConfig({ AGENT_STORE: "redis://[::1]/0" }).store).toMatchObject({
      redis: { host: "::1", port: 6379, db: 0 },
    });
  });

  it.each([
    ["redis://localhost:6379/x", 'has the database "x"; the path is a database number'],
    ["redis://localhost:6379/0/1", 'has the database "0/1"'],
    ["redis://localhost:6379/0?family=6", "takes no query or fragment"],
    ["redis://:6379/0", "is not a valid URL"],
    ["redis://localhost:99999/0", "is not a valid URL"],
    [
      "postgres://localhost/agent",
      "is a postgres:// URL; the agent's stores are a directory or a Redis URL",
    ],
  ])("refuses the AGENT_STORE %s, naming the variable", (value, problem) => {
    expect(() => loadConfig({ AGENT_STORE: value })).toThrow(ConfigError);
    expect(() => loadConfig({ AGENT_STORE: value })).toThrow(`AGENT_STORE ${problem}`);
  });

  it("never shows a Redis password in a configuration error", () => {
    const attempt = () => loadConfig({ AGENT_STORE: "redis://agent:s3cret@localhost:6379/x" });
    expect(attempt).toThrow('(got "redis://***@localhost:6379/x")');
    expect(attempt).not.toThrow("s3cret");
    // Not URL-encoded: the password's own @, / and : are hidden with the rest of it.
    const unencoded = () =>
      loadConfig({ AGENT_STORE: "redis://:p@ss:w/rd%secret@127.0.0.1:6379/x" });
    expect(unencoded).toThrow('(got "redis://***@127.0.0.1:6379/x")');
    expect(unencoded).not.toThrow("secret");
  });

  it.each([
    ["redis://:ab@cd/SECRETPART@127.0.0.1:5145/0", "SECRETPART", "redis://***@127.0.0.1:5145/0"],
    ["redis://:p@ss/w?rd@127.0.0.1:5145/0", "w", "redis://***"],
    ["redis://u:p#ss@127.0.0.1:5145/0", "ss", "redis://***@127.0.0.1:5145/0"],
  ])(
    "quotes no part of a password whose / ? or # ends the URL's authority early (%s)",
    (value, secret, shown) => {
      const problems = problemsOf(() => loadConfig({ AGENT_STORE: value }));
      expect(problems).toEqual([
        `AGENT_STORE has a "/", "?" or "#" before its last "@", which ends the user name and password there; percent-encode them in the password (/ as %2F, ? as %3F, # as %23, @ as %40), e.g. redis://:p%40ss%2Fword@localhost:6379/0 (got "${shown}")`,
      ]);
      expect(problems[0]!.replace(/ \(got .*$/, "")).not.toContain(`"${secret}`);
    },
  );

  it("trusts the local CA where MOCK_AUTH0_CERT_DIR puts it", () => {
    expect(loadConfig({ MOCK_AUTH0_CERT_DIR: "/tmp/certs" }).localCaFile).toBe(
      path.join("/tmp/certs", "ca.pem"),
    );
    expect(loadConfig({}).localCaFile).toBe(path.join(REPO_ROOT, ".certs", "ca.pem"));
  });

  it("lets the command line override the environment", () => {
    const config = loadConfig(
      { AGENT_USER_ID: "auth0|a", AGENT_MODE: "block" },
      { user: "auth0|b", mode: "interrupt", expiry: "3" },
    );
    expect(config).toMatchObject({ userId: "auth0|b", mode: "interrupt", requestedExpiry: 3 });
  });

  it("sends authorization_details unless AGENT_AUTHORIZATION_DETAILS is false, and takes nothing else", () => {
    expect(loadConfig({}).authorizationDetails).toBe(true);
    expect(loadConfig({ AGENT_AUTHORIZATION_DETAILS: "true" }).authorizationDetails).toBe(true);
    expect(loadConfig({ AGENT_AUTHORIZATION_DETAILS: "false" }).authorizationDetails).toBe(false);
    expect(problemsOf(() => loadConfig({ AGENT_AUTHORIZATION_DETAILS: "no" }))).toEqual([
      `AGENT_AUTHORIZATION_DETAILS must be 'true' or 'false' (got "no")`,
    ]);
  });

  it("lists every problem, naming each variable and its option", () => {
    const problems = problemsOf(() =>
      loadConfig(
        {
          AUTH0_DOMAIN: "https://tenant.auth0.com/",
          SHOP_API_URL: "not a url",
          AGENT_REQUESTED_EXPIRY: "0",
        },
        { mode: "later" },
      ),
    );
    expect(problems.map((problem) => problem.split(" ")[0])).toEqual([
      "AUTH0_DOMAIN",
      "SHOP_API_URL",
      "AGENT_MODE",
      "AGENT_REQUESTED_EXPIRY",
    ]);
    expect(problems[2]).toContain("(or --mode)");
  });

  it("says how to write a shop URL given without http:// or https://", () => {
    // `localhost:4520` is a URL to zod (scheme "localhost:"): it once exited 2 with no message.
    expect(
      problemsOf(() =>
        loadConfig({
          SHOP_API_URL: "localhost:4520",
          SHOP_CATALOG_URL: "shop.example.com/api/products",
          OPENAI_BASE_URL: "127.0.0.1:11434",
        }),
      ),
    ).toEqual([
      'SHOP_API_URL must start with http:// or https://: write it as http://localhost:4520/api/purchases (or https:// for TLS) (got "localhost:4520")',
      'SHOP_CATALOG_URL must start with http:// or https://: write it as http://shop.example.com/api/products (or https:// for TLS) (got "shop.example.com/api/products")',
      'OPENAI_BASE_URL must start with http:// or https://: write it as http://127.0.0.1:11434/v1 (or https:// for TLS) (got "127.0.0.1:11434")',
    ]);
    // fetch refuses a URL with credentials, and a message would have shown the password.
    const withCredentials = problemsOf(() =>
      loadConfig({
        SHOP_API_URL: "http://u:hunter2@127.0.0.1:4020/api/purchases",
        OPENAI_BASE_URL: "http://u:hunter2@127.0.0.1:4030/v1",
      }),
    );
    expect(withCredentials).toEqual([
      'SHOP_API_URL must not hold a user name or password (user:password@): fetch refuses such a URL; send credentials another way (OPENAI_API_KEY for a model server) (got "http://***@127.0.0.1:4020/api/purchases")',
      'OPENAI_BASE_URL must not hold a user name or password (user:password@): fetch refuses such a URL; send credentials another way (OPENAI_API_KEY for a model server) (got "http://***@127.0.0.1:4030/v1")',
    ]);
    expect(problemsOf(() => loadConfig({ SHOP_API_URL: "ftp://shop/api/purchases" }))).toEqual([
      'SHOP_API_URL must be an http:// or https:// URL such as http://localhost:4020/api/purchases (got "ftp://shop/api/purchases")',
    ]);
  });

  it("requires the client secret for a real tenant", () => {
    const problems = problemsOf(() =>
      loadConfig({ AUTH0_DOMAIN: "acme.us.auth0.com", AUTH0_CLIENT_ID: "abc" }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^AUTH0_CLIENT_SECRET is required/);
  });

  it("reports a domain written as a URL alone, without asking for credentials it may not need", () => {
    for (const domain of [
      "https://localhost:4010",
      "localhost:4010/",
      "https://acme.us.auth0.com",
    ]) {
      const problems = problemsOf(() => loadConfig({ AUTH0_DOMAIN: domain }));
      expect(problems, domain).toHaveLength(1);
      expect(problems[0]).toMatch(/^AUTH0_DOMAIN must be a bare host\[:port\]/);
    }
  });

  it("uses OpenAI with a key: the Responses API, or Chat Completions for a compatible server", () => {
    expect(loadConfig({ OPENAI_API_KEY: "sk-1" }).model).toEqual({
      kind: "openai",
      apiKey: "sk-1",
      baseURL: undefined,
      api: "responses",
      name: "gpt-4o-mini",
    });
    expect(
      loadConfig(
        { OPENAI_API_KEY: "sk-1", OPENAI_BASE_URL: "http://localhost:11434/v1" },
        { model: "llama3.2" },
      ).model,
    ).toMatchObject({ api: "chat", name: "llama3.2", baseURL: "http://localhost:11434/v1" });
    // Without a key the offline model answers; the server is kept to say it is not used.
    expect(loadConfig({ OPENAI_BASE_URL: "http://localhost:11434/v1" }).model).toEqual({
      kind: "offline",
      unusedBaseURL: "http://localhost:11434/v1",
    });
  });
});

describe("readEnvironment", () => {
  it("reads .env but never overrides the real environment", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "agent-env-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, ".env");
    await writeFile(file, "AGENT_USER_ID=auth0|from-file\nAGENT_MODE=interrupt\n");

    const env = readEnvironment({ AGENT_USER_ID: "auth0|from-env" }, file);

    expect(env).toMatchObject({ AGENT_USER_ID: "auth0|from-env", AGENT_MODE: "interrupt" });
    expect(readEnvironment({ A: "1" }, path.join(dir, "missing"))).toEqual({ A: "1" });
  });
});

describe("the fix of a configuration error", () => {
  function fixOf(run: () => unknown): string {
    const error = configErrorOf(run);
    if (error instanceof AgentConfigError) return error.fix;
    throw error;
  }

  it.each([
    [
      { AGENT_MODE: "Block" },
      "Set AGENT_MODE to block or interrupt, in lower case, or unset it for block.",
    ],
    [
      { AGENT_REQUESTED_EXPIRY: "0" },
      "Give AGENT_REQUESTED_EXPIRY a whole number of seconds from 1 to 259200 (up to 300 Auth0 pushes to the phone, above it emails), or unset it for 300.",
    ],
    [
      { AGENT_AUTHORIZATION_DETAILS: "yes" },
      "Set AGENT_AUTHORIZATION_DETAILS to true or false, in lower case, or unset it for true.",
    ],
    [
      { AUTH0_DOMAIN: "https://acme.us.auth0.com/" },
      "Set AUTH0_DOMAIN to acme.us.auth0.com, or unset it for the local tenant (localhost:4010).",
    ],
    [
      { AUTH0_DOMAIN: "acme tenant" },
      "Set AUTH0_DOMAIN to the tenant's domain alone, as the Auth0 dashboard shows it (your-tenant.us.auth0.com), or unset it for the local tenant (localhost:4010).",
    ],
    [
      { AUTH0_DOMAIN: "acme.us.auth0.com", AUTH0_CLIENT_ID: "abc" },
      "Set AUTH0_CLIENT_SECRET to the Client Secret of the tenant's CIBA application (Auth0 dashboard, Applications, its Settings), or unset AUTH0_DOMAIN for the local tenant.",
    ],
    [
      { SHOP_API_URL: "localhost:4520" },
      "Set SHOP_API_URL to http://localhost:4520/api/purchases, or unset it for the local shop.",
    ],
    [
      { SHOP_CATALOG_URL: "ftp://shop/products" },
      "Set SHOP_CATALOG_URL to an http:// or https:// URL such as http://localhost:4020/api/products, or unset it for the catalog beside SHOP_API_URL.",
    ],
    [
      { OPENAI_BASE_URL: "http://u:hunter2@127.0.0.1:4030/v1" },
      "Set OPENAI_BASE_URL to http://127.0.0.1:4030/v1 (credentials another way), or unset it for OpenAI's API.",
    ],
    [
      { AGENT_STORE: "redis://:x" },
      "Set AGENT_STORE to a Redis URL such as redis://localhost:6379/0 (a /, ?, # or @ in its password percent-encoded: %2F, %3F, %23, %40), or to a directory, or unset it for <repo>/.agent-store.",
    ],
    [
      { OPENAI_API: "completions" },
      "Set OPENAI_API to responses or chat, or unset it (responses for OpenAI, chat for a server OPENAI_BASE_URL names).",
    ],
  ])("%j names what to set", (env, fix) => {
    expect(fixOf(() => loadConfig(env))).toBe(fix);
  });

  it("names both client credentials once, when both are missing", () => {
    const problems = problemsOf(() => loadConfig({ AUTH0_DOMAIN: "acme.us.auth0.com" }));
    expect(problems).toHaveLength(2);
    expect(fixOf(() => loadConfig({ AUTH0_DOMAIN: "acme.us.auth0.com" }))).toMatch(
      /^Set AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET to [^;]*\.$/,
    );
  });

  it("names the option the person typed, not the variable it overrides", () => {
    expect(fixOf(() => loadConfig({}, { expiry: "0" }))).toBe(
      "Give --expiry a whole number of seconds from 1 to 259200 (up to 300 Auth0 pushes to the phone, above it emails), or leave it out for AGENT_REQUESTED_EXPIRY's (by default 300).",
    );
  });

  it("clears every problem in one sentence, each variable's fix once", () => {
    const fix = fixOf(() =>
      loadConfig({ SHOP_API_URL: "localhost:4520", AGENT_MODE: "later" }, { expiry: "0" }),
    );
    expect(fix.split("; ")).toEqual([
      "Set SHOP_API_URL to http://localhost:4520/api/purchases, or unset it for the local shop",
      "set AGENT_MODE to block or interrupt, in lower case, or unset it for block",
      "give --expiry a whole number of seconds from 1 to 259200 (up to 300 Auth0 pushes to the phone, above it emails), or leave it out for AGENT_REQUESTED_EXPIRY's (by default 300).",
    ]);
  });
});

describe("an OPENAI_API_KEY that no HTTP request can carry", () => {
  it.each([
    ["sk-a\nb", "a line break at character 5"],
    ["sk-\0b", "a NUL character at character 4"],
    ["sk-€b", "a character no HTTP header can carry (U+20AC) at character 4"],
  ])("%j is refused without showing the key", (key, what) => {
    const error = configErrorOf(() => loadConfig({ OPENAI_API_KEY: key }));

    expect(error.problems).toEqual([
      `OPENAI_API_KEY holds ${what}, which fetch cannot send: it was copied with something else (got ${String(key.length)} characters, not shown)`,
    ]);
    if (!(error instanceof AgentConfigError)) throw error;
    expect(error.fix).toBe(
      "Copy the key again, alone (no line breaks or other text with it), or unset OPENAI_API_KEY for the built-in offline model.",
    );
  });

  it("takes any key fetch can send, as a local model server may check none", () => {
    expect(loadConfig({ OPENAI_API_KEY: "any value: é ok" }).model).toMatchObject({
      kind: "openai",
      apiKey: "any value: é ok",
    });
  });
});
