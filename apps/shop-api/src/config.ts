import { existsSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  ConfigError,
  hideCredentials,
  SHOP_API_AUDIENCE,
  parseEnv,
  portSchema,
  refuseWith,
} from "@ciba-testbed/shared";
import { logLevelSchema } from "@ciba-testbed/shared/http";
import {
  isLoopbackAddress,
  listenHostSchema,
  resolveFromInvocation,
} from "@ciba-testbed/shared/node";
import type { LevelWithSilent } from "pino";
import { z } from "zod";

import {
  DEFAULT_POOL_SIZE,
  IN_MEMORY,
  MAX_POOL_SIZE,
  type DatabaseConfig,
} from "./store/database-config.js";
import { parseDatabaseUrl } from "./store/database-url.js";
import { DEFAULT_TOKEN_CACHE_SIZE } from "./verified-token-cache.js";

export interface ShopApiConfig {
  port: number;
  host: string;
  /** The exact `iss` of accepted tokens, e.g. `https://localhost:4010/` (trailing slash included). */
  issuer: string;
  audience: string;
  /** Refuse purchase tokens that carry no `product_purchase` authorization_details. */
  requireAuthorizationDetails: boolean;
  /** `SHOP_API_ADMIN_TOKEN`: when set, `GET /admin/orders` answers to this bearer token. */
  adminToken?: string | undefined;
  logLevel: LevelWithSilent;
  /** Where orders, idempotency keys, used approvals and stock live. */
  database: DatabaseConfig;
  /**
   * `SHOP_API_TOKEN_CACHE_SIZE`: how many verified access tokens are remembered
   * (`VerifiedTokenCache`); 0 verifies every request afresh. Unset: `DEFAULT_TOKEN_CACHE_SIZE`.
   */
  tokenCacheSize?: number | undefined;
  /**
   * `SHOP_API_SHORT_LIVED=true`: the shop lives for one test, demo or testbed, so its embedded
   * database's WebAssembly is compiled by V8's baseline compiler alone (see `serve`), and the
   * database gets a small shared memory (`database.shortLived`).
   */
  shortLived: boolean;
  /**
   * `SHOP_API_ISSUER_WAIT_MS`: how long a start that finds the issuer refusing connections tries
   * again before it exits (`checkIssuerWaiting`); unset or 0: it exits at once.
   */
  issuerWaitMs?: number | undefined;
}

export const DEFAULT_AUTH0_DOMAIN = "localhost:4010";
export const DEFAULT_PORT = 4020;
export const DEFAULT_HOST = "127.0.0.1";
/** The code's root: the repository's in a checkout, the package's `dist/` installed. */
const CODE_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The embedded database's folder unless SHOP_API_DATABASE says otherwise. In a checkout of the
 * repository (`codeRoot` holds its pnpm-workspace.yaml), `<repo>/.data/shop-api`, git-ignored.
 * Installed as a package, the code's root is inside node_modules, which an upgrade, `npm ci` or
 * `rm -rf node_modules` replaces: the database went with it, and with it the record of the
 * approvals already spent, which then bought again. So the user's data folder instead, as the
 * XDG Base Directory specification names it: `$XDG_DATA_HOME/ciba-testbed/shop-api` (an
 * absolute XDG_DATA_HOME; a relative one is ignored, as the specification says), else
 * `~/.local/share/ciba-testbed/shop-api`; on Windows under `%LOCALAPPDATA%`.
 */
export function defaultDatabaseDir(
  env: Readonly<Record<string, string | undefined>>,
  codeRoot: string = CODE_ROOT,
): string {
  if (existsSync(path.join(codeRoot, "pnpm-workspace.yaml"))) {
    return path.join(codeRoot, ".data", "shop-api");
  }
  return path.join(userDataDir(env), "ciba-testbed", "shop-api");
}

function userDataDir(env: Readonly<Record<string, string | undefined>>): string {
  // An empty variable counts as unset, as everywhere in the configuration.
  const set = (name: string) => {
    const value = env[name]?.trim();
    return value === "" ? undefined : value;
  };
  const home = set("HOME") ?? homedir();
  if (process.platform === "win32") {
    return set("LOCALAPPDATA") ?? path.join(set("USERPROFILE") ?? home, "AppData", "Local");
  }
  const xdg = set("XDG_DATA_HOME");
  return xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(home, ".local", "share");
}

