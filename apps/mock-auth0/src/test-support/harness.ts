import { CIBA_GRANT_TYPE, LOCAL_DEFAULTS } from "@ciba-testbed/shared";
import type { Express } from "express";
import request from "supertest";

import { createApp } from "../app.js";
import type { MockAuth0Config } from "../app.js";
import { PolicyApprover } from "../approver/approver.js";
import type { Decision } from "../backchannel/backchannel-request.js";
import { BackchannelStore } from "../backchannel/backchannel-store.js";
import { keepStoreCurrent } from "../backchannel/keep-current.js";
import { startMockAuth0 } from "../server.js";
import type { RunningMockAuth0 } from "../server.js";
import { SigningKeys } from "../signing-keys.js";
import { loadTenant, tenantWith } from "../tenant/load-tenant.js";
import type { TenantChanges } from "../tenant/load-tenant.js";
import type { Tenant } from "../tenant/tenant-model.js";
import { TickingClock } from "./ticking-clock.js";

export const ISSUER = `https://${LOCAL_DEFAULTS.auth0Domain}/`;
export const AGENT = { id: LOCAL_DEFAULTS.clientId, secret: LOCAL_DEFAULTS.clientSecret };
export const M2M = { id: "ciba-testbed-m2m", secret: "ciba-testbed-m2m-secret" };
export const USER = LOCAL_DEFAULTS.userId;

let sharedKeys: Promise<SigningKeys> | undefined;

/** RSA key generation is slow; tests that do not rotate keys share one set. */
export function testKeys(): Promise<SigningKeys> {
  sharedKeys ??= SigningKeys.create();
  return sharedKeys;
}

/** The repository's tenant over HTTPS on a free port of `host`, its certificates in `certDir`. */
export async function startRepositoryTenant(
  certDir: string,
  host = "127.0.0.1",
): Promise<RunningMockAuth0> {
  return startMockAuth0({ tenant: loadTenant(), port: 0, host, certDir, keys: await testKeys() });
}

export function loginHint(sub: string, iss = ISSUER): string {
  return JSON.stringify({ format: "iss_sub", iss, sub });
}

export interface Harness {
  app: Express;
  clock: TickingClock;
  store: BackchannelStore;
  approver: PolicyApprover;
  keys: SigningKeys;
  tenant: Tenant;
  /** `POST /bc-authorize` as the agent client, with valid defaults that `params` override. */
  bcAuthorize(params?: Record<string, string | undefined>): request.Test;
  /** `POST /oauth/token` with the CIBA grant as the agent client. */
  poll(authReqId: string, params?: Record<string, string>): request.Test;
  /** Approves or denies through the store, as the control API does, at the clock's time. */
  decide(authReqId: string, decision: Decision): ReturnType<BackchannelStore["decide"]>;
  /** Creates a request and returns its id. */
  start(params?: Record<string, string | undefined>): Promise<string>;
}

export const defaultAuthorizeParams = (): Record<string, string> => ({
  client_id: AGENT.id,
  client_secret: AGENT.secret,
  scope: "openid product:buy",
  audience: "sample-shop-api",
  login_hint: loginHint(USER),
  binding_message: "Do you want to buy 2 XYZ phones",
  requested_expiry: "300",
});

