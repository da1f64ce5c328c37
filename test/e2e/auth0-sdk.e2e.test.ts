import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { ManualClock, loadTenant, startMockAuth0, tenantWith } from "@ciba-testbed/mock-auth0";
import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { DEFAULT_CERT_DIR } from "@ciba-testbed/shared/node";
import { httpsJson } from "@ciba-testbed/stack";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import { createLocalJWKSet, jwtVerify } from "jose";
import type { JSONWebKeySet } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from "vitest";

interface SdkAnswer {
  ok: boolean;
  data?: Record<string, unknown>;
  error?: string;
  error_description?: string;
  status?: number;
  retryAfter?: string | null;
  cause?: string;
}

const USER = "auth0|testbed-user";
const clock = new ManualClock(Date.now());
let tenant: RunningMockAuth0;
let sdk: SupervisedChild;

/** One command to the SDK process, one JSON line back. */
async function ask(command: unknown, child: SupervisedChild = sdk): Promise<SdkAnswer> {
  const answer = child.waitForLine(
    (line) => {
      try {
        return JSON.parse(line) as SdkAnswer;
      } catch {
        return undefined;
      }
    },
    20_000,
    "an answer",
  );
  child.write(JSON.stringify(command));
  return answer;
}

const authorize = (params: Record<string, string> = {}) =>
  ask({
    op: "authorize",
    params: {
      userId: USER,
      scope: "openid product:buy",
      audience: "sample-shop-api",
      binding_message: "Do you want to buy 2 XYZ phones",
      ...params,
    },
  });
const grant = (id: string) => ask({ op: "grant", auth_req_id: id });
const idOf = (answer: SdkAnswer) => String(answer.data?.auth_req_id);

// The real `auth0` SDK, in its own process, against the real HTTPS tenant. The tenant runs
// on a manual clock, so expiry and slow_down need no waiting.
describe("the auth0 SDK's CIBA client against mock-auth0 over HTTPS", () => {
  beforeAll(async () => {
    tenant = await startMockAuth0({
      tenant: loadTenant(),
      port: 0,
      host: "127.0.0.1",
      // The repository's certificates (.certs), as every local tenant's: the SDK trusts them
      // through NODE_EXTRA_CA_CERTS all the same, and none are made for this file.
      certDir: DEFAULT_CERT_DIR,
      clock,
    });
    sdk = SupervisedChild.spawn({
      name: "auth0 SDK",
      script: "test/fixtures/auth0-sdk-client.ts",
      env: {
        NODE_EXTRA_CA_CERTS: tenant.caCertPath,
        AUTH0_DOMAIN: `localhost:${tenant.port}`,
        AUTH0_CLIENT_ID: "ciba-testbed-agent",
        AUTH0_CLIENT_SECRET: "ciba-testbed-agent-secret",
      },
      readsStdin: true,
    });
  });

  afterAll(async () => {
    await sdk.stop();
    await tenant.close();
  });

  // The tenant keeps Auth0's limit of 5 requests a minute for one person; each test starts a
  // minute after the last, as a person's requests would be spread out.
  beforeEach(() => {
    clock.advance(60_000);
  });

  it("approve: pending, then tokens that verify against the tenant's JWKS", async () => {
    const started = await authorize();
    expect(started).toMatchObject({ ok: true, data: { expires_in: 300, interval: 5 } });
    const id = idOf(started);
    expect(await grant(id)).toMatchObject({
      ok: false,
      error: "authorization_pending",
      status: 400,
    });
    expect(tenant.store.get(id)?.bindingMessage).toBe("Do you want to buy 2 XYZ phones");

    tenant.store.decide(id, "approve", "control-api");
    clock.advance(5_000);
    const tokens = await grant(id);
    expect(tokens).toMatchObject({
      ok: true,
      data: { token_type: "Bearer", scope: "openid product:buy" },
    });

    const jwks = createLocalJWKSet(
      (
        await httpsJson(`${tenant.issuer}.well-known/jwks.json`, {
          ca: readFileSync(tenant.caCertPath),
        })
      ).body as JSONWebKeySet,
    );
    const { payload } = await jwtVerify(String(tokens.data?.access_token), jwks, {
      issuer: tenant.issuer,
      audience: "sample-shop-api",
      currentDate: new Date(clock.now()),
    });
    expect(payload.scope).toContain("product:buy");
    expect(payload.sub).toBe(USER);
  });

  it("deny: access_denied", async () => {
    const id = idOf(await authorize());
    tenant.store.decide(id, "deny", "control-api");
    expect(await grant(id)).toMatchObject({
      ok: false,
      error: "access_denied",
      error_description: "The end-user denied the authorization request or it has been expired",
    });
  });

  it("expiry: Auth0's access_denied once requested_expiry has passed", async () => {
    const started = await authorize({ requested_expiry: "3" });
    expect(started.data?.expires_in).toBe(3);
    clock.advance(3_000);
    expect(await grant(idOf(started))).toMatchObject({
      ok: false,
      error: "access_denied",
      error_description: "The end-user denied the authorization request or it has been expired",
      status: 400,
    });
  });

  it("slow_down: 429 with a Retry-After the SDK can read", async () => {
    const id = idOf(await authorize());
    await grant(id);
    const tooFast = await grant(id);
    expect(tooFast).toMatchObject({ ok: false, error: "slow_down", status: 429, retryAfter: "10" });
  });

  it("Auth0's errors reach the SDK as Auth0 sends them", async () => {
    expect(await authorize({ scope: "product:buy" })).toMatchObject({
      error: "invalid_request",
      error_description: "openid scope must be requested",
    });
    expect(await authorize({ userId: "auth0|nobody" })).toMatchObject({ error: "unknown_user_id" });
  });
});

