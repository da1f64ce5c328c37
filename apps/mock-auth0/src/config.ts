import path from "node:path";

import { LOCAL_DEFAULTS, parseEnv, portSchema } from "@ciba-testbed/shared";
import { logLevelSchema } from "@ciba-testbed/shared/http";
import {
  DEFAULT_CERT_DIR,
  invocationDir,
  isListenHost,
  isLoopbackAddress,
  listenHostSchema,
  resolveFromInvocation,
} from "@ciba-testbed/shared/node";
import type { LevelWithSilent } from "pino";
import { z } from "zod";

import { outcomeVariableSchema } from "./approver/outcome.js";
import type { ApproverOutcome } from "./approver/outcome.js";
import { DEFAULT_TENANT_FILE } from "./tenant/load-tenant.js";
import type { TenantLocation } from "./tenant/load-tenant.js";

const DEFAULT_HOST = "127.0.0.1";
/** The signing-keys file's name in the certificate folder, unless MOCK_AUTH0_SIGNING_KEYS says. */
export const SIGNING_KEYS_FILE = "signing-keys.json";

/**
 * Each variable the configuration reads, with what it does: `--help` lists these, and the schema
 * must have exactly these (`satisfies` below), so neither can name one the other lacks.
 */
export const VARIABLES = {
  MOCK_AUTH0_PORT: `port to listen on; 0 picks a free one (default ${LOCAL_DEFAULTS.mockAuth0Port})`,
  MOCK_AUTH0_HOST: `address to listen on, an IP address or a host name that resolves (default ${DEFAULT_HOST})`,
  MOCK_AUTH0_CERT_DIR: "where the local CA and the server certificate are kept and reused",
  MOCK_AUTH0_SIGNING_KEYS:
    "where the token-signing keys are kept across restarts (default signing-keys.json there)",
  MOCK_AUTH0_TENANT: "a Deploy CLI tenant.yaml or an a0deploy export folder",
  MOCK_AUTH0_USERS: "the users, in Auth0's bulk import format (default users.json beside it)",
  MOCK_AUTH0_SETTINGS: "mock-auth0.json: clients' secrets, approver, timings (default beside it)",
  MOCK_AUTH0_APPROVER:
    "the approver's default outcome: manual, approve, deny, ignore, approve-after:<ms>, ...",
  MOCK_AUTH0_CONTROL_TOKEN: "when set, the control API and approver page need this bearer token",
  MOCK_AUTH0_INSECURE_CONTROL:
    "true lets a host that is not loopback start without a control token, its control API open to anyone who reaches it (default false)",
  LOG_LEVEL: "pino level or 'silent' (default info)",
} as const;

const variablesSchema = z.object({
  MOCK_AUTH0_PORT: portSchema.default(LOCAL_DEFAULTS.mockAuth0Port),
  MOCK_AUTH0_HOST: listenHostSchema(DEFAULT_HOST),
  MOCK_AUTH0_CERT_DIR: z.string().default(DEFAULT_CERT_DIR),
  MOCK_AUTH0_SIGNING_KEYS: z.string().optional(),
  MOCK_AUTH0_TENANT: z.string().default(DEFAULT_TENANT_FILE),
  MOCK_AUTH0_USERS: z.string().optional(),
  MOCK_AUTH0_SETTINGS: z.string().optional(),
  MOCK_AUTH0_APPROVER: outcomeVariableSchema.optional(),
  MOCK_AUTH0_CONTROL_TOKEN: z
    .string()
    .min(16, "must be at least 16 characters long (e.g. the output of `openssl rand -hex 32`)")
    // RFC 6750 section 2.1's b64token, which is also safe in a cookie.
    .regex(/^[A-Za-z0-9\-._~+/]+=*$/, "may hold only A-Z a-z 0-9 - . _ ~ + / and trailing =")
    .optional(),
  MOCK_AUTH0_INSECURE_CONTROL: z
    .enum(["true", "false"], { errorMap: () => ({ message: 'must be "true" or "false"' }) })
    .default("false"),
  LOG_LEVEL: logLevelSchema.default("info"),
} satisfies Record<keyof typeof VARIABLES, z.ZodTypeAny>);

