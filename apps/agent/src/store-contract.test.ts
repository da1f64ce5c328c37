import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";

import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";

import { LeaseNotHeldError, createMemoryStore, type AgentStore } from "./agent-store.js";
import { createFileStore } from "./file-store.js";
import { StoreEntryError } from "./halt.js";
import type { LeaseRequest } from "./lease.js";
import { readProcess } from "./process-info.js";
import { createRedisStore } from "./redis-store.js";
import { parseRedisUrl, type RedisLocation } from "./redis-url.js";
import { startRedisServer, type RedisServer } from "./test-support/redis-server.js";
import { ThreadJournal } from "./thread-journal.js";

// One contract, every store: what the agent relies on, checked against the file store, the
// Redis store (a real redis-server) and the in-memory one.

let redis: RedisServer;
let nextDb = 0;
const opened: AgentStore[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close?.() ?? Promise.resolve()));
});
afterAll(async () => {
  await redis.stop();
});

function redisLocation(db: number): RedisLocation {
  const location = parseRedisUrl(redis.url(db));
  if ("problem" in location) throw new Error(location.problem);
  return location;
}

/** A Redis store on a database of its own, emptied first (16 databases, used in turn). */
async function redisStore(): Promise<AgentStore> {
  const location = redisLocation(nextDb++ % 16);
  const store = createRedisStore({ location });
  await store.connect();
  opened.push(store);
  const { Redis } = await import("ioredis");
  const admin = new Redis(location.url);
  await admin.flushdb();
  await admin.quit();
  return store;
}

