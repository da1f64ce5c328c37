import { OAuthError } from "@ciba-testbed/shared";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { RefusalLog } from "../backchannel/refusal-log.js";
import {
  AGENT,
  USER,
  combine,
  createHarness,
  loginHint,
  withCiba,
  withRateLimits,
} from "../test-support/harness.js";

interface RefusalJson {
  seq: number;
  at: string;
  status: number;
  error: string;
  user: string | null;
}

const refusals = async (app: Parameters<typeof request>[0], after?: number) => {
  const query = after === undefined ? "" : `?after=${String(after)}`;
  const answer = await request(app).get(`/approver/api/refusals${query}`).expect(200);
  return (answer.body as { refusals: RefusalJson[] }).refusals;
};

describe("GET /approver/api/refusals", () => {
  it("names each refused /bc-authorize, newest first, with the answer and whom it was for", async () => {
    const h = await createHarness();
    await h.bcAuthorize({ audience: "shop-api" }).expect(403);
    h.clock.advance(1_000);
    await h.bcAuthorize({ client_secret: "wrong" }).expect(401);
    await h.bcAuthorize({ login_hint: loginHint("auth0|nobody") }).expect(400);
    // Accepted requests are the request list's, not refusals.
    await h.start();

    const [unknownUser, wrongSecret, wrongAudience] = await refusals(h.app);
    expect(wrongAudience).toEqual({
      seq: 1,
      at: new Date(h.clock.now() - 1_000).toISOString(),
      endpoint: "/bc-authorize",
      status: 403,
      error: "access_denied",
      error_description: "Service not found: shop-api",
      client_id: AGENT.id,
      user: USER,
      audience: "shop-api",
      binding_message: "Do you want to buy 2 XYZ phones",
    });
    expect(wrongSecret).toMatchObject({ seq: 2, status: 401, error: "invalid_client", user: USER });
    expect(unknownUser).toMatchObject({
      seq: 3,
      status: 400,
      error: "unknown_user_id",
      user: "auth0|nobody",
    });
    expect((await refusals(h.app, 2)).map((r) => r.seq)).toEqual([3]);
    expect(await refusals(h.app, 3)).toEqual([]);
  });

  it("records the rate limits, also those that refuse before the body is read", async () => {
    const h = await createHarness(
      combine(
        withCiba({ perUserRequestsPerMinute: 1 }),
        withRateLimits({ authenticationApiRequestsPerSecond: 2 }),
      ),
    );
    await h.start();
    await h.bcAuthorize().expect(429);
    await h.bcAuthorize().expect(429);

    const [tenantWide, perUser] = await refusals(h.app);
    expect(perUser).toMatchObject({ status: 429, error: "too_many_requests", user: USER });
    // The tenant-wide limit answers before the form is parsed: nobody is named.
    expect(tenantWide).toMatchObject({ status: 429, error: "too_many_requests", user: null });
  });

  it("refuses a cursor that is not a seq", async () => {
    const h = await createHarness();
    const answer = await request(h.app).get("/approver/api/refusals?after=-1").expect(400);
    expect(answer.body.error_description).toBe(
      "after must be the seq of a refusal (a whole number)",
    );
  });
});

describe("RefusalLog", () => {
  it("holds at most its capacity, dropping the oldest", () => {
    const log = new RefusalLog(2);
    const req = { body: {}, get: () => undefined } as unknown as Parameters<
      RefusalLog["record"]
    >[0];
    const error = new OAuthError(400, "invalid_request", "openid scope must be requested");
    for (let at = 1; at <= 3; at++) log.record(req, error, at);
    expect(log.list().map((r) => [r.seq, r.at])).toEqual([
      [3, 3],
      [2, 2],
    ]);
    expect(log.list(2).map((r) => r.seq)).toEqual([3]);
  });
});
