import path from "node:path";

import { ConfigError, LOCAL_DEFAULTS } from "@ciba-testbed/shared";
import {
  DEFAULT_CERT_DIR,
  isLoopbackAddress,
  loadServerConfig,
  localCaFile,
} from "@ciba-testbed/shared/node";
import { describe, expect, it } from "vitest";

import { loadConfig } from "./config.js";
import { DEFAULT_TENANT_FILE } from "./tenant/load-tenant.js";

const TOKEN = "c0ntrol-token-of-32-characters-x";

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("mock-auth0 configuration", () => {
  it("needs no environment at all", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: LOCAL_DEFAULTS.mockAuth0Port,
      host: "127.0.0.1",
      logLevel: "info",
      approverDefault: undefined,
      tenant: {
        tenant: DEFAULT_TENANT_FILE,
        users: undefined,
        settings: undefined,
        shownFrom: process.cwd(),
      },
    });
    expect(config.certDir).toBe(path.resolve(DEFAULT_CERT_DIR));
  });

  it("reads every variable", () => {
    expect(
      loadConfig({
        MOCK_AUTH0_PORT: "0",
        MOCK_AUTH0_HOST: "::1",
        MOCK_AUTH0_CERT_DIR: "/tmp/certs",
        MOCK_AUTH0_SIGNING_KEYS: "/tmp/keys.json",
        MOCK_AUTH0_TENANT: "/tmp/tenant.yaml",
        MOCK_AUTH0_USERS: "/tmp/people.json",
        MOCK_AUTH0_SETTINGS: "/tmp/fast.mock-auth0.json",
        MOCK_AUTH0_APPROVER: "approve-after:2000",
        MOCK_AUTH0_CONTROL_TOKEN: TOKEN,
        LOG_LEVEL: "warn",
      }),
    ).toEqual({
      port: 0,
      host: "::1",
      certDir: "/tmp/certs",
      signingKeysFile: "/tmp/keys.json",
      tenant: {
        tenant: "/tmp/tenant.yaml",
        users: "/tmp/people.json",
        settings: "/tmp/fast.mock-auth0.json",
        shownFrom: process.cwd(),
      },
      approverDefault: { action: "approve", afterMs: 2000 },
      controlToken: TOKEN,
      logLevel: "warn",
      warnings: [],
    });
  });

  it("counts an empty or blank variable as unset", () => {
    expect(
      loadConfig({
        MOCK_AUTH0_PORT: " ",
        MOCK_AUTH0_HOST: "",
        MOCK_AUTH0_TENANT: "  ",
        MOCK_AUTH0_USERS: "",
        MOCK_AUTH0_SETTINGS: " ",
        MOCK_AUTH0_APPROVER: "",
        MOCK_AUTH0_CONTROL_TOKEN: " ",
        LOG_LEVEL: "\t",
      }),
    ).toEqual(loadConfig({}));
  });

  it("reads relative paths from the directory the command was run in (INIT_CWD)", () => {
    const env = {
      INIT_CWD: "/some/dir",
      MOCK_AUTH0_TENANT: "my.yaml",
      MOCK_AUTH0_USERS: "people.json",
      MOCK_AUTH0_SETTINGS: "fast.json",
      MOCK_AUTH0_CERT_DIR: "c",
    };
    const config = loadConfig(env);
    expect(config.signingKeysFile).toBe("/some/dir/c/signing-keys.json");
    expect(loadConfig({ ...env, MOCK_AUTH0_SIGNING_KEYS: "k.json" }).signingKeysFile).toBe(
      "/some/dir/k.json",
    );
    expect(config.tenant).toEqual({
      tenant: "/some/dir/my.yaml",
      users: "/some/dir/people.json",
      settings: "/some/dir/fast.json",
      shownFrom: "/some/dir",
    });
    expect(config.certDir).toBe("/some/dir/c");
    expect(loadConfig({ MOCK_AUTH0_TENANT: "my.yaml" }).tenant.tenant).toBe(
      path.resolve(process.cwd(), "my.yaml"),
    );
  });

  it("writes its CA where the other apps look for it, with or without MOCK_AUTH0_CERT_DIR", () => {
    for (const env of [{}, { INIT_CWD: "/some/dir", MOCK_AUTH0_CERT_DIR: "certs" }]) {
      expect(path.join(loadConfig(env).certDir, "ca.pem")).toBe(localCaFile(env));
    }
  });

  it("lists every problem with its variable and value, in the shared ConfigError", () => {
    expect(
      problemsOf({ MOCK_AUTH0_PORT: "70000", MOCK_AUTH0_APPROVER: "maybe", LOG_LEVEL: "loud" }),
    ).toEqual([
      'MOCK_AUTH0_PORT must be 0 to 65535 (got "70000")',
      // The value once, as every variable's (it was quoted twice: '"maybe" is not ... (got "maybe")').
      'MOCK_AUTH0_APPROVER must be an approver outcome, one of manual, approve, deny, ignore, approve-after:<ms>, deny-after:<ms>, expire-after:<ms> (<ms>: 0 to 999999999, whole milliseconds) (got "maybe")',
      expect.stringMatching(/^LOG_LEVEL must be one of .*silent \(got "loud"\)$/),
    ]);
    expect(() => loadConfig({ LOG_LEVEL: "loud" })).toThrow(/^Invalid mock-auth0 configuration:/);
  });

  it("refuses a bad control token and a bad insecure flag, naming the variables", () => {
    expect(
      problemsOf({ MOCK_AUTH0_CONTROL_TOKEN: "short", MOCK_AUTH0_INSECURE_CONTROL: "yes" }),
    ).toEqual([
      expect.stringMatching(/^MOCK_AUTH0_CONTROL_TOKEN must be at least 16 characters/),
      'MOCK_AUTH0_INSECURE_CONTROL must be "true" or "false" (got "yes")',
    ]);
    expect(problemsOf({ MOCK_AUTH0_CONTROL_TOKEN: "a token with spaces in it, 16+" })).toEqual([
      expect.stringMatching(/^MOCK_AUTH0_CONTROL_TOKEN may hold only/),
    ]);
  });
});

