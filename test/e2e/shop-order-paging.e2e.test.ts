import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";

import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import type { OrderListJson } from "@ciba-testbed/shop-api";
import { REPO_ROOT, emptyShopDatabase } from "@ciba-testbed/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { readmeBlockUnder } from "../support/readme-example.js";
import { ShopApiProcess, buyerToken, sharedTenant } from "../support/shop-api-process.js";

const hasTools = ["curl", "jq"].every((tool) => spawnSync(tool, ["--version"]).status === 0);

// A shop-api process on its embedded database, real CIBA tokens from mock-auth0: a person's
// orders read a page at a time over HTTP, by the README's loop and by the tests' own reader.
describe("shop-api's order listing, a page at a time, in a real process", () => {
  let tenant: RunningMockAuth0;
  let database: Awaited<ReturnType<typeof emptyShopDatabase>>;
  let shop: ShopApiProcess;
  let token: string;
  const placed: string[] = [];

  beforeAll(async () => {
    [tenant, database] = await Promise.all([sharedTenant(), emptyShopDatabase()]);
    shop = await ShopApiProcess.start(tenant, { folder: database.folder });
    token = await buyerToken(tenant);
    for (const qty of [1, 2, 3, 4, 5]) {
      const bought = await shop.buy(token, { product: "USB-C cable", qty });
      expect(bought.status).toBe(201);
      placed.push(String(bought.body.id));
    }
  }, 300_000);
  afterAll(async () => {
    await shop.stop();
    await database.remove();
  });

  const get = (query: string) =>
    fetch(`${shop.url}/api/purchases${query}`, { headers: { authorization: `Bearer ${token}` } });

  it("pages through five orders two at a time, then says there is no next page", async () => {
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const res = await get(`?limit=2${after === null ? "" : `&after=${after}`}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as OrderListJson;
      pages.push(page.orders.map((order) => order.id));
      after = page.next_cursor;
    } while (after !== null);
    expect(pages).toEqual([placed.slice(0, 2), placed.slice(2, 4), placed.slice(4)]);
    // The tests' reader follows next_cursor too: every order, oldest first.
    expect((await shop.orders(token)).map((order) => order.id)).toEqual(placed);
  });

  it("refuses a bad limit and a cursor it did not give with 400 invalid_request", async () => {
    for (const query of ["?limit=0", "?limit=101", "?limit=abc", "?limit=2&limit=2", "?after=x"]) {
      const res = await get(query);
      expect([query, res.status]).toEqual([query, 400]);
      expect(await res.json()).toMatchObject({ error: "invalid_request" });
    }
  });

  it.runIf(hasTools)(
    "README: the loop in Listing orders prints every order, a page after another",
    async () => {
      const block = readmeBlockUnder(
        "apps/shop-api/README.md",
        "## Listing orders, a page at a time",
        "sh",
      );
      // Pages of two, so that five orders take three; the shop's address is this test's.
      const script = block
        .replace("limit=100", "limit=2")
        .replace("http://127.0.0.1:4020", shop.url);
      expect(script).not.toBe(block);
      const { stdout } = await promisify(execFile)(
        "bash",
        ["--norc", "-euo", "pipefail", "-c", script],
        { cwd: REPO_ROOT, env: { PATH: process.env.PATH, TOKEN: token }, timeout: 60_000 },
      );
      expect(
        stdout
          .trimEnd()
          .split("\n")
          .map((line) => JSON.parse(line) as unknown),
      ).toEqual(placed.map((id, at) => ({ id, product: "USB-C cable", qty: at + 1 })));
    },
  );
});
