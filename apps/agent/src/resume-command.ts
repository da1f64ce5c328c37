import path from "node:path";

import { isLocalDomain, loadConfig, type AgentConfig } from "./config.js";
import { listed } from "./listed.js";

/** A value as a POSIX shell reads it back: bare when no character of it is special there. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The settings of `config` that a resume reads and that differ from the defaults, as the
 * variables that set them (an option's, `--user`, as its variable): what a shell that has none
 * of this run's environment needs to resume its thread. `secret` names those whose value is a
 * secret, which is never written out.
 */
function resumeSettings(config: AgentConfig): { set: [string, string][]; secret: string[] } {
  const defaults = loadConfig({});
  const set: [string, string][] = [];
  const secret: string[] = [];
  const differs = (name: string, value: string | undefined, otherwise: string | undefined) => {
    if (value !== undefined && value !== otherwise) set.push([name, value]);
  };
  const { store } = config;
  if (store.kind === "redis") {
    if (store.redis.hasPassword) secret.push("AGENT_STORE");
    else set.push(["AGENT_STORE", store.redis.url]);
  } else if (defaults.store.kind === "file") {
    differs("AGENT_STORE", store.dir, defaults.store.dir);
  }
  differs("AUTH0_DOMAIN", config.auth0.domain, defaults.auth0.domain);
  differs("AUTH0_CLIENT_ID", config.auth0.clientId, defaults.auth0.clientId);
  if (config.auth0.clientSecret !== defaults.auth0.clientSecret) secret.push("AUTH0_CLIENT_SECRET");
  differs("AGENT_USER_ID", config.userId, defaults.userId);
  differs("SHOP_API_AUDIENCE", config.audience, defaults.audience);
  differs("SHOP_API_URL", config.shopApiUrl, defaults.shopApiUrl);
  differs("SHOP_CATALOG_URL", config.catalogUrl, new URL("products", config.shopApiUrl).href);
  differs(
    "AGENT_REQUESTED_EXPIRY",
    String(config.requestedExpiry),
    String(defaults.requestedExpiry),
  );
  differs("AGENT_AUTHORIZATION_DETAILS", String(config.authorizationDetails), "true");
  const { model } = config;
  if (model.kind === "openai") {
    secret.push("OPENAI_API_KEY");
    differs("OPENAI_BASE_URL", model.baseURL, undefined);
    differs("OPENAI_API", model.api, model.baseURL === undefined ? "responses" : "chat");
    differs("AGENT_MODEL", model.name, "gpt-4o-mini");
  }
  differs(
    "MOCK_AUTH0_CERT_DIR",
    path.dirname(config.localCaFile),
    path.dirname(defaults.localCaFile),
  );
  // The local tenant's CA is trusted by the agent itself; another tenant's must be named.
  if (!isLocalDomain(config.auth0.domain))
    differs("NODE_EXTRA_CA_CERTS", config.extraCaCerts, undefined);
  return { set, secret };
}

/**
 * The command that resumes a thread of a run with `config`, written so that it works when
 * copied into another shell: `pnpm agent resume <thread>` after each setting that differs from
 * the defaults (`AGENT_STORE=redis://redis.internal:6379/0 pnpm agent resume thr-1`), and, for a
 * setting that is a secret (a client secret, an OpenAI key, a Redis URL with a password), its
 * variable's name alone, to be set as for this run.
 */
export function resumeCommand(config: AgentConfig): (threadId: string) => string {
  const { set, secret } = resumeSettings(config);
  const assignments = set.map(([name, value]) => `${name}=${shellWord(value)}`);
  const alsoSet =
    secret.length === 0
      ? ""
      : ` (with ${listed(secret)} set as for this run: ${secret.length === 1 ? "it is a secret" : "they are secrets"}, never shown)`;
  return (threadId) =>
    `${[...assignments, "pnpm agent resume", shellWord(threadId)].join(" ")}${alsoSet}`;
}