/**
 * The control API approves purchases, so it must not be open to the network unnoticed: off
 * loopback it needs a control token, unless the user says in so many words that it need not.
 * Checked on the raw variables beside the schema (an intersection), so that it is reported
 * together with every other problem: a refinement of the object would not run once a
 * variable is invalid.
 */
const exposureCheck = z
  .record(z.string())
  .superRefine((vars, ctx) => {
    const host = (vars.MOCK_AUTH0_HOST ?? DEFAULT_HOST).trim();
    // A value that is no address at all is refused as such (`listenHostSchema`), not as exposed.
    if (!isListenHost(host) || isLoopbackAddress(host)) return;
    if (vars.MOCK_AUTH0_CONTROL_TOKEN !== undefined) return;
    if (vars.MOCK_AUTH0_INSECURE_CONTROL === "true") return;
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ["MOCK_AUTH0_HOST"],
      message:
        "is not a loopback address: other machines can reach this tenant, and its control API " +
        "can approve any consent request: set MOCK_AUTH0_CONTROL_TOKEN to a secret (clients " +
        "then send Authorization: Bearer <token>), or set MOCK_AUTH0_INSECURE_CONTROL=true to " +
        "leave it open on purpose",
    });
  })
  .transform(() => ({}));

const envSchema = variablesSchema.and(exposureCheck);

/** What `main.ts` starts the tenant with. */
export interface ServerConfig {
  port: number;
  host: string;
  certDir: string;
  /** Where the token-signing keys are kept across restarts (`SigningKeys.persisted`). */
  signingKeysFile: string;
  /** The Deploy CLI tenant (`tenant.yaml` or a directory export), its users and settings files. */
  tenant: TenantLocation;
  approverDefault: ApproverOutcome | undefined;
  /** When set, the control API, the event stream and the page's decisions need it. */
  controlToken: string | undefined;
  logLevel: LevelWithSilent;
  /** Printed at start-up: choices that are allowed but worth knowing about. */
  warnings: string[];
}

/** Allowed off loopback, with a control token or the insecure flag, but worth saying. */
function exposureWarning(host: string, controlToken: string | undefined): string | undefined {
  if (isLoopbackAddress(host)) return undefined;
  const reachable = `MOCK_AUTH0_HOST=${host} is not a loopback address: other machines can reach this tenant`;
  return controlToken === undefined
    ? `${reachable}, and MOCK_AUTH0_INSECURE_CONTROL=true leaves its control API open: anyone who reaches it can approve any consent request.`
    : `${reachable}. Its control API and approver page need MOCK_AUTH0_CONTROL_TOKEN.`;
}

const optionalPath = (
  value: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
) => (value === undefined ? undefined : resolveFromInvocation(value, env));

/**
 * Parses the environment once: an empty variable is unset, every problem is reported together
 * by variable name (the shared `ConfigError`), and relative paths are read from the directory
 * the command was run in.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ServerConfig {
  const vars = parseEnv(envSchema, env, { app: "mock-auth0" });
  const warning = exposureWarning(vars.MOCK_AUTH0_HOST, vars.MOCK_AUTH0_CONTROL_TOKEN);
  const certDir = resolveFromInvocation(vars.MOCK_AUTH0_CERT_DIR, env);
  return {
    port: vars.MOCK_AUTH0_PORT,
    host: vars.MOCK_AUTH0_HOST,
    certDir,
    signingKeysFile:
      optionalPath(vars.MOCK_AUTH0_SIGNING_KEYS, env) ?? path.join(certDir, SIGNING_KEYS_FILE),
    tenant: {
      tenant: resolveFromInvocation(vars.MOCK_AUTH0_TENANT, env),
      users: optionalPath(vars.MOCK_AUTH0_USERS, env),
      settings: optionalPath(vars.MOCK_AUTH0_SETTINGS, env),
      shownFrom: invocationDir(env),
    },
    approverDefault: vars.MOCK_AUTH0_APPROVER,
    controlToken: vars.MOCK_AUTH0_CONTROL_TOKEN,
    logLevel: vars.LOG_LEVEL,
    warnings: warning === undefined ? [] : [warning],
  };
}
