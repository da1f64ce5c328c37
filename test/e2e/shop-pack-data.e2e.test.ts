/**
 * The shop installed from its packed tarball keeps its database where a reinstall does not
 * reach. Its default folder was dist/.data/shop-api inside node_modules: a new version, `npm ci`
 * or `rm -rf node_modules` deleted it, and the same token with the same Idempotency-Key then
 * bought a second time (201, a new order, the stock back).
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { makeScratchFolder } from "@ciba-testbed/shared/node";
import { REPO_ROOT } from "@ciba-testbed/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { readyRecord } from "../support/ready-file.js";
import { buyerToken, startTenant } from "../support/shop-api-process.js";

const exec = promisify(execFile);

let scratch: string;
let appDir: string;
let home: string;
let tarball: string;
let tenant: RunningMockAuth0;

async function install(): Promise<void> {
  rmSync(path.join(appDir, "node_modules"), { recursive: true, force: true });
  await exec("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], {
    cwd: appDir,
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
}

/**
 * The installed shop, given to `use` once it listens, then stopped. On a free port, which its
 * ready record names: a fixed one may be another test run's on a shared machine.
 */
async function withInstalledShop(use: (url: string) => Promise<void>): Promise<void> {
  const readyFile = path.join(scratch, "shop.ready.json");
  rmSync(readyFile, { force: true });
  const child = spawn(
    process.execPath,
    ["node_modules/.bin/shop-api", "--port", "0", "--ready-file", readyFile],
    {
      cwd: appDir,
      stdio: ["ignore", "ignore", "inherit"],
      env: {
        PATH: process.env.PATH ?? "",
        HOME: home,
        NODE_EXTRA_CA_CERTS: tenant.caCertPath,
        AUTH0_ISSUER_BASE_URL: tenant.issuer,
        SHOP_API_REQUIRE_AUTHORIZATION_DETAILS: "false",
        LOG_LEVEL: "warn",
      },
    },
  );
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    // Its stderr is above: it goes to this process's.
    const { url } = (await readyRecord(child, readyFile, {
      name: "the installed shop-api",
      within: 120_000,
    })) as { url: string };
    await use(url);
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

async function buy(url: string, token: string) {
  const res = await fetch(`${url}/api/purchases`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "idempotency-key": "order-1",
    },
    body: JSON.stringify({ product: "XYZ phone", qty: 1 }),
  });
  return {
    status: res.status,
    replayed: res.headers.get("idempotent-replayed") === "true",
    id: ((await res.json()) as { id?: string }).id,
  };
}

beforeAll(async () => {
  scratch = await makeScratchFolder("ciba-testbed-shop-pack-");
  appDir = path.join(scratch, "app");
  home = path.join(scratch, "home");
  await exec("mkdir", ["-p", appDir, home]);
  writeFileSync(path.join(appDir, "package.json"), '{ "name": "app", "private": true }\n');
  const [packed] = await Promise.all([
    exec("pnpm", ["pack", "--pack-destination", scratch], {
      cwd: path.join(REPO_ROOT, "apps/shop-api"),
    }),
    startTenant().then((started) => {
      tenant = started;
    }),
  ]);
  tarball = packed.stdout.trim().split("\n").at(-1) ?? "";
  await install();
}, 300_000);

afterAll(async () => {
  await tenant.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("the installed shop's database", () => {
  it(
    "is in the user's data folder, private, and outlives a reinstall",
    { timeout: 300_000 },
    async () => {
      const token = await buyerToken(tenant);
      let first: Awaited<ReturnType<typeof buy>> | undefined;
      await withInstalledShop(async (url) => {
        first = await buy(url, token);
      });
      expect(first?.status).toBe(201);
      const folder = path.join(home, ".local/share/ciba-testbed/shop-api");
      expect(existsSync(path.join(folder, "PG_VERSION"))).toBe(true);
      expect(statSync(folder).mode & 0o777).toBe(0o700);
      expect(existsSync(path.join(appDir, "node_modules/@ciba-testbed/shop-api/dist/.data"))).toBe(
        false,
      );

      await install();
      await withInstalledShop(async (url) => {
        expect(await buy(url, token)).toEqual({ status: 201, replayed: true, id: first?.id });
      });
    },
  );
});
