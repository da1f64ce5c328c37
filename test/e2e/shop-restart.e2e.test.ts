import { connect } from "node:net";

import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { emptyShopDatabase } from "@ciba-testbed/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { ShopApiProcess, buyerToken, sharedTenant } from "../support/shop-api-process.js";

// Issue 18: shop-api kept its orders in memory, so a restart (every file change under
// `pnpm dev`) lost them and re-armed used approvals. Real processes, one embedded database
// folder, real CIBA tokens from mock-auth0.
describe("shop-api restarted on its embedded database", () => {
  let tenant: RunningMockAuth0;
  let database: Awaited<ReturnType<typeof emptyShopDatabase>>;
  let shop: ShopApiProcess | undefined;

  beforeAll(async () => {
    // A copy of an empty database, as a stack's shop gets: a new folder would make the first
    // shop run initdb (about 2 s of CPU), which is no part of a restart. The tenant only
    // issues the tokens: the one this worker's files share.
    [tenant, database] = await Promise.all([sharedTenant(), emptyShopDatabase()]);
  });
  afterAll(async () => {
    await shop?.stop();
    await database.remove();
  });

  const restart = async (args: string[] = []) => {
    await shop?.stop();
    shop = await ShopApiProcess.start(tenant, { folder: database.folder }, "shop-api", args);
  };

  it(
    "keeps orders, Idempotency-Key replays, used approvals and stock",
    { timeout: 300_000 },
    async () => {
      shop = await ShopApiProcess.start(tenant, { folder: database.folder });
      const approval = await buyerToken(tenant, {
        product: "XYZ phone",
        quantity: 1,
        maximumAmount: 499,
      });
      const reader = await buyerToken(tenant);
      const phone = { product: "XYZ phone", qty: 1 };
      const cables = { product: "USB-C cable", qty: 3 };

      const first = await shop.buy(approval, phone, "order-1");
      const second = await shop.buy(reader, cables);
      expect([first.status, second.status]).toEqual([201, 201]);
      const stockBefore = await shop.stock("xyz-phone");
      const ordersBefore = await shop.orders(reader);
      expect(ordersBefore.map((o) => o.id)).toEqual([first.body.id, second.body.id]);

      await restart();

      // The person's orders, as they were.
      expect(await shop.orders(reader)).toEqual(ordersBefore);
      // The first answer again for the same Idempotency-Key and body.
      const replay = await shop.buy(approval, phone, "order-1");
      expect(replay).toMatchObject({ status: 201, replayed: true, body: first.body });
      // The used approval buys nothing more, with or without a new key.
      for (const key of [undefined, "order-2"]) {
        const again = await shop.buy(approval, phone, key);
        expect(again.status).toBe(403);
        expect(again.body).toMatchObject({
          error: "insufficient_authorization_details",
          error_description: expect.stringMatching(
            `^This approval was already used for order ${String(first.body.id)}; a new purchase needs a new approval \\(`,
          ),
        });
      }
      // The shelves were not refilled.
      expect(await shop.stock("xyz-phone")).toBe(stockBefore);

      // And again: a third life changes nothing.
      await restart();
      expect(await shop.orders(reader)).toEqual(ordersBefore);
      expect((await shop.buy(approval, phone)).status).toBe(403);
    },
  );

  // The audit's SIGTERM race: 50 purchases with one approval, then the stop. Most clients got
  // ECONNRESET: their connections were still in the listening socket's queue.
  it(
    "answers every purchase sent before a SIGTERM: none reset, none a 500, one order",
    { timeout: 300_000 },
    async () => {
      shop ??= await ShopApiProcess.start(tenant, { folder: database.folder });
      const approval = await buyerToken(tenant, {
        product: "USB-C cable",
        quantity: 1,
        maximumAmount: 10,
      });
      const reader = await buyerToken(tenant);
      const ordersBefore = await shop.orders(reader);
      const { port } = new URL(shop.url);
      const body = JSON.stringify({ product: "USB-C cable", qty: 1 });
      let written = 0;
      let stopped: Promise<void> | undefined;
      const stopping = shop;
      const answers = await Promise.all(
        Array.from(
          { length: 50 },
          (_, i) =>
            new Promise<string>((resolve) => {
              const socket = connect(Number(port), "127.0.0.1");
              let text = "";
              let failure: string | undefined;
              socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
              socket.on("error", (error: NodeJS.ErrnoException) => (failure = error.code));
              socket.on("close", () => {
                resolve(failure ?? /^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? "no answer");
              });
              const request = [
                "POST /api/purchases HTTP/1.1",
                "Host: 127.0.0.1",
                "Content-Type: application/json",
                `Authorization: Bearer ${approval}`,
                `Idempotency-Key: sigterm-${String(i)}`,
                `Content-Length: ${String(body.length)}`,
                "",
                body,
              ].join("\r\n");
              // SIGTERM once every purchase is on its way (keep-alive connections, as clients
              // with a pool send them).
              socket.on("connect", () =>
                socket.write(request, () => {
                  if (++written === 50) stopped = stopping.stop();
                }),
              );
            }),
        ),
      );
      await stopped;
      expect(stopping.child.exitStatus).toEqual({ code: 0, signal: null });

      // Served (the order, or the approval already used) or refused for the stop.
      expect(answers.filter((answer) => !["201", "403", "503"].includes(answer))).toEqual([]);
      const placed = answers.filter((answer) => answer === "201").length;
      expect(placed).toBeLessThanOrEqual(1);
      await restart();
      expect(await shop.orders(reader)).toHaveLength(ordersBefore.length + placed);
    },
  );

  // The audit: `pnpm shop-api --reset`, which the READMEs recommended to restock, forgot the
  // approvals already spent with the orders, and a spent approval's token bought a second
  // laptop. Last: it empties the folder the tests above share.
  it(
    "refuses an approval spent before the reset, and sells to a new one",
    { timeout: 300_000 },
    async () => {
      shop ??= await ShopApiProcess.start(tenant, { folder: database.folder });
      const laptop = { product: "ABC laptop", quantity: 1, maximumAmount: 1299 };
      const approval = await buyerToken(tenant, laptop);
      const body = { product: "ABC laptop", qty: 1 };

      expect((await shop.buy(approval, body, "k1")).status).toBe(201);
      expect((await shop.buy(approval, body, "k2")).body).toMatchObject({
        error: "insufficient_authorization_details",
        error_description: expect.stringMatching(/^This approval was already used for order /),
      });

      // However soon the reset comes: in the approval's own second, its iat (whole seconds)
      // cannot say whether it was issued before the record began.
      await restart(["--reset"]);

      const again = await shop.buy(approval, body, "k3");
      expect(again.status).toBe(403);
      expect(again.body).toMatchObject({
        error: "insufficient_authorization_details",
        error_description: expect.stringMatching(
          /^This approval was issued (?:before|in the second) this shop's record of spent approvals began \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?Z\)(?:, maybe before it \(a token's iat counts whole seconds\))?: it may have been spent already; ask the person for a new approval$/,
        ),
      });
      // Nothing was sold after the reset; a new approval buys.
      const reader = await buyerToken(tenant);
      expect(await shop.orders(reader)).toEqual([]);
      const renewed = await buyerToken(tenant, laptop);
      const bought = await shop.buy(renewed, body, "k4");
      expect(bought.status).toBe(201);
      expect((await shop.orders(reader)).map((order) => order.id)).toEqual([bought.body.id]);
    },
  );
});
