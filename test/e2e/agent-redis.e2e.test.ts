import { execFile } from "node:child_process";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";

import { buildAgentCli, type AgentRun } from "@ciba-testbed/stack/agent-cli";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

import {
  startRedisServer,
  type RedisServer,
} from "../../apps/agent/src/test-support/redis-server.js";
import { Machine } from "../support/agent-machines.js";
import { loadScaled } from "../support/load-scaled.js";
import { readmeBlockUnder } from "../support/readme-example.js";
import { BUYER, Scenario } from "../support/scenario.js";

// Agents on several machines: processes that share nothing but a Redis (AGENT_STORE), each in a
// working directory of its own. Three witnesses each time: the agents' reports, the tenant's
// consent requests (one push per thread) and the shop's orders (one per approved thread).

const THREADS = 20;
/**
 * Every purchase asks for another quantity. Two approvals of the same purchase for the same
 * person within one second get identical access tokens (no `jti`, `iat` in seconds), which the
 * shop takes for one approval used twice.
 */
let purchases = 0;
const nextPurchase = () => `Buy ${++purchases} USB-C cables`;
const STOP_POINTS = ["token-received", "approval-taken", "order-answered"] as const;
type BuiltCli = Awaited<ReturnType<typeof buildAgentCli>>;

describe("agents on several machines, sharing only Redis", () => {
  let s: Scenario;
  let redis: RedisServer;
  let cli: BuiltCli;
  const stopping = new Map<string, BuiltCli>();
  const machines: Machine[] = [];
  let a: Machine;
  let b: Machine;
  let c: Machine;
  let d: Machine;

  /** What beforeAll started, ended by afterAll even when beforeAll failed part-way. */
  const cleanups: (() => Promise<void>)[] = [];
  const owned = <T>(started: Promise<T>, end: (value: T) => Promise<void>) =>
    started.then((value) => {
      cleanups.push(() => end(value));
      return value;
    });

  // The end-to-end tenant's stack this worker's files share (no limit on one person's requests a
  // minute, so twenty at once all go out): the agents' processes and Redis are what is under
  // test here, and each test counts only the consent requests and orders it made.
  beforeAll(async () => {
    const [scenario, server, plain, ...stops] = await Promise.all([
      Scenario.shared("test/fixtures/e2e-tenant.mock-auth0.json"),
      owned(startRedisServer({ persistence: "aof" }), (x) => x.stop()),
      owned(buildAgentCli(), (x) => x.remove()),
      ...STOP_POINTS.map((stopAt) => owned(buildAgentCli({ stopAt }), (x) => x.remove())),
    ]);
    s = scenario;
    redis = server;
    cli = plain;
    stops.forEach((stop, i) => stopping.set(STOP_POINTS[i]!, stop));
    const made = await Promise.all(
      ["a", "b", "c", "d"].map((name) =>
        owned(Machine.create(name, s.stack.agentEnv(), redis.url(0)), (x) => x.remove()),
      ),
    );
    machines.push(...made);
    [a, b, c, d] = machines as [Machine, Machine, Machine, Machine];
    await s.policy("manual");
  });
  afterAll(async () => {
    await Promise.all(cleanups.map((end) => end()));
  });

  const consentIds = async () => (await s.consentRequests()).map((r) => r.auth_req_id);
  const orderIds = async () => (await s.ordersOf(BUYER)).map((o) => o.id);
  const added = (before: string[], after: string[]) => after.filter((id) => !before.includes(id));

  /** Sends one request in interrupt mode from `machine`: the push goes out, the thread waits. */
  async function send(machine: Machine) {
    const sent = await machine.run(["--mode", "interrupt", nextPurchase()], cli);
    expect(sent.json.outcome).toBe("PENDING");
    return { threadId: sent.json.threadId, authReqId: String(sent.json.authReqId) };
  }

  it(
    `resumes ${THREADS} threads sent from one machine on two others at once, twice over: one push per thread, one order per approval`,
    // Tens of agents at once, each until the test ends it: the limit allows for the load.
    { timeout: loadScaled(240_000) },
    async ({ signal }) => {
      const consentsBefore = await consentIds();
      const ordersBefore = await orderIds();
      const threadIds = Array.from({ length: THREADS }, (_, i) => `fleet-${i}`);

      const sent = await Promise.all(
        threadIds.map((id) =>
          a.run(["--mode", "interrupt", "--thread", id, nextPurchase()], cli, {}, signal),
        ),
      );
      expect(sent.map((r) => [r.json.outcome, r.exitCode])).toEqual(
        threadIds.map(() => ["PENDING", 5]),
      );
      const requestOf = new Map(sent.map((r) => [r.json.threadId, String(r.json.authReqId)]));
      // 14 approved, 3 denied, 3 left unanswered.
      const verdict = (i: number) => (i < 14 ? "ORDERED" : i < 17 ? "DENIED" : "PENDING");
      await Promise.all(
        threadIds.map((id, i) => {
          const authReqId = requestOf.get(id)!;
          if (verdict(i) === "ORDERED") return s.stack.control.approve(authReqId);
          if (verdict(i) === "DENIED") return s.stack.control.deny(authReqId);
          return Promise.resolve();
        }),
      );

      // An unanswered request stays pending until the tenant's expiry (60 s here), which a
      // loaded machine can reach before the second round: a resume that started after it must
      // say EXPIRED, one that ended before it PENDING, one across it either.
      const expiresAt = new Map(
        sent.map((r) => [r.json.threadId, Date.parse(String(r.json.purchases[0]?.expiresAt))]),
      );
      expect([...expiresAt.values()].every(Number.isFinite)).toBe(true);
      const timed = new Map<AgentRun, { started: number; ended: number }>();
      const resumeEverywhere = (pair: [Machine, Machine]) =>
        Promise.all(
          threadIds.flatMap((id) =>
            pair.map(async (machine) => {
              const started = Date.now();
              const run = await machine.run(["resume", id, "--mode", "interrupt"], cli, {}, signal);
              timed.set(run, { started, ended: Date.now() });
              return run;
            }),
          ),
        );
      const unansweredVerdicts = (id: string, run: AgentRun) => {
        const expiry = expiresAt.get(id)!;
        const { started, ended } = timed.get(run)!;
        if (started > expiry) return ["EXPIRED"];
        if (ended < expiry) return ["PENDING"];
        return ["PENDING", "EXPIRED"];
      };
      const first = await resumeEverywhere([b, c]);
      const second = await resumeEverywhere([d, a]);

      const orderOf = new Map<string, string>();
      threadIds.forEach((id, i) => {
        const runs = [first, second].flatMap((round) => round.slice(2 * i, 2 * i + 2));
        // Of two resumes at once, one may find the other on the thread: it says so and stops.
        const busy = runs.filter((r) => r.json.outcome === "IN_PROGRESS");
        expect(busy.map((r) => [r.exitCode, r.json.error])).toEqual(
          busy.map(() => [9, "thread_busy"]),
        );
        const decided = runs.filter((r) => r.json.outcome !== "IN_PROGRESS");
        expect(decided.length).toBeGreaterThanOrEqual(2);
        for (const run of decided) {
          const allowed = verdict(i) === "PENDING" ? unansweredVerdicts(id, run) : [verdict(i)];
          expect(allowed).toContain(run.json.outcome);
        }
        expect(new Set(decided.map((r) => r.json.authReqId))).toEqual(new Set([requestOf.get(id)]));
        const orders = new Set(decided.map((r) => r.json.order?.id ?? null));
        expect(orders.size).toBe(1);
        const [order] = [...orders];
        if (verdict(i) === "ORDERED") orderOf.set(id, String(order));
        else expect(order).toBeNull();
      });

      const consents = (await s.consentRequests()).filter(
        (r) => !consentsBefore.includes(r.auth_req_id),
      );
      expect(consents.map((r) => r.auth_req_id).sort()).toEqual([...requestOf.values()].sort());
      expect(consents.filter((r) => r.status === "consumed")).toHaveLength(14);
      expect(added(ordersBefore, await orderIds()).sort()).toEqual([...orderOf.values()].sort());
      for (const machine of machines) expect(await machine.files()).toEqual(["ca.pem"]);
      console.log(
        `fleet: ${THREADS} threads, ${consents.length} pushes, ${orderOf.size} orders, ` +
          `${first.length + second.length} resumes (${[...first, ...second].filter((r) => r.json.outcome === "IN_PROGRESS").length} found the thread in progress)`,
      );
    },
  );

  it("lets one of two resumes started at the same instant on two machines proceed; the other says the thread is already in progress", async () => {
    const ordersBefore = await orderIds();
    const { threadId, authReqId } = await send(a);

    // Block mode: the one that takes the thread waits for the answer, holding it.
    const resumes = [b, c].map((machine) => machine.start(["resume", threadId, "--json"], cli));
    const busy = await Promise.race(resumes.map((r) => r.exited));
    const report = JSON.parse(busy.stdout) as AgentRun["json"];
    expect(busy.code).toBe(9);
    expect(report).toMatchObject({ outcome: "IN_PROGRESS", error: "thread_busy", threadId });
    expect(report.message).toContain(`Thread ${threadId} is already in progress in process`);

    await s.stack.control.approve(authReqId);
    const exits = await Promise.all(resumes.map((r) => r.exited));
    const ordered = exits.map((e) => JSON.parse(e.stdout) as AgentRun["json"]);
    expect(ordered.map((r) => r.outcome).sort()).toEqual(["IN_PROGRESS", "ORDERED"]);
    expect(added(ordersBefore, await orderIds())).toEqual([
      ordered.find((r) => r.outcome === "ORDERED")?.order?.id,
    ]);
  });

  it("finishes on another machine after the resuming process was killed with -9 while it waited: no second push", async () => {
    const consentsBefore = await consentIds();
    const ordersBefore = await orderIds();
    const { threadId, authReqId } = await send(a);
    const { polls } = await s.stack.control.request(authReqId);

    const waiting = b.start(["resume", threadId, "--json"], cli);
    await s.stack.control.waitForPolls(authReqId, polls + 1);
    waiting.kill("SIGKILL");
    expect((await waiting.exited).signal).toBe("SIGKILL");

    await s.stack.control.approve(authReqId);
    const resumed = await c.run(["resume", threadId], cli);
    expect(resumed.json).toMatchObject({ outcome: "ORDERED", authReqId });
    expect(added(consentsBefore, await consentIds())).toEqual([authReqId]);
    expect(added(ordersBefore, await orderIds())).toEqual([resumed.json.order?.id]);
  });

  it.each([
    ["token-received", "stopped_before_order", 0],
    ["approval-taken", "stopped_before_order", 0],
    ["order-answered", "order_unconfirmed", 1],
  ] as const)(
    "reports a resume killed at %s from another machine as %s, with at most one order and no second push",
    async (point, error, orders) => {
      const consentsBefore = await consentIds();
      const ordersBefore = await orderIds();
      const { threadId, authReqId } = await send(a);
      await s.stack.control.approve(authReqId);

      const killed = await b.start(["resume", threadId, "--json"], stopping.get(point)!).exited;
      expect(killed.signal).toBe("SIGKILL");

      for (const machine of [c, d]) {
        const resumed = await machine.run(["resume", threadId], cli);
        expect(resumed.exitCode).toBe(1);
        expect(resumed.json).toMatchObject({ outcome: "ERROR", error, authReqId });
      }
      expect((await s.stack.control.request(authReqId)).status).toBe("consumed");
      expect(added(consentsBefore, await consentIds())).toEqual([authReqId]);
      expect(added(ordersBefore, await orderIds())).toHaveLength(orders);
    },
  );

  /**
   * The shop behind a proxy that fills `store` (Redis then refuses every write, OOM) as the
   * `nth` order with a token arrives, before passing it on: the shop places it, and the agent
   * cannot record it.
   */
  async function shopFillingStoreAtOrder(store: RedisServer, nth: number) {
    const shop = new URL(s.stack.shopApiUrl);
    let orders = 0;
    const proxy = createServer((incoming, answer) => {
      const forward = () =>
        incoming.pipe(
          request(
            {
              host: shop.hostname,
              port: shop.port,
              path: incoming.url,
              method: incoming.method,
              headers: incoming.headers,
            },
            (reply) => {
              answer.writeHead(reply.statusCode ?? 502, reply.headers);
              reply.pipe(answer);
            },
          ),
        );
      const order =
        incoming.method === "POST" &&
        incoming.url === "/api/purchases" &&
        incoming.headers.authorization !== undefined;
      if (order && ++orders === nth) {
        void promisify(execFile)("redis-cli", [
          "-p",
          String(store.port),
          "CONFIG",
          "SET",
          "maxmemory",
          "1",
        ]).then(forward);
      } else forward();
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          proxy.close(() => {
            resolve();
          });
        }),
    );
    const { port } = proxy.address() as AddressInfo;
    return { SHOP_API_URL: `http://127.0.0.1:${String(port)}/api/purchases` };
  }

  it("reports a purchase ordered in full before the store failed as ORDERED (exit 0, store_failed), not PARTIAL", async () => {
    const store = await startRedisServer();
    onTestFinished(() => store.stop());
    const ordersBefore = await orderIds();
    const sent = await a.run(["--mode", "interrupt", nextPurchase()], cli, {
      AGENT_STORE: store.url(0),
    });
    expect(sent.json.outcome).toBe("PENDING");
    await s.stack.control.approve(String(sent.json.authReqId));

    const shop = await shopFillingStoreAtOrder(store, 1);
    const resumed = await b.run(["resume", sent.json.threadId], cli, {
      AGENT_STORE: store.url(0),
      ...shop,
    });

    const placed = added(ordersBefore, await orderIds());
    expect(placed).toHaveLength(1);
    expect(resumed.exitCode).toBe(0);
    expect(resumed.json).toMatchObject({
      outcome: "ORDERED",
      exitCode: 0,
      error: "store_failed",
      fix: expect.stringContaining("Redis") as unknown,
    });
    expect(resumed.json.message).toMatch(
      new RegExp(
        `^Ordered all that was asked for: order ${placed[0]!}\\. The agent's store \\(AGENT_STORE\\) failed: .*OOM.* The order stands, so do not ask for it again; the agent's record of the thread may not show it, so a resume of the thread may call it unconfirmed \\(order_unconfirmed\\), and orders nothing\\.$`,
      ),
    );
    // Once the store takes writes again, a resume of the thread orders nothing more.
    await promisify(execFile)("redis-cli", [
      "-p",
      String(store.port),
      "CONFIG",
      "SET",
      "maxmemory",
      "0",
    ]);
    const again = await c.run(["resume", sent.json.threadId], cli, { AGENT_STORE: store.url(0) });
    expect(again.json).toMatchObject({ outcome: "ERROR", error: "order_unconfirmed" });
    expect(added(ordersBefore, await orderIds())).toEqual(placed);
  });

  it("reports a store that failed after the first of two orders as PARTIAL (exit 10), naming the one not tried, and after the last as ORDERED", async () => {
    const store = await startRedisServer();
    onTestFinished(() => store.stop());
    const env = { AGENT_STORE: store.url(0) };
    const ordersBefore = await orderIds();
    const request = `Buy ${++purchases} USB-C cables and 1 XYZ phone`;
    const sent = await a.run(["--mode", "interrupt", request], cli, env);
    expect(sent.json.outcome).toBe("PENDING");
    await s.stack.control.approve(String(sent.json.authReqId));

    const cut = await b.run(["resume", sent.json.threadId], cli, {
      ...env,
      ...(await shopFillingStoreAtOrder(store, 1)),
    });
    expect(cut.exitCode).toBe(10);
    expect(cut.json).toMatchObject({ outcome: "PARTIAL", error: "store_failed" });
    expect(cut.json.message).toContain("1 x XYZ phone was not tried");
    expect(added(ordersBefore, await orderIds())).toHaveLength(1);

    // The same request, with the store failing at its last order: every item was ordered.
    const other = await startRedisServer();
    onTestFinished(() => other.stop());
    const otherEnv = { AGENT_STORE: other.url(0) };
    const whole = await a.run(
      ["--mode", "interrupt", `Buy ${++purchases} USB-C cables and 1 XYZ phone`],
      cli,
      otherEnv,
    );
    await s.stack.control.approve(String(whole.json.authReqId));
    const first = await b.run(
      ["resume", whole.json.threadId, "--mode", "interrupt"],
      cli,
      otherEnv,
    );
    expect(first.json.outcome).toBe("PENDING");
    await s.stack.control.approve(String(first.json.authReqId));
    const ordersBeforeLast = await orderIds();
    const last = await c.run(["resume", whole.json.threadId], cli, {
      ...otherEnv,
      ...(await shopFillingStoreAtOrder(other, 1)),
    });
    expect(added(ordersBeforeLast, await orderIds())).toHaveLength(1);
    expect(last.exitCode).toBe(0);
    expect(last.json).toMatchObject({ outcome: "ORDERED", exitCode: 0, error: "store_failed" });
  });

  it("keeps its warning that Redis evicts keys in the report of a store that then failed", async () => {
    // A Redis full under allkeys-lru with nothing it can evict refuses the first write (OOM):
    // the run's warning, that it would drop threads, belongs in that report too.
    const full = await startRedisServer();
    try {
      const set = (name: string, value: string) =>
        promisify(execFile)("redis-cli", ["-p", String(full.port), "CONFIG", "SET", name, value]);
      await set("maxmemory-policy", "allkeys-lru");
      await set("maxmemory", "1");

      const run = await a.run(["--mode", "interrupt", nextPurchase()], cli, {
        AGENT_STORE: full.url(0),
      });

      expect(run.json).toMatchObject({ outcome: "ERROR", error: "store_failed" });
      expect(run.json.warnings).toEqual([
        expect.objectContaining({
          code: "redis_eviction",
          message: expect.stringContaining("Set maxmemory-policy noeviction"),
        }),
      ]);
    } finally {
      await full.stop();
    }
  });

  it("names the Redis that does not answer (exit 1) and an AGENT_STORE that is no Redis URL (exit 2), sending nothing", async () => {
    const consentsBefore = await consentIds();
    const gone = await startRedisServer();
    const url = gone.url(0);
    await gone.stop();

    const unreachable = await a.run(["--mode", "interrupt", nextPurchase()], cli, {
      AGENT_STORE: url,
    });
    expect(unreachable.exitCode).toBe(1);
    expect(unreachable.json).toMatchObject({ outcome: "ERROR", error: "store_unreachable" });
    expect(unreachable.json.message).toContain(`Cannot reach Redis at ${url} (AGENT_STORE)`);

    const malformed = await a.run(["resume", "thr-1"], cli, {
      AGENT_STORE: "redis://agent:s3cret@127.0.0.1:6379/zero",
    });
    expect(malformed.exitCode).toBe(2);
    expect(malformed.json.outcome).toBe("CONFIG_ERROR");
    expect(malformed.json.message).toContain(
      'AGENT_STORE has the database "zero"; the path is a database number',
    );
    expect(malformed.stdout).not.toContain("s3cret");
    expect(await consentIds()).toEqual(consentsBefore);
  });

  describe("Redis restarted between the push and the resume", () => {
    it("resumes on another machine when Redis keeps an append-only file (appendfsync always)", async () => {
      const aof = await startRedisServer({ persistence: "aof" });
      const [sender, resumer] = await Promise.all(
        ["aof-a", "aof-b"].map((name) => Machine.create(name, s.stack.agentEnv(), aof.url(0))),
      );
      try {
        const consentsBefore = await consentIds();
        const ordersBefore = await orderIds();
        const { threadId, authReqId } = await send(sender!);
        await aof.restart();
        await s.stack.control.approve(authReqId);

        const resumed = await resumer!.run(["resume", threadId], cli);
        expect(resumed.json).toMatchObject({ outcome: "ORDERED", authReqId });
        expect(added(consentsBefore, await consentIds())).toEqual([authReqId]);
        expect(added(ordersBefore, await orderIds())).toEqual([resumed.json.order?.id]);
      } finally {
        await Promise.all([aof.stop(), sender!.remove(), resumer!.remove()]);
      }
    });

    it("reports the thread lost, orders nothing and sends nothing, when Redis keeps nothing", async () => {
      const volatile = await startRedisServer({ persistence: "none" });
      const [sender, resumer] = await Promise.all(
        ["none-a", "none-b"].map((name) =>
          Machine.create(name, s.stack.agentEnv(), volatile.url(0)),
        ),
      );
      try {
        const consentsBefore = await consentIds();
        const ordersBefore = await orderIds();
        const { threadId, authReqId } = await send(sender!);
        await volatile.restart();
        await s.stack.control.approve(authReqId);

        for (const machine of [resumer!, sender!]) {
          const resumed = await machine.run(["resume", threadId], cli);
          expect(resumed.exitCode).toBe(1);
          expect(resumed.json).toMatchObject({ outcome: "ERROR", error: "thread_lost", threadId });
          expect(resumed.json.message).toBe(
            `No thread ${threadId} in the agent's store. Redis at ${volatile.url(0)} holds no agent threads at all, and it keeps nothing across a restart (appendonly no, no save points, up ${/up (\d+) s/.exec(resumed.json.message)?.[1]} s). The id may be mistyped, or the thread sent with another AGENT_STORE; if it was sent with this one, it was lost when Redis restarted (it last started at ${/started at (\S+Z)\)/.exec(resumed.json.message)?.[1]}).`,
          );
          expect(resumed.json.fix).toContain("check the shop's orders, then ask again");
          // As the agent README's sample shows it, for this thread, Redis, uptime and start.
          const message = resumed.json.message;
          const sample = readmeBlockUnder(
            "apps/agent/README.md",
            "a mistyped one too, so the report says what it knows",
            "text",
          )
            .replaceAll("thr_1", threadId)
            .replace("redis://127.0.0.1:6379/0", volatile.url(0))
            .replace("up 3 s", `up ${/up (\d+) s/.exec(message)?.[1] ?? ""} s`)
            .replace("2026-05-04T10:00:00.000Z", /started at (\S+Z)\)/.exec(message)?.[1] ?? "");
          const oneLine = (text: string) => text.trim().replace(/\s+/g, " ");
          expect(oneLine(`${message}\nFix: ${resumed.json.fix ?? ""}`)).toBe(oneLine(sample));
        }
        expect((await s.stack.control.request(authReqId)).status).toBe("approved");
        expect(added(consentsBefore, await consentIds())).toEqual([authReqId]);
        expect(added(ordersBefore, await orderIds())).toEqual([]);
      } finally {
        await Promise.all([volatile.stop(), sender!.remove(), resumer!.remove()]);
      }
    });
  });
});
