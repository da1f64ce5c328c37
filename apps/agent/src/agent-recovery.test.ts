import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";

import { ManualClock, type Clock } from "@ciba-testbed/shared";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { AgentStore } from "./agent-store.js";
import { createFileStore } from "./file-store.js";
import { AgentHalt } from "./halt.js";
import { INTERRUPTED } from "./interrupted-purchase.js";
import { createRedisStore } from "./redis-store.js";
import { parseRedisUrl } from "./redis-url.js";
import { startRedisServer } from "./test-support/redis-server.js";
import { JOURNAL_FORMAT } from "./thread-journal.js";
import { filesIn, resetToolCalls, setup } from "./test-support/agent-setup.js";
import {
  expectAllStubsUsed,
  isolateNetwork,
  stubAuth0,
  stubShop,
  testConfig,
} from "./test-support/stubs.js";

const THREAD_FILE = "threads%2Fthread-1.json";
const REQUEST_FILE = `${encodeURIComponent("ciba/AuthResponses/thread-1/call_1/authResponse")}.json`;
const CREDENTIALS_FILE = `${encodeURIComponent("ciba/Credentials/thread-1/call_1/credential")}.json`;
const LEASE_FILE = path.join("leases%2Fthread-1.lease", "2");
const INVALID_GRANT = {
  error: "invalid_grant",
  error_description: "The auth_req_id is unknown, was already used, or belongs to another client",
};

let dir: string;
isolateNetwork();
beforeEach(async () => {
  resetToolCalls();
  dir = await mkdtemp(path.join(tmpdir(), "agent-recovery-"));
});
afterEach(async () => {
  expectAllStubsUsed();
  await rm(dir, { recursive: true, force: true });
});

const clock = new ManualClock();
/** A fresh agent over the same directory: what a new process sees. */
const restart = (
  options: { store?: AgentStore; beforeOrder?: () => void; fetch?: typeof fetch } = {},
) =>
  setup({
    config: testConfig({ mode: "interrupt", store: { kind: "file", dir } }),
    store: options.store ?? createFileStore(dir),
    clock,
    ...options,
  });

/** A thread whose one purchase waits for approval: journal, stored request, released lease. */
async function pendingThread() {
  stubShop().catalog();
  const auth0 = stubAuth0().bcAuthorize().pending();
  expect((await restart().agent.run("Buy an XYZ phone")).outcome).toBe("PENDING");
  return auth0;
}

/** A store that stops the "process" at the first journal write where `step` is recorded. */
function stoppingAt(step: "approvedAt" | "orderSentAt"): AgentStore {
  const store = createFileStore(dir);
  return {
    ...store,
    put: (key, value) => {
      const purchases = (value as { purchases?: Record<string, unknown>[] }).purchases;
      if (key === "threads/thread-1" && purchases?.some((p) => p[step] !== undefined)) {
        return Promise.reject(new AgentHalt("test_stop", `stopped before recording ${step}`));
      }
      return store.put(key, value);
    },
  };
}

const readJournal = async () =>
  JSON.parse(await readFile(path.join(dir, THREAD_FILE), "utf8")) as {
    purchases: Record<string, unknown>[];
  };

