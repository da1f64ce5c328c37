import { createSecretKey, generateKeyPairSync, randomUUID } from "node:crypto";
import type { KeyObject } from "node:crypto";

import { CIBA_GRANT_TYPE, ManualClock } from "@ciba-testbed/shared";
import { SignJWT, calculateJwkThumbprint, exportJWK } from "jose";
import request from "supertest";
import { describe, expect, it } from "vitest";

import {
  ClientAssertions,
  JWT_BEARER_ASSERTION_TYPE,
  MAX_ASSERTION_LIFETIME_SECONDS,
} from "./client-assertion.js";
import { tenantDirectory } from "./tenant/tenant-directory.js";
import { tenantWith } from "./tenant/load-tenant.js";
import type { TenantChanges } from "./tenant/load-tenant.js";
import {
  ISSUER,
  USER,
  combine,
  createHarness,
  loginHint,
  withExtraClient,
} from "./test-support/harness.js";
import type { Harness } from "./test-support/harness.js";

const KEY_AGENT = "key-agent";

const rsaKeys = (modulusLength = 2048) => generateKeyPairSync("rsa", { modulusLength });
const { publicKey, privateKey } = rsaKeys();
const pemOf = (key: KeyObject) => key.export({ type: "spki", format: "pem" }).toString();

/** A client on Private Key JWT, its public key in tenant.yaml as the Deploy CLI writes it. */
const withKeyAgent = (
  credentials: Record<string, unknown>[] = [
    { name: "agent key", credential_type: "public_key", pem: pemOf(publicKey) },
  ],
): TenantChanges =>
  withExtraClient(
    {
      name: "Key agent",
      app_type: "regular_web",
      token_endpoint_auth_method: null,
      client_authentication_methods: { private_key_jwt: { credentials } },
      grant_types: [CIBA_GRANT_TYPE, "refresh_token"],
    },
    { client_id: KEY_AGENT },
  );

/** An assertion as the auth0 SDK signs one (iss = sub = client id, aud the tenant), changed by `claims`. */
function sign(
  h: Harness,
  claims: Record<string, unknown> = {},
  options: { alg?: string; key?: KeyObject; kid?: string } = {},
): Promise<string> {
  const now = Math.floor(h.clock.now() / 1000);
  const claimsWithDefaults: Record<string, unknown> = {
    iss: KEY_AGENT,
    sub: KEY_AGENT,
    aud: ISSUER,
    iat: now,
    exp: now + 120,
    jti: randomUUID(),
    ...claims,
  };
  // A claim set to undefined is left out.
  const payload = Object.fromEntries(
    Object.entries(claimsWithDefaults).filter(([, value]) => value !== undefined),
  );
  return new SignJWT(payload)
    .setProtectedHeader({
      alg: options.alg ?? "RS256",
      ...(options.kid === undefined ? {} : { kid: options.kid }),
    })
    .sign(options.key ?? privateKey);
}

const tokenRequest = (h: Harness, body: Record<string, string>) =>
  request(h.app).post("/oauth/token").type("form").send(body);

const assertionParams = (assertion: string) => ({
  client_id: KEY_AGENT,
  client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
  client_assertion: assertion,
});

const startWith = (h: Harness, assertion: string) =>
  request(h.app)
    .post("/bc-authorize")
    .type("form")
    .send({
      ...assertionParams(assertion),
      scope: "openid offline_access",
      login_hint: loginHint(USER),
      binding_message: "Sign in to the key agent",
    });

