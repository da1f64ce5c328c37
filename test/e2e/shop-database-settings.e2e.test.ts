import { Catalog, openShopStore } from "@ciba-testbed/shop-api";
import type { Order } from "@ciba-testbed/shop-api";
import { ManualClock } from "@ciba-testbed/shared";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";

import { sharedPostgres } from "../support/postgres.js";
import type { PostgresServer } from "../support/postgres.js";

const catalog = new Catalog([{ id: "p", name: "P", unitPriceCents: 100, stock: 100 }]);
const postgresql = (url: string) => ({ kind: "postgres", url }) as const;
const STARTED = Date.parse("2026-03-01T12:00:00Z");

const order = (i: number): Order => ({
  id: `o${String(i)}`,
  productId: "p",
  productName: "P",
  quantity: 1,
  unitPriceCents: 100,
  totalCents: 100,
  currency: "USD",
  status: "confirmed",
  createdAt: STARTED + 5_000,
  authorization: {
    sub: `buyer-${String(i)}`,
    azp: "agent",
    authorizationDetailsMatched: true,
    approvalId: `approval-${String(i)}`,
  },
});

/** Sets a default for every session of the database `url` names, as its owner may. */
async function alterDatabase(url: string, setting: string, value: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    await client.query(
      `alter database ${client.escapeIdentifier(name)} set ${setting} = ${client.escapeLiteral(value)}`,
    );
  } finally {
    await client.end();
  }
}

// Settings a database (or its role) may carry that the shop's statements are not written for.
describe("shop-api on a PostgreSQL database with defaults of its own", () => {
  let postgres: PostgresServer;
  beforeAll(async () => {
    postgres = await sharedPostgres();
  });

  it.each(["serializable", "repeatable read"])(
    "places concurrent purchases under default_transaction_isolation=%s, each once",
    async (isolation) => {
      const url = await postgres.createDatabase();
      await alterDatabase(url, "default_transaction_isolation", isolation);
      const opened = await openShopStore(postgresql(url), catalog, {
        clock: new ManualClock(STARTED),
      });
      try {
        const level = await opened.database.db
          .selectNoFrom((eb) =>
            eb.fn<string>("current_setting", [eb.val("transaction_isolation")]).as("level"),
          )
          .executeTakeFirstOrThrow();
        expect(level).toEqual({ level: "read committed" });
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, i) => opened.store.place(order(i))),
        );
        expect(outcomes).toEqual(Array.from({ length: 10 }, () => ({ outcome: "placed" })));
        expect(await opened.store.stock()).toEqual(new Map([["p", 90]]));
        // And again with the same approvals: each bought once.
        const again = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            opened.store.place({ ...order(i), id: `x${String(i)}` }),
          ),
        );
        expect(again.map((outcome) => outcome.outcome)).toEqual(
          Array.from({ length: 10 }, () => "approval-spent"),
        );
        expect(await opened.store.stock()).toEqual(new Map([["p", 90]]));
      } finally {
        await opened.close();
      }
    },
  );
});