describe("a resume after a process stopped between approval and order", () => {
  it.each([
    [
      "right after Auth0 issued the token: the tenant answers invalid_grant",
      async () => {
        const auth0 = await pendingThread();
        auth0.approve("at-spent");
        const stopped = await restart({ store: stoppingAt("approvedAt") }).agent.resume("thread-1");
        expect(stopped).toMatchObject({ outcome: "ERROR", error: "test_stop" });
        // Nothing the SDK knew was dropped, and no token reached the store.
        expect(existsSync(path.join(dir, REQUEST_FILE))).toBe(true);
        expect(Object.values(await filesIn(dir)).join()).not.toContain("at-spent");
        auth0.token(400, INVALID_GRANT);
      },
    ],
    [
      "after the journal recorded the approval as taken",
      async () => {
        const auth0 = await pendingThread();
        auth0.approve("at-spent");
        await restart({ store: stoppingAt("orderSentAt") }).agent.resume("thread-1");
        expect((await readJournal()).purchases[0]).toHaveProperty("approvedAt");
        expect(existsSync(path.join(dir, REQUEST_FILE))).toBe(false);
      },
    ],
    [
      "when the stored request and credentials are gone: the tenant is asked again",
      async () => {
        const auth0 = await pendingThread();
        // What an earlier version left: the SDK dropped the request, then stored the token,
        // and the journal holds no poll's answer.
        await rm(path.join(dir, REQUEST_FILE));
        await writeFile(path.join(dir, CREDENTIALS_FILE), '{"accessToken":"at-old"}');
        const journal = await readJournal();
        delete (journal.purchases[0]!.request as Record<string, unknown>).answeredAt;
        await writeFile(path.join(dir, THREAD_FILE), JSON.stringify(journal));
        auth0.token(400, INVALID_GRANT);
      },
    ],
  ])("reports one outcome %s", async (_, stop) => {
    await stop();
    const shop = stubShop();

    const report = await restart().agent.resume("thread-1");

    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "stopped_before_order" });
    expect(report.fix).toMatch(/^Ask again/);
    expect(report.message).toContain(
      "The approval was used by a process that stopped before ordering; ask again.",
    );
    expect(report.purchases[0]).toMatchObject(INTERRUPTED.beforeOrder);
    expect(shop.calls).toHaveLength(0);
    const files = Object.keys(await filesIn(dir));
    expect(files).toHaveLength(2);
    expect(files).toContain(THREAD_FILE);
    // Settled: the next resume reads it from the journal and asks nobody.
    expect(await restart().agent.resume("thread-1")).toMatchObject({
      error: "stopped_before_order",
    });
  });

  it("polls the request the journal knows, so an unanswered one keeps waiting", async () => {
    const auth0 = await pendingThread();
    await rm(path.join(dir, REQUEST_FILE));
    auth0.pending();

    const report = await restart().agent.resume("thread-1");

    expect(report).toMatchObject({ outcome: "PENDING", authReqId: "req-1" });
    expect(auth0.calls.at(-1)?.body.auth_req_id).toBe("req-1");
    expect(auth0.count("/bc-authorize")).toBe(1);
  });

  it("orders a purchase an earlier version recorded with the key its approval names, the tool call id", async () => {
    const auth0 = await pendingThread();
    // Before purchase ids, the record had none, and the request named the tool call id.
    const journal = await readJournal();
    expect(journal.purchases[0]).toMatchObject({ purchaseId: "pur_1" });
    delete journal.purchases[0]!.purchaseId;
    await writeFile(path.join(dir, THREAD_FILE), JSON.stringify(journal));
    auth0.approve();
    const shop = stubShop().order();

    const report = await restart().agent.resume("thread-1");

    expect(report).toMatchObject({ outcome: "ORDERED" });
    expect(shop.calls[0]!.headers.get("idempotency-key")).toBe("call_1");
  });

  it("reports an order an earlier run placed as that run's when the thread's end was never recorded", async () => {
    // The earlier run ordered, then its store failed at its last write (the thread's end): the
    // next resume said "Ordered ..." with finishedEarlier null, as if it had ordered.
    const auth0 = await pendingThread();
    auth0.approve();
    stubShop().order(201, { id: "ord_1" });
    expect(await restart().agent.resume("thread-1")).toMatchObject({ outcome: "ORDERED" });
    const journal = (await readJournal()) as Record<string, unknown> & {
      purchases: { finishedAt?: number }[];
    };
    const orderedAt = journal.purchases[0]!.finishedAt!;
    delete journal.finished;
    await writeFile(path.join(dir, THREAD_FILE), JSON.stringify(journal));
    clock.advance(60_000);
    const shop = stubShop();

    const report = await restart().agent.resume("thread-1");

    expect(report).toMatchObject({ outcome: "ORDERED", exitCode: 0, finishedEarlier: orderedAt });
    expect(report.message).toMatch(
      /^Thread thread-1 had already finished, at .* with order ord_1; this run ordered nothing and asked nobody\./,
    );
    expect(shop.calls).toHaveLength(0);
  });

  it("says the shop may have the order when the process stopped while sending it", async () => {
    const auth0 = await pendingThread();
    auth0.approve();
    // The order request leaves and the process dies before the answer.
    const dying = () => Promise.reject(new AgentHalt("test_stop", "stopped while ordering"));
    await restart({ fetch: dying }).agent.resume("thread-1");

    const report = await restart().agent.resume("thread-1");

    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "order_unconfirmed",
      fix: "Check the person's orders at the shop before asking for this purchase again.",
    });
    expect(report.message).toContain("the shop may have it");
  });
});

