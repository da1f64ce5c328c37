import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import type { Server } from "node:https";
import { connect, createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { ensureLocalCertificates } from "@ciba-testbed/mock-auth0";

import { freePort, processExists } from "@ciba-testbed/shared/node";
import { startStack } from "@ciba-testbed/stack";
import type { Stack } from "@ciba-testbed/stack";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import { builtEntry } from "../../scripts/build.js";
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

/** Whether something on 127.0.0.1:`port` accepts a connection. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      resolve(false);
    });
  });
}

/**
 * Resolves once a server listens on `port`. It asks by connecting: asking by binding the port
 * (portIsFree) holds it for an instant, and a server starting at that instant fails with
 * EADDRINUSE.
 */
async function untilListening(port: number): Promise<void> {
  while (!(await accepts(port))) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** The supervisor's fixture server: a service that starts in a fraction of a second. */
async function startFixture(env: Record<string, string>): Promise<SupervisedChild> {
  const { child } = await SupervisedChild.start({
    name: "beside",
    script: "test/fixtures/supervised-server.ts",
    env,
  });
  return child;
}

/** Starts a stack with this process's NODE_EXTRA_CA_CERTS set to `extraCas` meanwhile. */
async function startStackWith(extraCas: string, options: Parameters<typeof startStack>[0]) {
  const before = process.env.NODE_EXTRA_CA_CERTS;
  process.env.NODE_EXTRA_CA_CERTS = extraCas;
  try {
    return await startStack(options);
  } finally {
    if (before === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = before;
  }
}

describe("the stack launcher", () => {
  let stack: Stack;
  /** The stack's certificate folder, and the proxy's: the bundle is written into the first. */
  const certDir = mkdtempSync(path.join(tmpdir(), "stack-certs-"));
  const proxyDir = mkdtempSync(path.join(tmpdir(), "stack-proxy-ca-"));
  /** A TLS-intercepting proxy's CA, as a machine behind one names it for every process. */
  let callersCas: string;
  /** A server that proxy signs for: a model API, as the agent reaches it through the proxy. */
  let behindProxy: Server;

  beforeAll(async () => {
    const proxy = await ensureLocalCertificates(proxyDir);
    callersCas = proxy.caCertPath;
    behindProxy = createHttpsServer({ cert: proxy.cert, key: proxy.key }, (_req, res) =>
      res.end("through the proxy"),
    );
    await new Promise<void>((resolve) => behindProxy.listen(0, "127.0.0.1", resolve));
    // Silent services print no "listening" log at all: readiness is their ready record.
    stack = await startStackWith(callersCas, { logLevel: "silent", certDir });
  });

  afterAll(async () => {
    await stack.stop();
    behindProxy.close();
    rmSync(certDir, { recursive: true, force: true });
    rmSync(proxyDir, { recursive: true, force: true });
  });

  it("gives the agent the CAs this process's NODE_EXTRA_CA_CERTS names and the tenant's: it reaches both", async () => {
    const extraCas = stack.agentEnv().NODE_EXTRA_CA_CERTS;
    expect(extraCas).toBe(path.join(certDir, "node-extra-ca-certs.pem"));
    // A Node process started as pnpm dev starts the web app and pnpm demo the agent.
    const { port } = behindProxy.address() as AddressInfo;
    const agent = await promisify(execFile)(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `for (const url of process.argv.slice(1)) console.log(await (await fetch(url)).text());`,
        `https://localhost:${port}/`,
        new URL(".well-known/openid-configuration", stack.issuer).href,
      ],
      { env: { PATH: process.env.PATH ?? "", ...stack.agentEnv() } },
    );
    const [proxied, discovery] = agent.stdout.split("\n");
    expect(proxied).toBe("through the proxy");
    expect(JSON.parse(discovery ?? "")).toMatchObject({ issuer: stack.issuer });
  });

  it("fails naming a NODE_EXTRA_CA_CERTS it cannot read, which the agent would lose unseen", async () => {
    const gone = path.join(proxyDir, "gone.pem");
    await expect(startStackWith(gone, { logLevel: "silent", certDir })).rejects.toThrow(
      `NODE_EXTRA_CA_CERTS names ${gone}, which cannot be read (ENOENT)`,
    );
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
    "starts mock-auth0 without the caller's NODE_EXTRA_CA_CERTS, and the shop trusting the tenant's CA and short-lived",
    () => {
      const variableOf = (pid: number | undefined, name: string) =>
        readFileSync(`/proc/${pid}/environ`, "utf8")
          .split("\0")
          .find((entry) => entry.startsWith(`${name}=`))
          ?.slice(name.length + 1);
      const [tenant, shop] = stack.services;
      expect(variableOf(tenant?.pid, "NODE_EXTRA_CA_CERTS")).toBe("");
      expect(variableOf(shop?.pid, "NODE_EXTRA_CA_CERTS")).toBe(stack.caCertPath);
      // A throw-away shop: V8's baseline WebAssembly compiler alone (SHORT_LIVED_SHOP_ENV).
      expect(variableOf(shop?.pid, "SHOP_API_SHORT_LIVED")).toBe("true");
    },
  );

  // The command line each process started with, as Linux keeps it.
  it.runIf(existsSync("/proc/self/cmdline"))(
    "starts the shop and the tenant without Node's source maps (they map the stacks they print)",
    () => {
      const argsOf = (pid: number | undefined) =>
        readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      const [tenant, shop] = stack.services;
      expect(argsOf(tenant?.pid)).toContain(builtEntry("mock-auth0"));
      expect(argsOf(tenant?.pid)).not.toContain("--enable-source-maps");
      expect(argsOf(shop?.pid)).toContain(builtEntry("shop-api"));
      expect(argsOf(shop?.pid)).not.toContain("--enable-source-maps");
    },
  );

  it("leaves no process and no port behind when stopped", async () => {
    const pids = stack.services.map((s) => s.pid!);
    const ports = [Number(new URL(stack.issuer).port), Number(new URL(stack.shopApiUrl).port)];
    await stack.stop();
    expect(pids.some(processExists)).toBe(false);
    for (const port of ports) expect(await portIsFree(port)).toBe(true);
  });

  it("reports a service that cannot start, with its own words", async () => {
    await expect(
      startStack({ shopApiEnv: { SHOP_API_AUDIENCE: "", AUTH0_ISSUER_BASE_URL: "ftp://nowhere" } }),
    ).rejects.toThrow(/shop-api exited/);
  });

  it("starts alsoStart's services beside the shop when the shop's port is fixed, with the agent's environment, and stops them with the stack", async () => {
    const shopPort = await freePort();
    let release: (() => void) | undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let given: Record<string, string> | undefined;
    const starting = startStack({
      logLevel: "silent",
      shopApiPort: shopPort,
      alsoStart: async (agentEnv) => {
        given = agentEnv;
        await released;
        return [await startFixture({ SHOP_API_URL: agentEnv.SHOP_API_URL })];
      },
    });
    let resolved = false;
    void starting.then(
      () => (resolved = true),
      () => undefined,
    );
    // The shop comes up while the service beside it is still starting; a stack that fails to
    // start fails the test here, with its error.
    await Promise.race([untilListening(shopPort), starting]);
    expect(resolved).toBe(false);
    expect(given).toMatchObject({
      SHOP_API_URL: `http://localhost:${shopPort}/api/purchases`,
      SHOP_API_AUDIENCE: "sample-shop-api",
    });
    release?.();
    const besideStack = await starting;
    expect(besideStack.agentEnv()).toEqual(given);
    const [tenant, shop, beside] = besideStack.services;
    expect(besideStack.services).toHaveLength(3);
    expect(beside?.name).toBe("beside");
    await besideStack.stop();
    expect([tenant, shop, beside].every((service) => !processExists(service!.pid!))).toBe(true);
  });

  it("stops the services started beside the shop when the shop cannot start", async () => {
    let beside: SupervisedChild | undefined;
    await expect(
      startStack({
        logLevel: "silent",
        shopApiPort: await freePort(),
        shopApiEnv: { SHOP_API_AUDIENCE: "", AUTH0_ISSUER_BASE_URL: "ftp://nowhere" },
        alsoStart: async () => {
          beside = await startFixture({});
          return [beside];
        },
      }),
    ).rejects.toThrow(/shop-api exited/);
    expect(beside?.pid).toBeGreaterThan(0);
    expect(processExists(beside!.pid!)).toBe(false);
  });
});