// Private Key JWT and refresh tokens, with the SDK's own assertion signing
// (`clientAssertionSigningKey`) and its ID token validation on refresh. The key pair is made
// here, in a temporary directory.
describe("the auth0 SDK with private_key_jwt and refresh tokens against mock-auth0", () => {
  const keyClock = new ManualClock(Date.now());
  let keyTenant: RunningMockAuth0;
  let keySdk: SupervisedChild;
  let keyDir: string;
  const askKey = (command: unknown) => ask(command, keySdk);

  beforeAll(async () => {
    keyDir = mkdtempSync(path.join(tmpdir(), "sdk-pkjwt-"));
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const keyFile = path.join(keyDir, "agent-key.pem");
    writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    keyTenant = await startMockAuth0({
      tenant: tenantWith({
        assets: (assets) => ({
          ...assets,
          clients: [
            ...(assets.clients as object[]),
            {
              name: "Key agent",
              app_type: "regular_web",
              token_endpoint_auth_method: null,
              client_authentication_methods: {
                private_key_jwt: {
                  credentials: [
                    { name: "agent key", credential_type: "public_key", pem, alg: "PS256" },
                  ],
                },
              },
              grant_types: ["urn:openid:params:grant-type:ciba", "refresh_token"],
              refresh_token: { rotation_type: "rotating", expiration_type: "expiring" },
            },
          ],
        }),
        settings: (settings) => ({
          ...settings,
          clients: { ...(settings.clients as object), "Key agent": { client_id: "key-agent" } },
        }),
      }),
      port: 0,
      host: "127.0.0.1",
      certDir: DEFAULT_CERT_DIR,
      clock: keyClock,
    });
    keySdk = SupervisedChild.spawn({
      name: "auth0 SDK (private_key_jwt)",
      script: "test/fixtures/auth0-sdk-client.ts",
      env: {
        NODE_EXTRA_CA_CERTS: keyTenant.caCertPath,
        AUTH0_DOMAIN: `localhost:${keyTenant.port}`,
        AUTH0_CLIENT_ID: "key-agent",
        AUTH0_CLIENT_ASSERTION_KEY_FILE: keyFile,
        AUTH0_CLIENT_ASSERTION_ALG: "PS256",
      },
      readsStdin: true,
    });
  });

  afterAll(async () => {
    await keySdk.stop();
    await keyTenant.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it("runs CIBA with openid offline_access, reads /userinfo, refreshes, and is refused a reused refresh token", async () => {
    const started = await askKey({
      op: "authorize",
      params: {
        userId: USER,
        scope: "openid profile email offline_access",
        binding_message: "Sign in to Key agent",
      },
    });
    expect(started).toMatchObject({ ok: true, data: { expires_in: 300 } });
    const id = idOf(started);
    keyTenant.store.decide(id, "approve", "control-api");
    const tokens = await askKey({ op: "grant", auth_req_id: id });
    expect(tokens).toMatchObject({
      ok: true,
      data: {
        token_type: "Bearer",
        scope: "openid profile email offline_access",
        refresh_token: expect.any(String),
      },
    });

    expect(await askKey({ op: "userinfo", access_token: tokens.data?.access_token })).toMatchObject(
      {
        ok: true,
        data: { sub: USER, name: "Test Buyer", nickname: "buyer", email: "buyer@example.com" },
      },
    );

    keyClock.advance(1_000);
    const refreshed = await askKey({ op: "refresh", refresh_token: tokens.data?.refresh_token });
    expect(refreshed).toMatchObject({
      ok: true,
      data: { id_token: expect.any(String), refresh_token: expect.any(String) },
    });
    expect(refreshed.data?.refresh_token).not.toBe(tokens.data?.refresh_token);

    const invalid = {
      ok: false,
      status: 403,
      error: "invalid_grant",
      error_description: "Unknown or invalid refresh token.",
    };
    expect(
      await askKey({ op: "refresh", refresh_token: tokens.data?.refresh_token }),
    ).toMatchObject(invalid);
    // Reuse revoked the family: the newest token is refused as well.
    expect(
      await askKey({ op: "refresh", refresh_token: refreshed.data?.refresh_token }),
    ).toMatchObject(invalid);
  });
});

describe("mock-auth0 as a process", () => {
  it("starts with no configuration, says where it listens and serves discovery", async () => {
    const certDir = mkdtempSync(path.join(tmpdir(), "main-certs-"));
    onTestFinished(() => {
      rmSync(certDir, { recursive: true, force: true });
    });
    const { child, ready } = await SupervisedChild.start({
      name: "mock-auth0",
      script: "apps/mock-auth0/src/main.ts",
      env: { MOCK_AUTH0_PORT: "0", MOCK_AUTH0_CERT_DIR: certDir, LOG_LEVEL: "info" },
    });
    try {
      expect(ready).toMatchObject({
        service: "mock-auth0",
        caCertPath: path.join(certDir, "ca.pem"),
      });
      expect(ready.url).toMatch(/^https:\/\/localhost:\d+\/$/);
      expect(ready.issuer).toBe(ready.url);

      const discovery = (
        await httpsJson(`${ready.url}.well-known/openid-configuration`, {
          ca: readFileSync(path.join(certDir, "ca.pem")),
        })
      ).body as { issuer: string };
      expect(discovery.issuer).toBe(ready.url);
    } finally {
      await child.stop();
    }
  });
});
