import { connect, createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { hostname } from "node:os";

import { freePort } from "@ciba-testbed/shared/node";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";

import { LeaseNotHeldError } from "./agent-store.js";
import { redisFailure, type RedisConnectError } from "./redis-failure.js";
import { auth0Store, authRequestKey, credentialsKey, discardAuthorization } from "./auth0-store.js";
import {
  LEASE_TTL_MS,
  REDIS_KEY_PREFIX,
  createRedisStore,
  type RedisStore,
} from "./redis-store.js";
import { parseRedisUrl, type RedisLocation } from "./redis-url.js";
import { AUTH_REQUEST_RETENTION_MS, THREAD_RETENTION_MS } from "./retention.js";
import { startRedisServer, type RedisServer } from "./test-support/redis-server.js";
import { ThreadJournal } from "./thread-journal.js";

const DAY_MS = 86_400_000;

let server: RedisServer;
let admin: Redis;
const opened: RedisStore[] = [];
beforeAll(async () => {
  server = await startRedisServer();
  // The type argument spelled out (ioredis' default): inferred from `admin`'s type instead, it
  // makes TypeScript work out how Redis<T> varies with T by comparing two instantiations of its
  // thousands of command methods, which was 2.3 s of the type check's 12.4 s and 116,000 of its
  // 272,000 types (`tsc --extendedDiagnostics`).
  admin = new Redis<"legacy">(server.url(0));
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await admin.flushall();
});
afterAll(async () => {
  await admin.quit();
  await server.stop();
});

async function memoryUse(): Promise<{ used: number; human: string }> {
  const info = await admin.info("memory");
  return {
    used: Number(/^used_memory:(\d+)/m.exec(info)?.[1]),
    human: /^maxmemory_human:(\S+)/m.exec(info)?.[1] ?? "",
  };
}

function location(url = server.url(0)): RedisLocation {
  const parsed = parseRedisUrl(url);
  if ("problem" in parsed) throw new Error(parsed.problem);
  return parsed;
}

async function open(
  options: { leaseTtlMs?: number; now?: () => number; commandTimeoutMs?: number } = {},
) {
  const store = createRedisStore({ location: location(), ...options });
  await store.connect();
  opened.push(store);
  return store;
}

const lease = (owner: string) => ({
  owner,
  host: hostname(),
  pid: process.pid,
  expiresAt: Date.now() + 60_000,
});

describe("Redis store", () => {
  it("keeps a thread for a week after its request expires, and the SDK's request an hour past its expiry", async () => {
    const now = Date.now();
    const store = await open({ now: () => now });
    const journal = new ThreadJournal(store);
    await journal.put({
      threadId: "thr-1",
      request: "Buy an XYZ phone",
      userId: "auth0|testbed-user",
      createdAt: now,
      purchases: [
        {
          toolCallId: "call_1",
          purchase: { product: "XYZ phone", qty: 1 },
          bindingMessage: "Do you want to buy 1 XYZ phone",
          startedAt: now,
          request: { id: "req-1", expiresIn: 300, interval: 5, sentAt: now },
        },
      ],
    });
    await auth0Store(store).put(
      [
        "AUTH0_AI_CIBA",
        "id",
        "AuthResponses",
        "Threads",
        "thr-1",
        "Tools",
        "t",
        "ToolCalls",
        "call_1",
      ],
      "authResponse",
      { id: "req-1", requestedAt: now / 1000, expiresIn: 300, interval: 5 },
      { expiresIn: 300_000 },
    );

    const threadTtl = await admin.pttl(`${REDIS_KEY_PREFIX}threads/thr-1`);
    expect(threadTtl).toBeLessThanOrEqual(300_000 + THREAD_RETENTION_MS);
    expect(threadTtl).toBeGreaterThan(300_000 + THREAD_RETENTION_MS - 5_000);
    const requestTtl = await admin.pttl(REDIS_KEY_PREFIX + authRequestKey("thr-1", "call_1"));
    expect(requestTtl).toBeLessThanOrEqual(300_000 + AUTH_REQUEST_RETENTION_MS);
    expect(requestTtl).toBeGreaterThan(300_000 + AUTH_REQUEST_RETENTION_MS - 5_000);
    // The marker that tells a lost thread from an unknown one never expires.
    expect(await admin.pttl(`${REDIS_KEY_PREFIX}store`)).toBe(-1);
    expect(await store.keys()).toEqual([authRequestKey("thr-1", "call_1"), "threads/thr-1"]);
  });

  it("never writes credentials, and deletes the request once the journal has its fate", async () => {
    const store = await open();
    const sdk = auth0Store(store);
    const namespace = (kind: string) => [
      "AUTH0_AI_CIBA",
      "id",
      kind,
      "Threads",
      "thr-1",
      "Tools",
      "t",
      "ToolCalls",
      "call_1",
    ];
    await sdk.put(namespace("Credentials"), "credential", { accessToken: "secret" });
    await sdk.put(namespace("AuthResponses"), "authResponse", {
      id: "req-1",
      requestedAt: Date.now() / 1000,
      expiresIn: 300,
    });
    // One left by an earlier version of the agent.
    await admin.set(REDIS_KEY_PREFIX + credentialsKey("thr-1", "call_1"), '{"accessToken":"x"}');

    await discardAuthorization(store, "thr-1", "call_1");

    expect(await admin.keys(`${REDIS_KEY_PREFIX}ciba/*`)).toEqual([]);
  });

  it("gives a lease a TTL its holder renews, and a fencing counter that outlives threads", async () => {
    const store = await open({ leaseTtlMs: 3_000 });
    const claim = await store.claim("leases/thr-1", lease("a"), Date.now());
    if (!claim.granted) throw new Error("not granted");
    const key = `${REDIS_KEY_PREFIX}lease:leases/thr-1`;
    expect(JSON.parse((await admin.get(key))!)).toEqual(claim.lease);
    expect(await admin.pttl(key)).toBeLessThanOrEqual(3_000);
    expect(await admin.pttl(`${REDIS_KEY_PREFIX}fence:leases/thr-1`)).toBeGreaterThan(
      THREAD_RETENTION_MS + 3 * DAY_MS,
    );

    await admin.pexpire(key, 10_000_000);
    expect(await store.renew("leases/thr-1", claim.lease)).toBe(true);
    expect(await admin.pttl(key)).toBeLessThanOrEqual(3_000);

    // Renewal and release act only for the holder.
    const other = { ...claim.lease, owner: "b" };
    expect(await store.renew("leases/thr-1", other)).toBe(false);
    await store.release("leases/thr-1", other);
    expect(await store.holds("leases/thr-1", claim.lease)).toBe(true);
    await store.release("leases/thr-1", claim.lease);
    expect(await admin.exists(key)).toBe(0);
    expect(await store.renew("leases/thr-1", claim.lease)).toBe(false);
    expect(LEASE_TTL_MS).toBe(15_000);
  });

  it("gives a holder paused past its TTL its lease back when nobody claimed it since, and only then", async () => {
    const store = await open({ leaseTtlMs: 3_000 });
    const other = await open();
    const key = `${REDIS_KEY_PREFIX}lease:leases/thr-1`;
    const anything = z.unknown();
    const claim = await store.claim("leases/thr-1", lease("a"), Date.now());
    if (!claim.granted) throw new Error("not granted");
    const heldBy = { key: "leases/thr-1", lease: claim.lease };

    // What Redis does when the TTL runs out while the holder is stopped (SIGSTOP, a laptop lid).
    await admin.del(key);
    expect(await store.holds("leases/thr-1", claim.lease)).toBe(true);
    expect(JSON.parse((await admin.get(key))!)).toEqual(claim.lease);
    expect(await admin.pttl(key)).toBeGreaterThan(0);
    expect(await admin.pttl(key)).toBeLessThanOrEqual(3_000);
    await admin.del(key);
    await store.put("threads/thr-1", { by: "a" }, { heldBy });
    expect(await store.get("threads/thr-1", anything)).toEqual({ by: "a" });
    await admin.del(key);
    expect(await store.renew("leases/thr-1", claim.lease)).toBe(true);
    expect(await other.claim("leases/thr-1", lease("b"), Date.now())).toMatchObject({
      granted: false,
      holder: { owner: "a", token: claim.lease.token },
    });

    // Another process that claimed it meanwhile keeps it: the paused one has lost it.
    await admin.del(key);
    const taken = await other.claim("leases/thr-1", lease("b"), Date.now());
    expect(taken).toMatchObject({ granted: true, lease: { owner: "b" } });
    await admin.del(key);
    expect(await store.holds("leases/thr-1", claim.lease)).toBe(false);
    expect(await store.renew("leases/thr-1", claim.lease)).toBe(false);
    await expect(store.put("threads/thr-1", { by: "a, late" }, { heldBy })).rejects.toBeInstanceOf(
      LeaseNotHeldError,
    );
    expect(await store.get("threads/thr-1", anything)).toEqual({ by: "a" });
    expect(await admin.exists(key)).toBe(0);

    // Nor is a released lease taken back.
    if (!taken.granted) throw new Error("not granted");
    expect(await other.holds("leases/thr-1", taken.lease)).toBe(true);
    await other.release("leases/thr-1", taken.lease);
    expect(await other.holds("leases/thr-1", taken.lease)).toBe(false);
    expect(await other.renew("leases/thr-1", taken.lease)).toBe(false);
    expect(await admin.exists(key)).toBe(0);
  });

  it("sends a command again that timed out only because this process was paused, not Redis", async () => {
    const store = await open({ commandTimeoutMs: 100 });
    await store.put("threads/thr-1", { by: "a" });
    const claim = await store.claim("leases/thr-1", lease("a"), Date.now());
    if (!claim.granted) throw new Error("not granted");
    /**
     * Sends a command, then stops this process for 300 ms as SIGSTOP does: Redis answers
     * meanwhile, and on waking the event loop runs the expired command timeout's timer (after
     * the check phase) before it reads the answer.
     */
    const pausedWhile = async <T>(command: () => Promise<T>): Promise<T> => {
      let sent: Promise<T> | undefined;
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          sent = command();
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
          resolve();
        }),
      );
      return sent!;
    };

    await expect(pausedWhile(() => store.get("threads/thr-1", z.unknown()))).resolves.toEqual({
      by: "a",
    });
    await expect(
      pausedWhile(() =>
        store.put(
          "threads/thr-1",
          { by: "a, later" },
          { heldBy: { key: "leases/thr-1", lease: claim.lease } },
        ),
      ),
    ).resolves.toBeUndefined();
    expect(await pausedWhile(() => store.holds("leases/thr-1", claim.lease))).toBe(true);
    // A claim sent again finds its own lease, not a busy thread.
    const second = await pausedWhile(() => store.claim("leases/thr-2", lease("b"), Date.now()));
    expect(second).toMatchObject({ granted: true, lease: { owner: "b" } });
    expect(await store.get("threads/thr-1", z.unknown())).toEqual({ by: "a, later" });
  });

  it("waits for a Redis that is slow for a few seconds rather than taking it for lost", async () => {
    const store = await open();
    await store.put("threads/thr-1", { by: "a" });
    const claim = await store.claim("leases/thr-1", lease("a"), Date.now());
    if (!claim.granted) throw new Error("not granted");
    // What a Redis busy for 2.5 s is to its clients (DEBUG SLEEP 2, a fork or an fsync that
    // stalls it): it takes their commands and answers each once it is back.
    await admin.call("CLIENT", "PAUSE", "2500", "ALL");

    await expect(store.get("threads/thr-1", z.unknown())).resolves.toEqual({ by: "a" });
    await expect(
      store.put(
        "threads/thr-1",
        { by: "a, later" },
        { heldBy: { key: "leases/thr-1", lease: claim.lease } },
      ),
    ).resolves.toBeUndefined();
    expect(await store.get("threads/thr-1", z.unknown())).toEqual({ by: "a, later" });
  });

  it("lets another machine claim a lease whose holder stopped renewing once Redis drops it", async () => {
    const a = await open();
    const b = await open();
    const held = await a.claim("leases/thr-1", { ...lease("a"), host: "machine-a" }, Date.now());
    expect(held.granted).toBe(true);
    expect(await b.claim("leases/thr-1", lease("b"), Date.now())).toMatchObject({
      granted: false,
      holder: { owner: "a", host: "machine-a" },
    });
    // What Redis does when the TTL of a holder that died ran out.
    await admin.del(`${REDIS_KEY_PREFIX}lease:leases/thr-1`);
    expect(await b.claim("leases/thr-1", lease("b"), Date.now())).toMatchObject({
      granted: true,
      lease: { owner: "b", token: 2 },
    });
  });

  it("refuses a write under a lease that reaches Redis only after another holder took over", async () => {
    // A's commands pass through a relay that can hold them, as a frozen process or a slow
    // network does: its write arrives after its lease expired and B wrote the thread.
    const relay = await holdingRelay(server.port);
    const relayed = new URL(server.url(0));
    relayed.port = String(relay.port);
    try {
      const a = createRedisStore({ location: location(relayed.href) });
      await a.connect();
      opened.push(a);
      const b = await open();
      const anything = z.unknown();
      const claimA = await a.claim(
        "leases/thr-1",
        { ...lease("a"), host: "machine-a" },
        Date.now(),
      );
      if (!claimA.granted) throw new Error("A was refused the lease");
      const heldByA = { key: "leases/thr-1", lease: claimA.lease };
      await a.put("threads/thr-1", { by: "a" }, { heldBy: heldByA });

      relay.hold();
      const late = a.put("threads/thr-1", { by: "a, late" }, { heldBy: heldByA });
      await expect.poll(() => relay.heldBytes()).toBeGreaterThan(0);
      // What Redis does when A's TTL runs out while A cannot renew it.
      await admin.del(`${REDIS_KEY_PREFIX}lease:leases/thr-1`);
      const claimB = await b.claim("leases/thr-1", lease("b"), Date.now());
      if (!claimB.granted) throw new Error("B was refused the lease");
      await b.put(
        "threads/thr-1",
        { by: "b" },
        { heldBy: { key: "leases/thr-1", lease: claimB.lease } },
      );
      relay.release();

      await expect(late).rejects.toBeInstanceOf(LeaseNotHeldError);
      expect(await b.get("threads/thr-1", anything)).toEqual({ by: "b" });
      // Nor may a holder write once its lease is released, or once Redis dropped it.
      await b.release("leases/thr-1", claimB.lease);
      await expect(
        b.put(
          "threads/thr-1",
          { by: "b, released" },
          { heldBy: { key: "leases/thr-1", lease: claimB.lease } },
        ),
      ).rejects.toBeInstanceOf(LeaseNotHeldError);
      expect(await b.get("threads/thr-1", anything)).toEqual({ by: "b" });
    } finally {
      await relay.close();
    }
  });

  it.each([
    ["not JSON", '{"threadId": "t"'],
    ["of another shape", '{"threadId": 1}'],
  ])(
    "names the key and the redis-cli command that removes an entry that is %s",
    async (_, text) => {
      const store = await open();
      const key = `${REDIS_KEY_PREFIX}threads/t`;
      await admin.set(key, text);
      await expect(
        store.get("threads/t", z.object({ threadId: z.string() })),
      ).rejects.toMatchObject({
        code: "store_corrupt",
        key: "threads/t",
        location: `${server.url(0)} key ${key}`,
        removal: `redis-cli -h 127.0.0.1 -p ${server.port} -n 0 DEL ${key}`,
      });
      expect(await admin.get(key)).toBe(text);
    },
  );

  it("refuses a corrupt lease, changing nothing", async () => {
    const store = await open();
    const key = `${REDIS_KEY_PREFIX}lease:leases/t`;
    await admin.set(key, '{"owner": 1}');
    await expect(store.claim("leases/t", lease("a"), Date.now())).rejects.toMatchObject({
      code: "store_corrupt",
      location: `${server.url(0)} key ${key}`,
    });
    expect(await admin.get(key)).toBe('{"owner": 1}');
  });

  it("tells a Redis that holds no threads at all (and keeps nothing across a restart) from one that does", async () => {
    const store = await open();
    const url = server.url(0).replaceAll(".", "\\.");
    // Any id misses in an empty Redis: a mistyped one as well as one lost in a restart, so the
    // message says what is known and leaves the rest as a condition.
    expect(await store.explainMissing()).toEqual({
      lost: true,
      message: expect.stringMatching(
        new RegExp(
          `^Redis at ${url} holds no agent threads at all, and it keeps nothing across a restart \\(appendonly no, no save points, up \\d+ s\\)\\. The id may be mistyped, or the thread sent with another AGENT_STORE; if it was sent with this one, it was lost when Redis restarted \\(it last started at \\S+Z\\)\\.$`,
        ),
      ),
    });
    await store.put("threads/thr-1", { threadId: "thr-1" });
    const listing = `Run redis-cli -h 127.0.0.1 -p ${server.port} -n 0 --scan --pattern 'ciba-agent:threads/*' to see the ids it holds.`;
    // Written since its start: a thread sent before then is lost, or the id is mistyped.
    expect(await store.explainMissing()).toEqual({
      lost: false,
      message: expect.stringMatching(
        /^Redis at \S+ has held agent threads since \S+Z; each is kept 7 days after its last request\. It keeps nothing across a restart \(appendonly no, no save points, up \d+ s\): a thread sent with this AGENT_STORE before it started at \S+Z was lost then\. Run /,
      ),
    });
    expect((await store.explainMissing()).message.endsWith(` ${listing}`)).toBe(true);
    await admin.config("SET", "appendonly", "yes");
    try {
      expect(await store.explainMissing()).toEqual({
        lost: false,
        message: expect.stringMatching(/ each is kept 7 days after its last request\. Run /),
      });
    } finally {
      await admin.config("SET", "appendonly", "no");
    }
  });

  it("warns of eviction on a Redis whose ACL refuses INFO, from CONFIG GET", async () => {
    await admin.call(
      "ACL",
      "SETUSER",
      "no-info",
      "on",
      ">no-info-pw",
      "~*",
      "&*",
      "+@all",
      "-info",
    );
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    await admin.config("SET", "maxmemory", String(1024 * 1024 * 1024));
    const url = new URL(server.url(0));
    url.username = "no-info";
    url.password = "no-info-pw";
    const store = createRedisStore({ location: location(url.href) });
    try {
      await store.connect();
      expect(await store.warnings()).toEqual([
        {
          code: "redis_eviction",
          message: `Redis at ${location(url.href).display} drops keys when it reaches its maxmemory (maxmemory-policy allkeys-lru, maxmemory 1073741824 bytes): a thread it drops is lost, with the approval it waits for. Set maxmemory-policy noeviction, with which a full Redis refuses writes instead.`,
        },
      ]);
    } finally {
      await store.close();
      await admin.config("SET", "maxmemory", "0");
      await admin.config("SET", "maxmemory-policy", "noeviction");
      await admin.call("ACL", "DELUSER", "no-info");
    }
  });

  it("warns of a Redis that evicts keys when full, and counts its evictions when a thread is missing", async () => {
    const store = await open();
    await admin.config("SET", "maxmemory-policy", "volatile-lru");
    try {
      // No limit: nothing is ever evicted, whatever the policy.
      expect(await store.warnings()).toEqual([]);
      const { used } = await memoryUse();
      await admin.config("SET", "maxmemory", String(used + 4 * 1024 * 1024));
      const limit = (await memoryUse()).human;
      expect(await store.warnings()).toEqual([
        {
          code: "redis_eviction",
          message: `Redis at ${server.url(0)} drops keys when it reaches its maxmemory (maxmemory-policy volatile-lru, maxmemory ${limit}): a thread it drops is lost, with the approval it waits for. Set maxmemory-policy noeviction, with which a full Redis refuses writes instead.`,
        },
      ]);
      await store.put("threads/thr-1", { threadId: "thr-1" }, { keepUntil: Date.now() });
      // Values with a TTL, as the threads have, until Redis has to drop some.
      const filler = "x".repeat(64 * 1024);
      for (let index = 0; index < 200; index++) {
        await admin.set(`filler:${String(index)}`, filler, "PX", 600_000);
      }
      const evicted = Number(/^evicted_keys:(\d+)/m.exec(await admin.info("stats"))?.[1]);
      expect(evicted).toBeGreaterThan(0);
      const absence = await store.explainMissing();
      // The store key has no TTL, so volatile-lru keeps it while it drops threads.
      expect(absence.lost).toBe(false);
      expect(absence.message).toContain(
        ` It has evicted ${String(evicted)} keys since it started (maxmemory-policy volatile-lru, maxmemory ${limit}), and a thread it evicted is lost. Run `,
      );
      // The limit lifted since: what was evicted is still said.
      await admin.config("SET", "maxmemory", "0");
      expect(await store.warnings()).toEqual([]);
      expect((await store.explainMissing()).message).toContain(
        ` It has evicted ${String(evicted)} keys since it started, and a thread it evicted is lost. Run `,
      );
    } finally {
      await admin.config("SET", "maxmemory", "0");
      await admin.config("SET", "maxmemory-policy", "noeviction");
      await admin.config("RESETSTAT");
    }
    expect(await store.warnings()).toEqual([]);
    expect((await store.explainMissing()).message).not.toContain("evicted");
  });

  it("refuses a database number Redis does not have, instead of going on in database 0", async () => {
    const store = createRedisStore({ location: location(server.url(99)) });
    await expect(store.connect()).rejects.toThrow(
      /^Redis at .*\/99 \(AGENT_STORE\) has no database 99: ERR DB index is out of range/,
    );
    await store.close();
    const fifteen = createRedisStore({ location: location(server.url(15)) });
    await expect(fifteen.connect()).resolves.toBeUndefined();
    await fifteen.close();
  });

  it("ends the wait for a Redis that takes the connection and answers nothing (paused, stopped)", async () => {
    // What a paused Redis is on the wire: the kernel accepts, nothing ever answers.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const url = `redis://127.0.0.1:${String((silent.address() as AddressInfo).port)}/0`;
    try {
      const store = createRedisStore({ location: location(url), commandTimeoutMs: 100 });
      await expect(store.connect()).rejects.toMatchObject({
        message: `Redis at ${url} (AGENT_STORE) took the connection but answered no command within 0.1 s: Command timed out.`,
        fix: expect.stringMatching(
          /^Check that it is running and not paused or overloaded \(redis-cli -h 127\.0\.0\.1 -p \d+ -n 0 PING\)\.$/,
        ),
      });
      await store.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("says what to change when Redis wants a password, refuses it, speaks no TLS, or is not a Redis", async () => {
    const guarded = await startRedisServer();
    const sockets = new Set<Socket>();
    const notRedis = createServer((socket) => {
      sockets.add(socket);
      socket.end("<html>Bad Request</html>\n");
    });
    await new Promise<void>((resolve) => notRedis.listen(0, "127.0.0.1", resolve));
    try {
      const setup = new Redis<"legacy">(guarded.url(0));
      await setup.config("SET", "requirepass", "s3cret");
      setup.disconnect();
      const base = new URL(guarded.url(0));
      const refusal = async (url: string) => {
        const store = createRedisStore({ location: location(url), commandTimeoutMs: 300 });
        try {
          await store.connect();
          return "connected";
        } catch (error) {
          const { message, fix } = error as RedisConnectError;
          return `${message} Fix: ${fix}`;
        } finally {
          await store.close();
        }
      };
      const at = `127.0.0.1:${base.port}`;

      expect(await refusal(`redis://${at}/0`)).toBe(
        `Redis at redis://${at}/0 (AGENT_STORE) asks for a password: NOAUTH Authentication required. Fix: Put it in the URL, redis://:<password>@${at}/0 (URL-encoded).`,
      );
      expect(await refusal(`redis://:wrong@${at}/0`)).toMatch(
        new RegExp(
          `^Redis at redis://:\\*\\*\\*@${at}/0 \\(AGENT_STORE\\) refused the password in AGENT_STORE: WRONGPASS .+ Fix: Check them; in the URL, @ : / % and # in a password are written %40 %3A %2F %25 %23\\.$`,
        ),
      );
      expect(await refusal(`redis://:s3cret@${at}/0`)).toBe("connected");
      expect(await refusal(`rediss://:s3cret@${at}/0`)).toMatch(
        /over TLS: .+\. Fix: A Redis without TLS on that port never finishes the handshake: use redis:\/\/ for it, or the port where it takes TLS\. If it does take TLS there, check that the host and port are reachable from here\.$/,
      );
      const other = `127.0.0.1:${String((notRedis.address() as AddressInfo).port)}`;
      expect(await refusal(`redis://${other}/0`)).toBe(
        `What answers at redis://${other}/0 (AGENT_STORE) is not a Redis: Unknown RESP type 60 "<". Fix: Point AGENT_STORE at the Redis server's port (6379 unless set otherwise).`,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => notRedis.close(resolve));
      await guarded.stop();
    }
  });

  it("says what to change when Redis refuses the store's commands: full, a replica, an ACL", async () => {
    const refusing = await startRedisServer();
    const setup = new Redis<"legacy">(refusing.url(0));
    const where = `Redis at ${refusing.url(0)} (AGENT_STORE)`;
    const failureOf = async (work: Promise<unknown>) => {
      const error = await work.then(
        () => new Error("it worked"),
        (thrown: unknown) => thrown as Error,
      );
      return redisFailure(location(refusing.url(0)), error.message, "command");
    };
    try {
      const store = createRedisStore({ location: location(refusing.url(0)) });
      await store.connect();
      opened.push(store);

      await setup.config("SET", "maxmemory", "1");
      const full = {
        message: expect.stringContaining(
          `${where} is full (maxmemory): OOM command not allowed when used memory > 'maxmemory'`,
        ),
        fix: "Raise its maxmemory or free memory: a Redis at its maxmemory refuses each write it cannot make room for by evicting keys (every write under maxmemory-policy noeviction, which the agent needs so that no thread is evicted).",
      };
      expect(await failureOf(store.put("threads/t", { n: 1 }))).toEqual(full);
      expect(await failureOf(store.claim("leases/t", lease("a"), Date.now()))).toEqual(full);
      await setup.config("SET", "maxmemory", "0");

      // A replica of a primary that is not there: it refuses writes all the same.
      await setup.replicaof("127.0.0.1", String(await freePort()));
      expect(await failureOf(store.put("threads/t", { n: 1 }))).toMatchObject({
        message: `${where} is a read-only replica: READONLY You can't write against a read only replica.`,
        fix: "Point AGENT_STORE at its primary.",
      });
      await setup.replicaof("NO", "ONE");

      await setup.acl("SETUSER", "agent", "on", ">pw", "~*", "+@all", "-eval", "-evalsha");
      const limitedUrl = new URL(refusing.url(0));
      limitedUrl.username = "agent";
      limitedUrl.password = "pw";
      const limited = createRedisStore({ location: location(limitedUrl.href) });
      await limited.connect();
      opened.push(limited);
      const claim = limited.claim("leases/t", lease("a"), Date.now());
      expect(await failureOf(claim)).toMatchObject({
        message: expect.stringMatching(
          /^Redis at \S+ \(AGENT_STORE\) does not allow this user what the store needs: NOPERM .*'eval' command\.$/,
        ),
        fix: "Grant it, in its ACL, GET, SET, DEL, INCR, PEXPIRE, SCAN, EVAL and EVALSHA on the keys ciba-agent:*, INFO (which tells whether Redis may evict threads) and SELECT for a database other than 0.",
      });

      // Without SELECT, a database other than 0 is refused as the ACL's, not as a missing one.
      await setup.acl("SETUSER", "onedb", "on", ">pw", "~*", "+@all", "-select");
      const otherDb = new URL(refusing.url(1));
      otherDb.username = "onedb";
      otherDb.password = "pw";
      const refused = createRedisStore({ location: location(otherDb.href) });
      await expect(refused.connect()).rejects.toMatchObject({
        message: expect.stringMatching(
          /does not allow this user what the store needs: NOPERM .*'select' command\.$/,
        ),
      });
      await refused.close();
    } finally {
      setup.disconnect();
      await refusing.stop();
    }
  });

  it("warns that it cannot tell whether Redis evicts threads when its ACL refuses INFO, and nothing else on stderr", async () => {
    // Exactly the commands the store runs but INFO (and CONFIG), as an ACL written before the
    // fix named INFO would grant: ioredis's own ready check printed a warning at every run.
    const commands = ["get", "set", "del", "incr", "pexpire", "scan", "eval", "evalsha", "select"];
    await admin.acl(
      "SETUSER",
      "noinfo",
      "on",
      ">pw",
      "~ciba-agent:*",
      ...commands.map((c) => `+${c}`),
    );
    await admin.acl(
      "SETUSER",
      "withinfo",
      "on",
      ">pw",
      "~ciba-agent:*",
      ...commands.map((c) => `+${c}`),
      "+info",
    );
    const as = (user: string) => {
      const url = new URL(server.url(0));
      url.username = user;
      url.password = "pw";
      return createRedisStore({ location: location(url.href) });
    };
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const [noInfo, withInfo] = [as("noinfo"), as("withinfo")];
      opened.push(noInfo, withInfo);
      await Promise.all([noInfo.connect(), withInfo.connect()]);
      await noInfo.put("threads/acl", { n: 1 });

      expect(await noInfo.warnings()).toEqual([
        {
          code: "redis_eviction_unknown",
          message: `Redis at redis://noinfo:***@127.0.0.1:${String(server.port)}/0 refused INFO and CONFIG GET to this user, so whether it drops keys when it reaches a maxmemory is not known: a thread it drops is lost, with the approval it waits for. Grant the user INFO, or make sure Redis runs with maxmemory-policy noeviction.`,
        },
      ]);
      expect(await withInfo.warnings()).toEqual([]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      await admin.acl("DELUSER", "noinfo", "withinfo");
    }
  });

  it("says the connection was lost when Redis is killed mid-run, without ioredis's words", async () => {
    const doomed = await startRedisServer();
    const store = createRedisStore({ location: location(doomed.url(0)) });
    try {
      await store.connect();
      await store.put("threads/thr-1", { by: "a" });
      await doomed.stop();
      const error = await store.get("threads/thr-1", z.unknown()).then(
        () => undefined,
        (failed: unknown) => failed as Error,
      );
      const failure = redisFailure(location(doomed.url(0)), error!.message, "command");
      expect(failure).toEqual({
        message: `The connection to Redis at ${doomed.url(0)} (AGENT_STORE) was lost mid-run and could not be made again: Redis stopped or restarted, or the network to it failed.`,
        fix: `Check that it is running (redis-cli -h 127.0.0.1 -p ${doomed.port} -n 0 PING); then resume the thread to see where it stands, and check the orders before asking again.`,
      });
      expect(JSON.stringify(failure)).not.toMatch(/maxRetriesPerRequest|retries/);
    } finally {
      await store.close();
    }
  });

  it("names the server and the variable when Redis cannot be reached", async () => {
    const unused = await startRedisServer();
    const url = unused.url(0);
    await unused.stop();
    const store = createRedisStore({ location: location(url) });
    await expect(store.connect()).rejects.toThrow(
      `Cannot reach Redis at ${url} (AGENT_STORE): connect ECONNREFUSED`,
    );
    await store.close();
  });
});

/**
 * A TCP relay to the Redis on `port` whose client-to-server direction can be held: what a
 * client sends while held is kept and sent on `release()`.
 */
async function holdingRelay(port: number) {
  let held: [Socket, Buffer][] | undefined;
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const upstream = connect(port, "127.0.0.1");
    sockets.add(client).add(upstream);
    client.on("data", (chunk) => {
      if (held === undefined) upstream.write(chunk);
      else held.push([upstream, chunk]);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  return {
    port: (relay.address() as AddressInfo).port,
    hold: () => {
      held = [];
    },
    heldBytes: () => held?.reduce((sum, [, chunk]) => sum + chunk.length, 0) ?? 0,
    release: () => {
      const chunks = held ?? [];
      held = undefined;
      for (const [upstream, chunk] of chunks) upstream.write(chunk);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    },
  };
}