/**
 * A bare `host[:port]`, as Auth0's SDKs take `AUTH0_DOMAIN`: no scheme, path or trailing slash.
 * An IPv6 address in brackets, as a URL writes it (a local tenant on `::1`: `[::1]:4010`).
 */
const BARE_DOMAIN =
  /^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Each variable the configuration reads, with what it does: `--help` lists these, and the schema
 * must have exactly these (`satisfies` below), so neither can name one the other lacks.
 */
export const VARIABLES = {
  AUTH0_DOMAIN: `the tenant, bare host[:port] (default ${DEFAULT_AUTH0_DOMAIN}); the issuer is https://<domain>/`,
  AUTH0_ISSUER_BASE_URL: "the exact issuer URL, when it is not https://<domain>/",
  SHOP_API_AUDIENCE: "the API identifier tokens must be issued for (default sample-shop-api)",
  SHOP_API_PORT: `port to listen on; 0 picks a free one (default ${DEFAULT_PORT})`,
  SHOP_API_HOST: `address to listen on, an IP address or a host name that resolves (default ${DEFAULT_HOST})`,
  SHOP_API_REQUIRE_AUTHORIZATION_DETAILS:
    "true (the default) refuses purchase tokens without product_purchase authorization_details; false also takes product:buy alone, for a tenant without Rich Authorization Requests",
  SHOP_API_ADMIN_TOKEN:
    "when set, GET /admin/orders?user=<sub> lists a person's orders for 'Authorization: Bearer <token>' (default: no such route)",
  SHOP_API_DATABASE:
    "the embedded database (PGlite): a folder, or :memory: (default: <repo>/.data/shop-api; installed: $XDG_DATA_HOME/ciba-testbed/shop-api, else ~/.local/share/ciba-testbed/shop-api)",
  SHOP_API_DATABASE_URL: "PostgreSQL instead, e.g. postgres://shop:secret@db:5432/shop",
  SHOP_API_DATABASE_POOL_SIZE: `with SHOP_API_DATABASE_URL, how many connections each shop-api process holds at most, 1 to ${String(MAX_POOL_SIZE)} (default ${String(DEFAULT_POOL_SIZE)})`,
  SHOP_API_TOKEN_CACHE_SIZE: `how many verified access tokens are remembered; 0 verifies every request afresh (default ${DEFAULT_TOKEN_CACHE_SIZE})`,
  LOG_LEVEL: "pino level or 'silent' (default info)",
  SHOP_API_SHORT_LIVED:
    "true for a shop that lives for a test or a demo: PGlite's WebAssembly gets V8's baseline compiler alone (default false)",
  SHOP_API_ISSUER_WAIT_MS:
    "at start, how long to keep trying an issuer that refuses connections (one that is starting) before exiting; other problems exit at once (default 0: exit at once)",
} as const;

const trueOrFalse = z
  .enum(["true", "false"], { errorMap: () => ({ message: "must be 'true' or 'false'" }) })
  .default("false");

const POOL_SIZE_RANGE = `must be a whole number of connections from 1 to ${String(MAX_POOL_SIZE)}`;

const ISSUER_WAIT_RANGE = "must be a whole number of milliseconds from 0 (no wait) to 600000";

