import { SHOP_API_AUDIENCE, parseEnv, portSchema } from "@ciba-testbed/shared";
import { logLevelSchema } from "@ciba-testbed/shared/http";
import type { LevelWithSilent } from "pino";
import { z } from "zod";

export interface ShopApiConfig {
  port: number;
  host: string;
  /** The exact `iss` of accepted tokens, e.g. `https://localhost:4010/` (trailing slash included). */
  issuer: string;
  audience: string;
  /** Refuse purchase tokens that carry no `product_purchase` authorization_details. */
  requireAuthorizationDetails: boolean;
  logLevel: LevelWithSilent;
}

export const DEFAULT_AUTH0_DOMAIN = "localhost:4010";
export const DEFAULT_PORT = 4020;
export const DEFAULT_HOST = "127.0.0.1";

/** A bare `host[:port]`, as Auth0's SDKs take `AUTH0_DOMAIN`: no scheme, path or trailing slash. */
const BARE_DOMAIN =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$/;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

// Empty and blank variables never reach the schema: `parseEnv` counts them as unset.
const envSchema = z.object({
  SHOP_API_PORT: portSchema.default(DEFAULT_PORT),
  SHOP_API_HOST: z.string().default(DEFAULT_HOST),
  AUTH0_DOMAIN: z
    .string()
    .regex(
      BARE_DOMAIN,
      "must be a bare host[:port] such as 'localhost:4010' or 'your-tenant.us.auth0.com' " +
        "(no https://, no path, no trailing slash); set AUTH0_ISSUER_BASE_URL for a full URL",
    )
    .default(DEFAULT_AUTH0_DOMAIN),
  AUTH0_ISSUER_BASE_URL: z
    .string()
    .superRefine((value, ctx) => {
      const problem = issuerUrlProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
  SHOP_API_AUDIENCE: z.string().trim().default(SHOP_API_AUDIENCE),
  SHOP_API_REQUIRE_AUTHORIZATION_DETAILS: z
    .enum(["true", "false"], { errorMap: () => ({ message: "must be 'true' or 'false'" }) })
    .default("false"),
  LOG_LEVEL: logLevelSchema.default("info"),
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

/**
 * Builds the configuration from environment variables: an empty variable is unset, and every
 * problem is reported at once, each naming its variable, in one shared `ConfigError`.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ShopApiConfig {
  const vars = parseEnv(envSchema, env, { app: "shop-api" });
  return {
    port: vars.SHOP_API_PORT,
    host: vars.SHOP_API_HOST,
    // The issuer is compared byte for byte with `iss`; Auth0's ends with a slash.
    issuer: vars.AUTH0_ISSUER_BASE_URL ?? `https://${vars.AUTH0_DOMAIN}/`,
    audience: vars.SHOP_API_AUDIENCE,
    requireAuthorizationDetails: vars.SHOP_API_REQUIRE_AUTHORIZATION_DETAILS === "true",
    logLevel: vars.LOG_LEVEL,
  };
}
