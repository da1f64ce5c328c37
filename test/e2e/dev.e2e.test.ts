import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { get as httpsGet } from "node:https";
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { tmpdir } from "node:os";
import { connect } from "node:tls";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";

import { loadWebConfig } from "@ciba-testbed/agent/web-config";
import { ensureLocalCertificates } from "@ciba-testbed/mock-auth0";
import { loadConfig as loadTenantConfig } from "@ciba-testbed/mock-auth0/config";
import { captureOutput } from "@ciba-testbed/shared/node";
import { lockDataDir } from "@ciba-testbed/shop-api/data-dir-lock";
import { ControlClient, REPO_ROOT, emptyShopDatabase } from "@ciba-testbed/stack";
import { afterAll, describe, expect, it, onTestFinished, vi } from "vitest";

import { loadScaled } from "../support/load-scaled.js";
import { signalTaken } from "../support/process-group.js";
import { TenantClient } from "../support/tenant-client.js";

/**
 * What `pnpm dev` runs: the root package.json's script, so the test runs the same thing without
 * pnpm's own start (and its banner on stdout).
 */
const DEV_SCRIPT = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts.dev!.split(" ");
/** `text` matched literally in a RegExp. */
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * What the agent's NODE_EXTRA_CA_CERTS names, for the tenant's CA `ca` and this shell's
 * NODE_EXTRA_CA_CERTS (which pnpm dev inherits): the CA, or that file when it holds the CA
 * already, or else a bundle of that file's certificates and the CA, beside the CA (as CI's
 * shell names the system bundle).
 */
function agentCas(ca: string): string {
  const shells = process.env.NODE_EXTRA_CA_CERTS ?? "";
  if (shells === "") return ca;
  if (readFileSync(shells, "utf8").includes(readFileSync(ca, "utf8").trim())) return shells;
  return path.join(path.dirname(ca), "node-extra-ca-certs.pem");
}

/** `pnpm dev` as a person types it. */
const PNPM_DEV = ["pnpm", "dev"];

/** The ports `pnpm dev` listens on, in the order its messages name them. */
const PORT_VARIABLES = ["MOCK_AUTH0_PORT", "SHOP_API_PORT", "AGENT_PORT"] as const;
/** Where each of them listens, in the same order. */
const HOST_VARIABLES = ["MOCK_AUTH0_HOST", "SHOP_API_HOST", "AGENT_HOST"] as const;

/** Variables that would point the agent somewhere: the printed command must set them itself. */
const AGENT_TARGETING = /^(AUTH0_|SHOP_|AGENT_|MOCK_AUTH0_|NODE_EXTRA_CA_CERTS$|OPENAI_)/;

function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => {
      resolve(false);
    });
    probe.listen(port, host, () =>
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

/** A port held by another process's listener (this one's), as a busy machine has. */
/**
 * `pnpm dev`'s one line with the shop's port held, stopped before it starts anything: the port
 * it suggests for the shop, and the other two ports it was given.
 */
async function shopMovedOffBusyPort(database: string) {
  const held = await holdPort();
  try {
    const [mockAuth0Port, agentPort] = [String(await freePort()), String(await freePort())];
    const dev = runDev(DEV_SCRIPT, {
      MOCK_AUTH0_PORT: mockAuth0Port,
      SHOP_API_PORT: String(held.port),
      AGENT_PORT: agentPort,
      SHOP_API_DATABASE: database,
    });
    expect(await dev.exited).toBe(1);
    const [line = "", ...rest] = dev.stderr().trimEnd().split("\n");
    expect(rest).toEqual([]);
    const [, suggested = ""] = /SHOP_API_PORT=(\d+) AGENT_PORT/.exec(line) ?? [];
    return { line, suggested, mockAuth0Port, agentPort };
  } finally {
    held.server.close();
  }
}

async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

interface DevRun {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * The shop's database for this file's runs, not the repository's .data/: a copy of an empty
 * one, so no run pays initdb. The runs that start the shop take turns with it, as the runs of
 * `pnpm dev` on one machine do with .data/ (each stops its shop before the next starts), and
 * the copy (half a second of CPU for its thousand files) is made once.
 */
let shopDatabase: ReturnType<typeof emptyShopDatabase> | undefined;
afterAll(async () => {
  await (await shopDatabase?.catch(() => undefined))?.remove();
});

async function sharedShopDatabase(): Promise<string> {
  shopDatabase ??= emptyShopDatabase();
  return (await shopDatabase).folder;
}

function runDev(
  command: string[],
  env: Record<string, string> & { SHOP_API_DATABASE: string },
): DevRun {
  const [file, ...args] = command;
  const child = spawn(file!, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["pipe", "pipe", "pipe"],
    // Its own process group, as a terminal's foreground job.
    detached: true,
  });
  child.stdin.end();
  // A run that outlives its test (one that hangs) is ended with it: its own hooks stop the rest.
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGTERM");
  });
  return { child, ...captureOutput(child) };
}

/** Resolves once `pnpm dev` says it runs; rejects with its output if it exits first. */
function untilRunning(dev: DevRun): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (dev.stdout().includes("Ctrl-C stops everything.")) resolve(dev.stdout());
    };
    dev.child.stdout.on("data", check);
    void dev.exited.then((code) => {
      reject(new Error(`pnpm dev exited early (${String(code)}):\n${dev.stdout()}${dev.stderr()}`));
    });
  });
}

/**
 * SIGTERM to its process group (unless it is gone), then waits for its ports (on `hosts`, in the
 * same order) to be free again.
 */
