/**
 * The bench's reference tenant: panva's node-oidc-provider (npm `oidc-provider`) with the CIBA
 * feature in poll mode, one client and one person, over HTTPS, tokens signed RS256 as
 * mock-auth0 signs them (a signed JWT access token for the API and an ID token). The bench
 * runs it with the same load as mock-auth0, to put mock-auth0's figures side by side with the
 * best open-source CIBA server's.
 *
 * Plain JavaScript, started as `node scripts/bench/oidc-provider-server.js`: nothing to build.
 * Configured by the environment (all set by scripts/bench/oidc-provider-side.ts):
 *   OIDC_BENCH_PORT         port on 127.0.0.1 (the issuer is https://localhost:<port>/)
 *   OIDC_BENCH_CERT_DIR     holds localhost.pem and localhost-key.pem (mock-auth0's layout)
 *   OIDC_BENCH_CLIENT_ID, OIDC_BENCH_CLIENT_SECRET, OIDC_BENCH_USER, OIDC_BENCH_RESOURCE
 *   OIDC_BENCH_APPROVE_AFTER_MS  each request is approved this long after it was made
 *                           (a negative value: never, the requests stay pending)
 *   OIDC_BENCH_EXPIRES_IN   seconds a request lives (default 300, as Auth0)
 * Once it listens it prints mock-auth0's ready record (one JSON line on stdout). SIGUSR2 prints
 * the memory in use after a full collection when started with --expose-gc, as the bench's
 * gc-on-signal does for mock-auth0.
 */
import { generateKeyPair } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import path from "node:path";
import { promisify } from "node:util";

import Provider from "oidc-provider";

const CIBA_GRANT_TYPE = "urn:openid:params:grant-type:ciba";

function required(name) {
  const value = process.env[name];
  if (value === undefined || value === "") {
    process.stderr.write(`oidc-provider-server: ${name} is not set\n`);
    process.exit(2);
  }
  return value;
}

const port = Number(required("OIDC_BENCH_PORT"));
const certDir = required("OIDC_BENCH_CERT_DIR");
const clientId = required("OIDC_BENCH_CLIENT_ID");
const clientSecret = required("OIDC_BENCH_CLIENT_SECRET");
const user = required("OIDC_BENCH_USER");
const resource = required("OIDC_BENCH_RESOURCE");
const approveAfterMs = Number(required("OIDC_BENCH_APPROVE_AFTER_MS"));
const expiresIn = Number(process.env.OIDC_BENCH_EXPIRES_IN || 300);
const issuer = `https://localhost:${port}/`;

/**
 * One RS256 key, kept in the certificate folder across starts as mock-auth0 keeps its keys
 * (MOCK_AUTH0_SIGNING_KEYS) and as a deployed provider is given its JWKS: made on the first
 * start only, so neither server's start includes making a key.
 */
async function signingKey() {
  const file = path.join(certDir, "oidc-provider-signing-key.json");
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
    const jwk = privateKey.export({ format: "jwk" });
    const partial = `${file}.${String(process.pid)}.partial`;
    writeFileSync(partial, JSON.stringify(jwk), { mode: 0o600 });
    renameSync(partial, file);
    return jwk;
  }
}
const signingJwk = { ...(await signingKey()), alg: "RS256", use: "sig" };

