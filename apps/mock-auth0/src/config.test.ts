import path from "node:path";

import { describe, expect, it } from "vitest";

import { DEFAULT_CERT_DIR, REPO_ROOT, isLoopbackAddress, loadSettings } from "./config.js";
import type { ConfigError } from "./config.js";

const TOKEN = "c0ntrol-token-of-32-characters-x";

describe("mock-auth0 configuration", () => {
  it("needs no environment at all", () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({
      port: 4010,
      host: "127.0.0.1",
      logLevel: "info",
      approverDefault: undefined,
    });
    expect(settings.certDir).toBe(DEFAULT_CERT_DIR);
    expect(DEFAULT_CERT_DIR).toBe(path.join(REPO_ROOT, ".certs"));
  });

  it("reads every variable", () => {
    expect(
      loadSettings({
        MOCK_AUTH0_PORT: "0",
        MOCK_AUTH0_HOST: "::1",
        MOCK_AUTH0_CERT_DIR: "/tmp/certs",
        MOCK_AUTH0_TENANT: "/tmp/tenant.json",
        MOCK_AUTH0_APPROVER: "approve-after:2000",
        MOCK_AUTH0_CONTROL_TOKEN: TOKEN,
        LOG_LEVEL: "warn",
      }),
    ).toEqual({
      port: 0,
      host: "::1",
      certDir: "/tmp/certs",
      tenantFile: "/tmp/tenant.json",
      approverDefault: { action: "approve", afterMs: 2000 },
      controlToken: TOKEN,
      logLevel: "warn",
      warnings: [],
    });
  });

  it("lists every problem with its variable", () => {
    let error: ConfigError | undefined;
    try {
      loadSettings({ MOCK_AUTH0_PORT: "70000", MOCK_AUTH0_APPROVER: "maybe", LOG_LEVEL: "loud" });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems).toHaveLength(3);
    expect(error?.message).toMatch(/MOCK_AUTH0_PORT: must be 0 to 65535/);
    expect(error?.message).toMatch(
      /MOCK_AUTH0_APPROVER: must be one of manual, approve, deny, ignore/,
    );
    expect(error?.message).toMatch(/LOG_LEVEL/);
  });

  it("refuses a bad control token and a bad insecure flag, naming the variables", () => {
    expect(() =>
      loadSettings({ MOCK_AUTH0_CONTROL_TOKEN: "short", MOCK_AUTH0_INSECURE_CONTROL: "yes" }),
    ).toThrow(
      /MOCK_AUTH0_CONTROL_TOKEN: must be at least 16 characters[\s\S]*MOCK_AUTH0_INSECURE_CONTROL: must be "true" or "false"/,
    );
    expect(() =>
      loadSettings({ MOCK_AUTH0_CONTROL_TOKEN: "a token with spaces in it, 16+" }),
    ).toThrow(/MOCK_AUTH0_CONTROL_TOKEN: may hold only/);
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
    expect(loadSettings({ MOCK_AUTH0_HOST: host })).toMatchObject({
      controlToken: undefined,
      warnings: [],
    });
  });

  it.each(["0.0.0.0", "::", "192.168.1.20", "::ffff:10.0.0.1", "tenant.example.com"])(
    "refuses %s without a control token or the insecure flag, naming both variables",
    (host) => {
      expect(isLoopbackAddress(host)).toBe(false);
      let error: ConfigError | undefined;
      try {
        loadSettings({ MOCK_AUTH0_HOST: host });
      } catch (e) {
        error = e as ConfigError;
      }
      expect(error?.problems).toHaveLength(1);
      expect(error?.problems[0]).toContain(`MOCK_AUTH0_HOST=${host} is not a loopback address`);
      expect(error?.problems[0]).toContain("set MOCK_AUTH0_CONTROL_TOKEN");
      expect(error?.problems[0]).toContain("MOCK_AUTH0_INSECURE_CONTROL=true");
    },
  );

  it("lists the exposure problem together with every other problem", () => {
    expect(() => loadSettings({ MOCK_AUTH0_HOST: "0.0.0.0", MOCK_AUTH0_PORT: "x" })).toThrow(
      /MOCK_AUTH0_PORT[\s\S]*MOCK_AUTH0_HOST=0\.0\.0\.0/,
    );
  });

  it("starts off loopback with a control token, with a warning", () => {
    const settings = loadSettings({ MOCK_AUTH0_HOST: "0.0.0.0", MOCK_AUTH0_CONTROL_TOKEN: TOKEN });
    expect(settings.controlToken).toBe(TOKEN);
    expect(settings.warnings).toEqual([
      "MOCK_AUTH0_HOST=0.0.0.0 is not a loopback address: other machines can reach this tenant. Its control API and approver page need MOCK_AUTH0_CONTROL_TOKEN.",
    ]);
  });

  it("starts off loopback with MOCK_AUTH0_INSECURE_CONTROL=true, warning that the control API is open", () => {
    const settings = loadSettings({ MOCK_AUTH0_HOST: "::", MOCK_AUTH0_INSECURE_CONTROL: "true" });
    expect(settings.controlToken).toBeUndefined();
    expect(settings.warnings).toHaveLength(1);
    expect(settings.warnings[0]).toMatch(/leaves its control API open/);
  });

  it("uses a control token on loopback too, when one is set", () => {
    expect(loadSettings({ MOCK_AUTH0_CONTROL_TOKEN: TOKEN })).toMatchObject({
      controlToken: TOKEN,
      warnings: [],
    });
  });
});
