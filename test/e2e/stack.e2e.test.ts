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

  beforeAll(async () => {
    // Silent services print no "listening" log at all: readiness is their ready record.
    stack = await startStack({ logLevel: "silent" });
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