describe("private_key_jwt client authentication", () => {
  it("authenticates /bc-authorize, the CIBA grant and the refresh grant with assertions", async () => {
    const h = await createHarness(withKeyAgent());
    const started = await startWith(h, await sign(h)).expect(200);
    const id = started.body.auth_req_id as string;
    h.decide(id, "approve");
    const granted = await tokenRequest(h, {
      ...assertionParams(await sign(h)),
      grant_type: CIBA_GRANT_TYPE,
      auth_req_id: id,
    }).expect(200);
    expect(granted.body.refresh_token).toEqual(expect.any(String));
    const refreshed = await tokenRequest(h, {
      ...assertionParams(await sign(h)),
      grant_type: "refresh_token",
      refresh_token: granted.body.refresh_token as string,
    }).expect(200);
    expect(refreshed.body.access_token).toEqual(expect.any(String));
  });

  it.each([
    ["the issuer", ISSUER],
    ["the token endpoint", `${ISSUER}oauth/token`],
    ["the backchannel authentication endpoint", `${ISSUER}bc-authorize`],
    ["an array naming the tenant", ["https://elsewhere.example/", ISSUER]],
  ])("accepts %s as aud (CIBA Core 1.0 section 7.1)", async (_name, aud) => {
    const h = await createHarness(withKeyAgent());
    await startWith(h, await sign(h, { aud })).expect(200);
  });

  it.each([
    ["another tenant as aud", { aud: "https://other.example/" }, /aud must be this tenant/],
    ["the issuer without its slash", { aud: ISSUER.slice(0, -1) }, /aud must be this tenant/],
    ["no jti", { jti: undefined }, /needs a jti/],
    ["an exp past", { exp: 1_700_000_000, iat: 1_699_999_900 }, /has expired/],
    ["no exp", { exp: undefined }, /needs an exp/],
    [
      "a lifetime over five minutes",
      { exp: Math.floor(Date.parse("2026-01-01T00:00:00Z") / 1000) + 301 },
      /at most 300 s/,
    ],
    ["sub other than iss", { sub: "someone-else" }, /iss and sub must both be the client_id/],
    ["an unknown client", { iss: "nobody", sub: "nobody" }, /unknown client_id/],
  ])("refuses %s with 401 invalid_client", async (_name, claims, description) => {
    const h = await createHarness(withKeyAgent());
    const assertion = await sign(h, claims);
    const response = await request(h.app)
      .post("/bc-authorize")
      .type("form")
      .send({
        client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
        client_assertion: assertion,
        scope: "openid",
        login_hint: loginHint(USER),
        binding_message: "Sign in",
      })
      .expect(401);
    expect(response.body.error).toBe("invalid_client");
    expect(response.body.error_description).toMatch(description);
  });

  it("refuses an assertion used twice (RFC 7523 section 3: jti), and forgets it once expired", async () => {
    const h = await createHarness(withKeyAgent());
    const assertion = await sign(h);
    await startWith(h, assertion).expect(200);
    const replayed = await startWith(h, assertion).expect(401);
    expect(replayed.body.error_description).toMatch(/already used/);
  });

  it("refuses a signature by another key, and an alg the credential does not use", async () => {
    const h = await createHarness(withKeyAgent());
    const stranger = rsaKeys().privateKey;
    const forged = await startWith(h, await sign(h, {}, { key: stranger })).expect(401);
    expect(forged.body.error_description).toMatch(/does not verify/);
    const otherAlg = await startWith(h, await sign(h, {}, { alg: "RS384" })).expect(401);
    expect(otherAlg.body.error_description).toMatch(/alg RS384 is not the algorithm.*\(RS256\)/);
    const none = await startWith(h, "not-a-jwt").expect(401);
    expect(none.body.error_description).toMatch(/not a signed JWT/);
  });

  it.each(["RS384", "PS256"])("verifies with a %s credential", async (alg) => {
    const h = await createHarness(
      withKeyAgent([{ name: "key", credential_type: "public_key", pem: pemOf(publicKey), alg }]),
    );
    await startWith(h, await sign(h, {}, { alg })).expect(200);
  });

  it("takes either of two credentials, for key rotation", async () => {
    const next = rsaKeys();
    const h = await createHarness(
      withKeyAgent([
        { name: "current", pem: pemOf(publicKey) },
        { name: "next", pem: pemOf(next.publicKey) },
      ]),
    );
    await startWith(h, await sign(h)).expect(200);
    await startWith(h, await sign(h, {}, { key: next.privateKey })).expect(200);
  });

  it("picks the credential a kid names (its RFC 7638 thumbprint, as Auth0 makes it), and refuses a kid of none", async () => {
    const next = rsaKeys();
    const h = await createHarness(
      withKeyAgent([
        { name: "current", pem: pemOf(publicKey) },
        { name: "next", pem: pemOf(next.publicKey) },
      ]),
    );
    const kid = await calculateJwkThumbprint(await exportJWK(next.publicKey));
    const keyAgent = h.tenant.clients.find((c) => c.clientId === KEY_AGENT);
    expect(keyAgent?.assertionKeys.map((k) => k.kid)).toContain(kid);
    await startWith(h, await sign(h, {}, { key: next.privateKey, kid })).expect(200);
    const wrongKey = await startWith(h, await sign(h, {}, { kid })).expect(401);
    expect(wrongKey.body.error_description).toMatch(/does not verify/);
    const unknown = await startWith(h, await sign(h, {}, { kid: "no-such-kid" })).expect(401);
    expect(unknown.body.error_description).toMatch(
      /kid no-such-kid is none of the client's credentials/,
    );
  });

  it("stops accepting a credential past its expires_at", async () => {
    const h = await createHarness(
      withKeyAgent([{ name: "key", pem: pemOf(publicKey), expires_at: "2026-01-01T00:10:00Z" }]),
    );
    await startWith(h, await sign(h)).expect(200);
    h.clock.advance(10 * 60_000);
    const expired = await startWith(h, await sign(h)).expect(401);
    expect(expired.body.error_description).toMatch(/no valid credential/);
  });

  it.each([
    [{ client_assertion_type: "urn:other" }, /client_assertion_type must be/],
    [{ client_assertion: "" }, /client_assertion is required/],
    [{ client_secret: "secret" }, /one client authentication method/],
    [{ client_id: "ciba-testbed-agent" }, /does not match the client_assertion/],
  ])("refuses %j with 400 invalid_request", async (change, description) => {
    const h = await createHarness(withKeyAgent());
    const response = await request(h.app)
      .post("/bc-authorize")
      .type("form")
      .send({
        ...assertionParams(await sign(h)),
        scope: "openid",
        login_hint: loginHint(USER),
        binding_message: "Sign in",
        ...change,
      })
      .expect(400);
    expect(response.body.error).toBe("invalid_request");
    expect(response.body.error_description).toMatch(description);
  });

  it("refuses an assertion from a client that authenticates with a secret", async () => {
    const h = await createHarness(withKeyAgent());
    const own = await request(h.app)
      .post("/bc-authorize")
      .type("form")
      .send({
        client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
        client_assertion: await sign(h, { iss: "ciba-testbed-agent", sub: "ciba-testbed-agent" }),
        scope: "openid",
        login_hint: loginHint(USER),
        binding_message: "Sign in",
      })
      .expect(401);
    expect(own.body.error_description).toMatch(/does not authenticate with private_key_jwt/);
  });

  it.each([["ciba-testbed-agent"], [KEY_AGENT]])(
    "names client_secret_jwt (an HS256 assertion, openid-client's ClientSecretJwt) as such, for %s",
    async (client) => {
      const h = await createHarness(withKeyAgent());
      const secret = createSecretKey(Buffer.from("ciba-testbed-agent-secret"));
      const answer = await request(h.app)
        .post("/bc-authorize")
        .type("form")
        .send({
          client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
          client_assertion: await sign(
            h,
            { iss: client, sub: client },
            { alg: "HS256", key: secret },
          ),
          scope: "openid",
          login_hint: loginHint(USER),
          binding_message: "Sign in",
        })
        .expect(401);
      expect(answer.body).toEqual({
        error: "invalid_client",
        error_description:
          "client_assertion alg HS256 is client_secret_jwt (an assertion signed with the client secret), which this tenant, as Auth0, does not take (token_endpoint_auth_methods_supported: client_secret_basic, client_secret_post, private_key_jwt): send the secret itself (client_secret_post or client_secret_basic), or sign with a private_key_jwt credential's key",
      });
    },
  );
});

describe("ClientAssertions", () => {
  it("remembers a jti only while its assertion lives", async () => {
    const clock = new ManualClock();
    const assertions = new ClientAssertions(clock);
    const clients = tenantDirectory(tenantWith(combine(withKeyAgent()))).clients;
    const now = Math.floor(clock.now() / 1000);
    const make = (jti: string) =>
      new SignJWT({ iss: KEY_AGENT, sub: KEY_AGENT, aud: ISSUER, exp: now + 60, jti })
        .setProtectedHeader({ alg: "RS256" })
        .sign(privateKey);
    const verify = async (jti: string) =>
      assertions.verify({
        assertion: await make(jti),
        clients,
        audiences: [ISSUER],
        clientId: undefined,
      });
    await verify("a");
    await verify("b");
    expect(assertions.remembered).toBe(2);
    await expect(verify("a")).rejects.toMatchObject({ status: 401 });
    clock.advance(60_000);
    // Both have expired: the next verification forgets them before it refuses the late one.
    await expect(verify("c")).rejects.toMatchObject({
      description: expect.stringMatching(/expired/),
    });
    expect(assertions.remembered).toBe(0);
    expect(MAX_ASSERTION_LIFETIME_SECONDS).toBe(300);
  });
});
