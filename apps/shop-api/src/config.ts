import { SHOP_API_AUDIENCE } from "@ciba-testbed/shared";
import { z } from "zod";

export interface ShopApiConfig {
  port: number;
  host: string;
  /** The exact `iss` of accepted tokens, e.g. `https://localhost:4010/` (trailing slash included). */
  issuer: string;
  audience: string;
  /** Refuse purchase tokens that carry no `product_purchase` authorization_details. */
  requireAuthorizationDetails: boolean;
  logLevel: LogLevel;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_AUTH0_DOMAIN = "localhost:4010";
export const DEFAULT_PORT = 4020;
export const DEFAULT_HOST = "127.0.0.1";

/** A bare `host[:port]`, as Auth0's SDKs take `AUTH0_DOMAIN`: no scheme, path or trailing slash. */
const BARE_DOMAIN =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$/;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

// An empty variable (`X=` in a .env file) means "not set", so the default applies.
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const envSchema = z.object({
  SHOP_API_PORT: optional(
    z.coerce
      .number({ invalid_type_error: "must be a number" })
      .int("must be a whole number")
      .min(0, "must be between 0 and 65535")
      .max(65535, "must be between 0 and 65535"),
  ),
  SHOP_API_HOST: optional(z.string()),
  AUTH0_DOMAIN: optional(
    z
      .string()
      .regex(
        BARE_DOMAIN,
        "must be a bare host[:port] such as 'localhost:4010' or 'your-tenant.us.auth0.com' " +
          "(no https://, no path, no trailing slash); set AUTH0_ISSUER_BASE_URL for a full URL",
      ),
  ),
  AUTH0_ISSUER_BASE_URL: optional(
    z.string().superRefine((value, ctx) => {
      const problem = issuerUrlProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
  ),
  SHOP_API_AUDIENCE: optional(z.string().trim().min(1, "must not be blank")),
  SHOP_API_REQUIRE_AUTHORIZATION_DETAILS: optional(
    z.enum(["true", "false"], { errorMap: () => ({ message: "must be 'true' or 'false'" }) }),
  ),
  LOG_LEVEL: optional(
    z.enum(LOG_LEVELS, {
      errorMap: () => ({ message: `must be one of ${LOG_LEVELS.join(", ")}` }),
    }),
  ),
});

function issuerUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute URL such as 'https://your-tenant.us.auth0.com/'";
  }
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.has(url.hostname)) {
    return "must use https (plain http is allowed only for localhost, 127.0.0.1 and [::1])";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must use https";
  if (url.username || url.password) return "must not contain a user name or password";
  if (url.search || url.hash) return "must not contain a query or fragment";
  return undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid shop-api configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Builds the configuration from environment variables. Every problem is reported at once,
 * each prefixed with the variable's name, in a single `ConfigError`.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ShopApiConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? "environment");
        const got = env[name];
        return `${name} ${issue.message}${got === undefined ? "" : ` (got ${JSON.stringify(got)})`}`;
      }),
    );
  }
  const vars = parsed.data;
  return {
    port: vars.SHOP_API_PORT ?? DEFAULT_PORT,
    host: vars.SHOP_API_HOST ?? DEFAULT_HOST,
    // The issuer is compared byte for byte with `iss`; Auth0's ends with a slash.
    issuer: vars.AUTH0_ISSUER_BASE_URL ?? `https://${vars.AUTH0_DOMAIN ?? DEFAULT_AUTH0_DOMAIN}/`,
    audience: vars.SHOP_API_AUDIENCE ?? SHOP_API_AUDIENCE,
    requireAuthorizationDetails: vars.SHOP_API_REQUIRE_AUTHORIZATION_DETAILS === "true",
    logLevel: vars.LOG_LEVEL ?? "info",
  };
}
