import { Writable } from "node:stream";

import { pino } from "pino";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { createApp } from "../app.js";
import { PolicyApprover } from "../approver/approver.js";
import { BackchannelStore } from "../backchannel/backchannel-store.js";
import { tenantWith } from "../tenant/load-tenant.js";
import {
  createHarness,
  defaultAuthorizeParams,
  ISSUER,
  testKeys,
  withClientAsset,
} from "../test-support/harness.js";
import type { Harness } from "../test-support/harness.js";
import { TickingClock } from "../test-support/ticking-clock.js";
import { withoutQueryCredentials } from "../request-logging.js";

/** The agent's client with the email channel next to push, as Auth0's dashboard sets it. */
const withEmailChannel = withClientAsset("Shopping agent", (client) => ({
  ...client,
  async_approval_notification_channels: ["guardian-push", "email"],
}));

/** More than 300 s: Auth0 sends it by email. */
const EMAIL_EXPIRY = "3600";
const API = "/bc-verify/api/consent";

async function emailRequest(h: Harness, params: Record<string, string> = {}) {
  const id = await h.start({ requested_expiry: EMAIL_EXPIRY, ...params });
  const shown = await request(h.app).get(`/approver/api/requests/${id}`).expect(200);
  const link = new URL(shown.body.email.link as string);
  return { id, link, token: link.searchParams.get("consent")!, shown: shown.body };
}

const answer = (h: Harness, body: Record<string, unknown>) =>
  request(h.app).post(API).set("Sec-Fetch-Site", "same-origin").send(body);

