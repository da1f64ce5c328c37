import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it, onTestFinished } from "vitest";

import { environmentTrustingLocalCa, isLoopbackHost } from "./local-ca.js";

const CA = "-----BEGIN CERTIFICATE-----\nlocal\n-----END CERTIFICATE-----\n";
const SYSTEM = "-----BEGIN CERTIFICATE-----\nsystem\n-----END CERTIFICATE-----\n";

async function files() {
  const dir = await mkdtemp(path.join(tmpdir(), "local-ca-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const ca = path.join(dir, "ca.pem");
  const system = path.join(dir, "system.pem");
  await writeFile(ca, CA);
  await writeFile(system, SYSTEM);
  return { dir, ca, system };
}

describe("environmentTrustingLocalCa", () => {
  it("restarts with the local CA when nothing else is trusted", async () => {
    const { dir, ca } = await files();
    expect(environmentTrustingLocalCa({ PATH: "/bin" }, "localhost:4010", ca, dir)).toEqual({
      PATH: "/bin",
      NODE_EXTRA_CA_CERTS: ca,
    });
  });

  it("combines the local CA with a bundle that is already set, then stops restarting", async () => {
    const { dir, ca, system } = await files();
    const env = environmentTrustingLocalCa(
      { NODE_EXTRA_CA_CERTS: system },
      "localhost:4010",
      ca,
      dir,
    );
    const bundle = env?.NODE_EXTRA_CA_CERTS;
    expect(bundle).toBeDefined();
    const text = await readFile(bundle!, "utf8");
    expect(text).toContain("system");
    expect(text).toContain("local");
    expect(
      environmentTrustingLocalCa({ NODE_EXTRA_CA_CERTS: bundle }, "localhost:4010", ca, dir),
    ).toBeUndefined();
  });

  it("does nothing when the CA is already the one trusted", async () => {
    const { dir, ca } = await files();
    expect(
      environmentTrustingLocalCa({ NODE_EXTRA_CA_CERTS: ca }, "localhost:4010", ca, dir),
    ).toBeUndefined();
  });

  it("leaves a real tenant and a missing CA alone", async () => {
    const { dir, ca } = await files();
    expect(environmentTrustingLocalCa({}, "acme.auth0.com", ca, dir)).toBeUndefined();
    expect(
      environmentTrustingLocalCa({}, "localhost:4010", path.join(dir, "none.pem"), dir),
    ).toBeUndefined();
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["localhost:4010", true],
    ["127.0.0.1", true],
    ["[::1]:4010", true],
    ["tenant.localhost", true],
    ["acme.us.auth0.com", false],
    ["localhost.example.com", false],
  ])("%s -> %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
