import { randomBytes } from "node:crypto";

import { ConfigError, parseEnv, portSchema, refuseWith } from "@ciba-testbed/shared";
import { serverUrl } from "@ciba-testbed/shared/node";
import { z } from "zod";

import { isLocalDomain, loadConfig, type AgentConfig } from "../config.js";

export const DEFAULT_AGENT_PORT = 3000;

/**
 * What is wrong with a link the app shows the person (the approver page), or undefined: an
 * http(s) URL with no user name or password, which the browser would put in its history and
 * the app in every page. A query or fragment is the page's own (`#token=` unlocks the approver).
 */
function linkProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute http:// or https:// URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return "must be an absolute http:// or https:// URL";
  }
  if (url.username !== "" || url.password !== "") {
    return "must not hold a user name or password (user:password@): the app shows it on its pages";
  }
  return undefined;
}

/**
 * What is wrong with the URL the browser uses to reach the app, or undefined: the login
 * callback is `<APP_BASE_URL>/auth/callback`, so no query, fragment or trailing slash.
 */
function baseUrlProblem(value: string): string | undefined {
  const link = linkProblem(value);
  if (link !== undefined) return `${link}, such as http://localhost:3000`;
  const url = new URL(value);
  if (url.search !== "" || url.hash !== "" || value.endsWith("?") || value.endsWith("#")) {
    return "must not have a query or fragment: the login callback is <APP_BASE_URL>/auth/callback";
  }
  if (value.endsWith("/")) return "must not end with /, as in http://localhost:3000";
  return undefined;
}

const webEnvSchema = z
  .object({
    AGENT_PORT: portSchema.default(DEFAULT_AGENT_PORT),
    AGENT_HOST: z.string().trim().default("127.0.0.1"),
    APP_BASE_URL: z.string().trim().superRefine(refuseWith(baseUrlProblem)).optional(),
    AUTH0_SECRET: z
      .string()
      .min(32, "must be at least 32 characters (openssl rand -hex 32)")
      .optional(),
    AGENT_APPROVER_URL: z.string().trim().superRefine(refuseWith(linkProblem)).optional(),
  })
  .passthrough();

/** The variables `pnpm agent serve` reads besides the CLI's (ENVIRONMENT_HELP). */
export const WEB_ENVIRONMENT: readonly string[] = Object.keys(webEnvSchema.shape);

/** The web app's own settings, on top of the agent's (tenant, model, mode, shop). */
export interface WebConfig {
  agent: AgentConfig;
  port: number;
  host: string;
  /** Where the browser reaches the app: the login callback is `<baseUrl>/auth/callback`. */
  baseUrl: string;
  /** Signs the session cookie (the session's id); random per start when AUTH0_SECRET is unset. */
  sessionSecret: string;
  /** Where the person approves: the local tenant's approver page, or a configured URL. */
  approverUrl: string | undefined;
  /** What the app says at start about settings it reads but does not use. */
  warnings: string[];
}

/**
 * AGENT_STORE, set for the CLI's interrupt mode, means nothing to the web app, which keeps its
 * threads in memory: a team that set it for several instances would believe they share threads.
 * Its value is not shown (a Redis URL may hold a password).
 */
const UNUSED_STORE_WARNING =
  "Warning: AGENT_STORE is not used by the web app: it keeps its chats and their threads in this process's memory, so instances of it do not share threads, and a restart forgets chats that wait for an answer. AGENT_STORE is where pnpm agent --mode interrupt and pnpm agent resume keep threads.";

/**
 * The web app's URL unless APP_BASE_URL says: http://localhost:<AGENT_PORT> as in Auth0's
 * quickstart, or the address it listens on when localhost does not reach it (`urlHostOf`).
 */
export function defaultBaseUrl(host: string, port: number): string {
  return serverUrl("http", host, port);
}

/**
 * Reads `pnpm agent serve`'s configuration: the agent's (`loadConfig`, the same variables as
 * the CLI) plus the port, the public URL, the session secret and the approver page's URL. A
 * real tenant needs AUTH0_SECRET, as the quickstart does: one key for every start and instance of
 * the app, which a session store shared between them needs (see LoginSessions).
 */
export function loadWebConfig(env: Readonly<Record<string, string | undefined>>): WebConfig {
  const agent = loadConfig(env);
  const e = parseEnv(webEnvSchema, env, { app: "agent serve" });
  const local = isLocalDomain(agent.auth0.domain);
  const problems = [
    ...(!local && e.AUTH0_SECRET === undefined
      ? ["AUTH0_SECRET is required for a real tenant: openssl rand -hex 32"]
      : []),
    // A URL found once listening would come too late: the tenant (AGENT_WEB_URL for the local
    // one, Allowed Callback URLs for Auth0) must allow the callback before the login.
    ...(e.AGENT_PORT === 0 && e.APP_BASE_URL === undefined
      ? [
          "AGENT_PORT must not be 0 (any free port) unless APP_BASE_URL is set: the login " +
            "callback, <APP_BASE_URL>/auth/callback, names the port, and the tenant must allow " +
            `it before the app listens; give a port, such as ${DEFAULT_AGENT_PORT}, or set ` +
            'APP_BASE_URL to the URL the browser uses (got "0")',
        ]
      : []),
  ];
  if (problems.length > 0) throw new ConfigError("agent serve", problems);
  return {
    agent,
    port: e.AGENT_PORT,
    host: e.AGENT_HOST,
    baseUrl: e.APP_BASE_URL ?? defaultBaseUrl(e.AGENT_HOST, e.AGENT_PORT),
    sessionSecret: e.AUTH0_SECRET ?? randomBytes(32).toString("hex"),
    approverUrl:
      e.AGENT_APPROVER_URL ?? (local ? `https://${agent.auth0.domain}/approver` : undefined),
    // An empty AGENT_STORE counts as unset, as everywhere.
    warnings: (env.AGENT_STORE ?? "").trim() === "" ? [] : [UNUSED_STORE_WARNING],
  };
}
