import request from "supertest";
import { describe, expect, it } from "vitest";

import { createHarness } from "../test-support/harness.js";

describe("POST /approver/api/requests/:id/expire", () => {
  it("ends a pending request at once: the next poll gets the tenant's expiry answer", async () => {
    const h = await createHarness();
    const id = await h.start();

    const expired = await request(h.app).post(`/approver/api/requests/${id}/expire`).expect(200);
    expect(expired.body).toMatchObject({ auth_req_id: id, status: "expired", decision: null });

    // Auth0 answers an expired request like a denied one (its docs fold expiry into it).
    h.clock.advance(1_000);
    const poll = await h.poll(id).expect(400);
    expect(poll.body.error).toBe("access_denied");
    const detail = await request(h.app).get(`/approver/api/requests/${id}`).expect(200);
    expect(detail.body.timeline.map((e: { type: string }) => e.type)).toEqual([
      "created",
      "expired",
      "poll",
    ]);
  });

  it("leaves a decided request alone (409) and answers 404 for an unknown one", async () => {
    const h = await createHarness();
    const id = await h.start();
    h.decide(id, "approve");

    const conflict = await request(h.app).post(`/approver/api/requests/${id}/expire`).expect(409);
    expect(conflict.body.error_description).toBe(
      "The request is already approved; only pending requests can be expired",
    );
    expect((await request(h.app).get(`/approver/api/requests/${id}`)).body.status).toBe("approved");
    await request(h.app).post("/approver/api/requests/no-such-id/expire").expect(404);
  });
});
