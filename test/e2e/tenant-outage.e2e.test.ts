import { mkdtemp, rm } from "node:fs/promises";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import type { BackchannelRequest, RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { buildAgentCli, runAgent, startAgent } from "@ciba-testbed/stack/agent-cli";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { startTenant } from "../support/shop-api-process.js";

/** The person's answer is left to the test. */
const MANUAL = { action: "manual" } as const;

const CATALOG = [{ id: "xyz-phone", name: "XYZ phone", price: 499, currency: "USD", stock: 50 }];

// The tenant goes away while the agent waits for the person: the agent is a real process,
// the tenant runs in this one so that the test can stop and start it on the same port, and the
// shop is a stand-in that answers as shop-api does and records the orders it takes.

/** The shop as the agent sees it: its catalog, 401 without a token, and orders with one. */
async function startShop() {
  const orders: { authorization: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      if (req.method === "GET" && req.url === "/api/products") {
        res.end(JSON.stringify({ products: CATALOG }));
      } else if (req.method === "POST" && req.url === "/api/purchases") {
        const authorization = req.headers.authorization;
        if (authorization === undefined) {
          res.writeHead(401, { "www-authenticate": 'Bearer realm="api"' });
          res.end(JSON.stringify({ error: "invalid_request" }));
          return;
        }
        orders.push({ authorization, body });
        res.writeHead(201);
        res.end(JSON.stringify({ id: `ord_${orders.length}`, total: 499, currency: "USD" }));
      } else {
        res.writeHead(404);
        res.end(JSON.stringify({ error: "not_found" }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    orders,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** The request as the next poll the tenant answers leaves it. */
async function nextPoll(tenant: RunningMockAuth0) {
  const [request] = (await once(tenant.store, "poll")) as [BackchannelRequest];
  return request;
}

/**
 * Takes the tenant off its port and puts something there that resets every connection, until
 * `connections` were reset (or the agent ended: `exited`); then the tenant listens there
 * again, with all it knew. Whether the agent outlasted the outage is returned.
 */
async function blip(
  tenant: RunningMockAuth0,
  connections: number,
  exited: Promise<unknown>,
): Promise<boolean> {
  await new Promise<void>((resolve) => {
    tenant.server.close(() => {
      resolve();
    });
    tenant.server.closeAllConnections();
  });
  let reset = 0;
  const resetter = createTcpServer((socket) => {
    socket.resetAndDestroy();
    reset += 1;
    if (reset === connections) resetter.emit("done");
  });
  resetter.listen(tenant.port, "127.0.0.1");
  const outlasted = await Promise.race([
    once(resetter, "done").then(() => true),
    exited.then(() => false),
  ]);
  await new Promise<void>((resolve) => {
    resetter.close(() => {
      resolve();
    });
  });
  await new Promise<void>((resolve) => tenant.server.listen(tenant.port, "127.0.0.1", resolve));
  return outlasted;
}

describe("a tenant that goes away while a request waits for the person", () => {
  let shop: Awaited<ReturnType<typeof startShop>>;
  let tenant: RunningMockAuth0;
  let store: string;
  let cli: Awaited<ReturnType<typeof buildAgentCli>>;

  beforeAll(async () => {
    [shop, cli] = await Promise.all([startShop(), buildAgentCli()]);
  });
  afterAll(async () => {
    await shop.close();
  });
  beforeEach(async () => {
    shop.orders.length = 0;
    tenant = await startTenant(0, MANUAL);
    store = await mkdtemp(path.join(tmpdir(), "agent-store-"));
  });
  afterEach(async () => {
    await tenant.close();
    await rm(store, { recursive: true, force: true });
  });

  const env = () => ({
    AUTH0_DOMAIN: `localhost:${tenant.port}`,
    NODE_EXTRA_CA_CERTS: tenant.caCertPath,
    SHOP_API_URL: `${shop.url}/api/purchases`,
    AGENT_STORE: store,
  });
  const agent = (args: string[]) => runAgent(args, env(), 60_000, cli);

  it("keeps polling in block mode through connections reset, and orders once approved", async () => {
    const polled = nextPoll(tenant);
    const run = startAgent(["--json", "Buy an XYZ phone"], env(), cli);
    const { authReqId } = await polled;

    // The tenant is gone for three polls: each connection is reset.
    if (!(await blip(tenant, 3, run.exited))) {
      throw new Error(`The agent ended during the outage: ${(await run.exited).stdout}`);
    }
    // Back with the request it knew: still pending, and the agent asks again.
    expect((await nextPoll(tenant)).status).toBe("pending");
    tenant.store.decide(authReqId, "approve", "control-api");

    const exit = await run.exited;
    const report = JSON.parse(exit.stdout) as { outcome: string; authReqId: string };
    expect(exit.code).toBe(0);
    expect(report).toMatchObject({ outcome: "ORDERED", authReqId });
    expect(shop.orders).toHaveLength(1);
    expect(tenant.store.count()).toBe(1);
    const answers = tenant.store
      .get(authReqId)
      ?.timeline.flatMap((event) => ("answer" in event ? [event.answer] : []));
    expect(answers?.at(-1)).toBe("token");
    expect(answers).not.toContain("slow_down");
  });

  it("is reported as a request the tenant forgot, not as an approval a process used", async () => {
    const sent = await agent(["--mode", "interrupt", "Buy an XYZ phone"]);
    expect(sent.json.outcome).toBe("PENDING");
    const authReqId = String(sent.json.authReqId);
    expect(tenant.store.get(authReqId)?.status).toBe("pending");

    // A restart of a tenant that keeps its requests in memory, as the local one does.
    const { port } = tenant;
    await tenant.close();
    tenant = await startTenant(port, MANUAL);

    const resumed = await agent(["resume", sent.json.threadId]);

    expect(resumed.exitCode).toBe(1);
    expect(resumed.json).toMatchObject({ outcome: "ERROR", error: "invalid_grant", authReqId });
    expect(resumed.json.message).toContain(
      `The tenant no longer knows approval request ${authReqId}`,
    );
    expect(resumed.json.message).not.toContain("used by a process");
    // No second push, and nothing bought.
    expect(tenant.store.count()).toBe(0);
    expect(shop.orders).toEqual([]);
  });
});
