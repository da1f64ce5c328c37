import { decodeJwt } from "jose";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { AGENT, createHarness, withLoginHintLogin } from "../test-support/harness.js";
import type { Harness } from "../test-support/harness.js";
import { authorizeAtOnce, exchangeCode } from "../test-support/code-flow.js";
import { SESSION_COOKIE } from "./login-routes.js";

// OpenID Connect RP-Initiated Logout 1.0 section 2: when the ID token of the request is not the
// session's, the OP should ask the person. Auth0 asks when "the ID token's sid claim does not
// correspond to the browser session in the request".
const CALLBACK = "http://localhost:3000/auth/callback";
const BUYER = "auth0|testbed-user";
const SECOND = "auth0|second-user";

/** Logs `sub` in (login.loginHintLogsIn): the session cookie and the login's ID token. */
async function logIn(h: Harness, sub: string) {
  const { location, cookies } = await authorizeAtOnce(h.app, {
    client_id: AGENT.id,
    redirect_uri: CALLBACK,
    response_type: "code",
    scope: "openid",
    login_hint: sub,
  });
  const cookie = cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`))?.split(";")[0] ?? "";
  const tokens = await exchangeCode(h.app, location, {
    client_id: AGENT.id,
    client_secret: AGENT.secret,
    redirect_uri: CALLBACK,
  });
  return { cookie, idToken: String(tokens.id_token) };
}

/** Two browsers, the buyer's and the second user's, each logged in. */
async function twoSessions() {
  const h = await createHarness(withLoginHintLogin);
  return { h, buyer: await logIn(h, BUYER), second: await logIn(h, SECOND) };
}

/** Whether the browser with this cookie still has its session: prompt=none gets a code. */
async function loggedIn(h: Harness, cookie: string) {
  const silent = await request(h.app)
    .get("/authorize")
    .set("cookie", cookie)
    .query({ client_id: AGENT.id, redirect_uri: CALLBACK, response_type: "code", prompt: "none" })
    .expect(302);
  return new URL(String(silent.headers.location)).searchParams.has("code");
}

const logout = (h: Harness, cookie: string, query: Record<string, string>) =>
  request(h.app).get("/oidc/logout").set("cookie", cookie).query(query);

describe("/oidc/logout with an id_token_hint", () => {
  it("asks the person before another user's ID token ends their session", async () => {
    const { h, buyer, second } = await twoSessions();

    // A link on another site with the second user's ID token, opened in the buyer's browser.
    const prompt = await logout(h, buyer.cookie, {
      id_token_hint: second.idToken,
      post_logout_redirect_uri: "http://localhost:3000",
    }).expect(200);
    expect(prompt.text).toContain('<form method="get" action="/oidc/logout">');
    expect(prompt.headers["set-cookie"]).toBeUndefined();
    expect(await loggedIn(h, buyer.cookie)).toBe(true);

    // The person's Log out ends it, and returns where the hint's client allows.
    const confirm = Object.fromEntries(
      [...prompt.text.matchAll(/name="([^"]+)" value="([^"]+)"/g)].map((m) => [m[1], m[2]]),
    ) as Record<string, string>;
    expect(confirm.id_token_hint).toBe(second.idToken);
    const out = await logout(h, buyer.cookie, confirm).expect(302);
    expect(out.headers.location).toBe("http://localhost:3000/");
    expect(await loggedIn(h, buyer.cookie)).toBe(false);
    // The second user's session was never touched.
    expect(await loggedIn(h, second.cookie)).toBe(true);
  });

  it("asks for an ID token of the same person from another session, and one without a sid", async () => {
    const h = await createHarness(withLoginHintLogin);
    const earlier = await logIn(h, BUYER);
    const current = await logIn(h, BUYER);
    expect(decodeJwt(earlier.idToken).sid).not.toBe(decodeJwt(current.idToken).sid);
    await logout(h, current.cookie, { id_token_hint: earlier.idToken }).expect(200, /Log out/);
    expect(await loggedIn(h, current.cookie)).toBe(true);

    // A CIBA ID token names the person, and no login session.
    const id = await h.start({ audience: undefined, scope: "openid" });
    h.decide(id, "approve");
    const ciba = (await h.poll(id).expect(200)).body as { id_token: string };
    expect(decodeJwt(ciba.id_token).sid).toBeUndefined();
    await logout(h, current.cookie, { id_token_hint: ciba.id_token }).expect(200, /Log out/);
    expect(await loggedIn(h, current.cookie)).toBe(true);
  });

  it("ends the session at once for its own ID token, and refuses a logout_hint that disagrees with it", async () => {
    const { h, buyer, second: other } = await twoSessions();
    const mismatch = await logout(h, buyer.cookie, {
      id_token_hint: buyer.idToken,
      logout_hint: String(decodeJwt(other.idToken).sid),
    }).expect(400);
    expect(mismatch.text).toContain("logout_hint is not the sid of the id_token_hint");
    expect(await loggedIn(h, buyer.cookie)).toBe(true);

    const out = await logout(h, buyer.cookie, {
      id_token_hint: buyer.idToken,
      logout_hint: String(decodeJwt(buyer.idToken).sid),
      post_logout_redirect_uri: "http://localhost:3000",
      state: "bye",
    }).expect(302);
    expect(out.headers.location).toBe("http://localhost:3000/?state=bye");
    expect(await loggedIn(h, buyer.cookie)).toBe(false);
  });
});

describe("a refused logout", () => {
  const EVIL = "https://evil.example/";

  it("leaves the session at /oidc/logout: a post_logout_redirect_uri not allowed, an unknown client_id, an ID token not the tenant's", async () => {
    const { h, buyer } = await twoSessions();
    const refusals: Record<string, string>[] = [
      // Its own ID token would end the session at once, and the URL is not the client's.
      { id_token_hint: buyer.idToken, post_logout_redirect_uri: EVIL, state: "s" },
      // Without a hint the person would be asked: a URL the client does not allow is refused first.
      { client_id: AGENT.id, post_logout_redirect_uri: EVIL },
      { post_logout_redirect_uri: "http://localhost:3000" },
      { client_id: "no-such-client" },
      { id_token_hint: `${buyer.idToken.slice(0, -4)}AAAA` },
    ];
    for (const query of refusals) {
      const refused = await logout(h, buyer.cookie, query).expect(400);
      expect(refused.headers.location).toBeUndefined();
      expect(refused.headers["set-cookie"]).toBeUndefined();
      expect(await loggedIn(h, buyer.cookie)).toBe(true);
    }
    expect(
      (
        await logout(h, buyer.cookie, {
          id_token_hint: buyer.idToken,
          post_logout_redirect_uri: EVIL,
        }).expect(400)
      ).text,
    ).toContain(
      `post_logout_redirect_uri&quot; querystring parameter &quot;${EVIL}&quot; is not defined`,
    );
  });

  it("leaves a confirmation unused when its URL was changed to one the client does not allow", async () => {
    const { h, buyer } = await twoSessions();
    const prompt = await logout(h, buyer.cookie, {
      client_id: AGENT.id,
      post_logout_redirect_uri: "http://localhost:3000",
    }).expect(200);
    const confirm = Object.fromEntries(
      [...prompt.text.matchAll(/name="([^"]+)" value="([^"]+)"/g)].map((m) => [m[1], m[2]]),
    ) as Record<string, string>;

    await logout(h, buyer.cookie, { ...confirm, post_logout_redirect_uri: EVIL }).expect(400);
    expect(await loggedIn(h, buyer.cookie)).toBe(true);

    const out = await logout(h, buyer.cookie, confirm).expect(302);
    expect(out.headers.location).toBe("http://localhost:3000/");
    expect(await loggedIn(h, buyer.cookie)).toBe(false);
  });

  it("lets the prompt of a client_id alone redirect to the client's first Allowed Logout URL", async () => {
    const { h, buyer } = await twoSessions();
    const prompt = await logout(h, buyer.cookie, { client_id: AGENT.id }).expect(200);
    // The confirmed logout redirects there, which the page's form-action must allow.
    expect(prompt.headers["content-security-policy"]).toContain(
      "form-action 'self' http://localhost:3000",
    );
  });

  it("leaves the session at /v2/logout: a returnTo not allowed, or without a client, an unknown client_id", async () => {
    const { h, buyer } = await twoSessions();
    const refusals: Record<string, string>[] = [
      { client_id: AGENT.id, returnTo: EVIL },
      { returnTo: "http://localhost:3000" },
      { client_id: "no-such-client", returnTo: "http://localhost:3000" },
      { client_id: "no-such-client" },
    ];
    for (const query of refusals) {
      const refused = await request(h.app)
        .get("/v2/logout")
        .set("cookie", buyer.cookie)
        .query(query)
        .expect(400);
      expect(refused.headers.location).toBeUndefined();
      expect(refused.headers["set-cookie"]).toBeUndefined();
      expect(await loggedIn(h, buyer.cookie)).toBe(true);
    }

    const out = await request(h.app)
      .get("/v2/logout")
      .set("cookie", buyer.cookie)
      .query({ client_id: AGENT.id, returnTo: "http://localhost:3000" })
      .expect(302);
    expect(out.headers.location).toBe("http://localhost:3000");
    expect(await loggedIn(h, buyer.cookie)).toBe(false);
  });
});
