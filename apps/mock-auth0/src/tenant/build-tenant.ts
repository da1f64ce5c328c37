import { createHash } from "node:crypto";
import path from "node:path";

import { CIBA_GRANT_TYPE, CLIENT_CREDENTIALS_GRANT_TYPE } from "@ciba-testbed/shared";

import { policyProblems } from "../approver/policy-references.js";

import { MODELLED_PROPERTIES, modelledAssetsSchema } from "./deploy-cli-assets.js";
import type { ClientAsset, ModelledAssets, ResourceServerAsset } from "./deploy-cli-assets.js";
import { deployCliSchemaProblems } from "./deploy-cli-schema.js";
import { TenantFileError, formatPath, zodProblems } from "./problems.js";
import type { Problem } from "./problems.js";
import { settingsSchema } from "./settings-schema.js";
import type { Settings } from "./settings-schema.js";
import { assertionPublicKey, thumbprint } from "./assertion-keys.js";
import { refreshTokenPolicy } from "./refresh-token-policy.js";
import type {
  AssertionKey,
  ClientAuthentication,
  ClientGrant,
  Tenant,
  TenantApi,
  TenantClient,
  TenantUser,
} from "./tenant-model.js";
import { shownFrom } from "./tenant-sources.js";
import type { TenantSources } from "./tenant-sources.js";
import {
  MODELLED_USER_PROPERTIES,
  userFileProblems,
  userName,
  userNickname,
  userPicture,
  userSub,
} from "./users-file.js";
import type { ImportUser } from "./users-file.js";

export interface LoadedTenant {
  tenant: Tenant;
  /** The parts of the files mock-auth0 does not model, listed at start at debug level. */
  ignored: string[];
  /** What mock-auth0 assumed or made up (credentials derived from names), said at start. */
  notices: string[];
  /**
   * What is allowed but probably not meant (no users at all), and the settings of the files
   * that would make Auth0 answer differently from mock-auth0 (an API's RBAC, consent policy).
   */
  warnings: string[];
}

const CIBA_DOCS =
  "https://auth0.com/docs/get-started/applications/configure-client-initiated-backchannel-authentication";
const GRANT_TYPE_DOCS = "https://auth0.com/docs/get-started/applications/application-grant-types";

/** A Management API audience (`https://<tenant>/api/v2/`): Auth0's own API, in every tenant. */
const MANAGEMENT_API = /^https:\/\/[^/]+\/api\/v2\/$/;

/** Only reached when the tenant is refused anyway: a placeholder for a client with a bad setting. */
const NON_EXPIRING_REFRESH_TOKENS = {
  rotating: false,
  absoluteLifetimeSeconds: undefined,
  idleLifetimeSeconds: undefined,
  leewaySeconds: 0,
} as const;

const derived = (purpose: string, name: string, algorithm: "sha256" | "sha512") =>
  createHash(algorithm).update(`mock-auth0 ${purpose}\0${name}`);

/** Stable, obviously not secret: the same name gives the same credentials everywhere. */
export function derivedCredentials(name: string): { clientId: string; clientSecret: string } {
  return {
    clientId: derived("client_id", name, "sha256").digest("hex").slice(0, 32),
    clientSecret: derived("client_secret", name, "sha512").digest("base64url").slice(0, 64),
  };
}

/**
 * Auth0's defaults for a client that does not say (confidential-and-public-applications).
 * `client_authentication_methods` takes over from `token_endpoint_auth_method` (which the
 * Deploy CLI then sends as null): Private Key JWT, or mTLS, which mock-auth0 does not serve.
 */
function authenticationOf(client: ClientAsset): ClientAuthentication {
  const methods = client.client_authentication_methods;
  if (methods?.private_key_jwt) return "private_key_jwt";
  const method = client.token_endpoint_auth_method;
  if (method === "none") return "none";
  if (method === "client_secret_post" || method === "client_secret_basic") return "client_secret";
  if (method === null || methods) return "unsupported";
  return client.app_type === "spa" || client.app_type === "native" ? "none" : "client_secret";
}

