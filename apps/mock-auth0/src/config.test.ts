import path from "node:path";

import { describe, expect, it } from "vitest";

import { DEFAULT_CERT_DIR, REPO_ROOT, loadSettings } from "./config.js";
import type { ConfigError } from "./config.js";

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
        LOG_LEVEL: "warn",
      }),
    ).toEqual({
      port: 0,
      host: "::1",
      certDir: "/tmp/certs",
      tenantFile: "/tmp/tenant.json",
      approverDefault: { action: "approve", afterMs: 2000 },
      logLevel: "warn",
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
});
