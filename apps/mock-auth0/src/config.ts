import path from "node:path";
import { fileURLToPath } from "node:url";

import { z } from "zod";

import { OUTCOME_SYNTAX, parseOutcome } from "./approver/outcome.js";
import type { ApproverOutcome } from "./approver/outcome.js";
import { DEFAULT_TENANT_FILE } from "./tenant/load-tenant.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const DEFAULT_CERT_DIR = path.join(REPO_ROOT, ".certs");
export const DEFAULT_PORT = 4010;

const envSchema = z.object({
  MOCK_AUTH0_PORT: z.coerce
    .number({ invalid_type_error: "must be a port number" })
    .int("must be a whole number")
    .min(0, "must be 0 to 65535")
    .max(65_535, "must be 0 to 65535")
    .default(DEFAULT_PORT),
  MOCK_AUTH0_HOST: z.string().min(1).default("127.0.0.1"),
  MOCK_AUTH0_CERT_DIR: z.string().min(1).default(DEFAULT_CERT_DIR),
  MOCK_AUTH0_TENANT: z.string().min(1).default(DEFAULT_TENANT_FILE),
  MOCK_AUTH0_APPROVER: z
    .string()
    .optional()
    .transform((text, ctx): ApproverOutcome | undefined => {
      if (text === undefined || text === "") return undefined;
      const outcome = parseOutcome(text);
      if (!outcome) {
        ctx.addIssue({ code: "custom", message: `must be ${OUTCOME_SYNTAX} (got ${text})` });
        return z.NEVER;
      }
      return outcome;
    }),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export interface MockAuth0Settings {
  port: number;
  host: string;
  certDir: string;
  tenantFile: string;
  approverDefault: ApproverOutcome | undefined;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid mock-auth0 configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses the environment once; every problem is reported together, by variable name. */
export function loadSettings(env: Record<string, string | undefined>): MockAuth0Settings {
  const blankAsUnset = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const result = envSchema.safeParse(blankAsUnset);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
    );
  }
  const e = result.data;
  return {
    port: e.MOCK_AUTH0_PORT,
    host: e.MOCK_AUTH0_HOST,
    certDir: path.resolve(e.MOCK_AUTH0_CERT_DIR),
    tenantFile: path.resolve(e.MOCK_AUTH0_TENANT),
    approverDefault: e.MOCK_AUTH0_APPROVER,
    logLevel: e.LOG_LEVEL,
  };
}