/** The public keys of a Private Key JWT client, each checked; a credential without one is said. */
function assertionKeysOf(
  client: ClientAsset,
  at: (...rest: (string | number)[]) => (string | number)[],
  problems: ProblemList,
  notices: string[],
): AssertionKey[] {
  const credentials = client.client_authentication_methods?.private_key_jwt?.credentials ?? [];
  if (credentials.length === 0) {
    notices.push(
      `client ${JSON.stringify(client.name)}: private_key_jwt has no credentials, so it cannot authenticate`,
    );
  }
  const keys: AssertionKey[] = [];
  credentials.forEach((credential, j) => {
    const path = (...rest: string[]) =>
      at("client_authentication_methods", "private_key_jwt", "credentials", j, ...rest);
    const name = credential.name ?? `credential ${j}`;
    if (credential.pem === undefined) {
      notices.push(
        `client ${JSON.stringify(client.name)}: private_key_jwt credential ${JSON.stringify(name)} has no pem (an export never has one), so it cannot authenticate; add the public key, e.g. as an @@KEYWORD@@ from mock-auth0.json "keywords"`,
      );
      return;
    }
    const key = assertionPublicKey(credential.pem);
    if ("problem" in key) {
      problems.asset({ path: path("pem"), message: key.problem });
      return;
    }
    keys.push({
      name,
      alg: credential.alg ?? "RS256",
      publicKey: key,
      kid: thumbprint(key),
      expiresAt:
        credential.expires_at === undefined ? undefined : Date.parse(credential.expires_at),
    });
  });
  return keys;
}

/** The grant types Auth0 gives a new application that names none (application-grant-types). */
function defaultGrantTypes(authentication: ClientAuthentication): string[] {
  const grants = ["implicit", "authorization_code", "refresh_token"];
  return authentication === "none" ? grants : [...grants, CLIENT_CREDENTIALS_GRANT_TYPE];
}

/** Schemes no redirect may go to: script runs there, or nothing listens. */
const SCRIPT_OR_LOCAL_SCHEMES = new Set(["javascript:", "data:", "vbscript:", "file:", "blob:"]);

const isWebUrl = (value: string) =>
  URL.canParse(value) && ["http:", "https:"].includes(new URL(value).protocol);

const isUrl = (value: string) => {
  try {
    // Auth0 allows a wildcard in a subdomain; a URL with it still parses with `*` replaced.
    new URL(value.replace("*", "wildcard"));
    return true;
  } catch {
    return false;
  }
};

function duplicates(values: readonly string[]): string[] {
  return [...new Set(values.filter((value, index) => values.indexOf(value) !== index))];
}

class ProblemList {
  readonly lines: string[] = [];
  private readonly shown: (file: string) => string;

  constructor(private readonly sources: TenantSources) {
    this.shown = shownFrom(sources.location.shownFrom);
  }

  /** A problem in the Deploy CLI assets, named by its file (one per asset in a directory). */
  asset(problem: Problem): void {
    const [kind, index, ...rest] = problem.path;
    const files = typeof kind === "string" ? this.sources.assetFiles[kind] : undefined;
    if (this.sources.format === "directory" && files) {
      const file =
        kind === "tenant" ? files[0] : typeof index === "number" ? files[index] : undefined;
      if (file !== undefined) {
        const inner = kind === "tenant" ? problem.path.slice(1) : rest;
        this.lines.push(
          `${this.shown(file)}: ${formatPath(inner) || "(the file)"}: ${problem.message}`,
        );
        return;
      }
    }
    const where = formatPath(problem.path) || "(the file)";
    this.lines.push(`${this.shown(this.sources.location.tenant)}: ${where}: ${problem.message}`);
  }

  users(problem: Problem): void {
    const where = formatPath(problem.path) || "(the file)";
    this.lines.push(`${this.shown(this.sources.location.users)}: ${where}: ${problem.message}`);
  }

  /** A problem in mock-auth0.json, or in the settings it extends (merged before they are checked). */
  settings(problem: Problem): void {
    const [file = this.sources.location.settings, ...bases] = this.sources.settingsFiles;
    const extended = bases.length > 0 ? ` (with ${bases.map(this.shown).join(", ")})` : "";
    const where = formatPath(problem.path) || "(the file)";
    this.lines.push(`${this.shown(file)}${extended}: ${where}: ${problem.message}`);
  }

  throwIfAny(): void {
    if (this.lines.length > 0) throw new TenantFileError(this.lines);
  }
}

