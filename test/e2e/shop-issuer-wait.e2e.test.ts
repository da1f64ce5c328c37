import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { ensureLocalCertificates } from "@ciba-testbed/mock-auth0";
import { DEFAULT_CERT_DIR, SHORT_LIVED_SHOP_ENV, freePort } from "@ciba-testbed/shared/node";
import { WATCHED_SHOP_ENV, emptyShopDatabase, shopTenantEnv } from "@ciba-testbed/stack";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import type { LineParser } from "@ciba-testbed/stack/supervisor";
import { afterEach, expect, it } from "vitest";

import { startTenant } from "../support/shop-api-process.js";

// `pnpm dev` after a change to code the tenant and the shop are both built from: both start
// again at once, and here the shop asks before the tenant listens again. The tenant's port is
// held closed until the shop has found it so, then opened: no timing decides the order.

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The shop's log record that it found the issuer refusing connections and waits. */
const waitingRecord: LineParser<{ problem: string; waitMs: number }> = (line) => {
  if (!line.startsWith("{")) return undefined;
  const record = JSON.parse(line) as { problem?: unknown; waitMs?: unknown };
  return record.problem === "connection_refused" && typeof record.waitMs === "number"
    ? { problem: record.problem, waitMs: record.waitMs }
    : undefined;
};

it("a pnpm dev shop that starts before the tenant listens waits for it, then serves", async () => {
  // The CA the shop trusts must exist before it starts, as it does under `pnpm dev`.
  await ensureLocalCertificates(DEFAULT_CERT_DIR);
  const port = await freePort();
  const issuer = `https://localhost:${port}/`;
  const database = await emptyShopDatabase();
  cleanups.push(() => database.remove());

  const shop = SupervisedChild.spawn({
    name: "shop-api",
    script: "apps/shop-api/src/main.ts",
    env: {
      ...shopTenantEnv(issuer, path.join(DEFAULT_CERT_DIR, "ca.pem")),
      SHOP_API_PORT: "0",
      SHOP_API_DATABASE: database.folder,
      SHOP_API_DATABASE_URL: "",
      LOG_LEVEL: "warn",
      ...SHORT_LIVED_SHOP_ENV,
      ...WATCHED_SHOP_ENV,
    },
  });
  cleanups.push(() => shop.stop());
  const waiting = await shop.waitForLine(waitingRecord, 30_000, "that it waits for the issuer");
  expect(waiting).toEqual({ problem: "connection_refused", waitMs: 30_000 });

  const tenant = await startTenant(port);
  cleanups.push(() => tenant.close());
  expect(tenant.issuer).toBe(issuer);

  // A busy machine's database open, once the issuer answered.
  const ready = await shop.waitForReady(120_000);
  const answer = await fetch(`${ready.url}/ready`);
  expect(answer.status).toBe(200);
  expect(shop.running).toBe(true);
});

it("a shop started beside a tenant's first start trusts the CA the tenant makes meanwhile", async () => {
  // Two terminals, a CI job or a compose file: the shop looks for the tenant's CA before the
  // tenant has made it, in a certificate folder of its own, and NODE_EXTRA_CA_CERTS names none.
  const certDir = await mkdtemp(path.join(tmpdir(), "shop-issuer-wait-certs-"));
  cleanups.push(() => rm(certDir, { recursive: true, force: true }));
  const port = await freePort();
  const issuer = `https://localhost:${port}/`;

  const shop = SupervisedChild.spawn({
    name: "shop-api",
    script: "apps/shop-api/src/main.ts",
    env: {
      ...shopTenantEnv(issuer, ""),
      MOCK_AUTH0_CERT_DIR: certDir,
      SHOP_API_PORT: "0",
      SHOP_API_DATABASE: ":memory:",
      SHOP_API_DATABASE_URL: "",
      LOG_LEVEL: "warn",
      ...SHORT_LIVED_SHOP_ENV,
      ...WATCHED_SHOP_ENV,
    },
  });
  cleanups.push(() => shop.stop());
  await shop.waitForLine(waitingRecord, 30_000, "that it waits for the issuer");

  // Its first start: the tenant makes its CA and certificate in the folder, then listens.
  const tenant = await startTenant(port, undefined, certDir);
  cleanups.push(() => tenant.close());
  expect(tenant.caCertPath).toBe(path.join(certDir, "ca.pem"));

  const ready = await shop.waitForReady(120_000);
  const answer = await fetch(`${ready.url}/ready`);
  expect(answer.status).toBe(200);
  expect(shop.running).toBe(true);
});
