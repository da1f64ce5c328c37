import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  ConfigError,
  LOCAL_DEFAULTS,
  MAX_REQUESTED_EXPIRY_SECONDS,
  parseEnv,
  refuseWith,
  SHOP_API_AUDIENCE,
} from "@ciba-testbed/shared";
import { isLoopbackHost, localCaFile, resolveFromInvocation } from "@ciba-testbed/shared/node";
import { parse as parseDotenv } from "dotenv";
import { z } from "zod";

import { configFix } from "./config-fix.js";
import { BARE_HOST, httpUrl } from "./http-url.js";
import { parseRedisUrl, REDIS_URL_EXAMPLE, type RedisLocation } from "./redis-url.js";
import { isStoreUrl } from "./store-url.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

const DEFAULT_SHOP_API_URL = `http://localhost:${LOCAL_DEFAULTS.shopApiPort}/api/purchases`;
const DEFAULT_SHOP_CATALOG_URL = `http://localhost:${LOCAL_DEFAULTS.shopApiPort}/api/products`;

const OPENAI_API_URL = "https://api.openai.com/v1";

/** What each URL variable's errors and fixes show as the way to write it. */
const URL_EXAMPLES: Readonly<Record<string, string>> = {
  SHOP_API_URL: DEFAULT_SHOP_API_URL,
  SHOP_CATALOG_URL: DEFAULT_SHOP_CATALOG_URL,
  OPENAI_BASE_URL: OPENAI_API_URL,
};

/**
 * Why a key cannot go in an Authorization header, if it cannot: fetch refuses a header with a
 * line break or NUL, or a character above U+00FF, and its error quoted the whole header, the key
 * with it. Only where it is is said, never the key.
 */
function apiKeyProblem(key: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- NUL is one of the characters fetch refuses.
  const found = /[\0\r\n]|[^\u0000-\u00ff]/u.exec(key);
  if (found === null) return undefined;
  const [char] = found;
  const code = (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
  const what = /[\r\n]/.test(char)
    ? "a line break"
    : char === "\0"
      ? "a NUL character"
      : `a character no HTTP header can carry (U+${code})`;
  return `holds ${what} at character ${String(found.index + 1)}, which fetch cannot send: it was copied with something else`;
}

export const AGENT_MODES = ["block", "interrupt"] as const;
export type AgentMode = (typeof AGENT_MODES)[number];

const envSchema = z
  .object({
    AUTH0_DOMAIN: z
      .string()
      .trim()
      .regex(
        BARE_HOST,
        "must be a bare host[:port] such as your-tenant.us.auth0.com or localhost:4010 (no https://, no path)",
      )
      .default(LOCAL_DEFAULTS.auth0Domain),
    AUTH0_CLIENT_ID: z.string().trim().optional(),
    AUTH0_CLIENT_SECRET: z.string().trim().optional(),
    AGENT_USER_ID: z.string().trim().default(LOCAL_DEFAULTS.userId),
    SHOP_API_AUDIENCE: z.string().trim().default(SHOP_API_AUDIENCE),
    SHOP_API_URL: httpUrl(DEFAULT_SHOP_API_URL).default(DEFAULT_SHOP_API_URL),
    SHOP_CATALOG_URL: httpUrl(DEFAULT_SHOP_CATALOG_URL).optional(),
    AGENT_MODE: z
      .enum(AGENT_MODES, { errorMap: () => ({ message: "must be block or interrupt" }) })
      .default("block"),
    AGENT_REQUESTED_EXPIRY: z.coerce
      .number({ invalid_type_error: "must be a number of seconds" })
      .int("must be a whole number of seconds")
      .min(1, "must be at least 1 second")
      .max(MAX_REQUESTED_EXPIRY_SECONDS, `must be at most ${MAX_REQUESTED_EXPIRY_SECONDS} seconds`)
      .default(300),
    AGENT_AUTHORIZATION_DETAILS: z
      .enum(["true", "false"], { errorMap: () => ({ message: "must be 'true' or 'false'" }) })
      .default("true"),
    AGENT_STORE: z
      .string()
      .trim()
      .transform((value, ctx): string | RedisLocation => {
        if (!isStoreUrl(value)) return value;
        const parsed = parseRedisUrl(value);
        if ("problem" in parsed) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed.problem });
          return z.NEVER;
        }
        return parsed;
      })
      .optional(),
    OPENAI_API_KEY: z.string().trim().superRefine(refuseWith(apiKeyProblem)).optional(),
    OPENAI_BASE_URL: httpUrl(OPENAI_API_URL).optional(),
    OPENAI_API: z
      .enum(["responses", "chat"], { errorMap: () => ({ message: "must be responses or chat" }) })
      .optional(),
    AGENT_MODEL: z.string().trim().default("gpt-4o-mini"),
    NODE_EXTRA_CA_CERTS: z.string().trim().optional(),
  })
  .superRefine((env, ctx) => {
    // A domain that is not one (a typo, https:// in front) is reported alone: its fix may make
    // it the local tenant, which needs no credentials.
    if (!BARE_HOST.test(env.AUTH0_DOMAIN) || isLocalDomain(env.AUTH0_DOMAIN)) return;
    for (const name of ["AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET"] as const) {
      if (env[name] === undefined) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [name],
          message: `is required for the tenant ${env.AUTH0_DOMAIN}: copy it from the application's settings in the Auth0 dashboard`,
        });
      }
    }
  });

