import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { rootCertificates } from "node:tls";
import { fileURLToPath } from "node:url";

import { SHORT_LIVED_SHOP_ENV, captureOutput, parseReadyRecord } from "@ciba-testbed/shared/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { builtEntry, sourceMapFlags } from "../../../scripts/build.js";
import { emptyShopDatabase } from "../../../scripts/stack/shop-database.js";
import { close, listen, localTls, startTestIssuer } from "./test-support/test-issuer.js";
import type { TestIssuer } from "./test-support/test-issuer.js";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));

let issuer: TestIssuer;
const running: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});
afterEach(async () => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startMain(
  env: Record<string, string>,
  args: string[] = [],
  entry: "shop-api" | "shop-api-bin" = "shop-api",
): Started {
  // As the stack starts it: the shop maps the stacks it prints itself.
  const flags = sourceMapFlags(
    entry === "shop-api" ? "apps/shop-api/src/main.ts" : "apps/shop-api/src/bin.ts",
  );
  const child = spawn(process.execPath, [...flags, builtEntry(entry), ...args], {
    cwd: PACKAGE_DIR,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      // Never the repository's own data folder (the default) from a test.
      SHOP_API_DATABASE: ":memory:",
      ...SHORT_LIVED_SHOP_ENV,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  return { child, ...captureOutput(child) };
}

async function listeningUrl(started: Started): Promise<string> {
  for (;;) {
    const ready = started
      .stdout()
      .split("\n")
      .map(parseReadyRecord)
      .find((record) => record !== undefined);
    if (ready) return ready.url;
    if (started.child.exitCode !== null) throw new Error(`exited: ${started.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends raw bytes (what `fetch` would refuse to send) and returns the whole answer. */
function sendRaw(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = connect(Number(port), hostname, () => {
      socket.write(bytes);
    });
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
    socket.on("error", reject);
    socket.on("close", () => {
      resolve(answer);
    });
  });
}

type ShopDatabase = Awaited<ReturnType<typeof emptyShopDatabase>>;

/** A database folder a shop process sold from and was then stopped with SIGTERM. */
interface SoldFolder {
  database: ShopDatabase;
  /** The orders it sold, all to the issuer's default user. */
  orderIds: string[];
}

/** A token for one phone, as the person approved it (the shop's default needs one). */
const onePhoneApproved = () =>
  issuer.mint({
    claims: {
      authorization_details: [
        { type: "product_purchase", product: "XYZ phone", quantity: 1, currency: "USD" },
      ],
    },
  });

const buyOnePhone = async (url: string, token: string) =>
  fetch(`${url}/api/purchases`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ product: "XYZ phone", qty: 1 }),
  });

/**
 * What the selling test leaves, for the restart test to start the shop on again: each start
 * opens the embedded database, over a second of CPU, so the restart test restarts that shop
 * instead of first starting and stopping one of its own (which it does when run alone).
 */
let soldFolder: SoldFolder | undefined;
afterAll(async () => {
  await soldFolder?.database.remove();
});

// Every start opens a database: an in-memory one runs initdb (WebAssembly), seconds on a busy machine.
describe("main.ts (a real process)", { timeout: 120_000 }, () => {
  it("refuses a bad configuration, naming every variable, and exits 2", async () => {
    const started = startMain({
      SHOP_API_PORT: "http",
      LOG_LEVEL: "loud",
      SHOP_API_HOST: "999.1.1.1",
    });
    expect(await started.exited).toBe(2);
    expect(started.stderr()).toContain("Invalid shop-api configuration:");
    expect(started.stderr()).toContain("SHOP_API_PORT must be a port number");
    expect(started.stderr()).toContain("LOG_LEVEL must be one of");
    expect(started.stderr()).toContain(
      'SHOP_API_HOST must be an IP address (such as 127.0.0.1 or ::1) or a host name that resolves (such as localhost) (got "999.1.1.1")',
    );
  });

  it("exits 1 naming the cause when the issuer cannot be reached", async () => {
    const unused = await listen(() => undefined);
    const { port } = unused.address() as AddressInfo;
    await close(unused);
    const started = startMain({
      AUTH0_ISSUER_BASE_URL: `http://127.0.0.1:${port}/`,
      SHOP_API_PORT: "0",
    });
    expect(await started.exited).toBe(1);
    expect(started.stderr()).toContain("shop-api cannot start:");
    expect(started.stderr()).toContain("ECONNREFUSED");
  });

  it("exits 1 with one line naming SHOP_API_PORT when the port is taken, not a log record with a stack", async () => {
    const taken = await listen(() => undefined);
    cleanups.push(() => close(taken));
    const { port } = taken.address() as AddressInfo;
    // The shop opens its database before it listens: a copy of an empty one opens in a tenth
    // of the CPU a new `:memory:` one costs (initdb).
    const database = await emptyShopDatabase();
    cleanups.push(() => database.remove());
    const started = startMain({
      AUTH0_ISSUER_BASE_URL: issuer.issuer,
      SHOP_API_PORT: String(port),
      SHOP_API_DATABASE: database.folder,
      LOG_LEVEL: "warn",
    });
    expect(await started.exited).toBe(1);
    expect(started.stderr()).toBe(
      `listen EADDRINUSE: address already in use 127.0.0.1:${port}: another process holds the port; stop it or set SHOP_API_PORT\n`,
    );
    expect(started.stdout()).not.toContain("EADDRINUSE");
  });

  it("starts, sells with a token for the approved purchase, refuses a scope alone and no token, and stops on SIGTERM", async () => {
    const database = await emptyShopDatabase();
    // Kept for the restart test once this shop sold and stopped cleanly (see `soldFolder`).
    cleanups.push(async () => {
      if (soldFolder?.database !== database) await database.remove();
    });
    const started = startMain({
      SHOP_API_DATABASE: database.folder,
      AUTH0_ISSUER_BASE_URL: issuer.issuer,
      SHOP_API_PORT: "0",
      // Empty, as `X=` in a .env file: unset, so the defaults apply.
      AUTH0_DOMAIN: "",
      SHOP_API_AUDIENCE: "",
      LOG_LEVEL: " ",
    });
    const url = await listeningUrl(started);

    // By default a scope alone buys nothing: the token must carry the approved purchase.
    const scopeOnly = await buyOnePhone(url, await issuer.mint());
    expect(scopeOnly.status).toBe(403);
    expect(scopeOnly.headers.get("www-authenticate")).toContain(
      'error="insufficient_authorization_details"',
    );
    const bought = await buyOnePhone(url, await onePhoneApproved());
    expect(bought.status).toBe(201);
    expect(bought.headers.get("location")).toMatch(/^\/api\/purchases\/[0-9a-f-]{36}$/);
    const order = (await bought.json()) as { id: string };

    const refused = await fetch(`${url}/api/purchases`, { method: "POST" });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="api"');

    expect((await fetch(`${url}/ready`)).status).toBe(200);

    // Issue 10: malformed input is a JSON 400, from the app and from Node's parser alike.
    const malformed = await fetch(`${url}/api/products/%ZZ`);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toBe("invalid_request");
    const unparsable = await sendRaw(
      url,
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    );
    expect(unparsable).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(unparsable).toContain('{"error":"invalid_request"');

    started.child.kill("SIGTERM");
    expect(await started.exited).toBe(0);
    soldFolder = { database, orderIds: [order.id] };
  });

  it("trusts the local tenant's CA in its own process: the bin writes its --ready-file, and kill -9 leaves no server", async () => {
    // An HTTPS tenant on localhost whose CA (in MOCK_AUTH0_CERT_DIR, as mock-auth0 keeps it) is
    // not in the NODE_EXTRA_CA_CERTS Node read at start.
    const tls = await localTls();
    const tenant = await startTestIssuer({ tls });
    const certDir = mkdtempSync(path.join(tmpdir(), "shop-api-local-ca-"));
    cleanups.push(async () => {
      await tenant.close();
      rmSync(certDir, { recursive: true, force: true });
    });
    writeFileSync(path.join(certDir, "ca.pem"), tls.ca);
    writeFileSync(path.join(certDir, "other.pem"), rootCertificates[0] ?? "");
    const readyFile = path.join(certDir, "ready.json");
    const database = await emptyShopDatabase();
    cleanups.push(() => database.remove());
    const started = startMain(
      {
        SHOP_API_DATABASE: database.folder,
        AUTH0_ISSUER_BASE_URL: tenant.issuer,
        MOCK_AUTH0_CERT_DIR: certDir,
        NODE_EXTRA_CA_CERTS: path.join(certDir, "other.pem"),
      },
      ["--port", "0", "--ready-file", readyFile],
      "shop-api-bin",
    );
    const url = await listeningUrl(started);
    const ready = parseReadyRecord(readFileSync(readyFile, "utf8").trim());
    expect(ready).toMatchObject({ url, pid: started.child.pid });

    const approved = await tenant.mint({
      claims: {
        authorization_details: [
          { type: "product_purchase", product: "XYZ phone", quantity: 1, currency: "USD" },
        ],
      },
    });
    expect((await buyOnePhone(url, approved)).status).toBe(201);
    expect((await fetch(`${url}/ready`)).status).toBe(200);

    started.child.kill("SIGKILL");
    await started.exited;
    await expect(fetch(`${url}/health`)).rejects.toThrow("fetch failed");
  });

  it("keeps orders in its database folder across a restart, and --reset empties it", async () => {
    const token = await onePhoneApproved();
    const envFor = (folder: string) => ({
      AUTH0_ISSUER_BASE_URL: issuer.issuer,
      SHOP_API_PORT: "0",
      SHOP_API_DATABASE: folder,
    });
    // What the selling test's shop did, the same way when that test did not run (or failed):
    // a shop on a copy of an empty cluster (a new folder to the shop, without initdb's cost)
    // sells one phone and stops.
    const sellOnePhoneAndStop = async (): Promise<SoldFolder> => {
      const database = await emptyShopDatabase();
      cleanups.push(() => database.remove());
      const first = startMain(envFor(database.folder));
      const bought = await buyOnePhone(await listeningUrl(first), token);
      expect(bought.status).toBe(201);
      first.child.kill("SIGTERM");
      expect(await first.exited).toBe(0);
      return { database, orderIds: [((await bought.json()) as { id: string }).id] };
    };
    const sold = soldFolder ?? (await sellOnePhoneAndStop());
    soldFolder = undefined;
    cleanups.push(() => sold.database.remove());
    const folder = sold.database.folder;
    const env = envFor(folder);
    const orders = async (url: string) =>
      (
        (await (
          await fetch(`${url}/api/purchases`, { headers: { authorization: `Bearer ${token}` } })
        ).json()) as { orders: { id: string }[] }
      ).orders.map((order) => order.id);
    const phones = async (url: string) =>
      ((await (await fetch(`${url}/api/products/xyz-phone`)).json()) as { stock: number }).stock;

    const again = startMain(env);
    const againUrl = await listeningUrl(again);
    expect(await orders(againUrl)).toEqual(sold.orderIds);
    expect(await phones(againUrl)).toBe(49);

    // A second process on the same folder would corrupt it: refused while another runs.
    const second = startMain(env);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toContain(
      `shop-api cannot start: ${folder} is in use by another shop-api process`,
    );

    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);

    const reset = startMain(env, ["--reset"]);
    const resetUrl = await listeningUrl(reset);
    expect(await orders(resetUrl)).toEqual([]);
    expect(await phones(resetUrl)).toBe(50);
    reset.child.kill("SIGTERM");
    expect(await reset.exited).toBe(0);
  });

  it("prints its usage for --help, and refuses an unknown option with exit 2", async () => {
    const help = startMain({}, ["--help"]);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toMatch(/^Usage: shop-api \[--reset\]/);
    const wrong = startMain({}, ["--rest"]);
    expect(await wrong.exited).toBe(2);
    expect(wrong.stderr()).toContain("Unknown option '--rest'");
  });
});
