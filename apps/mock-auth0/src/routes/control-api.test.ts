import request from "supertest";
import { describe, expect, it } from "vitest";

import {
  USER,
  combine,
  createHarness,
  loginHint,
  withCiba,
  withRateLimits,
} from "../test-support/harness.js";

/** An Auth0 tenant's 404 for a path it does not serve, as the tenant words it for `request`. */
function auth0NotFound(request: string) {
  return {
    statusCode: 404,
    error: "Not Found",
    message:
      `Not Found: this tenant serves no ${request} (an Auth0 tenant answers 404 here too); ` +
      "/.well-known/openid-configuration lists its endpoints",
  };
}

describe("control API", () => {
  it("says when the binding message names another product or quantity than authorization_details", async () => {
    const h = await createHarness();
    const details = (product: string, quantity: number) =>
      JSON.stringify([{ type: "product_purchase", product, quantity, currency: "USD" }]);
    const disagreeing = await h.start({
      binding_message: "Buy 1 XYZ phone case for 19.99 USD",
      authorization_details: details("ABC laptop", 5),
    });
    const agreeing = await h.start({ authorization_details: details("XYZ phone", 2) });
    const shown = async (id: string) =>
      (await request(h.app).get(`/approver/api/requests/${id}`).expect(200)).body as {
        message_mismatch: string | null;
      };
    expect((await shown(disagreeing)).message_mismatch).toBe(
      'The binding message does not name the product "ABC laptop" or the quantity 5 (it says 1) of authorization_details and states a maximum of 19.99 that authorization_details do not set: the person would approve the message while the token authorizes the details.',
    );
    expect((await shown(agreeing)).message_mismatch).toBe(null);
  });

  it("says when the binding message states another maximum or currency than authorization_details", async () => {
    const h = await createHarness();
    const authorization_details = JSON.stringify([
      {
        type: "product_purchase",
        product: "XYZ phone",
        quantity: 2,
        maximum_amount: 998,
        currency: "USD",
      },
    ]);
    const shown = async (binding_message: string) => {
      const id = await h.start({ binding_message, authorization_details });
      return (
        (await request(h.app).get(`/approver/api/requests/${id}`).expect(200)).body as {
          message_mismatch: string | null;
        }
      ).message_mismatch;
    };
    expect(await shown("Do you want to buy 2 XYZ phones for max EUR 10")).toBe(
      "The binding message does not name the maximum_amount 998 (it says max 10) or the currency USD (it says EUR) of authorization_details: the person would approve the message while the token authorizes the details.",
    );
    expect(await shown("Do you want to buy 2 XYZ phones, 10 USD max")).toMatch(
      /the maximum_amount 998 \(it says max 10\) of/,
    );
    expect(await shown("Do you want to buy 2 XYZ phones for 10 USD")).toMatch(
      /the maximum_amount 998 \(it says max 10\) of/,
    );
    expect(await shown("Buy XYZ phone, qty 2, max 998 USD")).toBe(null);
  });

  it("lists requests newest first with the fields a test suite asserts on, filtered by status", async () => {
    const h = await createHarness();
    const pending = await h.start();
    const denied = await h.start({ login_hint: loginHint("auth0|second-user") });
    h.decide(denied, "deny");

    const all = await request(h.app).get("/approver/api/requests").expect(200);
    expect(all.body.requests.map((r: { auth_req_id: string }) => r.auth_req_id)).toEqual([
      denied,
      pending,
    ]);
    expect(all.body).toMatchObject({ next_cursor: null, total: 2 });
    // Answers can hold consent links, which work as credentials.
    expect(all.headers["cache-control"]).toBe("no-store");
    expect(all.body.requests[1]).toMatchObject({
      auth_req_id: pending,
      status: "pending",
      user: "auth0|testbed-user",
      client_id: "ciba-testbed-agent",
      binding_message: "Do you want to buy 2 XYZ phones",
      scope: "openid product:buy",
      audience: "sample-shop-api",
      authorization_details: null,
      channel: "guardian-push",
      user_email: "buyer@example.com",
      expires_at: new Date(h.clock.now() + 300_000).toISOString(),
    });

    const onlyDenied = await request(h.app).get("/approver/api/requests?status=denied").expect(200);
    expect(onlyDenied.body.requests.map((r: { auth_req_id: string }) => r.auth_req_id)).toEqual([
      denied,
    ]);
    expect(onlyDenied.body.total).toBe(1);
  });

  it("pages the list with limit and next_cursor, and accepts several statuses", async () => {
    const h = await createHarness();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push(await h.start());
    h.decide(ids[0]!, "approve");
    const newestFirst = [...ids].reverse();

    const first = await request(h.app).get("/approver/api/requests?limit=2").expect(200);
    expect(first.body.requests.map((r: { auth_req_id: string }) => r.auth_req_id)).toEqual(
      newestFirst.slice(0, 2),
    );
    expect(first.body.total).toBe(5);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await request(h.app)
      .get("/approver/api/requests")
      .query({ limit: 2, cursor: first.body.next_cursor })
      .expect(200);
    expect(second.body.requests.map((r: { auth_req_id: string }) => r.auth_req_id)).toEqual(
      newestFirst.slice(2, 4),
    );
    const last = await request(h.app)
      .get("/approver/api/requests")
      .query({ limit: 2, cursor: second.body.next_cursor })
      .expect(200);
    expect(last.body.requests.map((r: { auth_req_id: string }) => r.auth_req_id)).toEqual([ids[0]]);
    expect(last.body.next_cursor).toBeNull();

    const mixed = await request(h.app)
      .get("/approver/api/requests?status=approved,denied")
      .expect(200);
    expect(mixed.body.requests.map((r: { auth_req_id: string }) => r.auth_req_id)).toEqual([
      ids[0],
    ]);
  });

  it("answers 100 requests a page by default and at most 1000", async () => {
    // 101 requests for one person at one instant: more than Auth0's 5 a minute for a person
    // and 100 a second for the tenant, both off here.
    const h = await createHarness(
      combine(
        withCiba({ perUserRequestsPerMinute: null }),
        withRateLimits({ authenticationApiRequestsPerSecond: null }),
      ),
    );
    for (let i = 0; i < 101; i += 1) await h.start();
    const page = await request(h.app).get("/approver/api/requests").expect(200);
    expect(page.body.requests).toHaveLength(100);
    expect(page.body.total).toBe(101);
    expect(page.body.next_cursor).not.toBeNull();
    const all = await request(h.app).get("/approver/api/requests?limit=1000").expect(200);
    expect(all.body.requests).toHaveLength(101);
  });

  it.each([
    ["limit=0", /limit must be a whole number from 1 to 1000/],
    ["limit=1001", /limit must be a whole number from 1 to 1000/],
    ["limit=ten", /limit must be a whole number/],
    ["cursor=abc", /cursor must be the next_cursor of a previous page/],
    ["cursor=-1", /cursor must be the next_cursor/],
    ["status=pending&status=denied", /status must be given once/],
    ["status=pending,done", /\(got done\)/],
  ])("refuses ?%s", async (query, message) => {
    const h = await createHarness();
    const response = await request(h.app).get(`/approver/api/requests?${query}`).expect(400);
    expect(response.body.error).toBe("invalid_request");
    expect(response.body.error_description).toMatch(message);
  });

  it("refuses an unknown status filter", async () => {
    const h = await createHarness();
    const response = await request(h.app).get("/approver/api/requests?status=done").expect(400);
    expect(response.body.error_description).toMatch(/pending, approved, denied, expired, consumed/);
  });

  it("shows one request with its timeline: created, polls with answers, decision, token", async () => {
    const h = await createHarness();
    const id = await h.start();
    await h.poll(id);
    h.clock.advance(5_000);
    await request(h.app).post(`/approver/api/requests/${id}/approve`).expect(200);
    await h.poll(id).expect(200);

    const response = await request(h.app).get(`/approver/api/requests/${id}`).expect(200);
    expect(response.body.status).toBe("consumed");
    expect(response.body.decision).toMatchObject({ decision: "approve", by: "control-api" });
    expect(response.body.timeline).toEqual([
      { at: expect.any(String), type: "created" },
      { at: expect.any(String), type: "poll", answer: "authorization_pending" },
      { at: expect.any(String), type: "approved", by: "control-api" },
      { at: expect.any(String), type: "poll", answer: "token" },
      { at: expect.any(String), type: "token_issued" },
    ]);
  });

  it("approves and denies pending requests, and answers 409 once decided or expired", async () => {
    const h = await createHarness();
    const id = await h.start({ requested_expiry: "10" });
    const approved = await request(h.app).post(`/approver/api/requests/${id}/approve`).expect(200);
    expect(approved.body.status).toBe("approved");

    const again = await request(h.app).post(`/approver/api/requests/${id}/deny`).expect(409);
    expect(again.body).toEqual({
      error: "conflict",
      error_description: "The request is already approved; only pending requests can be decided",
    });

    const late = await h.start({ requested_expiry: "10" });
    h.clock.advance(10_000);
    const expired = await request(h.app).post(`/approver/api/requests/${late}/approve`).expect(409);
    expect(expired.body.error_description).toMatch(/already expired/);
    // Auth0's answer to a poll after expiry.
    await h.poll(late).expect(400, /access_denied/);
  });

  it("answers 404 for an unknown request", async () => {
    const h = await createHarness();
    await request(h.app).get("/approver/api/requests/nope").expect(404);
    await request(h.app).post("/approver/api/requests/nope/approve").expect(404);
  });

  it("replaces the policy at run time: rules by user, binding message and audience", async () => {
    const h = await createHarness();
    const policy = {
      default: "ignore",
      rules: [
        { when: { user: "auth0|second-user" }, outcome: "deny" },
        { when: { bindingMessage: "xyz phone" }, outcome: "approve-after:2000" },
        { when: { audience: "sample-shop-api" }, outcome: "approve" },
      ],
    };
    const put = await request(h.app).put("/approver/api/policy").send(policy).expect(200);
    expect(put.body).toEqual(policy);
    expect((await request(h.app).get("/approver/api/policy").expect(200)).body).toEqual(policy);

    const byUser = await h.start({ login_hint: loginHint("auth0|second-user") });
    const byMessage = await h.start({ binding_message: "Do you want to buy 1 XYZ Phone" });
    const byAudience = await h.start({ binding_message: "Do you want to buy 1 cable" });
    const byDefault = await h.start({ audience: "", scope: "openid", binding_message: "Sign in" });

    expect(h.store.get(byUser)?.status).toBe("denied");
    expect(h.store.get(byMessage)?.status).toBe("pending");
    expect(h.store.get(byAudience)?.status).toBe("approved");
    h.clock.advance(2_000);
    expect(h.store.get(byMessage)?.status).toBe("approved");
    h.clock.advance(300_000);
    expect(h.store.get(byDefault)?.status).toBe("expired");
  });

  it("shows a request as expired from its expiry on, before the store's timer has run", async () => {
    const h = await createHarness();
    const id = await h.start({ requested_expiry: "2" });
    h.clock.advanceBeforeTick(2_000);

    const one = await request(h.app).get(`/approver/api/requests/${id}`).expect(200);
    expect(one.body).toMatchObject({ status: "expired", decision: null });
    const list = await request(h.app).get("/approver/api/requests?status=pending").expect(200);
    expect(list.body).toMatchObject({ requests: [], total: 0 });
  });

  it("refuses an invalid policy, naming every problem, and keeps the old one", async () => {
    const h = await createHarness();
    const response = await request(h.app)
      .put("/approver/api/policy")
      .send({
        default: "approve-later",
        rules: [{ when: { bindingMessage: "(" }, outcome: "deny" }],
      })
      .expect(400);
    expect(response.body.error).toBe("invalid_request");
    expect(response.body.error_description).toMatch(
      /default: "approve-later" is not an approver outcome/,
    );
    expect(response.body.error_description).toMatch(
      /rules\.0\.when\.bindingMessage: not a regular expression this tenant runs \(RE2 syntax: no backreferences or lookaround\): error parsing regexp: missing closing \): `\(`$/,
    );
    expect((await request(h.app).get("/approver/api/policy")).body.default).toBe("manual");
  });

  it("refuses a policy not sent as application/json with 415, saying what to send", async () => {
    const h = await createHarness();
    const body = JSON.stringify({ default: "approve" });
    for (const type of ["text/plain", "application/merge-patch+json", undefined]) {
      const put = request(h.app).put("/approver/api/policy");
      const response = await (
        type === undefined ? put : put.set("Content-Type", type).send(body)
      ).expect(415);
      expect(response.body, type).toEqual({
        error: "invalid_request",
        error_description: `Send the policy as JSON, with Content-Type: application/json (got ${type ?? "no Content-Type"})`,
      });
    }
    expect((await request(h.app).get("/approver/api/policy")).body.default).toBe("manual");
  });

  it("refuses rules that can never match: a user, client or audience the tenant lacks, and no condition", async () => {
    const h = await createHarness();
    const refused = async (when: Record<string, string>) =>
      (
        await request(h.app)
          .put("/approver/api/policy")
          .send({ default: "manual", rules: [{ when, outcome: "deny" }] })
          .expect(400)
      ).body as { error: string; error_description: string };
    expect(await refused({ user: "second-user" })).toEqual({
      error: "invalid_request",
      error_description:
        'Invalid policy: rules.0.when.user: "second-user" is not in this tenant, so the rule never matches; did you mean "auth0|second-user"?',
    });
    expect((await refused({ user: "auth0|second-usr" })).error_description).toMatch(
      /rules\.0\.when\.user: "auth0\|second-usr" is not in this tenant, so the rule never matches; the tenant has "auth0\|testbed-user", .*"auth0\|second-user"/,
    );
    // Two ids that look the same are told apart.
    expect((await refused({ user: "auth0|second-user\u200b" })).error_description).toMatch(
      /^Invalid policy: rules\.0\.when\.user: "auth0\|second-user\\u\{200B\}" is not in this tenant, so the rule never matches; the tenant has .*"auth0\|second-user"/,
    );
    expect((await refused({ clientId: "ciba-testbed-agnet" })).error_description).toMatch(
      /rules\.0\.when\.clientId: "ciba-testbed-agnet" is not in this tenant, .*"ciba-testbed-agent"/,
    );
    expect((await refused({ audience: "sample-shop" })).error_description).toMatch(
      /rules\.0\.when\.audience: "sample-shop" is not in this tenant, .*"sample-shop-api"/,
    );
    expect((await refused({})).error_description).toBe(
      "Invalid policy: rules.0.when: names no condition, so it matches every request and no later rule or the default is ever used; make it the default instead",
    );
    for (const pattern of [
      "",
      ".*",
      "x*",
      "(phone)?",
      ".",
      ".+",
      "^.",
      "\\S",
      "[\\s\\S]",
      "\\w|\\W",
    ]) {
      expect((await refused({ bindingMessage: pattern })).error_description).toBe(
        `Invalid policy: rules.0.when: names only bindingMessage "${pattern}", which is found in every message, so it matches every request and no later rule or the default is ever used; make it the default instead`,
      );
    }
    // A pattern that needs a character no binding message may hold is found in none.
    const alphabet =
      "no binding_message holds (Auth0 allows only A-Z, a-z, 0-9, spaces and +-_.,:#), so the rule never matches";
    for (const [pattern, says] of [
      [
        "\uff38\uff39\uff3a",
        `"\\u{FF38}\\u{FF39}\\u{FF3A}" needs \\u{FF38}, \\u{FF39}, \\u{FF3A}, characters ${alphabet}; write it as the agent's message does: "XYZ"`,
      ],
      [
        "t\u00e9l\u00e9phone",
        `"t\\u{00E9}l\\u{00E9}phone" needs \\u{00E9}, a character ${alphabet}; write it as the agent's message does: "telephone"`,
      ],
      [
        "(?i)ph\u00f6ne",
        `"(?i)ph\\u{00F6}ne" needs \\u{00F6}, a character ${alphabet}; write it as the agent's message does: "(?i)phone"`,
      ],
      [
        "\u202e",
        `"\\u{202E}" needs \\u{202E}, a character ${alphabet}; make it find text in those characters, as the agent writes its message`,
      ],
      [
        "\\p{Greek}",
        `"\\p{Greek}" matches only characters ${alphabet}; make it find text in those characters, as the agent writes its message`,
      ],
      [
        "phone\\x{202E}",
        expect.stringContaining(`"phone\\x{202E}" matches only characters ${alphabet}`),
      ],
    ] as const) {
      expect((await refused({ bindingMessage: pattern })).error_description, pattern).toEqual(
        typeof says === "string" ? `Invalid policy: rules.0.when.bindingMessage: ${says}` : says,
      );
    }
    // A pattern most messages hold, but not every one, is a condition, and so is one whose
    // other characters a message may hold (`\x{212A}`, the Kelvin sign, folds to "k").
    for (const pattern of [
      "[a-z]",
      "\\d",
      "o",
      "^Do you",
      "phone|t\u00e9l\u00e9phone",
      "(t\u00e9l\u00e9)?phone",
      "\\x{212A}ey",
      "[^\\x00-\\x7f]*phone",
      "^phone$",
    ]) {
      await request(h.app)
        .put("/approver/api/policy")
        .send({
          default: "manual",
          rules: [{ when: { bindingMessage: pattern }, outcome: "deny" }],
        })
        .expect(200);
    }
    // The same pattern beside another condition narrows nothing but hides nothing either.
    await request(h.app)
      .put("/approver/api/policy")
      .send({
        default: "manual",
        rules: [
          { when: { bindingMessage: "phone" }, outcome: "deny" },
          { when: { user: "auth0|second-user", bindingMessage: ".*" }, outcome: "deny" },
        ],
      })
      .expect(200);
    expect((await request(h.app).get("/approver/api/policy")).body.default).toBe("manual");
  });

  it("refuses decisions from a page on another origin (CSRF)", async () => {
    const h = await createHarness();
    const id = await h.start();
    await request(h.app)
      .post(`/approver/api/requests/${id}/approve`)
      .set("Origin", "https://evil.example")
      .expect(403);
    await request(h.app)
      .post(`/approver/api/requests/${id}/approve`)
      .set("Sec-Fetch-Site", "cross-site")
      .expect(403);
    await request(h.app)
      .put("/approver/api/policy")
      .set("Sec-Fetch-Site", "same-site")
      .send({ default: "approve" })
      .expect(403);
    expect(h.store.get(id)?.status).toBe("pending");
    await request(h.app)
      .post(`/approver/api/requests/${id}/approve`)
      .set("Sec-Fetch-Site", "same-origin")
      .expect(200);
  });

  it("refuses reads from a page on another origin too: the lists, the policy, the event stream", async () => {
    const h = await createHarness();
    await h.start();
    for (const path of [
      "/approver/api/requests",
      "/approver/api/users",
      "/approver/api/policy",
      "/approver/api/events",
    ]) {
      for (const [header, value] of [
        ["Origin", "https://evil.example"],
        ["Sec-Fetch-Site", "cross-site"],
        ["Sec-Fetch-Site", "same-site"],
      ] as const) {
        const refused = await request(h.app).get(path).set(header, value);
        expect([path, value, refused.status, refused.body]).toEqual([
          path,
          value,
          403,
          {
            error: "access_denied",
            error_description: "Cross-site requests to the control API are refused",
          },
        ]);
      }
    }
    // The approver page's own reads, and those of a client that is no browser, are answered.
    const own = await request(h.app)
      .get("/approver/api/requests")
      .set("Sec-Fetch-Site", "same-origin");
    expect(own.status).toBe(200);
    expect((await request(h.app).get("/approver/api/users")).status).toBe(200);
  });

  it("answers a path nobody serves as an Auth0 tenant does, and one under its own with its not_found", async () => {
    const h = await createHarness();
    const response = await request(h.app).get("/nope").expect(404);
    expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(response.body).toEqual(auth0NotFound("GET /nope"));
    const own = await request(h.app).get("/approver/api/nope").expect(404);
    expect(own.body).toEqual({
      error: "not_found",
      error_description: "No route for GET /approver/api/nope",
    });
  });

  it("answers a cross-site request no route takes with the 404, not the control API's refusal", async () => {
    const h = await createHarness();
    for (const [method, path] of [
      ["options", "/oauth/token"],
      ["post", "/nope"],
      ["delete", "/bc-authorize/more"],
    ] as const) {
      const response = await request(h.app)
        [method](path)
        .set("Origin", "https://evil.example")
        .set("Sec-Fetch-Site", "cross-site")
        .set("Content-Type", "application/json")
        .send("{not json");
      expect([response.status, response.body]).toEqual([
        404,
        auth0NotFound(`${method.toUpperCase()} ${path}`),
      ]);
      expect(response.headers["cache-control"]).toBeUndefined();
    }
  });
});

