import { connect, createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";

import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startPostgres } from "../support/postgres.js";
import type { PostgresServer } from "../support/postgres.js";
import { ShopApiProcess, buyerToken, sharedTenant } from "../support/shop-api-process.js";

// PostgreSQL gone while the shop runs: every answer that needs it is 503
// temporarily_unavailable with Retry-After (retry with the same Idempotency-Key), /ready says
// the shop cannot sell, and nothing is a 500. A server of its own, since this file stops it.
describe("shop-api when its PostgreSQL stops", () => {
  let tenant: RunningMockAuth0;
  let postgres: PostgresServer;
  let shop: ShopApiProcess;
  let database: string;

  beforeAll(async () => {
    [tenant, postgres] = await Promise.all([sharedTenant(), startPostgres()]);
    database = await postgres.createDatabase();
    shop = await ShopApiProcess.start(tenant, { url: database });
  });
  afterAll(async () => {
    await shop.stop();
    await postgres.stop();
  });

  it("answers 503 to a statement held past its timeout or whose connection drops, keeps running, then sells", async () => {
    // A shop of its own, reaching PostgreSQL through a TCP relay the test can cut, as a network
    // that fails or a host that goes: the shop's sockets end with no word from the server.
    const relay = await tcpRelay(new URL(database));
    const relayed = new URL(database);
    relayed.port = String(relay.port);
    // Its statements may take 2 s (5 s unless the URL says otherwise).
    relayed.searchParams.set("statement_timeout", "2000");
    const cut = await ShopApiProcess.start(tenant, { url: relayed.href }, "shop-api-relayed");
    const holder = new pg.Client({ connectionString: database });
    try {
      const approval = await buyerToken(tenant, {
        product: "USB-C cable",
        quantity: 1,
        maximumAmount: 9.99,
      });
      // A session that holds the orders table, so the shop's purchase waits in its query.
      await holder.connect();
      await holder.query("begin");
      await holder.query("lock table shop_orders in access exclusive mode");
      // Held past the statement timeout: PostgreSQL cancels it, and the shop says why.
      const held = await cut.buy(approval, { product: "USB-C cable", qty: 1 }, "held-1");
      expect(held).toMatchObject({
        status: 503,
        body: {
          error: "temporarily_unavailable",
          error_description: expect.stringMatching(
            /^The shop's database did not answer in time \(a lock held elsewhere/,
          ),
        },
      });

      const buying = cut.buy(approval, { product: "USB-C cable", qty: 1 }, "in-use-1");
      await expect
        .poll(
          async () =>
            (
              await holder.query<{ n: number }>(
                "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()",
              )
            ).rows[0]?.n,
        )
        .toBe(1);
      relay.cut();
      expect(await buying).toMatchObject({
        status: 503,
        body: { error: "temporarily_unavailable" },
      });
      await holder.query("rollback");

      // Still running: the retry with the same Idempotency-Key buys, once.
      expect(cut.child.running).toBe(true);
      const retried = await cut.buy(approval, { product: "USB-C cable", qty: 1 }, "in-use-1");
      expect(retried).toMatchObject({ status: 201, replayed: false });
    } finally {
      await holder.end();
      await cut.stop();
      await relay.close();
    }
  });

  it("answers 503 with Retry-After, never 500, and is not ready", async () => {
    const approval = await buyerToken(tenant, {
      product: "USB-C cable",
      quantity: 1,
      maximumAmount: 9.99,
    });
    // (No /ready before: it keeps an answer for 5 s, a load balancer's polls cost the issuer
    // nothing.)
    await postgres.stop();

    const bought = await shop.buy(approval, { product: "USB-C cable", qty: 1 }, "outage-1");
    expect(bought).toMatchObject({
      status: 503,
      body: {
        error: "temporarily_unavailable",
        error_description: expect.stringContaining("same Idempotency-Key"),
      },
    });
    // An order sent without a key is not told to send the same key again.
    const keyless = await shop.buy(approval, { product: "USB-C cable", qty: 1 });
    expect(keyless).toMatchObject({
      status: 503,
      body: {
        error_description:
          "The shop's database cannot be reached right now. Retry after the Retry-After seconds",
      },
    });
    for (const path of ["/api/products", "/api/products/usb-c-cable", "/api/purchases"]) {
      const answer = await fetch(`${shop.url}${path}`, {
        headers: { authorization: `Bearer ${approval}` },
      });
      expect([path, answer.status, answer.headers.get("retry-after")]).toEqual([path, 503, "5"]);
      // A read is told to come again, with no word of an Idempotency-Key it never had.
      expect(((await answer.json()) as { error_description: string }).error_description).toBe(
        "The shop's database cannot be reached right now. Retry after the Retry-After seconds",
      );
    }
    const ready = await fetch(`${shop.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      error: "temporarily_unavailable",
      error_description: expect.stringContaining("database cannot be reached"),
    });
  });
});

/** A TCP relay to `target`'s host and port; `cut()` drops every connection through it so far. */
async function tcpRelay(target: URL) {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
