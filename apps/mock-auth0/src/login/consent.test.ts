import { decodeJwt } from "jose";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { AGENT, combine, createHarness, withExtraClient } from "../test-support/harness.js";
import { LoginBrowser } from "../test-support/login-browser.js";

const BUYER = "auth0|testbed-user";
const PARTNER = {
  id: "partner",
  secret: "partner-secret-0123",
  callback: "https://partner.example/cb",
};
const AGENT_CALLBACK = "http://localhost:3000/auth/callback";

/** A third-party application, allowed to act for a person at the shop API. */
const withPartner = combine(
  withExtraClient(
    {
      name: "Partner app",
      app_type: "regular_web",
      is_first_party: false,
      token_endpoint_auth_method: "client_secret_post",
      grant_types: ["authorization_code"],
      callbacks: [PARTNER.callback],
    },
    { client_id: PARTNER.id, client_secret: PARTNER.secret },
  ),
  {
    assets: (assets) => ({
      ...assets,
      clientGrants: [
        ...(assets.clientGrants as Record<string, unknown>[]),
        {
          client_id: "Partner app",
          audience: "sample-shop-api",
          subject_type: "user",
          scope: ["product:buy"],
        },
      ],
    }),
  },
);

const partnerAuthorize = (params: Record<string, string> = {}) =>
  `/authorize?${new URLSearchParams({
    client_id: PARTNER.id,
    redirect_uri: PARTNER.callback,
    response_type: "code",
    scope: "openid email product:buy",
    audience: "sample-shop-api",
    state: "evil",
    ...params,
  }).toString()}`;

/** A browser logged in to the tenant as the buyer, through the first-party agent's login. */
async function loggedIn() {
  const harness = await createHarness(withPartner);
  const browser = new LoginBrowser(harness.app);
  const state = await browser.startLogin({
    client_id: AGENT.id,
    redirect_uri: AGENT_CALLBACK,
    response_type: "code",
    scope: "openid",
  });
  const login = await browser.post("/u/login", { state, user: BUYER });
  expect(new URL(String(login.headers.location)).searchParams.get("code")).toBeTruthy();
  return { ...harness, browser };
}

const answer = (response: request.Response) =>
  Object.fromEntries(new URL(String(response.headers.location)).searchParams);

const consentState = (page: request.Response) =>
  /name="state" value="([^"]+)"/.exec(page.text)?.[1] ?? "";

describe("consent for third-party applications", () => {
  it("answers prompt=none without consent with consent_required, not a code", async () => {
    const { browser } = await loggedIn();
    const silent = await browser.get(partnerAuthorize({ prompt: "none" }));
    expect(silent.status).toBe(302);
    expect(answer(silent)).toEqual({
      error: "consent_required",
      error_description: "Consent required",
      state: "evil",
    });
  });

  it("shows what the application asks for, and gives the code once the person accepts", async () => {
    const { app, browser } = await loggedIn();
    const start = await browser.get(partnerAuthorize());
    expect(start.status).toBe(302);
    expect(String(start.headers.location)).toMatch(/^\/u\/consent\?state=/);

    const page = await browser.get(String(start.headers.location));
    expect(page.status).toBe(200);
    expect(page.text).toContain("Partner app is requesting access to your");
    for (const scope of ["openid", "email", "product:buy", "sample-shop-api"]) {
      expect(page.text).toContain(`<code>${scope}</code>`);
    }
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(page.headers["content-security-policy"]).toContain(
      "form-action 'self' https://partner.example",
    );
    expect(page.headers["x-frame-options"]).toBe("DENY");

    const accepted = await browser.post("/u/consent", {
      state: consentState(page),
      decision: "accept",
    });
    expect(accepted.status).toBe(302);
    const { code, state } = answer(accepted);
    expect(state).toBe("evil");
    const token = await request(app)
      .post("/oauth/token")
      .type("form")
      .send({
        grant_type: "authorization_code",
        client_id: PARTNER.id,
        client_secret: PARTNER.secret,
        code,
        redirect_uri: PARTNER.callback,
      })
      .expect(200);
    expect(decodeJwt((token.body as { access_token: string }).access_token).scope).toContain(
      "product:buy",
    );

    // Remembered for this person, application, audience and scopes: prompt=none now works.
    const silent = await browser.get(partnerAuthorize({ prompt: "none" }));
    expect(answer(silent).code).toBeTruthy();
    // Fewer scopes need no new consent; a scope not yet granted, or prompt=consent, does.
    expect(answer(await browser.get(partnerAuthorize({ scope: "openid" }))).code).toBeTruthy();
    const more = await browser.get(partnerAuthorize({ scope: "openid profile", prompt: "none" }));
    expect(answer(more).error).toBe("consent_required");
    const again = await browser.get(partnerAuthorize({ prompt: "consent" }));
    expect(String(again.headers.location)).toMatch(/^\/u\/consent\?state=/);
  });

  it("sends access_denied back when the person declines, and remembers nothing", async () => {
    const { browser } = await loggedIn();
    const page = await browser.get(
      String((await browser.get(partnerAuthorize())).headers.location),
    );
    const declined = await browser.post("/u/consent", {
      state: consentState(page),
      decision: "decline",
    });
    expect(declined.status).toBe(302);
    expect(answer(declined)).toEqual({
      error: "access_denied",
      error_description: "User did not authorize the request",
      state: "evil",
    });
    // The answer is good once.
    const replay = await browser.post("/u/consent", {
      state: consentState(page),
      decision: "accept",
    });
    expect(replay.status).toBe(400);
    expect(answer(await browser.get(partnerAuthorize({ prompt: "none" }))).error).toBe(
      "consent_required",
    );
  });

  it("asks after the login page too, and refuses an answer from another site or browser", async () => {
    const { app } = await createHarness(withPartner);
    const browser = new LoginBrowser(app);
    const start = await browser.get(partnerAuthorize());
    const loginPage = await browser.get(String(start.headers.location));
    const login = await browser.post("/u/login", { state: consentState(loginPage), user: BUYER });
    expect(String(login.headers.location)).toMatch(/^\/u\/consent\?state=/);
    const page = await browser.get(String(login.headers.location));
    const state = consentState(page);

    const crossSite = await request(app)
      .post("/u/consent")
      .set("Origin", "https://evil.example")
      .type("form")
      .send({ state, decision: "accept" });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.location).toBeUndefined();
    expect(crossSite.text).toContain("Oops!, something went wrong");

    const stranger = await new LoginBrowser(app).post("/u/consent", { state, decision: "accept" });
    expect(stranger.status).toBe(403);
    expect(stranger.headers.location).toBeUndefined();

    // Still the person's to answer.
    const accepted = await browser.post("/u/consent", { state, decision: "accept" });
    expect(answer(accepted).code).toBeTruthy();
  });

  it("logs a first-party application in with no consent, as before", async () => {
    const { browser } = await loggedIn();
    const silent = await browser.get(
      `/authorize?${new URLSearchParams({
        client_id: AGENT.id,
        redirect_uri: AGENT_CALLBACK,
        response_type: "code",
        scope: "openid email product:buy",
        audience: "sample-shop-api",
        prompt: "none",
      }).toString()}`,
    );
    expect(answer(silent).code).toBeTruthy();
  });
});