describe("mock-auth0 exposure", () => {
  it.each([
    "127.0.0.1",
    "127.0.0.2",
    "localhost",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
  ])("treats %s as loopback: no token needed, no warning", (host) => {
    expect(isLoopbackAddress(host)).toBe(true);
    expect(loadConfig({ MOCK_AUTH0_HOST: host })).toMatchObject({
      controlToken: undefined,
      warnings: [],
    });
  });

  it.each(["0.0.0.0", "::", "192.168.1.20", "::ffff:10.0.0.1", "tenant.example.com"])(
    "refuses %s without a control token or the insecure flag, naming both variables",
    (host) => {
      expect(isLoopbackAddress(host)).toBe(false);
      const problems = problemsOf({ MOCK_AUTH0_HOST: host });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^MOCK_AUTH0_HOST is not a loopback address/);
      expect(problems[0]).toContain(`(got ${JSON.stringify(host)})`);
      expect(problems[0]).toContain("set MOCK_AUTH0_CONTROL_TOKEN");
      expect(problems[0]).toContain("MOCK_AUTH0_INSECURE_CONTROL=true");
    },
  );

  it.each(["999.1.1.1", "not an ip", "localhost:4010"])(
    "refuses %j as no address at all, not as one that exposes the tenant",
    (host) => {
      expect(problemsOf({ MOCK_AUTH0_HOST: host })).toEqual([
        `MOCK_AUTH0_HOST must be an IP address (such as 127.0.0.1 or ::1) or a host name that resolves (such as localhost) (got ${JSON.stringify(host)})`,
      ]);
    },
  );

  it("refuses a host name that does not resolve as such, not as one that exposes the tenant", async () => {
    const unknown = () =>
      Promise.reject(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }));
    const env = { MOCK_AUTH0_HOST: "not-an-ip" };
    await expect(
      loadServerConfig("mock-auth0", "MOCK_AUTH0_HOST", env, loadConfig, unknown),
    ).rejects.toMatchObject({
      problems: [
        'MOCK_AUTH0_HOST must be an IP address (such as 127.0.0.1 or ::1) or a host name that resolves (such as localhost): "not-an-ip" does not resolve (ENOTFOUND)',
      ],
    });
  });

  it("lists the exposure problem together with every other problem", () => {
    expect(problemsOf({ MOCK_AUTH0_HOST: "0.0.0.0", MOCK_AUTH0_PORT: "x" })).toEqual([
      'MOCK_AUTH0_PORT must be a port number (got "x")',
      expect.stringMatching(/^MOCK_AUTH0_HOST is not a loopback address/),
    ]);
  });

  it("starts off loopback with a control token, with a warning", () => {
    const config = loadConfig({ MOCK_AUTH0_HOST: "0.0.0.0", MOCK_AUTH0_CONTROL_TOKEN: TOKEN });
    expect(config.controlToken).toBe(TOKEN);
    expect(config.warnings).toEqual([
      "MOCK_AUTH0_HOST=0.0.0.0 is not a loopback address: other machines can reach this tenant. Its control API and approver page need MOCK_AUTH0_CONTROL_TOKEN.",
    ]);
  });

  it("starts off loopback with MOCK_AUTH0_INSECURE_CONTROL=true, warning that the control API is open", () => {
    const config = loadConfig({ MOCK_AUTH0_HOST: "::", MOCK_AUTH0_INSECURE_CONTROL: "true" });
    expect(config.controlToken).toBeUndefined();
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toMatch(/leaves its control API open/);
  });

  it("uses a control token on loopback too, when one is set", () => {
    expect(loadConfig({ MOCK_AUTH0_CONTROL_TOKEN: TOKEN })).toMatchObject({
      controlToken: TOKEN,
      warnings: [],
    });
  });
});
