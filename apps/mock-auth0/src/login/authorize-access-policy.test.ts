import { decodeJwt } from "jose";
import request from "supertest";
import { describe, expect, it } from "vitest";

import {
  AGENT,
  ISSUER,
  USER,
  combine,
  createHarness,
  withExtraClient,
  withLoginHintLogin,
  withShopApi,
} from "../test-support/harness.js";
import type { Harness } from "../test-support/harness.js";

// The shop API's user access policy (`subject_type_authorization.user`) in the authorization
// code flow, as at /bc-authorize: Auth0 applies it to "all access flows that generate an
// access token associated with an end-user".
const INTERNAL = {
  id: "internal",
  secret: "internal-secret",
  callback: "http://localhost:3002/cb",
};
const AGENT_CALLBACK = "http://localhost:3000/auth/callback";

/** A first-party web app with the authorization_code grant and no client grant of its own. */
const withInternalApp = (grants: Record<string, unknown>[] = []) =>
  combine(
    withExtraClient(
      {
        name: "Internal app",
        app_type: "regular_web",
        is_first_party: true,
        grant_types: ["authorization_code"],
        callbacks: [INTERNAL.callback],
      },
      { client_id: INTERNAL.id, client_secret: INTERNAL.secret },
    ),
    {
      assets: (assets) => ({
        ...assets,
        clientGrants: [
          ...(assets.clientGrants as Record<string, unknown>[]),
          ...grants.map((g) => ({ client_id: "Internal app", audience: "sample-shop-api", ...g })),
        ],
      }),
    },
    withLoginHintLogin,
  );

/** The internal app, with the shop API's user access policy set to `policy`. */
const withUserPolicy = (policy: string) =>
  combine(
    withShopApi((api) => ({ ...api, subject_type_authorization: { user: { policy } } })),
    withInternalApp(),
  );

/** `/authorize` with the hinted user logged in at once: where it sends the browser. */
async function authorize(h: Harness, client: { id: string; callback: string }, scope: string) {
  const response = await request(h.app)
    .get("/authorize")
    .query({
      client_id: client.id,
      redirect_uri: client.callback,
      response_type: "code",
      scope,
      audience: "sample-shop-api",
      state: "s",
      login_hint: USER,
    })
    .expect(302);
  return new URL(String(response.headers.location));
}

/** The access token's claims for a code. */
async function exchange(
  h: Harness,
  client: { id: string; secret: string; callback: string },
  back: URL,
) {
  const response = await request(h.app)
    .post("/oauth/token")
    .type("form")
    .send({
      grant_type: "authorization_code",
      client_id: client.id,
      client_secret: client.secret,
      code: back.searchParams.get("code") ?? "",
      redirect_uri: client.callback,
    })
    .expect(200);
  const body = response.body as { access_token: string; scope: string };
  return { scope: body.scope, claims: decodeJwt(body.access_token) };
}

describe("/authorize under the API's user access policy", () => {
  it("sends a client without a user client grant for a require_client_grant API back with unauthorized_client, and no code", async () => {
    const h = await createHarness(withInternalApp());
    const back = await authorize(h, INTERNAL, "openid product:buy");
    expect(`${back.origin}${back.pathname}`).toBe(INTERNAL.callback);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: "unauthorized_client",
      error_description:
        'Client "internal" is not authorized to access "sample-shop-api" on behalf of a user: it needs a client grant with subject_type "user"',
      state: "s",
    });
    // A grant for machine access (subject_type client) is no leave to act for a person.
    const m2m = await createHarness(withInternalApp([{ scope: ["product:buy"] }]));
    const refused = await authorize(m2m, INTERNAL, "openid product:buy");
    expect(refused.searchParams.get("error")).toBe("unauthorized_client");
    expect(refused.searchParams.has("code")).toBe(false);
  });

  it("gives at most the scopes of the client's grant, as /bc-authorize does", async () => {
    const h = await createHarness(
      combine(
        withShopApi((api) => ({
          ...api,
          scopes: [
            ...(api.scopes as Record<string, unknown>[]),
            { value: "orders:read", description: "Read orders" },
          ],
        })),
        withInternalApp([{ subject_type: "user", scope: ["orders:read"] }]),
      ),
    );
    const back = await authorize(h, INTERNAL, "openid product:buy orders:read");
    const { scope, claims } = await exchange(h, INTERNAL, back);
    expect(scope).toBe("openid orders:read");
    expect(claims.scope).toBe("openid orders:read");
    expect(claims.aud).toEqual(["sample-shop-api", `${ISSUER}userinfo`]);

    // The repository's agent, whose grant holds product:buy, still gets it.
    const agent = { id: AGENT.id, secret: AGENT.secret, callback: AGENT_CALLBACK };
    const agentBack = await authorize(h, agent, "openid product:buy");
    expect((await exchange(h, agent, agentBack)).scope).toBe("openid product:buy");
  });

  it("refuses everyone under deny_all with access_denied, and lets anyone in under allow_all", async () => {
    const denied = await createHarness(withUserPolicy("deny_all"));
    const back = await authorize(
      denied,
      { id: AGENT.id, callback: AGENT_CALLBACK },
      "openid product:buy",
    );
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: "access_denied",
      error_description: `Client "${AGENT.id}" is not authorized to access "sample-shop-api" on behalf of a user: the API's user access policy is deny_all`,
      state: "s",
    });

    const open = await createHarness(withUserPolicy("allow_all"));
    const allowed = await authorize(open, INTERNAL, "openid product:buy");
    expect((await exchange(open, INTERNAL, allowed)).scope).toBe("openid product:buy");
  });
});