describe("the resume's lease", () => {
  it("lasts as long as the thread's request may wait, not this process's AGENT_REQUESTED_EXPIRY", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 60 }).pending();
    expect((await restart().agent.run("Buy an XYZ phone")).outcome).toBe("PENDING");
    auth0.pending();
    const store = createFileStore(dir);
    const claimed: number[] = [];
    const worker = setup({
      config: testConfig({
        mode: "interrupt",
        requestedExpiry: 259_200,
        store: { kind: "file", dir },
      }),
      store: {
        ...store,
        claim: (key, request, now) => {
          claimed.push(request.expiresAt - now);
          return store.claim(key, request, now);
        },
      },
      clock,
    });

    expect((await worker.agent.resume("thread-1")).outcome).toBe("PENDING");
    // The request's 60 s and the lease's margin of 300 s, not 72 hours.
    expect(claimed).toEqual([360_000]);
  });
});

describe("guards right before the order", () => {
  it("orders nothing once another process has claimed the thread", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().pending();
    const store = createFileStore(dir);
    // While this one waits between polls, another process, whose clock says the lease has
    // expired, claims the thread. The journal write before the next poll is refused, so that
    // poll never leaves.
    const fake = new ManualClock();
    const stealing: Clock = {
      now: () => fake.now(),
      sleep: async (ms) => {
        await fake.sleep(ms);
        const other = { owner: "other", host: hostname(), pid: process.pid, expiresAt: 0 };
        expect(await store.claim("leases/thread-1", other, Number.MAX_SAFE_INTEGER)).toMatchObject({
          granted: true,
          lease: { token: 2 },
        });
      },
    };
    const { agent } = setup({
      config: testConfig({ mode: "block", store: { kind: "file", dir } }),
      store,
      clock: stealing,
    });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "lease_lost" });
    expect(auth0.count("/oauth/token")).toBe(1);
    // It wrote nothing after losing the thread: the new holder finds the request to poll.
    expect((await readJournal()).purchases[0]).not.toHaveProperty("approvedAt");
    expect(existsSync(path.join(dir, REQUEST_FILE))).toBe(true);
  });

  it("orders nothing when its last journal write lands after another process took the thread over", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().pending().approve();
    const files = createFileStore(dir);
    let taken: Awaited<ReturnType<ReturnType<typeof restart>["agent"]["resume"]>> | undefined;
    // The write of `orderSentAt` is held up (a frozen process, a slow network to Redis) until
    // the lease has expired, another process has resumed the thread and recorded its result.
    const stalling: AgentStore = {
      ...files,
      put: async (key, value, options) => {
        const purchases = (value as { purchases?: Record<string, unknown>[] }).purchases;
        if (taken === undefined && purchases?.some((p) => p.orderSentAt !== undefined)) {
          clock.advance(3_600_000);
          taken = await restart().agent.resume("thread-1");
        }
        return files.put(key, value, options);
      },
    };
    const { agent } = setup({
      config: testConfig({ mode: "block", store: { kind: "file", dir } }),
      store: stalling,
      clock,
    });

    const report = await agent.run("Buy an XYZ phone", { threadId: "thread-1" });

    expect(taken).toMatchObject({ outcome: "ERROR", error: "stopped_before_order" });
    // No order stub: an order sent would have failed the run with another error.
    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "lease_lost" });
    expect(report.message).toContain("this one stopped and ordered nothing more");
    const [purchase] = (await readJournal()).purchases;
    expect(purchase).not.toHaveProperty("orderSentAt");
    expect(purchase).toMatchObject({ result: { error: "stopped_before_order" } });
  });

  it("says what the shop answered when another process claimed the thread while the order was out", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().pending().approve();
    const store = createFileStore(dir);
    const other = { owner: "other", host: hostname(), pid: process.pid, expiresAt: 0 };
    stubShop().order(201, { id: "ord_1", total: 499, currency: "USD" }, async () => {
      expect(await store.claim("leases/thread-1", other, Number.MAX_SAFE_INTEGER)).toMatchObject({
        granted: true,
      });
    });
    const { agent } = setup({
      config: testConfig({ mode: "block", store: { kind: "file", dir } }),
      store,
    });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "lease_lost" });
    expect(report.message).toContain(
      "while this one waited for the shop's answer to its order, so this one did not record it there. The shop answered: Ordered 1 x XYZ phone: order ord_1, total 499.00 USD.",
    );
    expect(report.message).not.toContain("ordered nothing");
    expect(report.fix).toMatch(/^Check the person's orders before asking again/);
    // The report keeps the order this run got, though the thread's record does not have it.
    expect(report.order).toMatchObject({ id: "ord_1" });
    expect(report.purchases).toMatchObject([
      { outcome: "ORDERED", order: { id: "ord_1" }, purchase: { product: "XYZ phone" } },
    ]);
  });

  it("goes on with a Redis lease that lapsed while the order was out and nobody claimed", async () => {
    const redis = await startRedisServer();
    const location = parseRedisUrl(redis.url(0));
    if ("problem" in location) throw new Error(location.problem);
    const store = createRedisStore({ location, leaseTtlMs: 3_000 });
    const admin = new Redis(location.url);
    try {
      await store.connect();
      stubShop().catalog();
      stubAuth0().bcAuthorize().pending().approve();
      stubShop().order(201, { id: "ord_1", total: 499, currency: "USD" }, async () => {
        // What Redis does when the TTL runs out while the agent is stopped (SIGSTOP): no
        // other process claims the thread meanwhile.
        expect(await admin.del("ciba-agent:lease:leases/thread-1")).toBe(1);
      });
      const { agent } = setup({
        config: testConfig({ mode: "block", store: { kind: "file", dir } }),
        store,
      });

      const report = await agent.run("Buy an XYZ phone", { threadId: "thread-1" });

      expect(report).toMatchObject({ outcome: "ORDERED", exitCode: 0, order: { id: "ord_1" } });
      const thread = JSON.parse((await admin.get("ciba-agent:threads/thread-1"))!) as {
        purchases: { result?: { outcome: string } }[];
      };
      expect(thread.purchases).toMatchObject([{ result: { outcome: "ORDERED" } }]);
    } finally {
      await store.close();
      await admin.quit();
      await redis.stop();
    }
  });

  it("says what the shop answered when another process took over and recorded the purchase while the order was out", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize().pending().approve();
    const store = createFileStore(dir);
    let taken: Awaited<ReturnType<ReturnType<typeof restart>["agent"]["resume"]>> | undefined;
    stubShop().order(201, { id: "ord_1", total: 499, currency: "USD" }, async () => {
      // The other process finds the order sent but unanswered, and records that.
      clock.advance(3_600_000);
      taken = await restart().agent.resume("thread-1");
    });
    const { agent } = setup({
      config: testConfig({ mode: "block", store: { kind: "file", dir } }),
      store,
      clock,
    });

    const report = await agent.run("Buy an XYZ phone", { threadId: "thread-1" });

    expect(taken).toMatchObject({ outcome: "ERROR", error: "order_unconfirmed" });
    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "lease_lost" });
    expect(report.message).toContain(
      "The shop answered: Ordered 1 x XYZ phone: order ord_1, total 499.00 USD.",
    );
    expect(report.message).not.toContain("ordered nothing");
  });

  it.each(["approvedAt", "orderSentAt", "result"] as const)(
    "ends the run with the store's failure, not a refused purchase, when the journal cannot record %s",
    async (step) => {
      stubShop().catalog();
      const auth0 = stubAuth0().bcAuthorize().pending().approve();
      if (step === "result") stubShop().order(201, { id: "ord_1", total: 499, currency: "USD" });
      const files = createFileStore(dir);
      const full = Object.assign(new Error("ENOSPC: no space left on device, write"), {
        code: "ENOSPC",
        syscall: "write",
        path: path.join(dir, THREAD_FILE),
      });
      const failing: AgentStore = {
        ...files,
        put: (key, value, options) => {
          const purchases = (value as { purchases?: Record<string, unknown>[] }).purchases;
          return purchases?.some((p) => p[step] !== undefined)
            ? Promise.reject(full)
            : files.put(key, value, options);
        },
      };
      const { agent, events } = setup({
        config: testConfig({ mode: "block", store: { kind: "file", dir } }),
        store: failing,
        clock,
      });

      await expect(agent.run("Buy an XYZ phone", { threadId: "thread-1" })).rejects.toMatchObject({
        message: "ENOSPC: no space left on device, write",
      });
      expect(auth0.count("/oauth/token")).toBe(2);
      // Only once the order has left does the run say the shop may have it, and its answer.
      expect(events.filter((event) => event.type.startsWith("order-"))).toEqual(
        step === "result"
          ? [
              { type: "order-sending", toolCallId: "call_1" },
              {
                type: "order-answered",
                toolCallId: "call_1",
                outcome: "ORDERED",
                orderId: "ord_1",
              },
            ]
          : [],
      );
      expect((await readJournal()).purchases[0]).not.toHaveProperty("result");
    },
  );

  it("ends the run with the store's failure, not as a wait, when the approval request cannot be kept", async () => {
    stubShop().catalog();
    stubAuth0().bcAuthorize();
    const files = createFileStore(dir);
    const failing: AgentStore = {
      ...files,
      put: (key, value, options) =>
        key.startsWith("ciba/AuthResponses/")
          ? Promise.reject(
              Object.assign(new Error("ENOSPC: no space left on device, open"), {
                code: "ENOSPC",
                syscall: "open",
                path: dir,
              }),
            )
          : files.put(key, value, options),
    };

    const run = restart({ store: failing }).agent.run("Buy an XYZ phone", { threadId: "thread-1" });

    await expect(run).rejects.toMatchObject({
      name: "StoreFailure",
      message: "ENOSPC: no space left on device, open",
    });
  });

  it("says the thread went from the store, and what to check, when it goes while the run works on it", async () => {
    // A Redis emptied mid-run: the run's next write finds no thread. It said "Thread ... is not
    // in the store", with no code, no fix and no thread id.
    const auth0 = await pendingThread();
    auth0.approve();
    const files = createFileStore(dir);
    let emptied = false;
    const emptying: AgentStore = {
      ...files,
      get: (key, schema) =>
        emptied && key === "threads/thread-1" ? Promise.resolve(undefined) : files.get(key, schema),
    };
    const shop = stubShop();

    const report = await restart({
      store: emptying,
      beforeOrder: () => {
        emptied = true;
      },
    }).agent.resume("thread-1");

    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "thread_lost",
      threadId: "thread-1",
      message:
        "Thread thread-1 went from the agent's store while this run worked on it (the store lost its data, or its record was removed), so this run cannot record what it did.",
      fix: "This run placed no order; check the shop's orders for the person before asking again, as an order an earlier run of the thread placed is there, not in the store.",
    });
    expect(shop.calls).toHaveLength(0);
  });

  it("names the order this run placed when the thread goes from the store after it", async () => {
    const auth0 = await pendingThread();
    auth0.approve();
    const files = createFileStore(dir);
    const shop = stubShop().order(201, { id: "ord_9" });
    const emptying: AgentStore = {
      ...files,
      get: (key, schema) =>
        shop.calls.length > 0 && key === "threads/thread-1"
          ? Promise.resolve(undefined)
          : files.get(key, schema),
    };

    const report = await restart({ store: emptying }).agent.resume("thread-1");

    expect(report).toMatchObject({
      error: "thread_lost",
      fix: "Check the shop's orders for the person before asking again: order ord_9, which this run placed, is there, not in the store.",
    });
  });

  it("orders nothing once the process that started the agent is gone", async () => {
    const auth0 = await pendingThread();
    auth0.approve();
    const parentGone = () => {
      throw new AgentHalt("parent_gone", "Process 1234 (pnpm), which started this agent, is gone");
    };

    const stopped = await restart({ beforeOrder: parentGone }).agent.resume("thread-1");

    expect(stopped).toMatchObject({ outcome: "ERROR", error: "parent_gone" });
    expect((await readJournal()).purchases[0]).not.toHaveProperty("orderSentAt");
    expect(await restart().agent.resume("thread-1")).toMatchObject({
      error: "stopped_before_order",
    });
  });
});