describe("a method the control API or the approver page does not serve", () => {
  it.each([
    ["post", "/approver/api/policy", "GET, HEAD, PUT"],
    ["delete", "/approver/api/requests/req-1", "GET, HEAD"],
    ["get", "/approver/api/requests/req-1/approve", "POST"],
    ["put", "/approver/api/requests", "GET, HEAD"],
    ["post", "/admin/user-blocks/auth0%7Cx", "DELETE, GET, HEAD"],
    ["get", "/admin/signing-keys/rotate", "POST"],
    ["post", "/approver", "GET, HEAD"],
    ["post", "/approver/api/events", "GET, HEAD"],
  ] as const)(
    "answers %s %s 405 method_not_allowed with Allow: %s, as OPTIONS lists",
    async (method, path, allow) => {
      const h = await createHarness();
      const response = await request(h.app)[method](path).expect(405);
      expect(response.headers.allow).toBe(allow);
      expect(response.body).toEqual({
        error: "method_not_allowed",
        error_description: `${method.toUpperCase()} is not served at ${path}; it serves ${allow}`,
      });
      const options = await request(h.app).options(path);
      expect([options.status, options.headers.allow]).toEqual([200, allow]);
    },
  );

  it.each([
    ["post", "/approver/api/nothing"],
    ["get", "/approver/api/requests/req-1/approve/more"],
  ] as const)("leaves %s %s, a path nobody serves, its 404", async (method, path) => {
    const h = await createHarness();
    const response = await request(h.app)[method](path).expect(404);
    expect(response.body.error_description).toBe(`No route for ${method.toUpperCase()} ${path}`);
  });

  it.each([
    ["get", "/bc-authorize"],
    ["delete", "/oauth/token"],
    ["put", "/oauth/revoke"],
    ["head", "/oauth/token"],
  ] as const)(
    "answers %s %s, a method Auth0's endpoint does not serve, 405 method_not_allowed with Allow: POST",
    async (method, path) => {
      const h = await createHarness();
      const response = await request(h.app)[method](path).expect(405);
      expect(response.headers.allow).toBe("POST");
      if (method !== "head") {
        expect(response.body).toEqual({
          error: "method_not_allowed",
          error_description: `${method.toUpperCase()} is not served at ${path}; it serves POST`,
        });
      }
      // No preflight is answered, as before: a browser on another origin is not served.
      expect((await request(h.app).options(path)).status).toBe(404);
      // The method the endpoint serves still reaches it.
      expect((await request(h.app).post(path).type("form").send({})).status).not.toBe(405);
    },
  );
});

describe("GET /approver/api/users", () => {
  it("lists the tenant's people, with their push enrolment", async () => {
    const h = await createHarness();
    const answer = await request(h.app).get("/approver/api/users").expect(200);
    const users = (answer.body as { users: { user_id: string; push_enrolled: boolean }[] }).users;
    expect(users).toContainEqual({
      user_id: USER,
      name: expect.any(String) as string,
      email: "buyer@example.com",
      push_enrolled: true,
    });
    expect(users.find((u) => u.user_id === "auth0|no-push-user")?.push_enrolled).toBe(false);
  });
});