async function stopDev(
  dev: DevRun,
  ports: number[],
  signal: NodeJS.Signals = "SIGTERM",
  hosts: string[] = [],
) {
  const free = () => Promise.all(ports.map((port, i) => portIsFree(port, hosts[i])));
  if (dev.child.exitCode === null && dev.child.signalCode === null) {
    process.kill(-dev.child.pid!, signal);
  }
  await dev.exited;
  // The script stops the services on its way out; their sockets close right after. Through
  // pnpm, which does not wait for the script, this also covers the services' own stop (each up
  // to 3 s before a SIGKILL) on a loaded machine.
  const deadline = Date.now() + 20_000;
  while (!(await free()).every(Boolean) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The processes a `pnpm dev` started for its services (Node's watchers and the apps they run):
 * those whose command line names its scratch build folder, `ciba-dev-build-pid<its pid>.`.
 */
function servicesOf(dev: DevRun): { pid: number; args: string[] }[] {
  const folder = `ciba-dev-build-pid${String(dev.child.pid)}.`;
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      let args: string[];
      try {
        args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      } catch {
        return []; // Gone meanwhile.
      }
      return args.some((arg) => arg.includes(folder)) ? [{ pid: Number(entry), args }] : [];
    });
}

/** Its last line on stderr, which must be its only `pnpm dev:` line. */
function lastLine(dev: DevRun): string {
  const lines = dev.stderr().trimEnd().split("\n");
  expect(lines.filter((line) => line.startsWith("pnpm dev:"))).toHaveLength(1);
  return lines.at(-1) ?? "";
}

/** One HTTPS GET trusting `ca`: its status and text. */
function httpsText(url: URL, ca: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, text });
      });
    }).on("error", reject);
  });
}

/**
 * A `POST /oauth/token` to `issuer` over TLS, its headers and the first 5 bytes of its body
 * sent, once the tenant has taken it (its `100 Continue` to the request's `Expect`); `finish()`
 * sends the rest and resolves with all the tenant answered after the `100 Continue` once it
 * closed the connection ("" when it answered nothing).
 */