const journalOf = (threadId: string) => ({
  threadId,
  request: "Buy an XYZ phone",
  userId: "auth0|testbed-user",
  createdAt: 0,
  purchases: [],
});

describe("corrupt store entries", () => {
  const cases: [string, string, (original: string) => string][] = [
    ["the thread record", THREAD_FILE, (text) => text.slice(0, text.length / 2)],
    [
      "the thread record",
      THREAD_FILE,
      (text) => JSON.stringify({ ...JSON.parse(text), purchases: "x" }),
    ],
    ["the thread record", THREAD_FILE, () => JSON.stringify(journalOf("thread-2"))],
    ["the lease", LEASE_FILE, (text) => text.slice(0, 3)],
    [
      "the lease",
      LEASE_FILE,
      () => JSON.stringify({ owner: "a", host: "h", pid: "1", expiresAt: 0, token: 2 }),
    ],
    ["the lease", LEASE_FILE, () => JSON.stringify(journalOf("thread-1"))],
    ["the stored request", REQUEST_FILE, (text) => `${text}}`],
    [
      "the stored request",
      REQUEST_FILE,
      (text) => JSON.stringify({ ...JSON.parse(text), expiresIn: "300" }),
    ],
    ["the stored request", REQUEST_FILE, () => '{"accessToken":"at-1","tokenType":"Bearer"}'],
  ];

  it.each(cases)(
    "names %s (%s), its thread and the fix, and changes nothing",
    async (_, file, corrupt) => {
      await pendingThread();
      const target = path.join(dir, file);
      await writeFile(target, corrupt(await readFile(target, "utf8")));
      const before = await filesIn(dir);

      const report = await restart().agent.resume("thread-1");

      expect(report).toMatchObject({
        outcome: "CONFIG_ERROR",
        exitCode: 2,
        error: "store_corrupt",
        threadId: "thread-1",
      });
      expect(report.message).toContain(target);
      expect(report.message).toContain("thread thread-1");
      expect(report.message).toContain("Nothing was changed.");
      expect(report.fix).toMatch(
        file === THREAD_FILE
          ? /^Check the person's orders at the shop before asking again \(thread thread-1 may have placed some, and they stay there\); then run rm /
          : /^(Run|If no agent process is working on thread thread-1, run) rm /,
      );
      expect(report.fix).toContain(file.endsWith("2") ? path.dirname(target) : target);
      expect(await filesIn(dir)).toEqual(before);
    },
  );

  it("writes its journal format into the thread record, and reads a record without one", async () => {
    const auth0 = await pendingThread();
    const target = path.join(dir, THREAD_FILE);
    const journal = JSON.parse(await readFile(target, "utf8")) as Record<string, unknown>;
    expect(journal.formatVersion).toBe(1);
    // As agents wrote it before formats had numbers.
    delete journal.formatVersion;
    await writeFile(target, JSON.stringify(journal));
    auth0.approve();
    stubShop().order();

    expect((await restart().agent.resume("thread-1")).outcome).toBe("ORDERED");
  });

  it("refuses a thread record of a newer journal format, saying to upgrade, and changes nothing", async () => {
    // An older agent read a newer record as far as it knew it, and spent the approval for an
    // order the shop refused (it knew no purchaseId).
    await pendingThread();
    const target = path.join(dir, THREAD_FILE);
    const journal = JSON.parse(await readFile(target, "utf8")) as Record<string, unknown>;
    const newer = JOURNAL_FORMAT + 1;
    await writeFile(target, JSON.stringify({ ...journal, formatVersion: newer, more: {} }));
    const before = await filesIn(dir);

    const report = await restart().agent.resume("thread-1");

    expect([report.outcome, report.exitCode, report.error]).toEqual([
      "CONFIG_ERROR",
      2,
      "store_newer_format",
    ]);
    expect(report.message).toBe(
      `The record of thread thread-1 (${target}) cannot be read: it was written by a newer version of the agent, in journal format ${String(newer)}, and this agent reads formats up to ${String(JOURNAL_FORMAT)}. It is not resumed, and nothing was changed: read in an older format, it could be taken for something it does not say.`,
    );
    expect(report.fix).toBe(
      "Upgrade the agent (git pull, then pnpm install) and resume thread thread-1 with it. Do not remove the record: it may hold an approval the person gave, or an order placed.",
    );
    expect(await filesIn(dir)).toEqual(before);
  });

  it("says which orders a thread record that is still partly readable names", async () => {
    const auth0 = await pendingThread();
    auth0.approve();
    stubShop().order();
    expect((await restart().agent.resume("thread-1")).outcome).toBe("ORDERED");
    const target = path.join(dir, THREAD_FILE);
    const journal = JSON.parse(await readFile(target, "utf8")) as Record<string, unknown>;
    await writeFile(target, JSON.stringify({ ...journal, createdAt: "yesterday" }));

    const report = await restart().agent.resume("thread-1");

    expect(report).toMatchObject({ outcome: "CONFIG_ERROR", error: "store_corrupt" });
    expect(report.message).toContain(
      "What can still be read of it: order ord_1 placed for 1 x XYZ phone.",
    );
    expect(report.fix).toMatch(/^Check the person's orders at the shop before asking again/);
  });

  it("says so when what can still be read of a thread record names no order", async () => {
    await pendingThread();
    const target = path.join(dir, THREAD_FILE);
    const journal = JSON.parse(await readFile(target, "utf8")) as Record<string, unknown>;
    await writeFile(target, JSON.stringify({ ...journal, createdAt: "yesterday" }));

    const report = await restart().agent.resume("thread-1");

    expect(report.message).toContain("What can still be read of it names no order placed or sent.");
  });
});

describe("invalid_grant", () => {
  it.each([
    ["the request was sent", () => Promise.resolve()],
    [
      "a resume found it still pending",
      async () => {
        stubAuth0().pending();
        expect((await restart().agent.resume("thread-1")).outcome).toBe("PENDING");
      },
    ],
  ])(
    "is a tenant that forgot the request when every poll was answered pending (%s, then the tenant restarted)",
    async (_, before) => {
      await pendingThread();
      await before();
      // A restarted local tenant keeps no requests: it answers any auth_req_id so.
      const auth0 = stubAuth0().token(400, INVALID_GRANT);
      const shop = stubShop();

      const report = await restart().agent.resume("thread-1");

      expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "invalid_grant" });
      expect(report.message).toContain(
        "The tenant no longer knows approval request req-1 (invalid_grant: ",
      );
      expect(report.message).toContain(
        "it most likely restarted or dropped it, unless another copy",
      );
      expect(report.message).not.toContain("used by a process");
      expect(shop.calls).toHaveLength(0);
      expect(auth0.count("/bc-authorize")).toBe(0);
    },
  );

  it("is the tenant's own answer when this process already polled the request", async () => {
    const auth0 = await pendingThread();
    auth0.pending().token(400, INVALID_GRANT);
    const { agent } = setup({
      config: testConfig({ mode: "block", store: { kind: "file", dir } }),
      store: createFileStore(dir),
      clock,
    });

    const report = await agent.resume("thread-1");

    expect(report).toMatchObject({ outcome: "ERROR", error: "invalid_grant" });
  });
});
