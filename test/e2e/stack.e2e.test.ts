import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";

import { startStack } from "@ciba-testbed/stack";
import type { Stack } from "@ciba-testbed/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => {
      resolve(false);
    });
    probe.listen(port, "127.0.0.1", () =>
      probe.close(() => {
        resolve(true);
      }),
    );
  });
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

describe("the stack launcher", () => {
  let stack: Stack;
  /** The caller's own extra CAs, as a machine behind a proxy sets them for every process. */
  const callersCas = "/callers/extra-ca-certs.pem";

  beforeAll(async () => {
    const before = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = callersCas;
    try {
      // Silent services print no "listening" log at all: readiness is their ready record.
      stack = await startStack({ logLevel: "silent" });
    } finally {
      if (before === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = before;
    }
  });

  afterAll(async () => {
    await stack.stop();
  });

  it("starts mock-auth0 and shop-api on free ports, wired to each other, even when silent", async () => {
    expect(stack.issuer).toMatch(/^https:\/\/localhost:\d+\/$/);
    expect(stack.purchasesUrl).toMatch(/^http:\/\/localhost:\d+\/api\/purchases$/);
    const health = await fetch(`${stack.shopApiUrl}/health`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${stack.shopApiUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(await stack.control.requests()).toEqual([]);
  });

  // The environment each process started with, as Linux keeps it.
  it.runIf(existsSync("/proc/self/environ"))(
    "starts mock-auth0 without the caller's NODE_EXTRA_CA_CERTS, and the shop trusting the tenant's CA",
    () => {
      const extraCasOf = (pid: number | undefined) =>
        readFileSync(`/proc/${pid}/environ`, "utf8")
          .split("\0")
          .find((entry) => entry.startsWith("NODE_EXTRA_CA_CERTS="))
          ?.slice("NODE_EXTRA_CA_CERTS=".length);
      const [tenant, shop] = stack.services;
      expect(extraCasOf(tenant?.pid)).toBe("");
      expect(extraCasOf(shop?.pid)).toBe(stack.caCertPath);
    },
  );

  it("leaves no process and no port behind when stopped", async () => {
    const pids = stack.services.map((s) => s.pid!);
    const ports = [Number(new URL(stack.issuer).port), Number(new URL(stack.shopApiUrl).port)];
    await stack.stop();
    expect(pids.every(processIsGone)).toBe(true);
    for (const port of ports) expect(await portIsFree(port)).toBe(true);
  });

  it("reports a service that cannot start, with its own words", async () => {
    await expect(
      startStack({ shopApiEnv: { SHOP_API_AUDIENCE: "", AUTH0_ISSUER_BASE_URL: "ftp://nowhere" } }),
    ).rejects.toThrow(/shop-api exited/);
  });
});
