import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { decodeJwt } from "jose";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { policySchema } from "./approver/policy.js";
import { startMockAuth0 } from "./server.js";
import type { RunningMockAuth0 } from "./server.js";
import { tenantWith } from "./tenant/load-tenant.js";
import { testKeys } from "./test-support/harness.js";
import { httpsFetch } from "./test-support/https-fetch.js";

// CIBA in poll mode through a client library written against the specifications, not for this
// tenant: openid-client 6 (initiateBackchannelAuthentication, pollBackchannelAuthenticationGrant)
// reads the discovery document, authenticates, polls at the interval, and validates the ID
// token it gets.
const APP = { id: "ciba-testbed-agent", secret: "ciba-testbed-agent-secret" };
const BUYER = "auth0|testbed-user";
const PURCHASE = [{ type: "product_purchase", product: "xyz-phone", quantity: 1, currency: "USD" }];

let tenant: RunningMockAuth0;
let config: oidc.Configuration;
let certDir: string;

beforeAll(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), "ciba-rp-certs-"));
  tenant = await startMockAuth0({
    // A short interval: the library waits it before each poll.
    tenant: tenantWith({
      settings: (settings) => ({
        ...settings,
        ciba: { ...(settings.ciba as Record<string, unknown>), intervalSeconds: 0.05 },
      }),
    }),
    port: 0,
    host: "127.0.0.1",
    certDir,
    keys: await testKeys(),
  });
  tenant.approver.setPolicy(
    policySchema.parse({
      default: "approve",
      rules: [{ when: { bindingMessage: "deny" }, outcome: "deny" }],
    }),
  );
  const fetchTenant = httpsFetch(readFileSync(tenant.caCertPath, "utf8"));
  const rpFetch: oidc.CustomFetch = (url, options) => fetchTenant(url, options as RequestInit);
  config = await oidc.discovery(
    new URL(tenant.issuer),
    APP.id,
    undefined,
    oidc.ClientSecretPost(APP.secret),
    { [oidc.customFetch]: rpFetch },
  );
  config[oidc.customFetch] = rpFetch;
});

afterAll(async () => {
  await tenant.close();
  rmSync(certDir, { recursive: true, force: true });
});

const loginHint = () => JSON.stringify({ format: "iss_sub", iss: tenant.issuer, sub: BUYER });

describe("CIBA through openid-client 6", () => {
  it("finds the backchannel endpoint and poll mode in the discovery document", () => {
    const server = config.serverMetadata();
    expect(server.backchannel_authentication_endpoint).toBe(`${tenant.issuer}bc-authorize`);
    expect(server.backchannel_token_delivery_modes_supported).toContain("poll");
  });

  it("gets tokens for an approved request: a validated ID token for the person, an access token for the API", async () => {
    const started = await oidc.initiateBackchannelAuthentication(config, {
      scope: "openid product:buy",
      login_hint: loginHint(),
      binding_message: "Do you want to buy 1 XYZ phone",
      audience: "sample-shop-api",
      authorization_details: JSON.stringify(PURCHASE),
    });
    expect(started).toMatchObject({ expires_in: 300, interval: 0.05 });

    const tokens = await oidc.pollBackchannelAuthenticationGrant(config, started);

    expect(tokens.claims()).toMatchObject({ iss: tenant.issuer, sub: BUYER, aud: APP.id });
    // The library reads Auth0's "Bearer" case-insensitively, as RFC 6749 section 5.1 says.
    expect(tokens.token_type).toBe("bearer");
    expect(tokens.authorization_details).toEqual(PURCHASE);
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      sub: BUYER,
      aud: ["sample-shop-api", `${tenant.issuer}userinfo`],
      scope: "openid product:buy",
    });
  });

  it("raises the tenant's access_denied for a denied request", async () => {
    const started = await oidc.initiateBackchannelAuthentication(config, {
      scope: "openid",
      login_hint: loginHint(),
      binding_message: "Please deny this",
    });
    const refused = await oidc
      .pollBackchannelAuthenticationGrant(config, started)
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(oidc.ResponseBodyError);
    expect(refused).toMatchObject({ error: "access_denied", status: 400 });
  });

  it("raises the tenant's refusal of a person it does not know at the request", async () => {
    const refused = await oidc
      .initiateBackchannelAuthentication(config, {
        scope: "openid",
        login_hint: JSON.stringify({ format: "iss_sub", iss: tenant.issuer, sub: "auth0|nobody" }),
        binding_message: "Do you want to buy 1 XYZ phone",
      })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ error: "unknown_user_id", status: 400 });
  });
});