/** The `login_hint` the Auth0 SDK sends: `{"format":"iss_sub","iss":…,"sub":…}`. */
function subjectOf(loginHint) {
  try {
    const hint = JSON.parse(loginHint);
    return hint?.format === "iss_sub" && hint.sub === user ? hint.sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the provider keeps its state: every model in memory until it expires, like mock-auth0's
 * store. The package's own development adapter is an LRU of 1,000 entries, which drops pending
 * requests (`invalid_grant`) once a few hundred flows are in flight.
 */
const stored = new Map();
/** grantId -> keys of the models issued under it, for `revokeByGrantId`. */
const byGrant = new Map();
const epochSeconds = () => Math.floor(Date.now() / 1000);

class MemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : Infinity;
    stored.set(key, { payload, expiresAt });
    if (payload.grantId) {
      const keys = byGrant.get(payload.grantId) ?? new Set();
      keys.add(key);
      byGrant.set(payload.grantId, keys);
    }
    if (payload.userCode) stored.set(`userCode:${payload.userCode}`, { payload: id, expiresAt });
    if (payload.uid) stored.set(`uid:${payload.uid}`, { payload: id, expiresAt });
  }

  async find(id) {
    return live(this.key(id));
  }

  async findByUserCode(userCode) {
    const id = live(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUid(uid) {
    const id = live(`uid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const entry = live(this.key(id));
    if (entry) entry.consumed = epochSeconds();
  }

  async destroy(id) {
    stored.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of byGrant.get(grantId) ?? []) stored.delete(key);
    byGrant.delete(grantId);
  }
}

function live(key) {
  const entry = stored.get(key);
  if (entry === undefined) return undefined;
  if (entry.expiresAt <= Date.now()) {
    stored.delete(key);
    return undefined;
  }
  return entry.payload;
}

// Expired entries go once a second, as mock-auth0's store purges on its timer.
setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of stored) if (entry.expiresAt <= now) stored.delete(key);
  for (const [grantId, keys] of byGrant) {
    for (const key of keys) if (!stored.has(key)) keys.delete(key);
    if (keys.size === 0) byGrant.delete(grantId);
  }
}, 1_000).unref();

/** @type {Provider} */
let provider;

/** What mock-auth0's approver rule `approve-after:<ms>` does: approve once the time has come. */
function approveLater(request) {
  if (approveAfterMs < 0) return;
  const timer = setTimeout(() => {
    void (async () => {
      const grant = new provider.Grant({
        clientId: request.clientId,
        accountId: request.accountId,
      });
      grant.addOIDCScope("openid");
      grant.addResourceScope(resource, "product:buy");
      await grant.save();
      await provider.backchannelResult(request, grant);
    })().catch((error) => {
      process.stderr.write(`oidc-provider-server: approval failed: ${String(error)}\n`);
    });
  }, approveAfterMs);
  timer.unref();
}

provider = new Provider(issuer.slice(0, -1), {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: [CIBA_GRANT_TYPE],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: "client_secret_post",
      backchannel_token_delivery_mode: "poll",
      id_token_signed_response_alg: "RS256",
    },
  ],
  adapter: MemoryAdapter,
  jwks: { keys: [signingJwk] },
  // The same paths as Auth0's, so one client serves both tenants.
  routes: { token: "/oauth/token", backchannel_authentication: "/bc-authorize" },
  scopes: ["openid"],
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  ttl: {
    BackchannelAuthenticationRequest: expiresIn,
    AccessToken: 86_400,
    IdToken: 36_000,
    // No refresh tokens here: a grant is needed only until its request is answered.
    Grant: expiresIn,
  },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new Error(`unknown resource ${indicator}`);
        return {
          scope: "product:buy",
          audience: resource,
          accessTokenTTL: 86_400,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        };
      },
    },
    ciba: {
      enabled: true,
      deliveryModes: ["poll"],
      processLoginHint: (_ctx, loginHint) => subjectOf(loginHint),
      // No user_code, no request_context in this flow.
      verifyUserCode: () => undefined,
      validateRequestContext: () => undefined,
      // Auth0's rule: at most 64 characters.
      validateBindingMessage: (_ctx, message) => {
        if (message !== undefined && message.length > 64) {
          throw new Provider.errors.InvalidBindingMessage("binding_message is too long");
        }
      },
      triggerAuthenticationDevice: (_ctx, request) => {
        approveLater(request);
      },
    },
  },
});

process.on("SIGUSR2", () => {
  globalThis.gc?.();
  process.stderr.write(`${JSON.stringify({ benchMemoryAfterGc: process.memoryUsage() })}\n`);
});
process.on("SIGTERM", () => process.exit(0));

const tls = {
  cert: readFileSync(path.join(certDir, "localhost.pem")),
  key: readFileSync(path.join(certDir, "localhost-key.pem")),
};
const server = createServer(tls, provider.callback());
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(
    `${JSON.stringify({ ready: true, pid: process.pid, service: "oidc-provider", url: issuer, port, issuer })}\n`,
  );
});