function ignoredProperties(
  kind: keyof typeof MODELLED_PROPERTIES,
  items: readonly Record<string, unknown>[] | null | undefined,
): string[] {
  const modelled: readonly string[] = MODELLED_PROPERTIES[kind];
  return (items ?? []).flatMap((item, i) => {
    const extra = Object.keys(item).filter((key) => !modelled.includes(key));
    const label = typeof item.name === "string" ? ` (${JSON.stringify(item.name)})` : "";
    return extra.length > 0 ? [`${kind}[${i}]${label}: ${extra.join(", ")}`] : [];
  });
}

function mapApi(server: ResourceServerAsset): TenantApi {
  return {
    identifier: server.identifier,
    name: server.name,
    scopes: (server.scopes ?? []).map((scope) => scope.value),
    authorizationDetailsTypes: (server.authorization_details ?? []).map((detail) => detail.type),
    // Auth0's default access token lifetime (24 h).
    tokenLifetimeSeconds: server.token_lifetime ?? 86_400,
    // A new API does not allow offline access (api-settings).
    allowOfflineAccess: server.allow_offline_access ?? false,
    // Auth0's defaults for a new API (api-access-policies-for-applications).
    userPolicy: server.subject_type_authorization?.user?.policy ?? "allow_all",
    clientPolicy: server.subject_type_authorization?.client?.policy ?? "require_client_grant",
    // Auth0's default profile unless the API asks for RFC 9068's (access-token-profiles).
    accessTokenProfile: server.token_dialect?.startsWith("rfc9068_profile") ? "rfc9068" : "auth0",
  };
}

const RBAC_DOCS =
  "https://auth0.com/docs/get-started/apis/enable-role-based-access-control-for-apis";
const RAR_DOCS = "https://auth0.com/docs/get-started/apis/configure-rich-authorization-requests";

/**
 * What an API's settings would make Auth0 answer that mock-auth0 does not: one warning each,
 * saying the difference and the way out. mock-auth0 has no roles, so RBAC cannot be modelled.
 */
function unmodelledApiWarnings(server: ResourceServerAsset): string[] {
  const api = `API ${JSON.stringify(server.name)} (${server.identifier})`;
  const warnings: string[] = [];
  if (server.enforce_policies === true) {
    warnings.push(
      `${api}: enforce_policies (RBAC) is not modelled: Auth0 would grant only the scopes the person's roles give; mock-auth0 grants every scope asked for. Test what depends on roles against a real tenant, or set enforce_policies: false (${RBAC_DOCS}).`,
    );
  }
  const dialect = server.token_dialect;
  if (dialect?.endsWith("_authz") === true) {
    warnings.push(
      `${api}: token_dialect ${dialect} is served as ${dialect.replace(/_authz$/, "")}: Auth0 would add a permissions claim with the permissions of the person's roles; mock-auth0 adds none. Authorize on the scope claim, or test permissions against a real tenant (${RBAC_DOCS}).`,
    );
  }
  if (server.consent_policy === "transactional-authorization-with-mfa") {
    warnings.push(
      `${api}: consent_policy transactional-authorization-with-mfa is not modelled: Auth0 does not support CIBA for an API with this consent policy; mock-auth0 serves CIBA for it as usual. Remove consent_policy from an API that CIBA clients use (${RAR_DOCS}).`,
    );
  }
  return warnings;
}

interface MappedClients {
  clients: TenantClient[];
  notices: string[];
}