/** A file store in a fresh directory, removed when the test finishes. */
async function fileStore(): Promise<AgentStore> {
  const dir = await mkdtemp(path.join(tmpdir(), "agent-store-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return createFileStore(dir);
}

const STORES: [string, () => Promise<AgentStore>][] = [
  ["file", fileStore],
  ["redis", redisStore],
  ["memory", () => Promise.resolve(createMemoryStore())],
];

const anything = z.unknown();

describe.each(STORES)("%s store values", (_, makeStore) => {
  it("keeps, replaces and deletes a value; a missing one is undefined", async () => {
    const store = await makeStore();
    const key = "ciba/AuthResponses/thr 1/call|1/authResponse";
    expect(await store.get(key, anything)).toBeUndefined();

    await store.put(key, { n: 1 });
    await store.put(key, { n: 2 }, { keepUntil: Date.now() + 60_000 });
    expect(await store.get(key, anything)).toEqual({ n: 2 });

    await store.delete(key);
    expect(await store.get(key, anything)).toBeUndefined();
    await store.delete(key);
  });

  it("applies writes to one key in the order they were made, even unawaited", async () => {
    const store = await makeStore();
    const writes = Array.from({ length: 20 }, (_, n) => store.put("k", { n }));
    const removal = store.delete("k");
    await Promise.all([...writes, removal]);
    expect(await store.get("k", anything)).toBeUndefined();

    void store.put("k", { n: "last" });
    expect(await store.get("k", anything)).toEqual({ n: "last" });
  });

  it("refuses an entry of another shape than the reader expects, naming the key", async () => {
    const store = await makeStore();
    await store.put("threads/t", { n: "one" });
    const read = store.get("threads/t", z.object({ n: z.number() }));
    await expect(read).rejects.toBeInstanceOf(StoreEntryError);
    await expect(read).rejects.toMatchObject({
      code: "store_corrupt",
      key: "threads/t",
      problem: expect.stringContaining("n: Expected number, received string"),
    });
  });

  it("holds a thread journal that a second instance of the store reads back", async () => {
    const store = await makeStore();
    const journal = new ThreadJournal(store);
    await journal.put({
      threadId: "thr-1",
      request: "Buy an XYZ phone",
      userId: "auth0|testbed-user",
      createdAt: Date.now(),
      purchases: [],
    });
    await journal.putPurchase("thr-1", {
      toolCallId: "call_1",
      purchase: { product: "XYZ phone", qty: 1 },
      bindingMessage: "Do you want to buy 1 XYZ phone",
      startedAt: Date.now(),
    });
    await journal.markApproved("thr-1", "call_1", 5);
    expect(await journal.findPurchase("thr-1", "call_1")).toMatchObject({ approvedAt: 5 });
  });
});

const NOW = 1_000_000;
const request = (owner: string, extra: Partial<LeaseRequest> = {}): LeaseRequest => ({
  owner,
  host: hostname(),
  pid: process.pid,
  expiresAt: NOW + 60_000,
  ...extra,
});
/** The pid of a process that has just exited (`node --version` ends before Node starts V8). */
const deadPid = () => spawnSync(process.execPath, ["--version"]).pid;

async function granted(store: AgentStore, key: string, req: LeaseRequest, now = NOW) {
  const claim = await store.claim(key, req, now);
  if (!claim.granted) throw new Error(`${req.owner} was refused: ${claim.holder.owner} holds it`);
  return claim.lease;
}

describe.each(STORES)("%s store leases", (_, makeStore) => {
  it("lets one owner in at a time, each with a larger fencing token", async () => {
    const store = await makeStore();
    const a = await granted(store, "leases/t", request("a"));
    expect(a.token).toBe(1);
    expect(await store.claim("leases/t", request("b"), NOW)).toMatchObject({
      granted: false,
      holder: { owner: "a", token: 1 },
    });
    expect(await store.holds("leases/t", a)).toBe(true);

    await store.release("leases/t", a);
    expect(await store.holds("leases/t", a)).toBe(false);
    const b = await granted(store, "leases/t", request("b"));
    expect(b.token).toBeGreaterThan(a.token);
    // A late release by the old holder does not free the new one's lease.
    await store.release("leases/t", a);
    expect(await store.holds("leases/t", b)).toBe(true);
  });

  it("takes over an expired lease, one whose process died, and one whose pid was reused", async () => {
    const store = await makeStore();
    const expired = await granted(store, "leases/t", request("a", { expiresAt: NOW - 1 }));
    const next = await granted(store, "leases/t", request("b"));
    expect(next.token).toBe(expired.token + 1);
    expect(await store.holds("leases/t", expired)).toBe(false);
    // The old holder's release is too late to matter.
    await store.release("leases/t", expired);
    expect(await store.holds("leases/t", next)).toBe(true);

    await granted(store, "leases/u", request("c", { pid: deadPid() }));
    await granted(store, "leases/u", request("d"));

    await granted(store, "leases/v", request("e", { startTime: "1" }));
    expect(readProcess(process.pid)?.startTime).not.toBe("1");
    await granted(store, "leases/v", request("f"));
  });

  it("keeps a live lease of another host until it expires", async () => {
    const store = await makeStore();
    await granted(store, "leases/t", request("a", { host: "elsewhere", pid: deadPid() }));
    expect(await store.claim("leases/t", request("b"), NOW)).toMatchObject({ granted: false });
    expect(await store.claim("leases/t", request("b"), NOW + 60_000)).toMatchObject({
      granted: true,
    });
  });

  it("still holds an expired lease that nobody has claimed since", async () => {
    const store = await makeStore();
    const lease = await granted(store, "leases/t", request("a", { expiresAt: NOW + 1 }));
    expect(await store.holds("leases/t", lease)).toBe(true);
  });

  it("writes under a lease only while it holds the key: a holder taken over changes nothing", async () => {
    const store = await makeStore();
    const a = await granted(store, "leases/t", request("a", { expiresAt: NOW + 1 }));
    await store.put("threads/t", { by: "a" }, { heldBy: { key: "leases/t", lease: a } });
    const b = await granted(store, "leases/t", request("b"), NOW + 2);
    await store.put("threads/t", { by: "b" }, { heldBy: { key: "leases/t", lease: b } });

    const late = store.put("threads/t", { by: "a" }, { heldBy: { key: "leases/t", lease: a } });
    await expect(late).rejects.toBeInstanceOf(LeaseNotHeldError);
    await store.release("leases/t", b);
    const released = store.put("threads/t", { by: "b" }, { heldBy: { key: "leases/t", lease: b } });
    await expect(released).rejects.toBeInstanceOf(LeaseNotHeldError);
    const unknown = store.put("threads/u", {}, { heldBy: { key: "leases/u", lease: b } });
    await expect(unknown).rejects.toBeInstanceOf(LeaseNotHeldError);

    expect(await store.get("threads/t", anything)).toEqual({ by: "b" });
    expect(await store.get("threads/u", anything)).toBeUndefined();
  });

  it("writes a journal under a lease, and ends a holder taken over with lease_lost", async () => {
    const store = await makeStore();
    const a = await granted(store, "leases/thr-1", request("a", { expiresAt: NOW + 1 }));
    const thread = {
      threadId: "thr-1",
      request: "Buy an XYZ phone",
      userId: "auth0|testbed-user",
      createdAt: NOW,
      purchases: [],
    };
    const journal = new ThreadJournal(store).heldBy("thr-1", a);
    await journal.put(thread);
    await expect(journal.put({ ...thread, threadId: "thr-2" })).rejects.toThrow(
      "Thread thr-2 written under the lease of thr-1",
    );
    await granted(store, "leases/thr-1", request("b"), NOW + 2);

    await expect(journal.put({ ...thread, request: "late" })).rejects.toMatchObject({
      name: "AgentHalt",
      code: "lease_lost",
    });
    expect(await journal.get("thr-1")).toEqual({ ...thread, formatVersion: 1 });
  });

  it("grants one of many simultaneous claims", async () => {
    const store = await makeStore();
    const claims = await Promise.all(
      Array.from({ length: 30 }, (_, i) => store.claim("leases/t", request(`o${i}`), NOW)),
    );
    expect(claims.filter((claim) => claim.granted)).toHaveLength(1);
  });

  it("grants one of many simultaneous takeovers of a stale lease", async () => {
    const store = await makeStore();
    const stale = await granted(store, "leases/t", request("a", { pid: deadPid() }));
    const claims = await Promise.all(
      Array.from({ length: 30 }, (_, i) => store.claim("leases/t", request(`o${i}`), NOW)),
    );
    const winners = claims.flatMap((claim) => (claim.granted ? [claim.lease] : []));
    expect(winners).toHaveLength(1);
    expect(winners[0]!.token).toBe(stale.token + 1);
    expect(claims.filter((claim) => !claim.granted)).toEqual(
      Array(29).fill({ granted: false, holder: winners[0] }),
    );
  });
});
