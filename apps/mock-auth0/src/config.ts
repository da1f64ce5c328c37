import { BlockList, isIP } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { z } from "zod";

import { OUTCOME_SYNTAX, parseOutcome } from "./approver/outcome.js";
import type { ApproverOutcome } from "./approver/outcome.js";
import { DEFAULT_TENANT_FILE } from "./tenant/load-tenant.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const DEFAULT_CERT_DIR = path.join(REPO_ROOT, ".certs");
export const DEFAULT_PORT = 4010;
const DEFAULT_HOST = "127.0.0.1";

const envSchema = z.object({
  MOCK_AUTH0_PORT: z.coerce
    .number({ invalid_type_error: "must be a port number" })
    .int("must be a whole number")
    .min(0, "must be 0 to 65535")
    .max(65_535, "must be 0 to 65535")
    .default(DEFAULT_PORT),
  MOCK_AUTH0_HOST: z.string().min(1).default(DEFAULT_HOST),
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
  MOCK_AUTH0_CONTROL_TOKEN: z
    .string()
    .min(16, "must be at least 16 characters long (e.g. the output of `openssl rand -hex 32`)")
    // RFC 6750 section 2.1's b64token, which is also safe in a cookie.
    .regex(/^[A-Za-z0-9\-._~+/]+=*$/, "may hold only A-Z a-z 0-9 - . _ ~ + / and trailing =")
    .optional(),
  MOCK_AUTH0_INSECURE_CONTROL: z
    .enum(["true", "false"], { errorMap: () => ({ message: 'must be "true" or "false"' }) })
    .default("false"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

/** Whether a listen address is reachable from this machine only. A name other than localhost may resolve anywhere. */
export function isLoopbackAddress(host: string): boolean {
  const address = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (address === "localhost") return true;
  const family = isIP(address);
  return family !== 0 && loopback.check(address, family === 6 ? "ipv6" : "ipv4");
}

/**
 * The control API approves purchases, so it must not be open to the network unnoticed: off
 * loopback it needs a control token, unless the user says in so many words that it need not.
 */
function exposure(env: Record<string, string | undefined>): { problem?: string; warning?: string } {
  const host = env.MOCK_AUTH0_HOST ?? DEFAULT_HOST;
  if (isLoopbackAddress(host)) return {};
  const reachable = `MOCK_AUTH0_HOST=${host} is not a loopback address: other machines can reach this tenant`;
  if (env.MOCK_AUTH0_CONTROL_TOKEN !== undefined) {
    return {
      warning: `${reachable}. Its control API and approver page need MOCK_AUTH0_CONTROL_TOKEN.`,
    };
  }
  if (env.MOCK_AUTH0_INSECURE_CONTROL === "true") {
    return {
      warning: `${reachable}, and MOCK_AUTH0_INSECURE_CONTROL=true leaves its control API open: anyone who reaches it can approve any consent request.`,
    };
  }
  return {
    problem: `${reachable}, and its control API can approve any consent request: set MOCK_AUTH0_CONTROL_TOKEN to a secret (clients then send Authorization: Bearer <token>), or set MOCK_AUTH0_INSECURE_CONTROL=true to leave it open on purpose`,
  };
}

export interface MockAuth0Settings {
  port: number;
  host: string;
  certDir: string;
  tenantFile: string;
  approverDefault: ApproverOutcome | undefined;
  /** When set, the control API, the event stream and the page's decisions need it. */
  controlToken: string | undefined;
  logLevel: string;
  /** Printed at start-up: choices that are allowed but worth knowing about. */
  warnings: string[];
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
  const { problem, warning } = exposure(blankAsUnset);
  const problems = [
    ...(result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`)),
    ...(problem === undefined ? [] : [problem]),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const e = result.data;
  return {
    port: e.MOCK_AUTH0_PORT,
    host: e.MOCK_AUTH0_HOST,
    certDir: path.resolve(e.MOCK_AUTH0_CERT_DIR),
    tenantFile: path.resolve(e.MOCK_AUTH0_TENANT),
    approverDefault: e.MOCK_AUTH0_APPROVER,
    controlToken: e.MOCK_AUTH0_CONTROL_TOKEN,
    logLevel: e.LOG_LEVEL,
    warnings: warning === undefined ? [] : [warning],
  };
}