export type StoreLocation = { kind: "file"; dir: string } | { kind: "redis"; redis: RedisLocation };

export interface AgentConfig {
  auth0: { domain: string; clientId: string; clientSecret: string };
  userId: string;
  audience: string;
  shopApiUrl: string;
  /** Prices for the consent's maximum_amount when the person gave no limit. */
  catalogUrl: string;
  mode: AgentMode;
  requestedExpiry: number;
  /**
   * Whether `/bc-authorize` carries the purchase as `authorization_details` (RAR). `false`
   * (AGENT_AUTHORIZATION_DETAILS) sends the binding message and the scope alone, for a tenant
   * without Rich Authorization Requests or the Auth0 Guardian app, whose shop then takes tokens
   * with the scope alone (SHOP_API_REQUIRE_AUTHORIZATION_DETAILS=false).
   */
  authorizationDetails: boolean;
  /**
   * Where interrupt-mode threads live: a directory (absolute: a relative AGENT_STORE is
   * resolved from where the command was run), or a Redis shared by agents on several machines.
   */
  store: StoreLocation;
  model:
    | {
        kind: "offline";
        /** OPENAI_BASE_URL, set without OPENAI_API_KEY: not used, which the person is told. */
        unusedBaseURL?: string;
      }
    | {
        kind: "openai";
        apiKey: string;
        baseURL: string | undefined;
        api: "responses" | "chat";
        name: string;
      };
  extraCaCerts: string | undefined;
  /** The local tenant's CA, which `pnpm agent` trusts by itself (MOCK_AUTH0_CERT_DIR honoured). */
  localCaFile: string;
}

/** What the command line may override; each maps onto one variable so errors can name it. */
export interface ConfigOverrides {
  user?: string | undefined;
  mode?: string | undefined;
  expiry?: string | undefined;
  model?: string | undefined;
}

const OVERRIDE_VARIABLES = {
  user: "AGENT_USER_ID",
  mode: "AGENT_MODE",
  expiry: "AGENT_REQUESTED_EXPIRY",
  model: "AGENT_MODEL",
} as const satisfies Record<keyof ConfigOverrides, string>;

const OPTION_OF: Record<string, string> = Object.fromEntries(
  Object.entries(OVERRIDE_VARIABLES).map(([option, variable]) => [variable, `--${option}`]),
);

/** The local tenant, or any other on this machine: its defaults and CA apply. */
export const isLocalDomain = isLoopbackHost;

