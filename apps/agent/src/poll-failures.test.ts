import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { ManualClock } from "@ciba-testbed/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { createFileStore } from "./file-store.js";
import { resetToolCalls, setup } from "./test-support/agent-setup.js";
import {
  expectAllStubsUsed,
  isolateNetwork,
  nock,
  stubAuth0,
  stubShop,
  TENANT,
  testConfig,
} from "./test-support/stubs.js";

// The tenant blips while the person decides: polls of /oauth/token that fail on their way or
// at a tenant that cannot answer them then. The request is still out, so the agent polls on.

isolateNetwork();
beforeEach(resetToolCalls);
afterEach(expectAllStubsUsed);

const socketError = (code: string) => Object.assign(new Error(`${code} (test)`), { code });
const DENIED = {
  error: "access_denied",
  error_description: "The end-user denied the authorization request or it has been expired",
};
const INVALID_GRANT = {
  error: "invalid_grant",
  error_description: "The auth_req_id is unknown, was already used, or belongs to another client",
};

/** Polls that fail without an answer: nock's own error (no status), as fetch throws it. */
function failedPolls(code: string, times = 1) {
  nock(TENANT).post("/oauth/token").times(times).replyWithError(socketError(code));
}

describe("a poll that brings no answer", () => {
  it("is polled again at the interval, and Retry-After when the tenant asks for more", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ interval: 2 }).pending();
    failedPolls("ECONNREFUSED");
    failedPolls("ECONNRESET");
    auth0
      .token(503, { error: "temporarily_unavailable" }, { "retry-after": "9" })
      .token(502, "<html>Bad gateway</html>" as unknown as Record<string, unknown>)
      .token(429, { error: "too_many_requests" }, { "retry-after": "1" })
      .pending()
      .approve("at-1");
    const shop = stubShop().order();
    const { agent, clock, events } = setup();

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "ORDERED", exitCode: 0, authReqId: "req-1" });
    // Interval 2 s; after the 503 its Retry-After (9 s); after the 429 the interval (longer).
    expect(clock.sleeps).toEqual([2000, 2000, 2000, 9000, 2000, 2000, 2000]);
    expect(auth0.count("/bc-authorize")).toBe(1);
    expect(shop.calls).toHaveLength(1);
    expect(shop.calls[0]!.headers.get("authorization")).toBe("Bearer at-1");
    const problems = events.flatMap((e) => (e.type === "approval-waiting" ? [e.problem] : []));
    expect(problems).toEqual([
      undefined,
      "connection_refused (ECONNREFUSED)",
      "connection_reset (ECONNRESET)",
      "503 temporarily_unavailable",
      "502 with no OAuth error",
      "429 too_many_requests",
      undefined,
    ]);
  });

  it("is polled again when it is the first, right after /bc-authorize", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ interval: 1 }, "req-9");
    failedPolls("ECONNRESET");
    auth0.pending().approve();
    stubShop().order();
    const { agent, clock, events } = setup();

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "ORDERED", authReqId: "req-9" });
    expect(clock.sleeps).toEqual([1000, 1000]);
    expect(auth0.count("/bc-authorize")).toBe(1);
    expect(
      auth0.calls.filter((c) => c.path === "/oauth/token").map((c) => c.body.auth_req_id),
    ).toEqual(["req-9", "req-9"]);
    expect(events.filter((e) => e.type === "approval-requested")).toHaveLength(1);
  });

  it("ends at the expiry when the tenant never answers again, saying so; nothing is ordered", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 6, interval: 2 }).pending();
    failedPolls("ECONNREFUSED", 2);
    const clock = new ManualClock(Date.parse("2026-01-01T00:00:00Z"));
    const { agent } = setup({ clock });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "ECONNREFUSED" });
    expect(report.message).toContain(
      "The tenant at https://localhost:4010/ gave no answer to the polls of the approval request from 2026-01-01T00:00:02.000Z until the request expired at 2026-01-01T00:00:06.000Z (last: connection_refused (ECONNREFUSED)), so whether the person answered is not known. Nothing was ordered.",
    );
    expect(report.fix).toBe(
      "Start the local tenant with pnpm mock-auth0 (or check AUTH0_DOMAIN), then ask again.",
    );
    // Polls at 0, 2 and 4.5 s; the wait after the last ends at the expiry, never past it.
    expect(clock.sleeps).toEqual([2000, 2500, 1500]);
    expect(auth0.count("/bc-authorize")).toBe(1);
  });

  it("is EXPIRED as before when the tenant answered again before the expiry", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 6, interval: 2 });
    failedPolls("ECONNREFUSED");
    auth0.pending(2);
    const { agent } = setup();

    expect(await agent.run("Buy an XYZ phone")).toMatchObject({ outcome: "EXPIRED", exitCode: 4 });
  });

  it.each([
    ["a denial", 400, DENIED, "DENIED"],
    ["expired_token", 400, { error: "expired_token", error_description: "expired" }, "EXPIRED"],
    [
      "invalid_client",
      401,
      { error: "invalid_client", error_description: "bad secret" },
      "CONFIG_ERROR",
    ],
  ])(
    "does not outlast %s after it: a terminal answer ends the wait at once",
    async (_, status, body, outcome) => {
      stubShop().catalog();
      const auth0 = stubAuth0().bcAuthorize({ interval: 1 });
      failedPolls("ECONNRESET");
      auth0.token(status, body);
      const { agent, clock } = setup();

      const report = await agent.run("Buy an XYZ phone");

      expect(report.outcome).toBe(outcome);
      expect(clock.sleeps).toEqual([1000]);
    },
  );

  it("says the approval may have gone to the failed poll when the tenant then answers invalid_grant", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ interval: 1 }).pending();
    failedPolls("ECONNRESET");
    auth0.token(400, INVALID_GRANT);
    const shop = stubShop();
    const clock = new ManualClock(Date.parse("2026-01-01T00:00:00Z"));
    const { agent } = setup({ clock });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "approval_lost" });
    expect(report.fix).toMatch(/^Ask again/);
    expect(report.message).toContain(
      "after a poll sent at 2026-01-01T00:00:01.000Z got no answer: it may have issued the approval to that poll, which never arrived. Nothing was ordered; ask again.",
    );
    expect(shop.calls).toHaveLength(0);
  });

  it("says the tenant forgot the request, not that the approval may be lost, when the failed poll never reached it", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ interval: 1 }).pending();
    // The tenant restarted: refused while it was down, then it knows the request no more.
    failedPolls("ECONNREFUSED", 2);
    auth0.token(400, INVALID_GRANT);
    const shop = stubShop();
    const clock = new ManualClock(Date.parse("2026-01-01T00:00:00Z"));
    const { agent } = setup({ clock });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "invalid_grant" });
    expect(report.message).toContain(
      'though every poll of this thread\'s that reached it was answered "pending": it most likely restarted or dropped it, unless another copy of this thread (a copied or restored store) collected its approval.',
    );
    expect(shop.calls).toHaveLength(0);
  });

  it("still says the approval may be lost when a refused poll follows one that may have reached it", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ interval: 1 }).pending();
    failedPolls("ECONNRESET");
    failedPolls("ECONNREFUSED");
    auth0.token(400, INVALID_GRANT);
    const clock = new ManualClock(Date.parse("2026-01-01T00:00:00Z"));
    const { agent } = setup({ clock });

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "ERROR", error: "approval_lost" });
    expect(report.message).toContain("after a poll sent at 2026-01-01T00:00:01.000Z got no answer");
  });

  it.each([
    ["a 500 with an OAuth error", () => stubAuth0().bcAuthorizeError(500, "server_error", "boom")],
    ["a 503 with no OAuth error", () => stubAuth0().bcAuthorizeReply(503, "Service Unavailable")],
    [
      "a connection lost after it was sent",
      () => {
        nock(TENANT).post("/bc-authorize").replyWithError(socketError("UND_ERR_SOCKET"));
        return stubAuth0();
      },
    ],
  ])(
    "still ends the run when /bc-authorize itself fails (%s): sending it again could push twice, and the person may have the first push",
    async (_, stub) => {
      stubShop().catalog();
      const auth0 = stub();
      const { agent } = setup();

      const report = await agent.run("Buy an XYZ phone");

      expect(report).toMatchObject({
        outcome: "ERROR",
        exitCode: 1,
        error: "request_unconfirmed",
        fix: expect.stringContaining("Ask again") as unknown,
      });
      expect(report.message).toContain("may be asked to approve it; approving it buys nothing");
      expect(auth0.count("/oauth/token")).toBe(0);
    },
  );

  it("says the tenant cannot be reached when /bc-authorize was refused a connection", async () => {
    stubShop().catalog();
    nock(TENANT).post("/bc-authorize").replyWithError(socketError("ECONNREFUSED"));
    const { agent } = setup();

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "ERROR", error: "ECONNREFUSED" });
    expect(report.message).toContain("Cannot reach the tenant");
  });

  it("does not outlast a certificate the process does not trust", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ interval: 1 });
    failedPolls("SELF_SIGNED_CERT_IN_CHAIN");
    const { agent, clock } = setup();

    const report = await agent.run("Buy an XYZ phone");

    expect(report).toMatchObject({ outcome: "CONFIG_ERROR", error: "SELF_SIGNED_CERT_IN_CHAIN" });
    expect(clock.sleeps).toEqual([]);
    expect(auth0.count("/bc-authorize")).toBe(1);
  });
});

