import request from "supertest";
import { describe, expect, it } from "vitest";

import { createHarness, withRateLimits } from "../test-support/harness.js";

describe("the tenant's Authentication API limit", () => {
  it("counts /userinfo and the login endpoints, as Auth0 counts every Authentication API endpoint", async () => {
    const h = await createHarness(withRateLimits({ authenticationApiRequestsPerSecond: 5 }));
    const paths = ["/authorize", "/u/login", "/v2/logout", "/oidc/logout", "/userinfo"];
    for (const [i, path] of paths.entries()) {
      const response = await request(h.app).get(path);
      // Each answers as it would without the limit (a page, a redirect, a 400 or a 401) ...
      expect(response.status).not.toBe(429);
      // ... and says what is left of the tenant's bucket.
      expect(response.headers["x-ratelimit-limit"]).toBe("5");
      expect(response.headers["x-ratelimit-remaining"]).toBe(String(4 - i));
    }
    for (const path of paths) {
      const refused = await request(h.app).get(path).expect(429);
      expect(refused.body).toEqual({
        error: "too_many_requests",
        error_description:
          "Too many Authentication API requests to this tenant: Auth0 allows 5 a second (rateLimits.authenticationApiRequestsPerSecond). Retry after 1 s.",
      });
      expect(refused.headers["retry-after"]).toBe("1");
    }
    // The bucket refills at 5 a second: one request every 200 ms.
    h.clock.advance(200);
    await request(h.app).get("/userinfo").expect(401);
  });

  it("leaves the login endpoints and /userinfo unlimited when the limit is off", async () => {
    const h = await createHarness(withRateLimits({ authenticationApiRequestsPerSecond: null }));
    for (let i = 0; i < 3; i += 1) {
      const response = await request(h.app).get("/userinfo").expect(401);
      expect(response.headers["x-ratelimit-limit"]).toBeUndefined();
    }
  });
});