// Empty and blank variables never reach the schema: `parseEnv` counts them as unset.
const envSchema = z.object({
  SHOP_API_PORT: portSchema.default(DEFAULT_PORT),
  SHOP_API_HOST: listenHostSchema(DEFAULT_HOST),
  AUTH0_DOMAIN: z
    .string()
    .regex(
      BARE_DOMAIN,
      "must be a bare host[:port] such as 'localhost:4010' or 'your-tenant.us.auth0.com' " +
        "(no https://, no path, no trailing slash); set AUTH0_ISSUER_BASE_URL for a full URL",
    )
    .default(DEFAULT_AUTH0_DOMAIN),
  AUTH0_ISSUER_BASE_URL: z.string().superRefine(refuseWith(issuerUrlProblem)).optional(),
  SHOP_API_AUDIENCE: z.string().trim().default(SHOP_API_AUDIENCE),
  // A scope alone says the person may buy, not what: only a token carrying the purchase the
  // person approved buys, unless the tenant cannot issue authorization_details (RAR).
  SHOP_API_REQUIRE_AUTHORIZATION_DETAILS: trueOrFalse.default("true"),
  SHOP_API_SHORT_LIVED: trueOrFalse,
  SHOP_API_ADMIN_TOKEN: z
    .string()
    .min(16, "must be at least 16 characters long (e.g. the output of `openssl rand -hex 32`)")
    // RFC 6750 section 2.1's b64token: what fits in a Bearer header as it is.
    .regex(/^[A-Za-z0-9\-._~+/]+=*$/, "may hold only A-Z a-z 0-9 - . _ ~ + / and trailing =")
    .optional(),
  LOG_LEVEL: logLevelSchema.default("info"),
  SHOP_API_DATABASE: z.string().optional(),
  // Checked by `databaseUrlProblem`, not here: a schema problem would echo the value, and a
  // URL that is not understood cannot be trusted to hide its password.
  SHOP_API_DATABASE_URL: z.string().optional(),
  SHOP_API_DATABASE_POOL_SIZE: z
    .string()
    .trim()
    .regex(/^\d{1,4}$/, POOL_SIZE_RANGE)
    .transform(Number)
    .refine((size) => size >= 1 && size <= MAX_POOL_SIZE, POOL_SIZE_RANGE)
    .optional(),
  SHOP_API_TOKEN_CACHE_SIZE: z
    .string()
    .trim()
    .regex(/^\d{1,7}$/, "must be a whole number from 0 (no cache) to 1000000")
    .transform(Number)
    .refine((size) => size <= 1_000_000, "must be a whole number from 0 (no cache) to 1000000")
    .default(String(DEFAULT_TOKEN_CACHE_SIZE)),
  SHOP_API_ISSUER_WAIT_MS: z
    .string()
    .trim()
    .regex(/^\d{1,6}$/, ISSUER_WAIT_RANGE)
    .transform(Number)
    .refine((ms) => ms <= 600_000, ISSUER_WAIT_RANGE)
    .default("0"),
} satisfies Record<keyof typeof VARIABLES, z.ZodTypeAny>);

