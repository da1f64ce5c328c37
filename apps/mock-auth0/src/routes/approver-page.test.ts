import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";

import { createHarness } from "../test-support/harness.js";
import type { Harness } from "../test-support/harness.js";

describe("approver page", () => {
  it("serves the page with headers that keep other sites from framing or scripting it", async () => {
    const h = await createHarness();
    const page = await request(h.app).get("/approver").expect(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.headers["x-frame-options"]).toBe("DENY");
    expect(page.headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.text).toContain('<script type="module" src="/approver/assets/approver.js">');
    await request(h.app)
      .get("/approver/assets/approver.js")
      .expect(200)
      .expect("content-type", /javascript/);
    await request(h.app)
      .get("/approver/assets/approver.css")
      .expect(200)
      .expect("content-type", /css/);
    await request(h.app).get("/approver/assets/../../src/app.ts").expect(404);
  });

  it("has every answer read as the type it names (nosniff), the JSON errors that quote the request too", async () => {
    const h = await createHarness();
    const answers = {
      "the page": await request(h.app).get("/approver").expect(200),
      "an unknown request": await request(h.app)
        .get("/approver/api/requests/%3Cscript%3E")
        .expect(404),
      "no route": await request(h.app).get("/no-such-route").expect(404),
      discovery: await request(h.app).get("/.well-known/openid-configuration").expect(200),
      "a token refused": await request(h.app)
        .post("/oauth/token")
        .send("grant_type=password")
        .expect(401),
      "an unknown client": await request(h.app).get("/authorize?client_id=%3Cb%3E").expect(400),
    };
    for (const [what, answer] of Object.entries(answers)) {
      expect(answer.headers["x-content-type-options"], what).toBe("nosniff");
    }
  });

  it("records a decision made on the page as such", async () => {
    const h = await createHarness();
    const id = await h.start();
    await request(h.app)
      .post(`/approver/api/requests/${id}/approve`)
      .set("X-Requested-By", "approver-page")
      .set("Sec-Fetch-Site", "same-origin")
      .expect(200);
    expect(h.store.get(id)?.decision?.by).toBe("approver-page");
  });
});

describe("approver events", () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  async function listen(h: Harness) {
    const server = createServer(h.app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const controller = new AbortController();
    close = () => {
      controller.abort();
      server.closeAllConnections();
      server.close();
    };
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/approver/api/events`, {
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    return async function next(): Promise<{ event: string; data: Record<string, any> }> {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end !== -1) {
          const raw = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (raw.startsWith(":")) continue;
          const event = /^event: (.*)$/m.exec(raw)?.[1] ?? "message";
          const data = JSON.parse(/^data: (.*)$/m.exec(raw)?.[1] ?? "{}") as Record<string, any>;
          return { event, data };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += value;
      }
    };
  }

  it("sends a snapshot, then every new request and decision as it happens", async () => {
    const h = await createHarness();
    const existing = await h.start();
    const next = await listen(h);

    const snapshot = await next();
    expect(snapshot.event).toBe("snapshot");
    expect(snapshot.data.now).toBe(new Date(h.clock.now()).toISOString());
    expect(snapshot.data.pending).toMatchObject({ next_cursor: null, total: 1 });
    expect(
      snapshot.data.pending.requests.map((r: { auth_req_id: string }) => r.auth_req_id),
    ).toEqual([existing]);
    expect(snapshot.data.recent).toEqual([]);

    const created = await h.start({ binding_message: "Do you want to buy 1 USB-C cable" });
    const createdEvent = await next();
    expect(createdEvent.event).toBe("request");
    expect(createdEvent.data.pending).toBe(2);
    expect(createdEvent.data.request).toMatchObject({
      auth_req_id: created,
      status: "pending",
      binding_message: "Do you want to buy 1 USB-C cable",
    });
    expect(createdEvent.data.request.timeline).toEqual([
      { at: expect.any(String), type: "created" },
    ]);

    h.store.decide(created, "deny", "approver-page", h.clock.now());
    const decided = await next();
    expect(decided.data.request).toMatchObject({ auth_req_id: created, status: "denied" });
    expect(decided.data.pending).toBe(1);
  });

  it("reports polls, and requests nobody has polled for more than three intervals, on the tenant's clock", async () => {
    const h = await createHarness();
    const next = await listen(h);
    await next();
    const id = await h.start();
    const created = (await next()).data.request;
    expect(created).toMatchObject({
      auth_req_id: id,
      interval: 5,
      polls: 0,
      last_polled_at: null,
      agent_polling: true,
    });

    h.clock.advance(5_000);
    await h.poll(id).expect(400, /authorization_pending/);
    const polledAt = new Date(h.clock.now()).toISOString();
    h.clock.advance(500);
    const polled = await next();
    expect(polled).toEqual({
      event: "polling",
      data: {
        now: new Date(h.clock.now()).toISOString(),
        requests: [
          { auth_req_id: id, polls: 1, interval: 5, last_polled_at: polledAt, agent_polling: true },
        ],
      },
    });

    // Three intervals (15 s) after the last poll the agent still counts as polling; then not.
    h.clock.advance(14_500);
    h.clock.advance(1);
    const quiet = await next();
    expect(quiet.event).toBe("polling");
    expect(quiet.data.requests).toEqual([
      { auth_req_id: id, polls: 1, interval: 5, last_polled_at: polledAt, agent_polling: false },
    ]);
    const shown = await request(h.app).get(`/approver/api/requests/${id}`).expect(200);
    expect(shown.body).toMatchObject({ last_polled_at: polledAt, agent_polling: false });

    await h.poll(id).expect(400, /authorization_pending/);
    h.clock.advance(500);
    const back = await next();
    expect(back.data.requests).toMatchObject([{ auth_req_id: id, polls: 2, agent_polling: true }]);

    h.decide(id, "deny");
    expect((await next()).data.request).toMatchObject({ status: "denied", agent_polling: null });
  });

  it("moves a request that expires while the page watches", async () => {
    const h = await createHarness();
    const next = await listen(h);
    await next();
    const id = await h.start({ requested_expiry: "5" });
    await next();
    h.clock.advance(5_000);
    // The store's timer applies the expiry, with no request from anyone.
    const expired = await next();
    expect(expired.data.request).toMatchObject({ auth_req_id: id, status: "expired" });
  });
});
