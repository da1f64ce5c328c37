import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it, onTestFinished } from "vitest";

import { startMockAuth0 } from "./server.js";
import { loadTenant } from "./tenant/load-tenant.js";
import { testKeys } from "./test-support/harness.js";

/** The tenant's discovery document at `issuer`, over TLS trusting `ca` alone. */
function discovery(issuer: string, ca: string): Promise<{ issuer?: unknown }> {
  return new Promise((resolve, reject) => {
    get(`${issuer}.well-known/openid-configuration`, { ca }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => {
        resolve(JSON.parse(text) as { issuer?: unknown });
      });
    }).on("error", reject);
  });
}

async function tenantOn(host: string, certDir: string) {
  const tenant = await startMockAuth0({
    tenant: loadTenant(),
    port: 0,
    host,
    certDir,
    keys: await testKeys(),
  });
  onTestFinished(() => tenant.close());
  return tenant;
}

describe("startMockAuth0's issuer", () => {
  it("names localhost on 127.0.0.1, and another loopback address itself, each reached and trusted at its issuer", async () => {
    const certDir = mkdtempSync(path.join(tmpdir(), "server-certs-"));
    onTestFinished(() => {
      rmSync(certDir, { recursive: true, force: true });
    });
    const usual = await tenantOn("127.0.0.1", certDir);
    // Listening on 127.0.0.2 alone, it is not reached at localhost.
    const other = await tenantOn("127.0.0.2", certDir);

    expect(usual.issuer).toBe(`https://localhost:${usual.port}/`);
    expect(other.issuer).toBe(`https://127.0.0.2:${other.port}/`);
    const ca = readFileSync(other.caCertPath, "utf8");
    expect(usual.caCertPath).toBe(other.caCertPath);
    for (const { issuer } of [usual, other]) {
      expect(await discovery(issuer, ca)).toMatchObject({ issuer });
    }
  });
});