describe("the email channel", () => {
  it("sends a request on the email channel as Auth0's email, with an unguessable consent link", async () => {
    const h = await createHarness(withEmailChannel);
    const first = await emailRequest(h);
    expect(first.shown).toMatchObject({ channel: "email", status: "pending" });
    expect(first.shown.email).toEqual({
      to: "buyer@example.com",
      subject: "Shopping agent asks for your approval",
      request_code: "Do you want to buy 2 XYZ phones",
      link: expect.any(String),
      sent_at: new Date(h.clock.now()).toISOString(),
    });
    expect(first.link.origin + first.link.pathname).toBe(`${ISSUER}bc-verify`);
    // 256 random bits, base64url.
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const second = await emailRequest(h, {
      login_hint: JSON.stringify({ format: "iss_sub", iss: ISSUER, sub: "auth0|second-user" }),
    });
    expect(second.token).not.toBe(first.token);

    const push = await h.start();
    const pushShown = await request(h.app).get(`/approver/api/requests/${push}`).expect(200);
    expect(pushShown.body).toMatchObject({ channel: "guardian-push", email: null });
  });

  it("serves the consent page at Auth0's path with the pages' security headers, never cached", async () => {
    const h = await createHarness(withEmailChannel);
    const { token } = await emailRequest(h);
    const page = await request(h.app).get("/bc-verify").query({ consent: token }).expect(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.headers["x-frame-options"]).toBe("DENY");
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    expect(page.headers["cache-control"]).toBe("no-store");
    expect(page.text).toContain('<script type="module" src="/approver/assets/consent.js">');
    await request(h.app)
      .get("/approver/assets/consent.js")
      .expect(200)
      .expect("content-type", /javascript/);
  });

  it("shows the request in the shape of Auth0's Consent API, as often as asked", async () => {
    const h = await createHarness(withEmailChannel);
    const created = h.clock.now();
    const { token } = await emailRequest(h);
    for (let i = 0; i < 2; i += 1) {
      const shown = await request(h.app).get(API).query({ consent: token }).expect(200);
      expect(shown.headers["cache-control"]).toBe("no-store");
      expect(shown.body).toEqual({
        id: expect.stringMatching(/^cns_[0-9a-f]{16}$/),
        requested_details: {
          audience: "sample-shop-api",
          scope: ["openid", "product:buy"],
          binding_message: "Do you want to buy 2 XYZ phones",
        },
        created_at: Math.floor(created / 1000),
        expires_at: Math.floor(created / 1000) + 3600,
        message_mismatch: null,
        client: { client_id: "ciba-testbed-agent", name: "Shopping agent" },
        user: { user_id: "auth0|testbed-user", name: "Test Buyer", email: "buyer@example.com" },
      });
    }
  });

  it("approves through the link once; the link is then used up and the agent gets its tokens", async () => {
    const h = await createHarness(withEmailChannel);
    const { id, token } = await emailRequest(h);
    const approved = await answer(h, { consent: token, decision: "approve" }).expect(200);
    expect(approved.body).toEqual({ status: "approved" });
    expect(h.store.get(id)?.decision).toMatchObject({ decision: "approve", by: "email-link" });
    await h.poll(id).expect(200);

    const again = await answer(h, { consent: token, decision: "deny" }).expect(404);
    expect(again.body).toEqual({
      error: "not_found",
      error_description:
        "This consent link can no longer be used: it was used already, its request was answered elsewhere or has expired, the link was not copied whole, or the tenant has started again since it sent the email (a tenant keeps its links only while it runs)",
    });
    await request(h.app).get(API).query({ consent: token }).expect(404);
    // A link copied short, or from before the tenant started again: the same words, which name it.
    const cut = await request(h.app)
      .get(API)
      .query({ consent: token.slice(0, -3) })
      .expect(404);
    expect(cut.body.error_description).toContain("the link was not copied whole");
    const shown = await request(h.app).get(`/approver/api/requests/${id}`).expect(200);
    expect(shown.body.email.link).toBeNull();
    expect(shown.body.decision).toMatchObject({ by: "email-link" });
  });

  it("denies through the link: the agent's next poll gets access_denied", async () => {
    const h = await createHarness(withEmailChannel);
    const { id, token } = await emailRequest(h);
    await answer(h, { consent: token, decision: "deny" }).expect(200, { status: "denied" });
    await h.poll(id).expect(400, /access_denied/);
  });

  it("refuses cross-site posts, bad bodies and unknown links, and changes nothing", async () => {
    const h = await createHarness(withEmailChannel);
    const { id, token } = await emailRequest(h);
    const crossSite = await request(h.app)
      .post(API)
      .set("Origin", "https://evil.example")
      .send({ consent: token, decision: "approve" })
      .expect(403);
    expect(crossSite.body).toEqual({
      error: "access_denied",
      error_description: "Cross-site requests to the consent page are refused",
    });
    await request(h.app)
      .post(API)
      .set("Sec-Fetch-Site", "cross-site")
      .type("form")
      .send({ consent: token, decision: "approve" })
      .expect(403);
    for (const body of [
      { consent: token, decision: "maybe" },
      { decision: "approve" },
      { consent: token, decision: "approve", extra: 1 },
    ]) {
      const bad = await answer(h, body).expect(400);
      expect(bad.body.error).toBe("invalid_request");
    }
    await answer(h, { consent: `${token}x`, decision: "approve" }).expect(404);
    // A body of the right shape under another type is told its type, not that it is wrong.
    for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
      const other = await request(h.app)
        .post(API)
        .set("Sec-Fetch-Site", "same-origin")
        .set("Content-Type", type)
        .send(JSON.stringify({ consent: token, decision: "approve" }))
        .expect(415);
      expect(other.body).toEqual({
        error: "invalid_request",
        error_description: `Send the decision as JSON, with Content-Type: application/json (got ${type})`,
      });
    }
    const noToken = await request(h.app).get(API).expect(400);
    expect(noToken.body.error_description).toBe(
      "consent must be given once: the token of the email's link",
    );

    expect(h.store.get(id)?.status).toBe("pending");
    await request(h.app).get(API).query({ consent: token }).expect(200);
  });

  it("ends the link with its request: decided elsewhere, or expired", async () => {
    const h = await createHarness(withEmailChannel);
    const decided = await emailRequest(h);
    await request(h.app).post(`/approver/api/requests/${decided.id}/deny`).expect(200);
    await request(h.app).get(API).query({ consent: decided.token }).expect(404);
    await answer(h, { consent: decided.token, decision: "approve" }).expect(404);
    expect(h.store.get(decided.id)?.decision?.by).toBe("control-api");

    const expiring = await emailRequest(h, {
      login_hint: JSON.stringify({ format: "iss_sub", iss: ISSUER, sub: "auth0|second-user" }),
    });
    h.clock.advance(3_600_000);
    await request(h.app).get(API).query({ consent: expiring.token }).expect(404);
    await answer(h, { consent: expiring.token, decision: "approve" }).expect(404);
    expect(h.store.get(expiring.id)?.status).toBe("expired");
  });

  it("lets approver rules target the channel", async () => {
    const h = await createHarness(withEmailChannel);
    h.approver.setPolicy({
      default: { action: "manual" },
      rules: [{ when: { channel: "email" }, outcome: { action: "deny", afterMs: 0 } }],
    });
    const push = await h.start();
    const email = await h.start({
      requested_expiry: EMAIL_EXPIRY,
      login_hint: JSON.stringify({ format: "iss_sub", iss: ISSUER, sub: "auth0|second-user" }),
    });
    expect(h.store.get(push)?.status).toBe("pending");
    expect(h.store.get(email)?.decision).toMatchObject({ decision: "deny", by: "rule" });
  });

  it("keeps the link's token out of the logs", async () => {
    expect(withoutQueryCredentials("/bc-verify?consent=abc&x=1")).toBe(
      "/bc-verify?consent=[redacted]&[redacted]",
    );
    expect(withoutQueryCredentials("/bc-verify/api/consent?x=1&Consent=abc")).toBe(
      "/bc-verify/api/consent?[redacted]&Consent=[redacted]",
    );
    // A control token or a secret typed into a URL by mistake.
    expect(withoutQueryCredentials("/approver?token=s3cret&client_secret=x#token=y")).toBe(
      "/approver?token=[redacted]&client_secret=[redacted]#[redacted]",
    );

    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const tenant = tenantWith(withEmailChannel);
    const clock = new TickingClock();
    const store = new BackchannelStore(tenant.ciba, clock);
    const app = createApp(
      { issuer: ISSUER, tenant },
      {
        keys: await testKeys(),
        clock,
        ticker: clock,
        store,
        approver: new PolicyApprover(tenant.approver),
        logger: pino({ level: "info" }, sink),
      },
    );
    const started = await request(app)
      .post("/bc-authorize")
      .type("form")
      .send({ ...defaultAuthorizeParams(), requested_expiry: EMAIL_EXPIRY })
      .expect(200);
    const shown = await request(app)
      .get(`/approver/api/requests/${started.body.auth_req_id as string}`)
      .expect(200);
    const token = new URL(shown.body.email.link as string).searchParams.get("consent")!;
    await request(app).get("/bc-verify").query({ consent: token }).expect(200);
    await request(app).get(API).query({ consent: token }).expect(200);
    expect(lines.some((line) => line.includes("/bc-verify?consent=[redacted]"))).toBe(true);
    expect(lines.join("")).not.toContain(token);
  });
});
