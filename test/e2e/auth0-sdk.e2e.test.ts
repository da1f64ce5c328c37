import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { ManualClock, loadTenant, startMockAuth0 } from "@ciba-testbed/mock-auth0";
import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { httpsJson } from "@ciba-testbed/stack";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import { createLocalJWKSet, jwtVerify } from "jose";
import type { JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

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
async function ask(command: unknown): Promise<SdkAnswer> {
  const answer = sdk.waitForLine(
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
  sdk.write(JSON.stringify(command));
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
      certDir: mkdtempSync(path.join(tmpdir(), "sdk-certs-")),
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
      stdin: "pipe",
    });
  });

  afterAll(async () => {
    await sdk.stop();
    await tenant.close();
  });

  it("approve: pending, then tokens that verify against the tenant's JWKS", async () => {
    const started = await authorize();
    expect(started).toMatchObject({ ok: true, data: { expires_in: 300, interval: 1 } });
    const id = idOf(started);
    expect(await grant(id)).toMatchObject({
      ok: false,
      error: "authorization_pending",
      status: 400,
    });
    expect(tenant.store.get(id)?.bindingMessage).toBe("Do you want to buy 2 XYZ phones");

    tenant.store.decide(id, "approve", "control-api");
    clock.advance(1_000);
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

  it("expiry: expired_token once requested_expiry has passed", async () => {
    const started = await authorize({ requested_expiry: "3" });
    expect(started.data?.expires_in).toBe(3);
    clock.advance(3_000);
    expect(await grant(idOf(started))).toMatchObject({
      ok: false,
      error: "expired_token",
      status: 400,
    });
  });

  it("slow_down: 429 with a Retry-After the SDK can read", async () => {
    const id = idOf(await authorize());
    await grant(id);
    const tooFast = await grant(id);
    expect(tooFast).toMatchObject({ ok: false, error: "slow_down", status: 429, retryAfter: "6" });
  });

  it("Auth0's errors reach the SDK as Auth0 sends them", async () => {
    expect(await authorize({ scope: "product:buy" })).toMatchObject({
      error: "invalid_request",
      error_description: "openid scope must be requested",
    });
    expect(await authorize({ userId: "auth0|nobody" })).toMatchObject({ error: "unknown_user_id" });
  });
});

describe("mock-auth0 as a process", () => {
  it("starts with no configuration, says where it listens and serves discovery", async () => {
    const certDir = mkdtempSync(path.join(tmpdir(), "main-certs-"));
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