function mapClients(
  assets: ModelledAssets,
  settings: Settings,
  apis: ReadonlyMap<string, TenantApi>,
  problems: ProblemList,
): MappedClients {
  const assetClients = assets.clients ?? [];
  const notices: string[] = [];
  for (const name of duplicates(assetClients.map((c) => c.name))) {
    problems.asset({
      path: ["clients"],
      message: `two clients are named ${JSON.stringify(name)}: the Deploy CLI tells clients apart by name`,
    });
  }
  for (const name of Object.keys(settings.clients)) {
    if (!assetClients.some((c) => c.name === name)) {
      problems.settings({
        path: ["clients", name],
        message: `the tenant has no client named ${JSON.stringify(name)}`,
      });
    }
  }

  const clients = assetClients.map((client, i): TenantClient & { grants: ClientGrant[] } => {
    const authentication = authenticationOf(client);
    const grantTypes = client.grant_types ?? defaultGrantTypes(authentication);
    const at = (...rest: (string | number)[]) => ["clients", i, ...rest];
    if (grantTypes.includes(CIBA_GRANT_TYPE)) {
      if (authentication === "none") {
        problems.asset({
          path: at("grant_types"),
          message: `the CIBA grant needs a confidential client: token_endpoint_auth_method must not be none (${CIBA_DOCS})`,
        });
      }
      if (client.is_first_party === false) {
        problems.asset({
          path: at("is_first_party"),
          message: `the CIBA grant needs a first-party client (${CIBA_DOCS})`,
        });
      }
      if (client.oidc_conformant === false) {
        problems.asset({
          path: at("oidc_conformant"),
          message: `the CIBA grant needs an OIDC-conformant client (${CIBA_DOCS})`,
        });
      }
    }
    if (grantTypes.includes(CLIENT_CREDENTIALS_GRANT_TYPE) && authentication === "none") {
      problems.asset({
        path: at("grant_types"),
        message: `a public client (token_endpoint_auth_method none) cannot use client_credentials (${GRANT_TYPE_DOCS})`,
      });
    }
    for (const field of ["callbacks", "allowed_logout_urls"] as const) {
      (client[field] ?? []).forEach((url, j) => {
        if (!isUrl(url)) {
          problems.asset({ path: at(field, j), message: `${JSON.stringify(url)} is not a URL` });
        } else if (SCRIPT_OR_LOCAL_SCHEMES.has(new URL(url).protocol)) {
          // A code or a logout sent there would run as script, or go nowhere a client listens.
          problems.asset({
            path: at(field, j),
            message: `${JSON.stringify(url)}: a ${new URL(url).protocol} URL cannot receive a redirect; use an http(s) URL or a native app's custom scheme`,
          });
        }
      });
    }
    // Auth0 wants https and no localhost here; a local tenant serves local applications.
    if (client.initiate_login_uri !== undefined && !isWebUrl(client.initiate_login_uri)) {
      problems.asset({
        path: at("initiate_login_uri"),
        message: `${JSON.stringify(client.initiate_login_uri)} is not an http or https URL`,
      });
    }

    const assertionKeys =
      authentication === "private_key_jwt" ? assertionKeysOf(client, at, problems, notices) : [];
    const refresh = refreshTokenPolicy(client.refresh_token);
    if ("problem" in refresh) {
      problems.asset({
        path: at("refresh_token", ...refresh.problem.path),
        message: refresh.problem.message,
      });
    }

    const configured = settings.clients[client.name];
    const fallback = derivedCredentials(client.name);
    const clientId = configured?.client_id ?? client.client_id ?? fallback.clientId;
    let clientSecret: string | undefined;
    if (authentication === "client_secret") {
      clientSecret = configured?.client_secret ?? client.client_secret ?? fallback.clientSecret;
      if (configured?.client_secret === undefined && client.client_secret === undefined) {
        const id = configured?.client_id ?? client.client_id;
        notices.push(
          `client ${JSON.stringify(client.name)}: ${id === undefined ? `client_id ${clientId}, ` : ""}client_secret ${clientSecret} (derived from its name; set them in mock-auth0.json "clients")`,
        );
      }
    } else if (configured?.client_secret !== undefined) {
      problems.settings({
        path: ["clients", client.name, "client_secret"],
        message: `${JSON.stringify(client.name)} does not authenticate with a client secret (token_endpoint_auth_method ${client.token_endpoint_auth_method ?? "unset"}${authentication === "none" ? "" : ", client_authentication_methods"})`,
      });
    } else if (configured === undefined && client.client_id === undefined) {
      notices.push(
        `client ${JSON.stringify(client.name)}: client_id ${clientId} (derived from its name)`,
      );
    }
    return {
      clientId,
      clientSecret,
      authentication,
      assertionKeys,
      name: client.name,
      grantTypes,
      // Before Auth0 added e-mail, CIBA notified by push only: a client that names no channel.
      notificationChannels: client.async_approval_notification_channels ?? ["guardian-push"],
      clientGrants: [],
      appType: client.app_type,
      callbacks: client.callbacks ?? [],
      allowedLogoutUrls: client.allowed_logout_urls ?? [],
      initiateLoginUri: client.initiate_login_uri,
      isFirstParty: client.is_first_party ?? true,
      refreshToken: "policy" in refresh ? refresh.policy : NON_EXPIRING_REFRESH_TOKENS,
      grants: [],
    };
  });

  for (const id of duplicates(clients.map((c) => c.clientId))) {
    problems.asset({ path: ["clients"], message: `two clients have the client_id ${id}` });
  }

  (assets.clientGrants ?? []).forEach((grant, i) => {
    const at = (...rest: (string | number)[]) => ["clientGrants", i, ...rest];
    // The Deploy CLI names a grant's client by its name, or by its client_id.
    const client =
      clients.find((c) => c.name === grant.client_id) ??
      clients.find((c) => c.clientId === grant.client_id);
    if (!client) {
      problems.asset({
        path: at("client_id"),
        message: `no client is named ${JSON.stringify(grant.client_id)} (a grant names its client by name)`,
      });
      return;
    }
    const api = apis.get(grant.audience);
    if (!api) {
      if (MANAGEMENT_API.test(grant.audience)) return;
      problems.asset({
        path: at("audience"),
        message: `no API (resourceServers) has the identifier ${JSON.stringify(grant.audience)}`,
      });
      return;
    }
    (grant.scope ?? []).forEach((scope, j) => {
      if (!api.scopes.includes(scope)) {
        problems.asset({
          path: at("scope", j),
          message: `scope ${JSON.stringify(scope)} is not defined on API ${api.identifier}`,
        });
      }
    });
    (grant.authorization_details_types ?? []).forEach((type, j) => {
      if (!api.authorizationDetailsTypes.includes(type)) {
        problems.asset({
          path: at("authorization_details_types", j),
          message: `authorization_details type ${JSON.stringify(type)} is not registered on API ${api.identifier}`,
        });
      }
    });
    client.grants.push({
      audience: api.identifier,
      subjectType: grant.subject_type ?? "client",
      scopes: grant.scope ?? [],
      allowAllScopes: grant.allow_all_scopes ?? false,
      authorizationDetailsTypes: grant.authorization_details_types ?? [],
    });
  });

  return {
    clients: clients.map(({ grants, ...client }) => ({ ...client, clientGrants: grants })),
    notices,
  };
}

