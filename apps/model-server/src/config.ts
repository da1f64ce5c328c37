import { parseEnv, portSchema } from "@ciba-testbed/shared";
import { logLevelSchema } from "@ciba-testbed/shared/http";
import { listenHostSchema } from "@ciba-testbed/shared/node";
import type { LevelWithSilent } from "pino";
import { z } from "zod";

export interface ModelServerConfig {
  port: number;
  host: string;
  /** When set, every `/v1` route needs `Authorization: Bearer <this key>`. */
  apiKey: string | undefined;
  logLevel: LevelWithSilent;
}

export const DEFAULT_PORT = 4030;
export const DEFAULT_HOST = "127.0.0.1";

/** Each variable with what it does: the schema's defaults and `--help` come from here. */
export const VARIABLES = {
  MODEL_SERVER_PORT: `port to listen on; 0 picks a free one (default ${DEFAULT_PORT})`,
  MODEL_SERVER_HOST: `address to listen on (default ${DEFAULT_HOST})`,
  MODEL_SERVER_API_KEY:
    "when set, requests must send 'Authorization: Bearer <this key>' (default: any key)",
  LOG_LEVEL: "pino level or 'silent' (default info)",
} as const;

// Empty and blank variables never reach the schema: `parseEnv` counts them as unset.
const envSchema = z.object({
  MODEL_SERVER_PORT: portSchema.default(DEFAULT_PORT),
  MODEL_SERVER_HOST: listenHostSchema(DEFAULT_HOST),
  MODEL_SERVER_API_KEY: z
    .string()
    // RFC 6750 section 2.1's b64token: what fits in a Bearer header as it is.
    .regex(/^[A-Za-z0-9\-._~+/]+=*$/, "may hold only A-Z a-z 0-9 - . _ ~ + / and trailing =")
    .optional(),
  LOG_LEVEL: logLevelSchema.default("info"),
} satisfies Record<keyof typeof VARIABLES, z.ZodTypeAny>);

/** Reads the configuration once; every problem is reported at once, each naming its variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ModelServerConfig {
  const vars = parseEnv(envSchema, env, { app: "model-server" });
  return {
    port: vars.MODEL_SERVER_PORT,
    host: vars.MODEL_SERVER_HOST,
    apiKey: vars.MODEL_SERVER_API_KEY,
    logLevel: vars.LOG_LEVEL,
  };
}