function withoutUndefined(params: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

type Json = Record<string, unknown>;

/** mock-auth0.json's `ciba` knobs, changed. */
export const withCiba = (ciba: Json): TenantChanges => ({
  settings: (settings) => ({ ...settings, ciba: { ...(settings.ciba as Json), ...ciba } }),
});

/** mock-auth0.json's tenant-wide `rateLimits`, changed. */
export const withRateLimits = (rateLimits: Json): TenantChanges => ({
  settings: (settings) => ({
    ...settings,
    rateLimits: { ...(settings.rateLimits as Json | undefined), ...rateLimits },
  }),
});

/** A change to one person of users.json, by `user_id` (without the `auth0|` prefix). */
export const withUser = (userId: string, change: (user: Json) => Json): TenantChanges => ({
  users: (users) => users.map((u) => (u.user_id === userId ? change(u) : u)),
});

/** The approver's default outcome, in its text form (`expire-after:1500`). */
export const withApprover = (outcome: string): TenantChanges => ({
  settings: (settings) => ({
    ...settings,
    approver: { ...(settings.approver as Json), default: outcome },
  }),
});

/** The changes one after the other. */
export const combine = (...all: TenantChanges[]): TenantChanges => ({
  assets: (assets) => all.reduce((a, c) => (c.assets ? c.assets(a) : a), assets),
  users: (users) => all.reduce((u, c) => (c.users ? c.users(u) : u), users),
  settings: (settings) => all.reduce((s, c) => (c.settings ? c.settings(s) : s), settings),
});

/** mock-auth0.json's CI shortcut: a login_hint that names a user logs them in with no page. */
export const withLoginHintLogin: TenantChanges = {
  settings: (settings) => ({
    ...settings,
    login: { ...(settings.login as Json | undefined), loginHintLogsIn: true },
  }),
};

/** A change to one Deploy CLI client of tenant.yaml, by name. */
export const withClientAsset = (name: string, change: (client: Json) => Json): TenantChanges => ({
  assets: (assets) => ({
    ...assets,
    clients: (assets.clients as Json[]).map((c) => (c.name === name ? change(c) : c)),
  }),
});

/** The credentials mock-auth0.json gives a client, by name. */
export const withCredentials = (
  name: string,
  credentials: { client_id: string; client_secret?: string },
): TenantChanges => ({
  settings: (settings) => ({
    ...settings,
    clients: { ...(settings.clients as Json), [name]: credentials },
  }),
});

/** Another client in tenant.yaml, with its credentials in mock-auth0.json. */
export const withExtraClient = (
  client: Json & { name: string },
  credentials: { client_id: string; client_secret?: string },
): TenantChanges =>
  combine(
    { assets: (assets) => ({ ...assets, clients: [...(assets.clients as Json[]), client] }) },
    withCredentials(client.name, credentials),
  );

/** A change to the shop API of tenant.yaml (`resourceServers[0]`). */
export const withShopApi = (change: (api: Json) => Json): TenantChanges => ({
  assets: (assets) => ({
    ...assets,
    resourceServers: (assets.resourceServers as Json[]).map((api, i) =>
      i === 0 ? change(api) : api,
    ),
  }),
});

/** The repository's tenant, changed by `changes` to its files, served by an app on a manual clock. */
export async function createHarness(
  changes: TenantChanges = {},
  options: Pick<MockAuth0Config, "controlToken" | "eventStreamLimits"> = {},
): Promise<Harness> {
  const tenant = tenantWith(changes);
  const clock = new TickingClock();
  const keys = await testKeys();
  const store = new BackchannelStore(tenant.ciba, clock);
  // Moving the manual clock applies what fell due, as the server's timer does in real time.
  keepStoreCurrent(store, clock, clock);
  const approver = new PolicyApprover(tenant.approver);
  const app = createApp(
    { issuer: ISSUER, tenant, ...options },
    { keys, clock, ticker: clock, store, approver },
  );

  const bcAuthorize = (params: Record<string, string | undefined> = {}) =>
    request(app)
      .post("/bc-authorize")
      .type("form")
      .send(withoutUndefined({ ...defaultAuthorizeParams(), ...params }));
  const poll = (authReqId: string, params: Record<string, string> = {}) =>
    request(app)
      .post("/oauth/token")
      .type("form")
      .send({
        client_id: AGENT.id,
        client_secret: AGENT.secret,
        grant_type: CIBA_GRANT_TYPE,
        auth_req_id: authReqId,
        ...params,
      });
  const start = async (params: Record<string, string | undefined> = {}) => {
    const response = await bcAuthorize(params).expect(200);
    return (response.body as { auth_req_id: string }).auth_req_id;
  };
  const decide = (authReqId: string, decision: Decision) =>
    store.decide(authReqId, decision, "control-api", clock.now());
  return { app, clock, store, approver, keys, tenant, bcAuthorize, poll, decide, start };
}