async function halfSentTokenRequest(
  issuer: URL,
  ca: Buffer,
): Promise<{ finish(): Promise<string> }> {
  const body =
    "grant_type=urn%3Aopenid%3Aparams%3Agrant-type%3Aciba&auth_req_id=none&client_id=nobody&client_secret=none";
  const socket = connect({ host: issuer.hostname, port: Number(issuer.port), ca });
  let answer = "";
  socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
  const closed = new Promise<string>((resolve) => {
    socket.once("close", () => {
      resolve(answer);
    });
    // A reset is an answer of nothing.
    socket.once("error", () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", resolve);
    socket.once("error", reject);
  });
  const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";
  const taken = new Promise<void>((resolve) => {
    const check = () => {
      if (!answer.startsWith(CONTINUE)) return;
      socket.off("data", check);
      resolve();
    };
    socket.on("data", check);
    void closed.then(() => {
      resolve();
    });
  });
  socket.write(
    `POST /oauth/token HTTP/1.1\r\nHost: ${issuer.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
  );
  await taken;
  socket.write(body.slice(0, 5));
  return {
    async finish() {
      if (!socket.destroyed) socket.write(body.slice(5));
      const all = await closed;
      return all.startsWith(CONTINUE) ? all.slice(CONTINUE.length) : all;
    },
  };
}

/** The command under "1. Ask the agent…", its continuation lines joined. */
function agentCommand(output: string): string {
  const lines = stripVTControlCharacters(output).split("\n");
  const start = lines.findIndex((line) => line.startsWith("1. Ask the agent"));
  const end = lines.indexOf("", start);
  return lines
    .slice(start + 1, end)
    .map((line) => line.trim().replace(/ \\$/, ""))
    .join(" ");
}

/** Ports of its own for each service `pnpm dev` starts: mock-auth0, shop-api, the web app. */
async function servicePorts(): Promise<{ ports: number[]; env: Record<string, string> }> {
  const ports = [await freePort(), await freePort(), await freePort()];
  return {
    ports,
    env: {
      MOCK_AUTH0_PORT: String(ports[0]),
      SHOP_API_PORT: String(ports[1]),
      AGENT_PORT: String(ports[2]),
    },
  };
}

/**
 * Starts `command` with `env`, on ports of its own and the file's shop database, and hands `use`
 * its ports, its output once it runs, and `stop(signal)`, which sends the signal the test is
 * about and waits for every port to be free. Whatever `use` does, the run is stopped before this
 * resolves: the next run opens the same database, so this one's shop must be gone first.
 */
async function whileRunning(
  command: string[],
  env: Record<string, string>,
  use: (run: {
    dev: DevRun;
    ports: number[];
    /** Where each port listens: `env`'s *_HOST, or 127.0.0.1. */
    hosts: string[];
    output: string;
    stop: (signal: NodeJS.Signals) => Promise<void>;
  }) => Promise<void>,
): Promise<void> {
  const { ports, env: portsEnv } = await servicePorts();
  const hosts = HOST_VARIABLES.map((name) => env[name] ?? "127.0.0.1");
  const dev = runDev(command, {
    ...env,
    ...portsEnv,
    SHOP_API_DATABASE: await sharedShopDatabase(),
  });
  let stopping: Promise<void> | undefined;
  const stop = (signal: NodeJS.Signals) => (stopping ??= stopDev(dev, ports, signal, hosts));
  try {
    await use({ dev, ports, hosts, output: await untilRunning(dev), stop });
  } finally {
    await stop("SIGTERM");
  }
}

/** The message `read` throws with: what a server says of a setting it refuses. */
function refusal(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    return (error as Error).message;
  }
  return "accepted";
}

/**
 * `pnpm dev` (the script) with `env` on ports of its own, run to its end: one refused before it
 * starts anything, so its shop's database is a folder that never comes to be.
 */
async function refusedRun(env: Record<string, string>): Promise<DevRun> {
  const unused = mkdtempSync(path.join(tmpdir(), "dev-no-shop-"));
  try {
    const dev = runDev(DEV_SCRIPT, {
      ...(await servicePorts()).env,
      ...env,
      SHOP_API_DATABASE: path.join(unused, "db"),
    });
    await dev.exited;
    return dev;
  } finally {
    rmSync(unused, { recursive: true, force: true });
  }
}

/** `pnpm mock-auth0` (the root script, without pnpm's own words) with `env`, run to its end. */
function tenantAlone(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const script = (
    JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    }
  ).scripts["mock-auth0"]!.split(" ");
  const [file, ...args] = script;
  const child = spawn(file!, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: "warn", MOCK_AUTH0_PORT: "0", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      resolve({ code, stderr });
    });
  });
}

describe("pnpm dev", () => {
  // Each `pnpm dev` costs seconds of CPU (three servers, and their build when a source changed
  // since the last `pnpm dev`), so one run checks the printed command and then Ctrl-C; another
  // ends with kill -9. (A closed terminal's SIGHUP and SIGTERM take Ctrl-C's way out, the
  // supervisor's own; its test sends SIGHUP to a launcher much cheaper than this one.)
  it("serves the person's own MOCK_AUTH0_SETTINGS and MOCK_AUTH0_CERT_DIR, lets a person log in to the web app on its port, and every service it started stops on its own once pnpm dev is killed with SIGKILL (kill -9, an IDE's hard stop, the OOM killer)", async () => {
    // Settings of the person's own: their interval wins over the 1 s that pnpm dev picks for
    // the repository's tenant.
    const settingsDir = mkdtempSync(path.join(tmpdir(), "dev-settings-"));
    onTestFinished(() => {
      rmSync(settingsDir, { recursive: true, force: true });
    });
    const settingsFile = path.join(settingsDir, "mock-auth0.json");
    writeFileSync(
      settingsFile,
      JSON.stringify({
        extends: path.join(REPO_ROOT, "auth0", "mock-auth0.json"),
        ciba: { intervalSeconds: 2 },
      }),
    );
    // A certificate folder of the person's own: the tenant's CA is there, not in <repo>/.certs,
    // and the web app and the agent command trust it.
    const ownCa = path.join(settingsDir, "certs", "ca.pem");
    const own = { MOCK_AUTH0_SETTINGS: settingsFile, MOCK_AUTH0_CERT_DIR: path.dirname(ownCa) };
    // It holds a CA three days from its end (made 397 of its 400 days ago, by the clock given):
    // the tenant replaces it, and pnpm dev says so under its summary, for the browser and the
    // processes that trusted the old one.
    const old = await ensureLocalCertificates(
      path.dirname(ownCa),
      () => Date.now() - 397 * 86_400_000,
    );
    const oldCa = new X509Certificate(old.caCert);
    await whileRunning(DEV_SCRIPT, own, async ({ dev, ports, output }) => {
      expect(readFileSync(ownCa, "utf8")).not.toBe(old.caCert);
      const summary = stripVTControlCharacters(output).split("\nciba-testbed is running\n")[1];
      expect(summary).toMatch(
        new RegExp(
          `^(?:  .*\n)+\nNote:\n  ${escapeRegExp(
            `mock-auth0 made a new local CA, ${ownCa}, as the CA there before (SHA-256 ` +
              `${oldCa.fingerprint256}) expires on ${oldCa.validTo}, and a CA is replaced in ` +
              "its last 7 days. What trusted the old CA no longer trusts this tenant",
          )}.*: restart each with the new ca\\.pem.*\n  This stack's shop and web app trust the new CA, and the agent command below names it: start an agent started before again with that command\\.\n\nChat as in Auth0's quickstart`,
        ),
      );
      expect(output).toContain(`NODE_EXTRA_CA_CERTS=${agentCas(ownCa)}`);
      const tenant = new TenantClient(`https://localhost:${ports[0]}/`, ownCa);
      const asked = await tenant.bcAuthorize({
        user: "auth0|testbed-user",
        scope: "openid product:buy",
        bindingMessage: "Do you want to buy 1 XYZ phone",
      });
      expect(asked.body).toMatchObject({ expires_in: 300, interval: 2 });

      expect(output).toContain(`https://localhost:${ports[0]}/approver`);
      expect(output).toContain(`http://localhost:${ports[2]} `);
      for (const port of ports) expect(await portIsFree(port)).toBe(false);

      // The web app is not on 3000 here: the tenant takes its callback on the port it has.
      const login = await fetch(`http://localhost:${ports[2]}/auth/login`, { redirect: "manual" });
      const authorize = new URL(login.headers.get("location") ?? "");
      expect(authorize.searchParams.get("redirect_uri")).toBe(
        `http://localhost:${ports[2]}/auth/callback`,
      );
      const page = await httpsText(authorize, readFileSync(ownCa));
      expect(page.text).not.toContain("Callback URL mismatch");
      expect(page.status).toBeLessThan(400);

      // Node's watcher and the app it runs, for each of the three.
      expect(servicesOf(dev)).toHaveLength(6);
      // The script's process alone, as `kill -9 <pid>` ends it: no hook of it runs, and its
      // esbuild and its services are left to notice.
      const killed = performance.now();
      process.kill(dev.child.pid!, "SIGKILL");
      const deadline = killed + 5_000;
      // Probed by listening, not by connecting: a service writes a line for a connection, and a
      // line on the pipe to the gone script (EPIPE) may end it too, by chance.
      let held = ports;
      while (held.length > 0 && performance.now() < deadline) {
        const free = await Promise.all(held.map((port) => portIsFree(port)));
        held = held.filter((_, index) => !free[index]);
        if (held.length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const elapsedMs = Math.round(performance.now() - killed);
      expect(held).toEqual([]);
      process.stdout.write(
        `pnpm dev killed with SIGKILL: its services' ports free after ${elapsedMs} ms\n`,
      );
      // The watchers too, which hold no port: none is left waiting for a change.
      while (servicesOf(dev).length > 0 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(servicesOf(dev)).toEqual([]);
    });
  });

  it("prints the exact agent command and URLs for the ports and loopback addresses it uses, each reaches this stack whatever tenant the shell names, and SIGINT (Ctrl-C) stops every service, a second one waiting for that stop, which cuts off no request the tenant took, and pnpm dev then exits 0 with no word of a failure", async () => {
    // A shell set up for a real tenant (here one on loopback that nothing answers, so that no
    // request leaves the machine), and its shop: the stack is the local tenant and shop all the
    // same, and says so.
    const realTenant = {
      AUTH0_ISSUER_BASE_URL: "https://127.0.0.1:1/",
      AUTH0_DOMAIN: "127.0.0.1:1",
      AUTH0_CLIENT_SECRET: "secret-of-the-real-tenant",
      AGENT_APPROVER_URL: "https://127.0.0.1:1/approver",
      SHOP_CATALOG_URL: "http://127.0.0.1:1/api/products",
    };
    // Loopback addresses that localhost does not reach: the URLs must name them.
    const hostsEnv = {
      MOCK_AUTH0_HOST: "127.0.0.2",
      SHOP_API_HOST: "127.0.0.3",
      AGENT_HOST: "127.0.0.4",
    };
    // Through pnpm, as a person types it: Ctrl-C reaches pnpm, its shell and the script alike.
    const env = { ...realTenant, ...hostsEnv };
    await whileRunning(PNPM_DEV, env, async ({ dev, ports, hosts, output, stop }) => {
      // Read once the tenant runs: its first start in a fresh clone makes it.
      const ca = readFileSync(path.join(REPO_ROOT, ".certs", "ca.pem"));
      const shown = stripVTControlCharacters(output);
      expect(shown).toContain(
        "\n  your shell's AGENT_APPROVER_URL, AUTH0_CLIENT_SECRET, AUTH0_DOMAIN, AUTH0_ISSUER_BASE_URL, SHOP_CATALOG_URL are ignored: this stack uses its local tenant and shop\n",
      );
      expect(output).not.toContain(realTenant.AUTH0_CLIENT_SECRET);
      const issuer = `https://127.0.0.2:${ports[0]}/`;
      const shopUrl = `http://127.0.0.3:${ports[1]}`;
      const webUrl = `http://127.0.0.4:${ports[2]}`;
      expect(shown).toContain(`\n  mock-auth0   ${issuer}   (approver: manual)\n`);
      expect(shown).toContain(`\n  shop-api     ${shopUrl}   (catalog: ${shopUrl}/api/products)\n`);
      expect(shown).toContain(`\n  agent web    ${webUrl}   (the quickstart's chat)\n`);
      expect(shown).toContain(`\n  ${issuer}approver\n`);
      // Each answers there, the tenant over TLS that its CA alone makes trusted.
      expect((await httpsText(new URL(`${issuer}approver`), ca)).status).toBe(200);
      expect((await fetch(`${shopUrl}/api/products`)).status).toBe(200);
      expect((await fetch(webUrl)).status).toBe(200);
      // The web app's login returns to it there, and the tenant takes that callback.
      const login = await fetch(`${webUrl}/auth/login`, { redirect: "manual" });
      const authorize = new URL(login.headers.get("location") ?? "");
      expect(authorize.origin).toBe(new URL(issuer).origin);
      expect(authorize.searchParams.get("redirect_uri")).toBe(`${webUrl}/auth/callback`);
      const page = await httpsText(authorize, ca);
      expect(page.text).not.toContain("Callback URL mismatch");
      expect(page.status).toBeLessThan(400);

      const command = agentCommand(output);
      expect(command).toMatch(/ pnpm agent "Buy 2 XYZ phones"$/);
      expect(command).toContain(`AUTH0_DOMAIN=127.0.0.2:${ports[0]} `);
      expect(command).toContain(`SHOP_API_URL=${shopUrl}/api/purchases `);
      expect(command).toContain(`SHOP_CATALOG_URL=${shopUrl}/api/products `);
      expect(command).toContain(
        `NODE_EXTRA_CA_CERTS=${agentCas(path.join(REPO_ROOT, ".certs", "ca.pem"))}`,
      );

      // Run exactly what was printed, in a shell whose environment points nowhere.
      const shellEnv = Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !AGENT_TARGETING.test(key)),
      );
      const store = mkdtempSync(path.join(tmpdir(), "dev-agent-"));
      onTestFinished(() => {
        rmSync(store, { recursive: true, force: true });
      });
      const agent = spawn("sh", ["-c", command], {
        cwd: REPO_ROOT,
        env: { ...shellEnv, AGENT_STORE: store },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let agentOutput = "";
      agent.stdout.on("data", (chunk: Buffer) => (agentOutput += chunk.toString()));
      agent.stderr.on("data", (chunk: Buffer) => (agentOutput += chunk.toString()));
      const agentExit = new Promise<number | null>((resolve) => agent.once("exit", resolve));

      const control = new ControlClient(issuer, ca.toString());
      const consent = await control.waitForPending(
        (r) => r.binding_message.includes("XYZ phone"),
        30_000,
      );
      // pnpm dev's own pace for the repository's tenant (auth0/dev.mock-auth0.json): a person
      // waits on each poll, so 1 s where Auth0 (and pnpm mock-auth0) ask for 5 s.
      expect(consent.interval).toBe(1);
      await control.approve(consent.auth_req_id);
      expect(await agentExit, agentOutput).toBe(0);
      expect((await control.request(consent.auth_req_id)).status).toBe("consumed");

      const listening = () => Promise.all(ports.map((port, i) => portIsFree(port, hosts[i])));
      expect(await listening()).toEqual([false, false, false]);
      // Ctrl-C twice while the tenant still reads a request (a poll whose answer may be the
      // token): the second waits for the stop the first began, and the request is answered.
      // The request is taken before the first Ctrl-C, and the tenant stops listening once its
      // stop has begun; the second Ctrl-C comes during that stop and is taken before the
      // request's body ends.
      const request = await halfSentTokenRequest(new URL(issuer), ca);
      process.kill(-dev.child.pid!, "SIGINT");
      // The tenant stops listening as its stop begins; one that never does fails here, not at
      // the test's own timeout.
      await vi.waitUntil(() => portIsFree(ports[0]!, hosts[0]), {
        timeout: loadScaled(20_000),
        interval: 20,
      });
      const stopped = stop("SIGINT");
      await signalTaken(dev.child.pid!, "SIGINT");
      const answer = await request.finish();
      expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
      expect(answer.toLowerCase()).toContain("\r\nconnection: close\r\n");
      await stopped;
      expect(await listening()).toEqual([true, true, true]);
      // A stop, not a failure: pnpm dev exits 0, and pnpm adds no "ELIFECYCLE Command failed"
      // (its shell, killed by the same Ctrl-C, made pnpm say so whatever the script's code).
      expect(await dev.exited).toBe(0);
      expect(dev.stderr()).not.toContain("ELIFECYCLE");
    });
  });

  it(
    "stops every service when the reader of its output goes away, and says why on stderr",
    async () => {
      // Serving on, it had nobody to stop it: pnpm exits 0 at its own write error to that pipe.
      // At info the shop logs every request, and pnpm dev passes each line on to its stdout.
      await whileRunning(DEV_SCRIPT, { LOG_LEVEL: "info" }, async ({ dev, ports, hosts }) => {
        dev.child.stdout.destroy();
        const deadline = Date.now() + loadScaled(20_000);
        while (dev.child.exitCode === null && Date.now() < deadline) {
          await fetch(`http://127.0.0.1:${ports[1]}/api/products`).catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }

        expect(await dev.exited).toBe(1);
        expect(dev.stderr()).toContain(
          "pnpm dev: stdout cannot be written (EPIPE): nothing would show what the services do, and the pnpm that ran it may be gone; stopping every service\n",
        );
        expect(dev.stderr()).not.toMatch(/^\s+at /m);
        const free = () => Promise.all(ports.map((port, i) => portIsFree(port, hosts[i])));
        const freed = Date.now() + loadScaled(20_000);
        while (!(await free()).every(Boolean) && Date.now() < freed) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(await free()).toEqual(ports.map(() => true));
      });
    },
    loadScaled(120_000),
  );

  it("names every busy port at once, with a command that moves each to a free one and keeps the others", async () => {
    const mockAuth0 = await holdPort();
    const shop = await holdPort();
    const unused = mkdtempSync(path.join(tmpdir(), "dev-no-shop-"));
    try {
      const agentPort = String(await freePort());
      const dev = runDev(DEV_SCRIPT, {
        MOCK_AUTH0_PORT: String(mockAuth0.port),
        SHOP_API_PORT: String(shop.port),
        AGENT_PORT: agentPort,
        // Set on the command line as much as the ports: the suggestion keeps them, and names
        // the secret without printing it.
        SHOP_API_DATABASE: path.join(unused, "db"),
        MOCK_AUTH0_APPROVER: "approve",
        MOCK_AUTH0_CONTROL_TOKEN: "a-control-token-of-32-characters",
      });
      expect(await dev.exited).toBe(1);
      expect(dev.stderr()).not.toContain("a-control-token-of-32-characters");
      const lines = dev.stderr().trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      const found = new RegExp(
        `^pnpm dev: port ${mockAuth0.port} \\(MOCK_AUTH0_PORT\\) on 127\\.0\\.0\\.1, port ${shop.port} \\(SHOP_API_PORT\\) on 127\\.0\\.0\\.1 are in use by other processes: stop them, or choose other ports, e\\.g\\. MOCK_AUTH0_PORT=(\\d+) SHOP_API_PORT=(\\d+) AGENT_PORT=${agentPort} LOG_LEVEL=warn MOCK_AUTH0_APPROVER=approve SHOP_API_DATABASE=${escapeRegExp(path.join(unused, "db"))} pnpm dev \\(with MOCK_AUTH0_CONTROL_TOKEN set as now\\)$`,
      ).exec(lines[0] ?? "");
      expect(found, lines[0]).not.toBeNull();
      // Each suggestion is free, and no two services are given the same port.
      const suggested = [Number(found?.[1]), Number(found?.[2])];
      expect(new Set([...suggested, Number(agentPort)]).size).toBe(3);
      for (const port of suggested) expect(await portIsFree(port)).toBe(true);
    } finally {
      mockAuth0.server.close();
      shop.server.close();
      rmSync(unused, { recursive: true, force: true });
    }
  });

  it.each(PORT_VARIABLES)("stops at once with one line when %s is in use", async (variable) => {
    const held = await holdPort();
    // It stops before it starts the shop, so it gets no database copy: a folder that does not
    // exist, which the shop would make for itself (away from the repository's .data/) only
    // if the check failed.
    const unused = mkdtempSync(path.join(tmpdir(), "dev-no-shop-"));
    try {
      const others = PORT_VARIABLES.filter((name) => name !== variable);
      const otherPorts = await Promise.all(
        others.map(async (name) => [name, String(await freePort())]),
      );
      const started = performance.now();
      const dev = runDev(DEV_SCRIPT, {
        ...Object.fromEntries(otherPorts),
        [variable]: String(held.port),
        SHOP_API_DATABASE: path.join(unused, "db"),
      });
      const code = await dev.exited;
      const elapsedMs = Math.round(performance.now() - started);
      expect(code).toBe(1);
      expect(dev.stdout()).toBe("");
      const lines = dev.stderr().trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      // The command keeps the ports the person set for the other services.
      const command = PORT_VARIABLES.map((name) =>
        name === variable ? `${name}=\\d+` : `${name}=${Object.fromEntries(otherPorts)[name]}`,
      ).join(" ");
      const database = `SHOP_API_DATABASE=${escapeRegExp(path.join(unused, "db"))}`;
      expect(lines[0]).toMatch(
        new RegExp(
          `^pnpm dev: port ${held.port} \\(${variable}\\) on 127\\.0\\.0\\.1 is in use by another process: stop it, or choose another port, e\\.g\\. ${command} LOG_LEVEL=warn ${database} pnpm dev$`,
        ),
      );
      process.stdout.write(`pnpm dev with ${variable} in use: exit 1 after ${elapsedMs} ms\n`);
    } finally {
      held.server.close();
      rmSync(unused, { recursive: true, force: true });
    }
  });

  it("names a database of its own for a shop it moves off a busy port, when none is set", async () => {
    // The suggested command, run beside the first stack, stopped at the shop's start: the
    // default database (.data/shop-api) was the first shop's.
    // Empty is unset.
    const { line, suggested, mockAuth0Port, agentPort } = await shopMovedOffBusyPort("");
    expect(suggested).toMatch(/^\d+$/);
    expect(line).toMatch(
      new RegExp(
        `, e\\.g\\. MOCK_AUTH0_PORT=${mockAuth0Port} SHOP_API_PORT=${suggested} AGENT_PORT=${agentPort} LOG_LEVEL=warn SHOP_API_DATABASE=\\.data/shop-api-${suggested} pnpm dev$`,
      ),
    );
  });

  it("names a database of its own for a shop it moves off a busy port, when a running shop holds the one set", async () => {
    // A second stack as README's example starts it, beside the first: the command kept the
    // first stack's SHOP_API_DATABASE, and its shop stopped at start ("is in use").
    const folder = mkdtempSync(path.join(tmpdir(), "dev-held-shop-"));
    // The folder's lock, as a running shop holds it.
    const lock = await lockDataDir(folder);
    try {
      const { line, suggested } = await shopMovedOffBusyPort(folder);
      expect(line).toMatch(
        new RegExp(` SHOP_API_DATABASE=${escapeRegExp(`${folder}-${suggested}`)} pnpm dev$`),
      );
    } finally {
      await lock.release();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("names a database of its own for a shop that stays on its port, when a running shop holds the one it would use", async () => {
    // A second pnpm dev beside a first, another service's port busy: the suggested command kept
    // the shop's database, which the first stack's shop holds, and stopped at the shop's start.
    const folder = mkdtempSync(path.join(tmpdir(), "dev-held-shop-"));
    const lock = await lockDataDir(folder);
    const held = await holdPort();
    try {
      const [shopPort, agentPort] = [String(await freePort()), String(await freePort())];
      const dev = runDev(DEV_SCRIPT, {
        MOCK_AUTH0_PORT: String(held.port),
        SHOP_API_PORT: shopPort,
        AGENT_PORT: agentPort,
        SHOP_API_DATABASE: folder,
      });
      expect(await dev.exited).toBe(1);
      expect(dev.stderr()).toMatch(
        new RegExp(
          `, e\\.g\\. MOCK_AUTH0_PORT=\\d+ SHOP_API_PORT=${shopPort} AGENT_PORT=${agentPort} LOG_LEVEL=warn SHOP_API_DATABASE=${escapeRegExp(`${folder}-${shopPort}`)} pnpm dev\n$`,
        ),
      );
    } finally {
      held.server.close();
      await lock.release();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("stops when another process listens on ::1 at a service's port, where a browser's localhost goes first", async () => {
    const v6 = createServer();
    const listening = await new Promise<boolean>((resolve) => {
      v6.once("error", () => {
        resolve(false);
      });
      v6.listen({ port: 0, host: "::1", ipv6Only: true }, () => {
        resolve(true);
      });
    });
    // A machine without IPv6 has no ::1 for a browser to reach either.
    if (!listening) return;
    const unused = mkdtempSync(path.join(tmpdir(), "dev-no-shop-"));
    try {
      const { port } = v6.address() as AddressInfo;
      const [mockAuth0Port, shopPort] = [String(await freePort()), String(await freePort())];
      const dev = runDev(DEV_SCRIPT, {
        MOCK_AUTH0_PORT: mockAuth0Port,
        SHOP_API_PORT: shopPort,
        AGENT_PORT: String(port),
        SHOP_API_DATABASE: path.join(unused, "db"),
      });
      expect(await dev.exited).toBe(1);
      expect(dev.stderr()).toMatch(
        new RegExp(
          `^pnpm dev: port ${port} \\(AGENT_PORT\\) on ::1 \\(where a browser's localhost goes first\\) is in use by another process: stop it, or choose another port, e\\.g\\. MOCK_AUTH0_PORT=${mockAuth0Port} SHOP_API_PORT=${shopPort} AGENT_PORT=\\d+ `,
        ),
      );
    } finally {
      v6.close();
      rmSync(unused, { recursive: true, force: true });
    }
  });

  it("names the host variable, not the port's, for a host that is no address of this machine", async () => {
    const unused = mkdtempSync(path.join(tmpdir(), "dev-no-shop-"));
    try {
      const { env } = await servicePorts();
      // TEST-NET-1 (RFC 5737): bound to nowhere here, and never sent anything.
      const dev = runDev(DEV_SCRIPT, {
        ...env,
        MOCK_AUTH0_HOST: "192.0.2.1",
        SHOP_API_DATABASE: path.join(unused, "db"),
      });
      expect(await dev.exited).toBe(1);
      expect(dev.stderr()).toBe(
        "pnpm dev: cannot listen on 192.0.2.1 (MOCK_AUTH0_HOST): it is no address of this " +
          "machine (EADDRNOTAVAIL); set MOCK_AUTH0_HOST to one, such as 127.0.0.1\n",
      );
    } finally {
      rmSync(unused, { recursive: true, force: true });
    }
  });

  it("refuses AGENT_PORT=0 without APP_BASE_URL before it starts anything, with the web app's own message and exit 2", async () => {
    // What the web app answers to it (`pnpm agent serve` exits 2 with this).
    const refused = refusal(() => loadWebConfig({ AGENT_PORT: "0" }));
    expect(refused).toContain("AGENT_PORT must not be 0");
    const started = performance.now();
    // APP_BASE_URL blank, over any .env's: unset.
    const dev = await refusedRun({ AGENT_PORT: "0", APP_BASE_URL: "" });
    expect(dev.child.exitCode).toBe(2);
    const elapsedMs = Math.round(performance.now() - started);
    expect(dev.stderr()).toBe(`${refused}\n`);
    expect(dev.stdout()).toBe("");
    expect(servicesOf(dev)).toEqual([]);
    process.stdout.write(`pnpm dev with AGENT_PORT=0: exit 2 after ${elapsedMs} ms\n`);
  });

  it("refuses a mistyped MOCK_AUTH0_APPROVER before it starts anything, with the tenant's own message and exit 2, the value quoted once", async () => {
    // What the tenant answers to it (`pnpm mock-auth0` exits 2 with this).
    const refused = refusal(() => loadTenantConfig({ MOCK_AUTH0_APPROVER: "aprove" }));
    expect(refused).toBe(
      'Invalid mock-auth0 configuration:\n  - MOCK_AUTH0_APPROVER must be an approver outcome, one of manual, approve, deny, ignore, approve-after:<ms>, deny-after:<ms>, expire-after:<ms> (<ms>: 0 to 999999999, whole milliseconds) (got "aprove")',
    );
    const dev = await refusedRun({ MOCK_AUTH0_APPROVER: "aprove" });
    // It started the tenant, which stopped on it, and pnpm dev exited 1.
    expect(dev.child.exitCode).toBe(2);
    expect(dev.stderr()).toBe(`${refused}\n`);
    expect(dev.stdout()).toBe("");
    expect(servicesOf(dev)).toEqual([]);
  });

  it("refuses a tenant file mock-auth0 would refuse before it starts anything, with the tenant's own message and exit 2, as pnpm mock-auth0 alone", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "dev-bad-tenant-"));
    try {
      const tenantFile = path.join(folder, "tenant.yaml");
      writeFileSync(tenantFile, "clients: [unclosed\n");
      // A settings file MOCK_AUTH0_SETTINGS names that is not there is named alone, not dropped
      // for the repository tenant's keywords to be named as missing instead.
      const missing = path.join(folder, "no-such-settings.json");
      for (const [setting, said] of [
        [{ MOCK_AUTH0_TENANT: tenantFile }, `${tenantFile}: not valid YAML: `],
        [
          { MOCK_AUTH0_SETTINGS: missing },
          `${missing}: cannot read the settings file: ENOENT: no such file or directory`,
        ],
      ] as const) {
        const alone = await tenantAlone({ ...setting, MOCK_AUTH0_CERT_DIR: folder });
        expect(alone.code).toBe(2);
        expect(alone.stderr).toContain(`Invalid tenant:\n  - ${said}`);
        // Before, it started the tenant, which stopped on it, and pnpm dev exited 1.
        const dev = await refusedRun(setting);
        expect(dev.child.exitCode).toBe(2);
        expect(dev.stderr()).toBe(alone.stderr);
        expect(dev.stdout()).toBe("");
        expect(servicesOf(dev)).toEqual([]);
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 60_000);

  // Ready within seconds, so 20 s is a hang: before, it waited 30 s for the service's ready
  // record, and the watcher that ran the dead service kept waiting for a change.
  describe("when a service stops on its own", () => {
    // Two checks on one running stack (each `pnpm dev` costs seconds of CPU): a second one that
    // fails at start beside it, then this one's tenant killed under it.
    it("exits 1 at once with the shop's own error when another pnpm dev's shop holds its database (the port check passes); one whose service dies once ready exits 1 naming it; each stops what it started", async () => {
      await whileRunning(DEV_SCRIPT, {}, async ({ dev, ports: running }) => {
        // A second `pnpm dev` on free ports of its own, on the same data directory.
        const { ports, env } = await servicePorts();
        const second = runDev(DEV_SCRIPT, {
          ...env,
          SHOP_API_DATABASE: await sharedShopDatabase(),
        });
        expect(await second.exited).toBe(1);
        expect(lastLine(second)).toMatch(
          /^pnpm dev: shop-api exited with an error before printing its ready record: (shop-api cannot start: )?\S+ is in use by another shop-api process\. Stop it first/,
        );
        expect(second.stdout()).not.toContain("ciba-testbed is running");
        expect(servicesOf(second)).toEqual([]);
        for (const port of ports) expect(await portIsFree(port)).toBe(true);

        // The first one's tenant itself, not the watcher that runs it, as a crash or the OOM
        // killer would end it. It printed a banner after its ready record, which is no error.
        const tenant = servicesOf(dev).find(
          ({ args }) =>
            args.some((arg) => arg.endsWith("/mock-auth0.js")) && !args.includes("--watch"),
        );
        expect(tenant).toBeDefined();
        process.kill(tenant!.pid, "SIGKILL");
        expect(await dev.exited).toBe(1);
        expect(lastLine(dev)).toBe(
          "pnpm dev: mock-auth0 exited with an error, with no error message (killed, or it crashed without one); the other services are stopped",
        );
        expect(servicesOf(dev)).toEqual([]);
        for (const port of running) expect(await portIsFree(port)).toBe(true);
      });
    }, 40_000);
  });

  // The tenant keeps its CA in a folder the person may share or change (their own
  // MOCK_AUTH0_CERT_DIR): a CA replaced there reaches this stack at the tenant's next start.
  describe("when the tenant replaces its CA", () => {
    /** A folder of the person's own with a CA the tenant cannot sign with: its key is gone. */
    async function caWithoutKey(certDir: string): Promise<X509Certificate> {
      const made = await ensureLocalCertificates(certDir);
      rmSync(path.join(certDir, "ca-key.pem"));
      rmSync(path.join(certDir, "localhost.pem"));
      return new X509Certificate(made.caCert);
    }

    /** The tenant's note of a CA made because `old`'s key is gone. */
    const keyGoneNote = (ca: string, old: X509Certificate) =>
      `mock-auth0 made a new local CA, ${ca}, as the CA there before (SHA-256 ` +
      `${old.fingerprint256}) could not sign a new server certificate (localhost.pem was ` +
      "missing, damaged or near its end): its key (ca-key.pem) is gone or not its own. What " +
      "trusted the old CA no longer trusts this tenant";

    it(
      "says once, each time the tenant its watcher started again serves a new CA, what to restart and how",
      async () => {
        const folder = mkdtempSync(path.join(tmpdir(), "dev-ca-renewed-"));
        onTestFinished(() => {
          rmSync(folder, { recursive: true, force: true });
        });
        const certDir = path.join(folder, "certs");
        const ca = path.join(certDir, "ca.pem");
        await ensureLocalCertificates(certDir);
        await whileRunning(DEV_SCRIPT, { MOCK_AUTH0_CERT_DIR: certDir }, async ({ dev }) => {
          // The built file Node's watcher runs the tenant from: a change to it starts it again,
          // as a change to its sources does once the build has caught up.
          const builtTenant =
            servicesOf(dev)
              .filter(({ args }) => args.includes("--watch"))
              .flatMap(({ args }) => args)
              .find((arg) => arg.endsWith("/mock-auth0.js")) ?? "";
          expect(builtTenant).not.toBe("");
          const starts = () => dev.stdout().split(" is serving https://").length - 1;
          const notes = () =>
            stripVTControlCharacters(dev.stdout()).split(
              "\nNote: the tenant started again with a new CA\n",
            );
          const until = async (done: () => boolean, what: string) => {
            const deadline = Date.now() + loadScaled(30_000);
            while (!done() && Date.now() < deadline) {
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
            expect(done(), what).toBe(true);
          };
          const startAgain = async () => {
            const before = starts();
            writeFileSync(builtTenant, `${readFileSync(builtTenant, "utf8")}\n`);
            await until(() => starts() > before, "the tenant's next start");
          };
          const say = (old: X509Certificate) =>
            `  ${keyGoneNote(ca, old)} (a Node process started with NODE_EXTRA_CA_CERTS naming ` +
            "it or a bundle made from it, a browser or a system store it was added to, curl " +
            "--cacert): restart each with the new ca.pem (a test run's globalSetup with " +
            "ensureTestbedCa makes its bundle anew), and add it where you added the old one\n" +
            "  This stack's shop and web app still trust the old CA, so every call they make to " +
            "the tenant fails TLS from now on. Restart pnpm dev: Ctrl-C, then pnpm dev. Then start " +
            "each agent started before again with the agent command it prints, and have a browser " +
            "that trusted the old CA trust the new ca.pem (or accept the warning once).\n";

          const first = await caWithoutKey(certDir);
          await startAgain();
          await until(() => notes().length === 2, "the note of the first new CA");
          expect(notes()[1]?.slice(0, say(first).length)).toBe(say(first));
          // Started again with the CA it has: nothing to say. Then another new CA: said once more.
          await startAgain();
          const second = await caWithoutKey(certDir);
          expect(second.fingerprint256).not.toBe(first.fingerprint256);
          await startAgain();
          await until(() => notes().length === 3, "the note of the second new CA");
          expect(notes()[2]?.slice(0, say(second).length)).toBe(say(second));
          expect(starts()).toBe(4);
        });
      },
      loadScaled(150_000),
    );

    it("fails with the tenant's note of the CA it replaced when a service it starts after the tenant cannot start", async () => {
      const folder = mkdtempSync(path.join(tmpdir(), "dev-ca-replaced-"));
      onTestFinished(() => {
        rmSync(folder, { recursive: true, force: true });
      });
      const certDir = path.join(folder, "certs");
      const old = await caWithoutKey(certDir);
      // A file where the shop's database folder should be: the shop stops at its start.
      const notAFolder = path.join(folder, "database");
      writeFileSync(notAFolder, "");
      const dev = runDev(DEV_SCRIPT, {
        ...(await servicePorts()).env,
        MOCK_AUTH0_CERT_DIR: certDir,
        SHOP_API_DATABASE: notAFolder,
      });
      expect(await dev.exited).toBe(1);
      const said = dev
        .stderr()
        .trimEnd()
        .split("\n")
        .filter((line) => line.startsWith("pnpm dev:"));
      expect(said).toHaveLength(2);
      expect(said[0]).toMatch(
        /^pnpm dev: shop-api exited with an error before printing its ready record: .*is a file, not a folder/,
      );
      expect(said[1]).toMatch(
        new RegExp(
          `^pnpm dev: Note: ${escapeRegExp(keyGoneNote(path.join(certDir, "ca.pem"), old))}.*: restart each with the new ca\\.pem`,
        ),
      );
      expect(servicesOf(dev)).toEqual([]);
    }, 60_000);
  });
});
