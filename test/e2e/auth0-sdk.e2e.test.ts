import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { ManualClock, loadTenant, startMockAuth0 } from "@ciba-testbed/mock-auth0";
import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { createLocalJWKSet, jwtVerify } from "jose";
import type { JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { httpsJson } from "../../scripts/stack/https-json.js";
import { LineProcess, TSX } from "../support/line-process.js";

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
let sdk: LineProcess;

const authorize = (params: Record<string, string> = {}) =>
  sdk.request<SdkAnswer>({
    op: "authorize",
    params: {
      userId: USER,
      scope: "openid product:buy",
      audience: "sample-shop-api",
      binding_message: "Do you want to buy 2 XYZ phones",
      ...params,
    },
  });
const grant = (id: string) => sdk.request<SdkAnswer>({ op: "grant", auth_req_id: id });
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
    sdk = LineProcess.start("test/fixtures/auth0-sdk-client.ts", {
      NODE_EXTRA_CA_CERTS: tenant.caCertPath,
      AUTH0_DOMAIN: `localhost:${tenant.port}`,
      AUTH0_CLIENT_ID: "ciba-testbed-agent",
      AUTH0_CLIENT_SECRET: "ciba-testbed-agent-secret",
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
  it("starts with no configuration, prints the NODE_EXTRA_CA_CERTS line and serves discovery", async () => {
    const certDir = mkdtempSync(path.join(tmpdir(), "main-certs-"));
    const child = spawn(TSX, ["apps/mock-auth0/src/main.ts"], {
      env: {
        ...process.env,
        MOCK_AUTH0_PORT: "0",
        MOCK_AUTH0_CERT_DIR: certDir,
        LOG_LEVEL: "info",
      },
    });
    try {
      const listening = await new Promise<{ issuer: string; caCert: string }>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const line = out.split("\n").find((l) => l.includes("mock-auth0 listening"));
          if (line) resolve(JSON.parse(line) as { issuer: string; caCert: string });
        });
        child.once("exit", (code) => {
          reject(new Error(`exited with ${String(code)}`));
        });
      });
      expect(listening.issuer).toMatch(/^https:\/\/localhost:\d+\/$/);
      expect(listening.caCert).toBe(path.join(certDir, "ca.pem"));

      const discovery = (
        await httpsJson(`${listening.issuer}.well-known/openid-configuration`, {
          ca: readFileSync(listening.caCert),
        })
      ).body as { issuer: string };
      expect(discovery.issuer).toBe(listening.issuer);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  });
});