/**
 * Reads the configuration once; every problem is listed, each naming its variable (and the
 * option that also sets it). `env` is `process.env` in the CLI, merged over the optional
 * `.env` file; an empty variable counts as unset.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  overrides: ConfigOverrides = {},
): AgentConfig {
  const merged: Record<string, string | undefined> = { ...env };
  for (const [option, variable] of Object.entries(OVERRIDE_VARIABLES)) {
    const value = overrides[option as keyof ConfigOverrides];
    if (value !== undefined) merged[variable] = value;
  }
  const e = parsedWithFix(merged, overrides);

  const local = isLocalDomain(e.AUTH0_DOMAIN);
  return {
    auth0: {
      domain: e.AUTH0_DOMAIN,
      clientId: e.AUTH0_CLIENT_ID ?? (local ? LOCAL_DEFAULTS.clientId : ""),
      clientSecret: e.AUTH0_CLIENT_SECRET ?? (local ? LOCAL_DEFAULTS.clientSecret : ""),
    },
    userId: e.AGENT_USER_ID,
    audience: e.SHOP_API_AUDIENCE,
    shopApiUrl: e.SHOP_API_URL,
    catalogUrl: e.SHOP_CATALOG_URL ?? new URL("products", e.SHOP_API_URL).href,
    mode: e.AGENT_MODE,
    requestedExpiry: e.AGENT_REQUESTED_EXPIRY,
    authorizationDetails: e.AGENT_AUTHORIZATION_DETAILS === "true",
    store:
      e.AGENT_STORE === undefined
        ? { kind: "file", dir: path.join(REPO_ROOT, ".agent-store") }
        : typeof e.AGENT_STORE === "string"
          ? { kind: "file", dir: resolveFromInvocation(e.AGENT_STORE, env) }
          : { kind: "redis", redis: e.AGENT_STORE },
    model:
      e.OPENAI_API_KEY === undefined
        ? {
            kind: "offline",
            ...(e.OPENAI_BASE_URL === undefined ? {} : { unusedBaseURL: e.OPENAI_BASE_URL }),
          }
        : {
            kind: "openai",
            apiKey: e.OPENAI_API_KEY,
            baseURL: e.OPENAI_BASE_URL,
            // OpenAI-compatible servers mostly implement Chat Completions only.
            api: e.OPENAI_API ?? (e.OPENAI_BASE_URL === undefined ? "responses" : "chat"),
            name: e.AGENT_MODEL,
          },
    extraCaCerts: e.NODE_EXTRA_CA_CERTS,
    localCaFile: localCaFile(env),
  };
}

/**
 * The fix for a bad value of a command-line option (`--expiry`, as `--expiry soon`) that sets a
 * variable, as the configuration's errors word it; undefined for any other option.
 */
export function optionFix(option: string): string | undefined {
  const name = option.replace(/^--/, "");
  if (!Object.hasOwn(OVERRIDE_VARIABLES, name)) return undefined;
  return configFix([{ variable: OVERRIDE_VARIABLES[name as keyof ConfigOverrides], option }]);
}

/** A configuration error of the agent's: every problem, and one sentence that clears them all. */
export class AgentConfigError extends ConfigError {
  constructor(
    problems: readonly string[],
    readonly fix: string,
  ) {
    super("agent", problems);
  }
}

/**
 * `envSchema` read from `merged`, or an `AgentConfigError` whose fix names, for each problem,
 * the option the person typed (`--expiry`) or else the variable, and what to set it to.
 */
function parsedWithFix(
  merged: Readonly<Record<string, string | undefined>>,
  overrides: ConfigOverrides,
): z.output<typeof envSchema> {
  try {
    return parseEnv(envSchema, merged, { app: "agent", optionOf: OPTION_OF });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const typed = Object.fromEntries(
      Object.entries(OVERRIDE_VARIABLES)
        .filter(([option]) => overrides[option as keyof ConfigOverrides] !== undefined)
        .map(([option, variable]) => [variable, `--${option}`]),
    );
    const fix = configFix(
      error.problems.map((problem) => {
        // parseEnv opens each problem with the variable's name.
        const variable = /^[A-Z][A-Z0-9_]*/.exec(problem)?.[0] ?? "";
        return {
          variable,
          option: typed[variable],
          value: merged[variable]?.trim(),
          example: URL_EXAMPLES[variable],
        };
      }),
    );
    throw new AgentConfigError(error.problems, fix);
  }
}