function databaseUrlProblem(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const parsed = parseDatabaseUrl(value);
  if (parsed === undefined) {
    // A password typed with a "/", "?" or "#" cuts the URL there: what follows is no port.
    if (cutBefore(value) !== undefined) return UNENCODED_PASSWORD;
    if (severalHosts(authorityHost(value))) return SEVERAL_HOSTS;
    return "must be a PostgreSQL URL such as 'postgres://shop:secret@db.internal:5432/shop'";
  }
  const { url, host } = parsed;
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    return "must be a PostgreSQL URL: postgres:// or postgresql://";
  }
  // 'postgresql:shop:secret@db/shop' (or a backslash for a slash) has no host part: node-postgres
  // would connect to localhost:5432 and the user part is read as something else.
  if (!/^postgres(?:ql)?:\/\//iu.test(value.trim())) {
    return "must begin with postgres:// or postgresql:// (two slashes before the user and host), such as 'postgres://shop:secret@db.internal:5432/shop'";
  }
  if (cutBefore(value) === "user part") return UNENCODED_PASSWORD;
  const hostParameter = url.searchParams.get("host") ?? "";
  if (severalHosts(host) || severalHosts(hostParameter)) return SEVERAL_HOSTS;
  // libpq reads no host as its default Unix socket (/var/run/postgresql or /tmp, as it was
  // built); node-postgres knows no such folder, and connects to PGHOST or localhost:5432.
  if (host === "" && hostParameter === "" && (env.PGHOST?.trim() ?? "") === "") {
    return (
      "names no host, which libpq reads as its default Unix socket but node-postgres does " +
      "not (it would connect to localhost:5432 over TCP): name the socket's folder, " +
      "'postgresql:///shop?host=/var/run/postgresql' or " +
      "'postgresql://%2Fvar%2Frun%2Fpostgresql/shop', or a host, 'postgresql://localhost/shop'"
    );
  }
  for (const [name, value] of url.searchParams) {
    const problem = numericParameterProblem(name, value);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * A "/", "?" or "#" in a password not percent-encoded ends the URL's user part there, and the
 * rest of the password is read as the host, port, database, query or fragment (a password
 * `12/SECRET` made `shop` the host, 12 its port and `SECRET@db/shop` the database).
 */
const UNENCODED_PASSWORD =
  'has a "/", "?" or "#" before its last "@": a URL\'s user name and password end at the first ' +
  "of these, so one in the password must be percent-encoded (/ as %2F, ? as %3F, # as %23, " +
  "@ as %40), e.g. 'postgres://shop:p%40ss%2Fw%3Frd@db.internal:5432/shop'";

/**
 * Whether `value` has a "/", "?" or "#" before its last "@": "query value" when that "@" is a
 * query parameter's value (`?user=ops@example.com`: a "=" in its pair before it, and no "/"
 * after it in the pair), "user part" when it is not; undefined without either.
 */
function cutBefore(value: string): "user part" | "query value" | undefined {
  const slashes = value.indexOf("//");
  const rest = slashes === -1 ? value : value.slice(slashes + 2);
  const at = rest.lastIndexOf("@");
  if (at === -1 || !/[/?#]/u.test(rest.slice(0, at))) return undefined;
  const query = rest.indexOf("?");
  const fragment = rest.indexOf("#");
  if (query === -1 || query > at || (fragment !== -1 && fragment < at)) return "user part";
  const pairStart = Math.max(query, rest.lastIndexOf("&", at));
  const pairEnd = rest.slice(at).search(/[&#]/u);
  const after = pairEnd === -1 ? rest.slice(at) : rest.slice(at, at + pairEnd);
  // `?x=y@db/shop` is a password `12?x=y` cut at its "?": a host and path follow the "@".
  return rest.slice(pairStart, at).includes("=") && !after.includes("/")
    ? "query value"
    : "user part";
}

/**
 * libpq tries each of several hosts in turn (`postgresql://db1:5432,db2:5432/shop`, or
 * `?host=db1,db2`); node-postgres takes one.
 */
const SEVERAL_HOSTS =
  "names several hosts (host1:port1,host2:port2), which libpq tries in turn but node-postgres " +
  "cannot: name one, such as 'postgresql://db.internal:5432/shop' (the primary, or a proxy in " +
  "front of several)";

function severalHosts(host: string): boolean {
  return host.includes(",");
}

/** The host and port of a URL as typed, after its user part, whether or not it parses. */
function authorityHost(value: string): string {
  const afterSlashes = /^[^:/?#]*:\/\/([^/?#]*)/u.exec(value)?.[1] ?? "";
  return afterSlashes.slice(afterSlashes.lastIndexOf("@") + 1);
}

/**
 * The URL's query parameters that node-postgres reads as numbers, and their ranges: it reads
 * the timeouts with `parseInt` (`abc` became "NaN", which PostgreSQL refused at the first
 * connection, reported as an unreachable server; `5s`, which PostgreSQL itself would take as
 * 5 seconds, became 5 ms) and `query_timeout` as it is (`abc` times out every query at once).
 */
const MILLISECONDS =
  "a whole number of milliseconds, such as 5000 (node-postgres reads only its leading digits: " +
  "a unit, 5s, is not understood)";
const NUMERIC_URL_PARAMETERS: Readonly<Record<string, { what: string; max: number }>> = {
  statement_timeout: { what: MILLISECONDS, max: 2_147_483_647 },
  lock_timeout: { what: MILLISECONDS, max: 2_147_483_647 },
  idle_in_transaction_session_timeout: { what: MILLISECONDS, max: 2_147_483_647 },
  query_timeout: { what: MILLISECONDS, max: 2_147_483_647 },
  port: { what: "a port number from 1 to 65535", max: 65_535 },
};

/** What is wrong with one numeric query parameter of the URL, quoting it as written. */
function numericParameterProblem(name: string, value: string): string | undefined {
  const expected = NUMERIC_URL_PARAMETERS[name];
  if (expected === undefined) return undefined;
  const number = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  const least = name === "port" ? 1 : 0;
  if (number >= least && number <= expected.max) return undefined;
  const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
  return `has ${name}=${JSON.stringify(shown)}: it must be ${expected.what}`;
}

function issuerUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute URL such as 'https://your-tenant.us.auth0.com/'";
  }
  // The loopback addresses the tenant may listen on (MOCK_AUTH0_HOST): nothing leaves the machine.
  if (url.protocol === "http:" && !isLoopbackAddress(url.hostname)) {
    return "must use https (plain http is allowed only for a loopback address: localhost, 127.0.0.0/8 or [::1])";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must use https";
  if (url.username || url.password) return "must not contain a user name or password";
  if (url.search || url.hash) return "must not contain a query or fragment";
  return undefined;
}

/**
 * Builds the configuration from environment variables: an empty variable is unset, and every
 * problem is reported at once, each naming its variable, in one shared `ConfigError`.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ShopApiConfig {
  const problems: string[] = [];
  let vars: z.output<typeof envSchema> | undefined;
  try {
    vars = parseEnv(envSchema, env, { app: "shop-api" });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const url = env.SHOP_API_DATABASE_URL?.trim() ?? "";
  const urlProblem = url === "" ? undefined : databaseUrlProblem(url, env);
  if (urlProblem !== undefined) problems.push(`SHOP_API_DATABASE_URL ${urlProblem}`);
  const folder = env.SHOP_API_DATABASE?.trim() ?? "";
  if (looksLikeUrl(folder)) {
    problems.push(
      `SHOP_API_DATABASE is the embedded database's folder, not a URL (got ${JSON.stringify(hideCredentials(folder))}): ` +
        "for PostgreSQL set SHOP_API_DATABASE_URL instead",
    );
  } else if (url === "" && (env.SHOP_API_DATABASE_POOL_SIZE?.trim() ?? "") !== "") {
    problems.push(
      "SHOP_API_DATABASE_POOL_SIZE is the size of the pool of PostgreSQL connections, set with " +
        "SHOP_API_DATABASE_URL: the embedded database has one connection; unset it, or set " +
        "SHOP_API_DATABASE_URL",
    );
  } else if (url !== "" && folder !== "") {
    problems.push(
      "SHOP_API_DATABASE and SHOP_API_DATABASE_URL are both set: set SHOP_API_DATABASE for the " +
        "embedded database, or SHOP_API_DATABASE_URL for PostgreSQL, not both",
    );
  }
  if (vars === undefined || problems.length > 0) throw new ConfigError("shop-api", problems);
  const shortLived = vars.SHOP_API_SHORT_LIVED === "true";
  return {
    port: vars.SHOP_API_PORT,
    host: vars.SHOP_API_HOST,
    // The issuer is compared byte for byte with `iss`; Auth0's ends with a slash.
    issuer: vars.AUTH0_ISSUER_BASE_URL ?? `https://${vars.AUTH0_DOMAIN}/`,
    audience: vars.SHOP_API_AUDIENCE,
    requireAuthorizationDetails: vars.SHOP_API_REQUIRE_AUTHORIZATION_DETAILS === "true",
    adminToken: vars.SHOP_API_ADMIN_TOKEN,
    logLevel: vars.LOG_LEVEL,
    database: databaseOf(vars, env, shortLived),
    tokenCacheSize: vars.SHOP_API_TOKEN_CACHE_SIZE,
    shortLived,
    issuerWaitMs: vars.SHOP_API_ISSUER_WAIT_MS,
  };
}

/**
 * Whether a SHOP_API_DATABASE value is a URL, which would otherwise become a folder named after
 * it (`./postgres:/db/shop`, `./jdbc:postgresql:/db.internal:5432/shop`), silently embedded: a
 * scheme, or a chain of them (`jdbc:postgresql:`), followed by `//`; a chain of more than one
 * (`jdbc:sqlite:shop.db`); and PostgreSQL's scheme anywhere in the chain, however few slashes
 * follow it (`postgresql:/h/db`, `jdbc:postgresql:shop`). A folder whose name holds a ":" after
 * a "/" (`data/postgres:5432`), a drive letter (`C:/data`) and `:memory:` are no URL.
 */
function looksLikeUrl(value: string): boolean {
  const chain = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)+/.exec(value)?.[0];
  if (chain === undefined) return false;
  const schemes = chain.slice(0, -1).split(":");
  return (
    value.startsWith("//", chain.length) ||
    schemes.length > 1 ||
    schemes.some((scheme) => /^postgres/i.test(scheme))
  );
}

function databaseOf(
  vars: z.output<typeof envSchema>,
  env: Readonly<Record<string, string | undefined>>,
  shortLived: boolean,
): DatabaseConfig {
  if (vars.SHOP_API_DATABASE_URL !== undefined) {
    const poolSize = vars.SHOP_API_DATABASE_POOL_SIZE;
    return {
      kind: "postgres",
      url: vars.SHOP_API_DATABASE_URL.trim(),
      ...(poolSize === undefined ? {} : { poolSize }),
    };
  }
  const location = vars.SHOP_API_DATABASE?.trim();
  const lifetime = shortLived ? { shortLived: true } : {};
  if (location === IN_MEMORY) return { kind: "embedded", location, ...lifetime };
  return {
    kind: "embedded",
    ...lifetime,
    location:
      location === undefined ? defaultDatabaseDir(env) : resolveFromInvocation(location, env),
  };
}
