import { LOCAL_DEFAULTS } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { loadWebConfig } from "./web-config.js";

describe("loadWebConfig", () => {
  it("is at http://localhost:<AGENT_PORT> on the default host, as in Auth0's quickstart", () => {
    expect(loadWebConfig({ AGENT_PORT: "3001" }).baseUrl).toBe("http://localhost:3001");
    expect(loadWebConfig({ AGENT_HOST: "0.0.0.0" }).baseUrl).toBe("http://localhost:3000");
  });

  it("is at the address it listens on when localhost does not reach it", () => {
    expect(loadWebConfig({ AGENT_HOST: "127.0.0.4", AGENT_PORT: "3001" }).baseUrl).toBe(
      "http://127.0.0.4:3001",
    );
    expect(loadWebConfig({ AGENT_HOST: "::1" }).baseUrl).toBe("http://[::1]:3000");
  });

  it("takes a tenant on another loopback address as the local tenant: its client, its approver page, no AUTH0_SECRET", () => {
    const config = loadWebConfig({ AUTH0_DOMAIN: "127.0.0.2:4010" });
    expect(config.agent.auth0).toEqual({
      domain: "127.0.0.2:4010",
      clientId: LOCAL_DEFAULTS.clientId,
      clientSecret: LOCAL_DEFAULTS.clientSecret,
    });
    expect(config.approverUrl).toBe("https://127.0.0.2:4010/approver");
  });

  it("refuses AGENT_PORT=0 without APP_BASE_URL: the login callback must name a port the tenant allows", () => {
    const refusal = (problems: string[]) =>
      expect.objectContaining({ name: "ConfigError", problems }) as Error;
    const port0 =
      'AGENT_PORT must not be 0 (any free port) unless APP_BASE_URL is set: the login callback, <APP_BASE_URL>/auth/callback, names the port, and the tenant must allow it before the app listens; give a port, such as 3000, or set APP_BASE_URL to the URL the browser uses (got "0")';

    expect(() => loadWebConfig({ AGENT_PORT: "0" })).toThrow(refusal([port0]));
    // With the other problems of the same start, in one message.
    expect(() =>
      loadWebConfig({
        AGENT_PORT: "0",
        AUTH0_DOMAIN: "tenant.example.com",
        AUTH0_CLIENT_ID: "id",
        AUTH0_CLIENT_SECRET: "secret",
      }),
    ).toThrow(refusal(["AUTH0_SECRET is required for a real tenant: openssl rand -hex 32", port0]));
    expect(
      loadWebConfig({ AGENT_PORT: "0", APP_BASE_URL: "https://shop-agent.example" }).baseUrl,
    ).toBe("https://shop-agent.example");
  });

  it.each([
    ["APP_BASE_URL", "http://u:SECRET@localhost:5899", "must not hold a user name or password"],
    ["APP_BASE_URL", "http://localhost:5899/?token=SECRET", "must not have a query or fragment"],
    ["APP_BASE_URL", "ftp://localhost:5899", "must be an absolute http:// or https:// URL"],
    ["APP_BASE_URL", "http://localhost:5899/", "must not end with /"],
    ["AGENT_APPROVER_URL", "https://u:SECRET@[::1", "must be an absolute http:// or https:// URL"],
    ["AGENT_APPROVER_URL", "https://SECRET@tenant.example/approver", "must not hold a user name"],
    ["AGENT_APPROVER_URL", "approver?token=SECRET", "must be an absolute http:// or https:// URL"],
  ])("refuses %s=%j, and never shows what could be a credential", (name, value, problem) => {
    let message = "";
    try {
      loadWebConfig({ [name]: value });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`${name} ${problem}`);
    expect(message).not.toContain("SECRET");
  });

  it("keeps the approver page's own fragment in AGENT_APPROVER_URL", () => {
    const url = "https://tenant.example/approver#token=abc";
    expect(loadWebConfig({ AGENT_APPROVER_URL: url }).approverUrl).toBe(url);
  });
});
