import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { sharedPostgres } from "../support/postgres.js";
import type { PostgresServer } from "../support/postgres.js";
import { ShopApiProcess, buyerToken, sharedTenant } from "../support/shop-api-process.js";

const REPLICAS = 3;
const APPROVALS = 50;
const ORDERS = 200;
const STOCK = 10; // ABC laptops in the default catalog

// Issue 18: exactly-once lives in the database. Three shop-api processes on one PostgreSQL,
// requests spread round-robin (request i to replica i mod 3): each approval buys at most once,
// an Idempotency-Key gets its first answer from any replica, and the stock never goes below 0.
describe(`${REPLICAS} shop-api replicas on one PostgreSQL`, () => {
  let tenant: RunningMockAuth0;
  let postgres: PostgresServer;
  let replicas: ShopApiProcess[] = [];

  beforeAll(async () => {
    // The tenant and the PostgreSQL server this worker's files share, and a database of its
    // own: the replicas and their race to migrate it are the point here.
    [tenant, postgres] = await Promise.all([sharedTenant(), sharedPostgres()]);
    const url = await postgres.createDatabase();
    // Started at once on an empty database: they race to migrate it.
    replicas = await Promise.all(
      Array.from({ length: REPLICAS }, (_, i) =>
        ShopApiProcess.start(tenant, { url }, `shop-api-${i}`),
      ),
    );
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
  });

  it(
    `sell exactly min(approvals, stock) from ${ORDERS} concurrent orders over ${APPROVALS} approvals`,
    { timeout: 300_000 },
    async () => {
      // Auth0's access tokens carry no jti: two approvals of the same purchase in the same
      // second are the same signed content, one approval to the shop. A different price ceiling
      // each makes them fifty.
      const approvals = await Promise.all(
        Array.from({ length: APPROVALS }, (_, i) =>
          buyerToken(tenant, { product: "ABC laptop", quantity: 1, maximumAmount: 1299 + i }),
        ),
      );
      const laptop = { product: "ABC laptop", qty: 1 };
      // Four requests per approval, two Idempotency-Keys sent twice each: request i and
      // i + 100 carry the same key and go to different replicas.
      const requests = Array.from({ length: ORDERS }, (_, i) => {
        const approval = i % APPROVALS;
        const round = Math.floor(i / APPROVALS);
        return { i, approval, key: `approval-${approval}-${round % 2}` };
      });
      const answers = await Promise.all(
        requests.map(({ i, approval, key }) =>
          replicas[i % REPLICAS]!.buy(approvals[approval]!, laptop, key).then((answer) => ({
            ...answer,
            approval,
            key,
          })),
        ),
      );

      expect(answers.map((a) => a.status).filter((s) => ![201, 403, 409].includes(s))).toEqual([]);
      const placed = answers.filter((a) => a.status === 201);
      const orderIds = new Set(placed.map((a) => String(a.body.id)));
      expect(orderIds.size).toBe(Math.min(APPROVALS, STOCK));

      // Each approval bought at most one order, however many replicas it reached.
      const ordersByApproval = new Map<number, Set<string>>();
      for (const a of placed) {
        const ids = ordersByApproval.get(a.approval) ?? new Set();
        ids.add(String(a.body.id));
        ordersByApproval.set(a.approval, ids);
      }
      expect([...ordersByApproval.values()].every((ids) => ids.size === 1)).toBe(true);
      // A second 201 for an approval is a replay of its key's first answer, never a new order.
      for (const a of placed) {
        const first = placed.find((b) => b.approval === a.approval);
        if (a !== first) expect([a.replayed, a.key]).toEqual([true, first?.key]);
      }

      // The refusals say why: a spent approval, or no stock left.
      expect(
        new Set(
          answers.filter((a) => a.status !== 201).map((a) => `${a.status} ${String(a.body.error)}`),
        ),
      ).toEqual(new Set(["403 insufficient_authorization_details", "409 insufficient_stock"]));

      // Any replica answers a key's retry with its first answer.
      for (const a of placed) {
        for (const replica of replicas) {
          const retry = await replica.buy(approvals[a.approval]!, laptop, a.key);
          expect(retry).toMatchObject({ status: 201, replayed: true, body: { id: a.body.id } });
        }
      }

      // Every replica tells the same story: the stock is gone, the orders are the same.
      const reader = await buyerToken(tenant);
      for (const replica of replicas) {
        expect(await replica.stock("abc-laptop")).toBe(STOCK - orderIds.size);
        const listed = await replica.orders(reader);
        expect(new Set(listed.map((o) => o.id))).toEqual(orderIds);
      }
      // Per replica, what it answered (the round-robin reached them all).
      const perReplica = replicas.map(
        (_, r) => answers.filter((a, i) => i % REPLICAS === r && a.status === 201).length,
      );
      console.log(
        `replicas: ${orderIds.size} orders; 201 answers per replica ${perReplica.join("/")}, ` +
          `replays ${placed.length - orderIds.size}, 403 ${answers.filter((a) => a.status === 403).length}, ` +
          `409 ${answers.filter((a) => a.status === 409).length}`,
      );
    },
  );
});
