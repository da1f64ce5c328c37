import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "node:tls";

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import type { ApproverOutcome } from "../approver/outcome.js";
import { ensureLocalCertificates } from "../certificates.js";
import { startMockAuth0 } from "../server.js";
import type { RunningMockAuth0 } from "../server.js";
import { loadTenant } from "../tenant/load-tenant.js";
import { testKeys } from "../test-support/harness.js";
import { TickingClock } from "../test-support/ticking-clock.js";
import type { EventStreamLimits } from "./approver-events.js";
import { DEFAULT_EVENT_STREAM_LIMITS } from "./approver-events.js";

/** How long `vi.waitFor` waits: its 1 s default is less than a loaded machine may take. */
const WAIT = { timeout: 10_000 };

const TOKEN = "c0ntrol-token-of-32-characters-x";
let certDir: string;
let ca: string;

beforeAll(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), "events-certs-"));
  ca = readFileSync((await ensureLocalCertificates(certDir)).caCertPath, "utf8");
});

afterAll(() => {
  rmSync(certDir, { recursive: true, force: true });
});

const running: RunningMockAuth0[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((tenant) => tenant.close()));
});

async function tenant(limits: Partial<EventStreamLimits> = {}, controlToken?: string) {
  const clock = new TickingClock();
  const started = await startMockAuth0({
    tenant: loadTenant(),
    port: 0,
    host: "127.0.0.1",
    certDir,
    // What is tested is the event stream: these tenants sign with the worker's shared keys.
    keys: await testKeys(),
    clock,
    ticker: clock,
    controlToken,
    eventStreamLimits: { ...DEFAULT_EVENT_STREAM_LIMITS, ...limits },
  });
  running.push(started);
  let n = 0;
  const create = (details?: unknown[], outcome: ApproverOutcome = { action: "manual" }) => {
    const result = started.store.create(
      {
        authReqId: `req-${(n += 1)}`,
        clientId: "ciba-testbed-agent",
        userId: "auth0|testbed-user",
        scope: ["openid"],
        audience: undefined,
        bindingMessage: `Request ${n}`,
        authorizationDetails: details as never,
        requestedExpiry: undefined,
        channel: "guardian-push",
        userEmail: "buyer@example.com",
        approverOutcome: outcome,
        expiresInSeconds: 300,
      },
      clock.now(),
    );
    if (!result.ok) throw new Error("tenant full");
    return result.request;
  };
  return { ...started, clock, create };
}

interface Stream {
  response: IncomingMessage;
  body: string;
  next(): Promise<{ event: string; data: any }>;
  close(): void;
}