function mapUsers(
  users: readonly ImportUser[],
  settings: Settings,
  problems: ProblemList,
): TenantUser[] {
  const subs = users.map(userSub);
  subs.forEach((sub, i) => {
    if (subs.indexOf(sub) !== i) {
      problems.users({ path: [i, "user_id"], message: `a second user with the id ${sub}` });
    }
  });
  const enrolled = settings.guardian.pushEnrolled;
  if (enrolled !== "all") {
    enrolled.forEach((sub, i) => {
      if (!subs.includes(sub)) {
        problems.settings({
          path: ["guardian", "pushEnrolled", i],
          message: `no user has the id ${JSON.stringify(sub)} (ids are auth0|<user_id>)`,
        });
      }
    });
  }
  const autoSelect = settings.login.autoSelectUser;
  if (autoSelect !== null && !subs.includes(autoSelect)) {
    problems.settings({
      path: ["login", "autoSelectUser"],
      message: `no user has the id ${JSON.stringify(autoSelect)} (ids are auth0|<user_id>)`,
    });
  }
  return users.map((user, i) => ({
    sub: subs[i] ?? userSub(user),
    name: userName(user),
    nickname: userNickname(user),
    picture: userPicture(user),
    givenName: user.given_name,
    familyName: user.family_name,
    email: user.email,
    emailVerified: user.email_verified ?? false,
    passwordHash: user.password_hash,
    pushEnrolled: enrolled === "all" || enrolled.includes(subs[i] ?? ""),
  }));
}

/**
 * Validates what `readTenantSources` read, against the Deploy CLI's schema, Auth0's user
 * import schema, mock-auth0's stricter checks of what it models and mock-auth0.json's schema,
 * and maps it onto the tenant the handlers serve. Every problem is reported at once, each
 * named by its file and its path in it.
 */
