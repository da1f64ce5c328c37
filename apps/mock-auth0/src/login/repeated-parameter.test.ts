import request from "supertest";
import { describe, expect, it } from "vitest";

import { authorizeAtOnce } from "../test-support/code-flow.js";
import { AGENT, USER, createHarness, withLoginHintLogin } from "../test-support/harness.js";
import type { Harness } from "../test-support/harness.js";
import { SESSION_COOKIE } from "./login-routes.js";

// RFC 6749 section 3.1: a parameter must not be included more than once. The login endpoints
// refuse it alike, with a 400 page naming it, before anything changes.
const CALLBACK = "http://localhost:3000/auth/callback";
const AUTHORIZE = `client_id=${AGENT.id}&redirect_uri=${encodeURIComponent(CALLBACK)}&response_type=code&scope=openid`;

/** A browser logged in as the user: its session cookie. */
async function session(h: Harness) {
  const { cookies } = await authorizeAtOnce(h.app, {
    client_id: AGENT.id,
    redirect_uri: CALLBACK,
    response_type: "code",
    scope: "openid",
    login_hint: USER,
  });
  return cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`))?.split(";")[0] ?? "";
}

async function loggedIn(h: Harness, cookie: string) {
  const silent = await request(h.app)
    .get(`/authorize?${AUTHORIZE}&prompt=none`)
    .set("cookie", cookie)
    .expect(302);
  return new URL(String(silent.headers.location)).searchParams.has("code");
}

describe("a repeated parameter", () => {
  it.each([
    ["/authorize", `${AUTHORIZE}&state=a&state=b`, "The parameter state must not be repeated"],
    [
      "/authorize",
      `${AUTHORIZE}&redirect_uri[]=x`,
      "The parameter redirect_uri must be sent once, as redirect_uri=&lt;value&gt; (got redirect_uri[])",
    ],
    [
      "/v2/logout",
      `client_id=${AGENT.id}&returnTo[]=https://evil.example/`,
      "The parameter returnTo must be sent once, as returnTo=&lt;value&gt; (got returnTo[])",
    ],
    [
      "/v2/logout",
      `client_id=${AGENT.id}&returnTo=http://localhost:3000&returnTo=https://evil.example/`,
      "The parameter returnTo must not be repeated",
    ],
    [
      "/oidc/logout",
      "id_token_hint[]=a",
      "The parameter id_token_hint must be sent once, as id_token_hint=&lt;value&gt; (got id_token_hint[])",
    ],
    [
      "/oidc/logout",
      `client_id=${AGENT.id}&post_logout_redirect_uri=http://localhost:3000&post_logout_redirect_uri=x`,
      "The parameter post_logout_redirect_uri must not be repeated",
    ],
  ])("is refused by %s (%s) with a 400 page, and the session stays", async (path, query, text) => {
    const h = await createHarness(withLoginHintLogin);
    const cookie = await session(h);
    const refused = await request(h.app).get(`${path}?${query}`).set("cookie", cookie).expect(400);
    expect(refused.headers.location).toBeUndefined();
    expect(refused.headers["set-cookie"]).toBeUndefined();
    expect(refused.text).toContain("invalid_request");
    expect(refused.text).toContain(text);
    expect(await loggedIn(h, cookie)).toBe(true);
  });
});
