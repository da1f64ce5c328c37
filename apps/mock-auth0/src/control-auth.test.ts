import request from "supertest";
import { describe, expect, it } from "vitest";

import { ISSUER, createHarness } from "./test-support/harness.js";
import { fillPath, listRoutes } from "@ciba-testbed/shared/http/express-routes";

const TOKEN = "c0ntrol-token-of-32-characters-x";
const WRONG = "c0ntrol-token-of-32-characters-y";

const isControlRoute = (path: string) =>
  path.startsWith("/approver/api/") || path.startsWith("/admin/");

describe("the control token", () => {
  it("guards every control route: 401 invalid_token, with a Bearer challenge, and nothing changes", async () => {
    const h = await createHarness({}, { controlToken: TOKEN });
    const id = await h.start();
    const control = listRoutes(h.app).filter((route) => isControlRoute(route.path));
    // The list comes from the router itself; these must be among what it found.
    expect(control.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        "GET /approver/api/requests",
        "GET /approver/api/requests/:authReqId",
        "POST /approver/api/requests/:authReqId/approve",
        "POST /approver/api/requests/:authReqId/deny",
        "GET /approver/api/policy",
        "PUT /approver/api/policy",
        "GET /approver/api/refusals",
        "GET /approver/api/users",
        "POST /admin/signing-keys/rotate",
        "GET /approver/api/events",
        "GET /approver/api/session",
      ]),
    );
    for (const route of control) {
      const path = fillPath(route, id);
      const send = (token?: string) => {
        const test = request(h.app)[route.method.toLowerCase() as "get"](path);
        return token === undefined ? test : test.set("Authorization", `Bearer ${token}`);
      };
      const missing = await send();
      expect(missing.status, `${route.method} ${path}`).toBe(401);
      expect(missing.body).toMatchObject({ error: "invalid_token" });
      expect(missing.body.error_description).toMatch(
        /Authorization: Bearer <MOCK_AUTH0_CONTROL_TOKEN>/,
      );
      expect(missing.headers["www-authenticate"]).toBe('Bearer realm="mock-auth0 control"');

      const wrong = await send(WRONG);
      expect(wrong.status, `${route.method} ${path}`).toBe(401);
      expect(wrong.headers["www-authenticate"]).toBe(
        'Bearer realm="mock-auth0 control", error="invalid_token"',
      );
    }
    expect(h.store.get(id)?.status).toBe("pending");
  });

  it("lets the right token through as a Bearer header, whatever the scheme's case", async () => {
    const h = await createHarness({}, { controlToken: TOKEN });
    const id = await h.start();
    await request(h.app)
      .get("/approver/api/requests")
      .set("Authorization", `bearer ${TOKEN}`)
      .expect(200);
    const approved = await request(h.app)
      .post(`/approver/api/requests/${id}/approve`)
      .set("Authorization", `Bearer ${TOKEN}`)
      .expect(200);
    expect(approved.body.status).toBe("approved");
  });

  it("refuses two Authorization headers, even two of the right token, and nothing changes", async () => {
    const h = await createHarness({}, { controlToken: TOKEN });
    const id = await h.start();
    const response = await request(h.app)
      .post(`/approver/api/requests/${id}/approve`)
      // Two headers, as superagent sends an array (its types allow arrays for Cookie only).
      .set("Authorization", [`Bearer ${TOKEN}`, `Bearer ${WRONG}`] as unknown as string)
      .expect(400);
    expect(response.body).toEqual({
      error: "invalid_request",
      error_description: "Send one Authorization header; this request had 2",
    });
    expect(h.store.get(id)?.status).toBe("pending");
  });

  it("refuses a token in the query string or in another header", async () => {
    const h = await createHarness({}, { controlToken: TOKEN });
    await request(h.app).get(`/approver/api/requests?access_token=${TOKEN}`).expect(401);
    await request(h.app).get("/approver/api/requests").set("Authorization", TOKEN).expect(401);
    await request(h.app)
      .get("/approver/api/requests")
      .set("Authorization", `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}`)
      .expect(401);
  });

  it("takes no cookie for the token: what a browser would send to every port of localhost", async () => {
    const h = await createHarness({}, { controlToken: TOKEN });
    const id = await h.start();
    // What the approver page's token once bought, the token itself as a cookie: a server on
    // another port of localhost receives every such cookie from the person's browser, and
    // could replay it.
    const trade = await request(h.app)
      .post("/approver/api/session")
      .set("Authorization", `Bearer ${TOKEN}`);
    const bought = ([] as string[]).concat(trade.headers["set-cookie"] ?? []);
    const port = new URL(ISSUER).port;
    for (const cookie of [
      ...bought.map((header) => header.split(";")[0]!),
      `__Host-mock-auth0-control-${port}=${TOKEN}`,
      `token=${TOKEN}; authorization=Bearer%20${TOKEN}`,
    ]) {
      for (const send of [
        () => request(h.app).get("/approver/api/session"),
        () => request(h.app).get("/approver/api/requests"),
        () => request(h.app).get("/approver/api/events"),
        () => request(h.app).get("/approver/api/policy"),
        () =>
          request(h.app)
            .post(`/approver/api/requests/${id}/approve`)
            .set("X-Requested-By", "approver-page")
            .set("Sec-Fetch-Site", "same-origin"),
      ]) {
        const answer = await send().set("Cookie", cookie);
        expect(answer.status, cookie).toBe(401);
        expect(answer.headers["www-authenticate"]).toBe('Bearer realm="mock-auth0 control"');
        expect(answer.headers["set-cookie"]).toBeUndefined();
      }
    }
    expect(h.store.get(id)?.status).toBe("pending");
    // Nothing trades the token for a cookie: the path serves GET alone.
    expect([trade.status, trade.headers.allow, bought]).toEqual([405, "GET, HEAD", []]);
  });

  it("tells the approver page whether the tenant takes its token", async () => {
    const h = await createHarness({}, { controlToken: TOKEN });
    await request(h.app)
      .get("/approver/api/session")
      .set("Authorization", `Bearer ${TOKEN}`)
      .expect(204);
    await request(h.app)
      .get("/approver/api/session")
      .set("Authorization", `Bearer ${WRONG}`)
      .expect(401);
  });

  it("still refuses a cross-site decision that carries the token (CSRF)", async () => {
    const h = await createHarness({}, { controlToken: TOKEN });
    const id = await h.start();
    await request(h.app)
      .post(`/approver/api/requests/${id}/approve`)
      .set("Authorization", `Bearer ${TOKEN}`)
      .set("Sec-Fetch-Site", "cross-site")
      .expect(403);
    await request(h.app)
      .get("/approver/api/requests")
      .set("Authorization", `Bearer ${TOKEN}`)
      .set("Origin", "https://localhost:1")
      .expect(403);
    expect(h.store.get(id)?.status).toBe("pending");
  });

  it("leaves the OAuth endpoints, discovery and the page itself to everyone", async () => {
    const h = await createHarness({}, { controlToken: TOKEN });
    const id = await h.start();
    await h.poll(id).expect(400, /authorization_pending/);
    await request(h.app).get("/.well-known/openid-configuration").expect(200);
    await request(h.app).get("/.well-known/jwks.json").expect(200);
    await request(h.app).get("/approver").expect(200);
    await request(h.app).get("/approver/assets/approver.js").expect(200);
    await request(h.app).get("/nope").expect(404);
  });

  it("is not needed when the tenant has none", async () => {
    const h = await createHarness();
    await request(h.app).get("/approver/api/session").expect(204);
    await request(h.app).get("/approver/api/requests").expect(200);
  });
});