/** `GET /approver/api/events` over HTTPS on a connection of its own. */
function openStream(issuer: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL("approver/api/events", issuer),
      { ca, agent: false, headers },
      (response) => {
        response.setEncoding("utf8");
        let buffer = "";
        let wake: (() => void) | undefined;
        const stream: Stream = {
          response,
          body: "",
          async next() {
            for (;;) {
              const end = buffer.indexOf("\n\n");
              if (end !== -1) {
                const raw = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                if (raw.startsWith(":")) continue;
                const event = /^event: (.*)$/m.exec(raw)?.[1] ?? "message";
                return { event, data: JSON.parse(/^data: (.*)$/m.exec(raw)?.[1] ?? "{}") };
              }
              if (response.readableEnded) throw new Error("stream ended");
              await new Promise<void>((done) => (wake = done));
            }
          },
          close: () => req.destroy(),
        };
        response.on("data", (chunk: string) => {
          buffer += chunk;
          stream.body += response.statusCode === 200 ? "" : chunk;
          wake?.();
        });
        response.on("end", () => {
          wake?.();
          req.destroy();
          resolve(stream);
        });
        if (response.statusCode === 200) resolve(stream);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("approver events over HTTPS", () => {
  it("caps watchers: past the cap a new one gets 429 with Retry-After and a JSON error", async () => {
    const t = await tenant({ maxWatchers: 3 });
    const open = await Promise.all([1, 2, 3].map(() => openStream(t.issuer)));
    for (const stream of open) {
      expect(stream.response.statusCode).toBe(200);
      expect((await stream.next()).event).toBe("snapshot");
    }

    const refused = await openStream(t.issuer);
    expect(refused.response.statusCode).toBe(429);
    expect(refused.response.headers["retry-after"]).toBe("5");
    expect(refused.response.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(refused.body)).toEqual({
      error: "too_many_requests",
      error_description:
        "3 event streams are open already, the most this tenant serves: close another approver page or retry later",
    });

    open[0]!.close();
    await vi.waitFor(async () => {
      const again = await openStream(t.issuer);
      again.close();
      expect(again.response.statusCode).toBe(200);
    }, WAIT);
    for (const stream of open) stream.close();
  });

  it("answers HEAD with the stream's headers and ends it, holding no stream", async () => {
    const t = await tenant({ maxWatchers: 2 });
    // Connections kept open, as a client that never closes them would.
    const agent = new HttpsAgent({ ca, keepAlive: true });
    try {
      const heads = await Promise.all(
        [1, 2, 3].map(
          () =>
            new Promise<IncomingMessage>((resolve, reject) => {
              httpsRequest(new URL("approver/api/events", t.issuer), { method: "HEAD", agent })
                .on("response", resolve)
                .on("error", reject)
                .end();
            }),
        ),
      );
      for (const head of heads) {
        expect(head.statusCode).toBe(200);
        expect(head.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
        expect(head.headers["cache-control"]).toBe("no-cache");
        await new Promise((ended) => head.on("end", ended).resume());
      }
      const streams = await Promise.all([1, 2].map(() => openStream(t.issuer)));
      for (const stream of streams) {
        expect(stream.response.statusCode).toBe(200);
        expect(stream.response.headers["content-type"]).toBe(heads[0]?.headers["content-type"]);
        stream.close();
      }
    } finally {
      agent.destroy();
    }
  });

  it("serves 200 watchers from one store listener, without a MaxListenersExceededWarning", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const t = await tenant({ maxWatchers: 250 });
      // The email channel follows the store for as long as the app lives; the stream's own
      // listeners come and go with its watchers.
      const baseline = t.store.listenerCount("change");
      const streams = await Promise.all(Array.from({ length: 200 }, () => openStream(t.issuer)));
      for (const stream of streams) expect((await stream.next()).event).toBe("snapshot");
      expect(t.store.listenerCount("change")).toBe(baseline + 1);
      expect(t.store.listenerCount("poll")).toBe(1);

      t.create();
      for (const stream of streams) {
        expect((await stream.next()).data.request).toMatchObject({ auth_req_id: "req-1" });
      }
      for (const stream of streams) stream.close();
      await vi.waitFor(() => {
        expect(t.store.listenerCount("change")).toBe(baseline);
        expect(t.store.listenerCount("poll")).toBe(0);
      }, WAIT);
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
  });

  /** A healthy watcher that reads everything, and a client that asks for the stream and stops reading. */
  async function healthyAndSlow(t: Awaited<ReturnType<typeof tenant>>) {
    const healthy = await openStream(t.issuer);
    await healthy.next();
    let received = 0;
    let waiting: { bytes: number; done: () => void } | undefined;
    healthy.response.on("data", (chunk: string) => {
      received += chunk.length;
      if (waiting && received >= waiting.bytes) waiting.done();
    });
    const url = new URL(t.issuer);
    const slow = connect({
      host: "127.0.0.1",
      port: Number(url.port),
      servername: "localhost",
      ca,
    });
    slow.on("error", () => undefined);
    await new Promise<void>((resolve) => {
      slow.once("secureConnect", () => {
        slow.write(`GET /approver/api/events HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
        slow.once("data", () => {
          slow.pause();
          resolve();
        });
      });
    });
    const connections = () =>
      new Promise<number>((resolve, reject) => {
        t.server.getConnections((error, count) => {
          if (error) reject(error);
          else resolve(count);
        });
      });
    /** One 100 kB event, once the healthy watcher has read it. */
    const big = [{ type: "product_purchase", note: "x".repeat(100_000) }];
    const publish = async () => {
      const target = received + 100_000;
      const read = new Promise<void>((done) => (waiting = { bytes: target, done }));
      t.create(big);
      await read;
    };
    return { healthy, slow, connections, publish };
  }

  it("drops a watcher that leaves more than maxBufferedBytes unread, and keeps serving the others", async () => {
    const t = await tenant({ maxWatchers: 2, maxBufferedBytes: 256 * 1024 });
    const { healthy, slow, connections, publish } = await healthyAndSlow(t);
    expect(await connections()).toBe(2);
    await expect(openStream(t.issuer)).resolves.toMatchObject({ response: { statusCode: 429 } });
    await vi.waitFor(async () => {
      expect(await connections()).toBe(2);
    }, WAIT);

    // Loopback's socket buffers take a few MB before the slow client's share queues up.
    let published = 0;
    while ((await connections()) === 2 && published < 400) {
      await publish();
      published += 1;
    }
    expect(await connections()).toBe(1);
    expect(published).toBeLessThan(400);
    // Its place is free again, and the healthy watcher still gets every change.
    const third = await openStream(t.issuer);
    expect(third.response.statusCode).toBe(200);
    third.close();
    await publish();
    healthy.close();
    slow.destroy();
  });

  it("drops a watcher whose socket has not drained for stallMs, measured on the tenant's clock", async () => {
    const t = await tenant({
      maxWatchers: 2,
      maxBufferedBytes: 256 * 1024 * 1024,
      stallMs: 30_000,
    });
    const { healthy, slow, connections, publish } = await healthyAndSlow(t);
    for (let i = 0; i < 120; i += 1) await publish();
    expect(await connections()).toBe(2);

    t.clock.advance(29_999);
    expect(await connections()).toBe(2);
    t.clock.advance(1);
    await vi.waitFor(async () => {
      expect(await connections()).toBe(1);
    }, WAIT);
    await publish();
    healthy.close();
    slow.destroy();
  });

  it("sends the first page of pending requests with a cursor, and needs the control token when set", async () => {
    const t = await tenant({}, TOKEN);
    for (let i = 0; i < 60; i += 1) t.create();
    t.create(undefined, { action: "deny", afterMs: 0 });

    const refused = await openStream(t.issuer);
    expect(refused.response.statusCode).toBe(401);
    expect(JSON.parse(refused.body).error).toBe("invalid_token");

    const stream = await openStream(t.issuer, { Authorization: `Bearer ${TOKEN}` });
    const snapshot = await stream.next();
    expect(snapshot.data.pending.total).toBe(60);
    expect(snapshot.data.pending.requests).toHaveLength(50);
    expect(snapshot.data.pending.requests[0].auth_req_id).toBe("req-60");
    expect(snapshot.data.pending.next_cursor).toEqual(expect.any(String));
    expect(snapshot.data.recent.map((r: { auth_req_id: string }) => r.auth_req_id)).toEqual([
      "req-61",
    ]);

    t.clock.advance(300_000);
    const expired = await stream.next();
    expect(expired.data.request.status).toBe("expired");
    stream.close();
  });
});
