import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { ConfigError, LOCAL_TENANT, parseConfig, readEnvironment } from "./config.js";

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  it("runs the local demo with no variables at all", () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      auth0: {
        domain: "localhost:4010",
        clientId: LOCAL_TENANT.clientId,
        clientSecret: LOCAL_TENANT.clientSecret,
      },
      userId: "auth0|testbed-user",
      audience: "sample-shop-api",
      shopApiUrl: "http://localhost:4020/api/purchases",
      mode: "block",
      requestedExpiry: 300,
      model: { kind: "offline" },
    });
    expect(config.storeDir.endsWith(".agent-store")).toBe(true);
  });

  it("lets the command line override the environment", () => {
    const config = parseConfig(
      { AGENT_USER_ID: "auth0|a", AGENT_MODE: "block" },
      { user: "auth0|b", mode: "interrupt", expiry: "3" },
    );
    expect(config).toMatchObject({ userId: "auth0|b", mode: "interrupt", requestedExpiry: 3 });
  });

  it("lists every problem, naming each variable and its option", () => {
    const problems = problemsOf(() =>
      parseConfig(
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

  it("requires the client secret for a real tenant", () => {
    const problems = problemsOf(() =>
      parseConfig({ AUTH0_DOMAIN: "acme.us.auth0.com", AUTH0_CLIENT_ID: "abc" }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^AUTH0_CLIENT_SECRET is required/);
  });

  it("uses OpenAI with a key: the Responses API, or Chat Completions for a compatible server", () => {
    expect(parseConfig({ OPENAI_API_KEY: "sk-1" }).model).toEqual({
      kind: "openai",
      apiKey: "sk-1",
      baseURL: undefined,
      api: "responses",
      name: "gpt-4o-mini",
    });
    expect(
      parseConfig(
        { OPENAI_API_KEY: "sk-1", OPENAI_BASE_URL: "http://localhost:11434/v1" },
        { model: "llama3.2" },
      ).model,
    ).toMatchObject({ api: "chat", name: "llama3.2", baseURL: "http://localhost:11434/v1" });
  });
});

describe("readEnvironment", () => {
  it("reads .env but never overrides the real environment", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "agent-env-"));
    const file = path.join(dir, ".env");
    await writeFile(file, "AGENT_USER_ID=auth0|from-file\nAGENT_MODE=interrupt\n");

    const env = readEnvironment({ AGENT_USER_ID: "auth0|from-env" }, file);

    expect(env).toMatchObject({ AGENT_USER_ID: "auth0|from-env", AGENT_MODE: "interrupt" });
    expect(readEnvironment({ A: "1" }, path.join(dir, "missing"))).toEqual({ A: "1" });
  });
});
