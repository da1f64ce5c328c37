import { spawn } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";

import { REPO_ROOT, TSX_BIN, startStack } from "@ciba-testbed/stack";
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

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => {
        resolve(port);
      });
    });
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

describe("pnpm dev", () => {
  it.each(["SIGINT", "SIGHUP"] as const)(
    "stops every service it started on %s (Ctrl-C, a closed terminal)",
    async (signal) => {
      const ports = [await freePort(), await freePort()];
      const dev = spawn(TSX_BIN, ["scripts/dev.ts"], {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          MOCK_AUTH0_PORT: String(ports[0]),
          SHOP_API_PORT: String(ports[1]),
          LOG_LEVEL: "warn",
        },
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group, as a terminal's foreground job.
        detached: true,
      });
      let out = "";
      await new Promise<void>((resolve, reject) => {
        dev.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("Ctrl-C stops everything.")) resolve();
        });
        dev.once("exit", (code) => {
          reject(new Error(`pnpm dev exited early (${String(code)}):\n${out}`));
        });
      });
      expect(out).toContain(`https://localhost:${ports[0]}/approver`);
      for (const port of ports) expect(await portIsFree(port)).toBe(false);

      const exited = new Promise<number | null>((resolve) => dev.once("exit", resolve));
      // A terminal signals the whole foreground process group: tsx and the script it runs.
      process.kill(-dev.pid!, signal);
      await exited;
      // tsx itself may exit first; the script stops the services right after.
      const deadline = Date.now() + 10_000;
      while (!(await Promise.all(ports.map(portIsFree))).every(Boolean) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      for (const port of ports) expect(await portIsFree(port)).toBe(true);
    },
  );
});