/** The real environment over the optional `<repo>/.env`, which never overrides it. */
export function readEnvironment(
  processEnv: Record<string, string | undefined> = process.env,
  envFile = path.join(REPO_ROOT, ".env"),
): Record<string, string | undefined> {
  const fromFile = existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  return { ...fromFile, ...processEnv };
}

/** The variables the CLI documents in `--help`. */
export const ENVIRONMENT_HELP: [string, string][] = [
  [
    "AUTH0_DOMAIN",
    `tenant host[:port] (default ${LOCAL_DEFAULTS.auth0Domain}, the local mock tenant)`,
  ],
  [
    "AUTH0_CLIENT_ID",
    "CIBA-enabled application (default for the local tenant; required elsewhere)",
  ],
  ["AUTH0_CLIENT_SECRET", "its secret (default for the local tenant; required elsewhere)"],
  ["AGENT_USER_ID", `the person the agent acts for (default ${LOCAL_DEFAULTS.userId})`],
  ["SHOP_API_AUDIENCE", `the shop API identifier (default ${SHOP_API_AUDIENCE})`],
  ["SHOP_API_URL", `the purchase endpoint (default ${DEFAULT_SHOP_API_URL})`],
  [
    "SHOP_CATALOG_URL",
    "the catalog the offline model reads and each purchase is checked against (default: products next to SHOP_API_URL)",
  ],
  ["AGENT_MODE", "block or interrupt (default block)"],
  [
    "AGENT_REQUESTED_EXPIRY",
    "seconds the person has to answer (default 300; 301-259200 means an email, not a push)",
  ],
  [
    "AGENT_AUTHORIZATION_DETAILS",
    "true (default): each approval request carries the purchase as authorization_details; false: the binding message and scope alone, for a tenant without Rich Authorization Requests or the Auth0 Guardian app (with the shop's SHOP_API_REQUIRE_AUTHORIZATION_DETAILS=false)",
  ],
  [
    "AGENT_STORE",
    `where interrupt-mode threads are kept: a directory (default <repo>/.agent-store; relative to where you ran the command), or a Redis shared by agents on several machines, e.g. ${REDIS_URL_EXAMPLE}`,
  ],
  ["OPENAI_API_KEY", "use OpenAI instead of the built-in offline model"],
  [
    "OPENAI_BASE_URL",
    "an OpenAI-compatible server, with OPENAI_API_KEY (any value for a local one; then Chat Completions is used)",
  ],
  ["OPENAI_API", "responses or chat (default responses, chat with OPENAI_BASE_URL)"],
  ["AGENT_MODEL", "model name with OPENAI_API_KEY (default gpt-4o-mini)"],
  [
    "MOCK_AUTH0_CERT_DIR",
    "the local tenant's certificate folder, whose ca.pem the agent trusts (default <repo>/.certs)",
  ],
  ["NODE_EXTRA_CA_CERTS", "CA file Node trusts; set automatically for the local tenant"],
];

/** The variables `agent serve --help` documents besides the CLI's (its web app's own). */
export const SERVE_ENVIRONMENT_HELP: [string, string][] = [
  ["AGENT_PORT", "the port the web app listens on (default 3000; 0 for any, with APP_BASE_URL)"],
  ["AGENT_HOST", "the address it listens on (default 127.0.0.1)"],
  ["APP_BASE_URL", "the URL the browser uses (default http://localhost:<AGENT_PORT>)"],
  [
    "AUTH0_SECRET",
    "signs the session cookie, 32+ characters (random at each start for the local tenant; required for another)",
  ],
  [
    "AGENT_APPROVER_URL",
    "the approval link the chat shows with a pending purchase (default the local tenant's /approver)",
  ],
];