export function buildTenant(
  sources: TenantSources,
  options: { rememberAccepted?: boolean } = {},
): LoadedTenant {
  const problems = new ProblemList(sources);
  const parsedSettings = settingsSchema.safeParse(sources.settings);
  if (!parsedSettings.success) {
    for (const problem of zodProblems(parsedSettings.error.issues)) problems.settings(problem);
  }
  const schemaProblems = deployCliSchemaProblems(sources.assets, options.rememberAccepted);
  for (const problem of schemaProblems) problems.asset(problem);
  const parsedAssets = modelledAssetsSchema.safeParse(sources.assets);
  if (!parsedAssets.success) {
    // Where both schemas object to the same value, the Deploy CLI's word is enough.
    const reported = new Set(schemaProblems.map((p) => formatPath(p.path)));
    for (const problem of zodProblems(parsedAssets.error.issues)) {
      if (!reported.has(formatPath(problem.path))) problems.asset(problem);
    }
  }
  if (sources.users !== undefined) {
    for (const problem of userFileProblems(sources.users, options.rememberAccepted)) {
      problems.users(problem);
    }
  }
  problems.throwIfAny();
  if (!parsedSettings.success || !parsedAssets.success) throw new Error("unreachable");
  const settings = parsedSettings.data;
  const assets = parsedAssets.data;

  const servers = assets.resourceServers ?? [];
  for (const id of duplicates(servers.map((s) => s.identifier))) {
    problems.asset({ path: ["resourceServers"], message: `two APIs have the identifier ${id}` });
  }
  const apiList = servers.map(mapApi);
  const apis = new Map(apiList.map((api) => [api.identifier, api]));
  const { clients, notices } = mapClients(assets, settings, apis, problems);
  const importUsers = (sources.users ?? []) as ImportUser[];
  const users = mapUsers(importUsers, settings, problems);
  const referents = {
    user: users.map((user) => user.sub),
    clientId: clients.map((client) => client.clientId),
    audience: apiList.map((api) => api.identifier),
  };
  for (const problem of policyProblems(settings.approver, referents)) {
    problems.settings({ path: ["approver", ...problem.path], message: problem.message });
  }
  problems.throwIfAny();

  const pushFactor = assets.guardianFactors?.find((f) => f.name === "push-notification");
  if (pushFactor?.enabled === undefined) {
    notices.push(
      "guardianFactors does not say whether push-notification is enabled: mock-auth0 treats Guardian push as enabled",
    );
  }
  const shown = shownFrom(sources.location.shownFrom);
  const warnings: string[] = [];
  if (sources.users === undefined) {
    warnings.push(
      `no users file (${shown(sources.location.users)}): every /bc-authorize answers unknown_user_id. Add one in Auth0's bulk user import format, or name it with MOCK_AUTH0_USERS.`,
    );
  }
  for (const server of servers) warnings.push(...unmodelledApiWarnings(server));
  if (sources.settingsFiles.length === 0) {
    notices.push(
      `no settings file (${shown(sources.location.settings)}): mock-auth0.json's defaults apply`,
    );
  }

  const modelledTopLevel = new Set(Object.keys(MODELLED_PROPERTIES));
  const ignored = [
    ...(sources.format === "directory"
      ? sources.unreadEntries.map((entry) => `${entry} (not read)`)
      : Object.keys(sources.assets)
          .filter((key) => !modelledTopLevel.has(key))
          .map((key) => `${key} (not modelled)`)),
    ...ignoredProperties("clients", assets.clients),
    ...ignoredProperties("resourceServers", assets.resourceServers),
    ...ignoredProperties("clientGrants", assets.clientGrants),
    ...ignoredProperties("guardianFactors", assets.guardianFactors),
    ...(assets.tenant ? ignoredProperties("tenant", [assets.tenant]) : []),
    ...(assets.clientGrants ?? []).flatMap((grant, i) =>
      MANAGEMENT_API.test(grant.audience)
        ? [`clientGrants[${i}]: a grant for the Management API`]
        : [],
    ),
    ...importUsers.flatMap((user, i) => {
      const extra = Object.keys(user).filter((key) => !MODELLED_USER_PROPERTIES.includes(key));
      return extra.length > 0
        ? [`${path.basename(sources.location.users)}[${i}]: ${extra.join(", ")}`]
        : [];
    }),
  ];

  return {
    tenant: {
      name:
        settings.name ??
        assets.tenant?.friendly_name ??
        path.basename(
          sources.format === "directory"
            ? sources.location.tenant
            : path.dirname(sources.location.tenant),
        ),
      clients,
      users,
      apis: apiList,
      guardianPushEnabled: pushFactor?.enabled ?? true,
      resourceParameterProfile: assets.tenant?.resource_parameter_profile ?? "audience",
      ciba: settings.ciba,
      login: settings.login,
      rateLimits: settings.rateLimits,
      bruteForce: settings.attackProtection.bruteForceProtection,
      approver: settings.approver,
      keywords: Object.entries(settings.keywords).map(([name, value]) => ({
        name,
        value,
        file: sources.keywordFiles[name] ?? sources.settingsFiles[0] ?? sources.location.settings,
      })),
    },
    ignored,
    notices,
    warnings,
  };
}