describe("in interrupt mode", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "agent-poll-failures-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const clock = new ManualClock();
  const restart = () =>
    setup({
      config: testConfig({ mode: "interrupt", store: { kind: "file", dir } }),
      store: createFileStore(dir),
      clock,
    });

  it("a /bc-authorize answered 500 is reported as block mode reports it, by the run and by a resume", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorizeError(500, "server_error", "boom");

    const sent = await restart().agent.run("Buy an XYZ phone");
    const resumed = await restart().agent.resume("thread-1");

    for (const report of [sent, resumed]) {
      expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "request_unconfirmed" });
      expect(report.fix).toContain("Ask again");
    }
    expect(auth0.count("/bc-authorize")).toBe(1);
  });

  it("a failed poll leaves the thread waiting, and a later resume orders", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().pending();
    expect((await restart().agent.run("Buy an XYZ phone")).outcome).toBe("PENDING");

    failedPolls("ECONNREFUSED");
    const blip = await restart().agent.resume("thread-1");
    expect(blip).toMatchObject({ outcome: "PENDING", exitCode: 5, authReqId: "req-1" });

    clock.advance(5_000);
    auth0.approve();
    const shop = stubShop().order();
    const ordered = await restart().agent.resume("thread-1");

    expect(ordered.outcome).toBe("ORDERED");
    expect(shop.calls).toHaveLength(1);
    expect(auth0.count("/bc-authorize")).toBe(1);
  });

  it("a resume after the expiry, when every poll since the last answer failed, says the tenant gave no answer, as block mode does", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 30 }).pending();
    const sent = await restart().agent.run("Buy an XYZ phone");
    expect(sent.outcome).toBe("PENDING");
    clock.advance(5_000);
    failedPolls("ECONNREFUSED");
    expect((await restart().agent.resume("thread-1")).outcome).toBe("PENDING");

    clock.advance(60_000);
    failedPolls("ECONNREFUSED");
    const report = await restart().agent.resume("thread-1");

    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "ECONNREFUSED" });
    expect(report.message).toMatch(
      /The tenant at https:\/\/localhost:4010\/ gave no answer to the polls of the approval request from \S+ until the request expired at \S+ \(last: connection_refused \(ECONNREFUSED\)\), so whether the person answered is not known\. Nothing was ordered\./,
    );
    expect(auth0.count("/bc-authorize")).toBe(1);
  });

  it("a resume after the expiry is EXPIRED when a poll was answered after the failed ones", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize({ expires_in: 30 }).pending();
    expect((await restart().agent.run("Buy an XYZ phone")).outcome).toBe("PENDING");
    clock.advance(5_000);
    failedPolls("ECONNRESET");
    expect((await restart().agent.resume("thread-1")).outcome).toBe("PENDING");
    clock.advance(5_000);
    auth0.pending();
    expect((await restart().agent.resume("thread-1")).outcome).toBe("PENDING");

    clock.advance(60_000);
    auth0.token(400, { error: "expired_token", error_description: "The request has expired" });
    expect(await restart().agent.resume("thread-1")).toMatchObject({
      outcome: "EXPIRED",
      exitCode: 4,
    });
  });

  it("an invalid_grant after a failed poll says the approval may have gone to it, not to a stopped process", async () => {
    stubShop().catalog();
    const auth0 = stubAuth0().bcAuthorize().pending();
    expect((await restart().agent.run("Buy an XYZ phone")).outcome).toBe("PENDING");
    failedPolls("ECONNRESET");
    expect((await restart().agent.resume("thread-1")).outcome).toBe("PENDING");

    clock.advance(5_000);
    auth0.token(400, INVALID_GRANT);
    const report = await restart().agent.resume("thread-1");

    expect(report).toMatchObject({ outcome: "ERROR", error: "approval_lost" });
    expect(report.message).not.toContain("stopped");
  });
});
