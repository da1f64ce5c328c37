import { LOCAL_DEFAULTS, MAX_REQUESTED_EXPIRY_SECONDS } from "@ciba-testbed/shared";

import { BARE_HOST, writtenInFull } from "./http-url.js";
import { REDIS_URL_EXAMPLE } from "./redis-url.js";

/** What a person set a value with: the variable, or the command-line option that overrode it. */
export interface SetWith {
  /** The variable's name, as the problem names it (AGENT_REQUESTED_EXPIRY). */
  variable: string;
  /** The option the person typed instead (`--expiry`), when they typed one. */
  option?: string | undefined;
  /** What it held, as typed. */
  value?: string | undefined;
  /** For a URL variable, its default or an example of one, such as the local shop's. */
  example?: string | undefined;
}

/**
 * The change that clears one configuration problem, in words that name only what the person set
 * (`--expiry` when they typed it, the variable otherwise) and the value to set instead; a
 * variable this table does not know is told to be changed as its problem says, or unset.
 */
export function fixFor(setWith: SetWith): string {
  const { variable, option, value, example } = setWith;
  const name = option ?? variable;
  switch (variable) {
    case "AUTH0_DOMAIN": {
      const host = value === undefined ? undefined : bareHostOf(value);
      const as =
        host ??
        "the tenant's domain alone, as the Auth0 dashboard shows it (your-tenant.us.auth0.com)";
      return `set AUTH0_DOMAIN to ${as}, or unset it for the local tenant (${LOCAL_DEFAULTS.auth0Domain})`;
    }
    case "AUTH0_CLIENT_ID":
    case "AUTH0_CLIENT_SECRET":
    case CLIENT_CREDENTIALS: {
      const names =
        variable === CLIENT_CREDENTIALS
          ? "AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET to the Client ID and Client Secret"
          : variable === "AUTH0_CLIENT_ID"
            ? "AUTH0_CLIENT_ID to the Client ID"
            : "AUTH0_CLIENT_SECRET to the Client Secret";
      return `set ${names} of the tenant's CIBA application (Auth0 dashboard, Applications, its Settings), or unset AUTH0_DOMAIN for the local tenant`;
    }
    case "SHOP_API_URL":
    case "SHOP_CATALOG_URL":
    case "OPENAI_BASE_URL": {
      const written =
        value === undefined || example === undefined
          ? undefined
          : (writtenInFull(value, example) ?? withoutCredentials(value));
      const as =
        written ?? `an http:// or https:// URL such as ${example ?? "http://host:port/path"}`;
      return `set ${variable} to ${as}, or unset it for ${URL_DEFAULTS[variable]}`;
    }
    case "AGENT_USER_ID":
      return `give ${name} the user id of the person the agent acts for, such as ${LOCAL_DEFAULTS.userId}, ${orDefault(setWith, LOCAL_DEFAULTS.userId)}`;
    case "AGENT_MODEL":
      return `give ${name} the name of a model the model server serves, such as gpt-4o-mini, ${orDefault(setWith, "gpt-4o-mini")}`;
    case "AGENT_MODE":
      return option === undefined
        ? "set AGENT_MODE to block or interrupt, in lower case, or unset it for block"
        : `give ${option} block or interrupt`;
    case "AGENT_REQUESTED_EXPIRY":
      return `give ${name} a whole number of seconds from 1 to ${String(MAX_REQUESTED_EXPIRY_SECONDS)} (up to 300 Auth0 pushes to the phone, above it emails), ${orDefault(setWith, "300")}`;
    case "AGENT_AUTHORIZATION_DETAILS":
      return "set AGENT_AUTHORIZATION_DETAILS to true or false, in lower case, or unset it for true";
    case "AGENT_STORE":
      return `set AGENT_STORE to a Redis URL such as ${REDIS_URL_EXAMPLE} (a /, ?, # or @ in its password percent-encoded: %2F, %3F, %23, %40), or to a directory, or unset it for <repo>/.agent-store`;
    case "OPENAI_API":
      return "set OPENAI_API to responses or chat, or unset it (responses for OpenAI, chat for a server OPENAI_BASE_URL names)";
    case "OPENAI_API_KEY":
      return "copy the key again, alone (no line breaks or other text with it), or unset OPENAI_API_KEY for the built-in offline model";
    default:
      return `change ${name} as said above, or unset it for its default`;
  }
}

/**
 * One sentence that clears every problem: each variable's fix once, in the order of the
 * problems, joined with "; ".
 */
export function configFix(problems: readonly SetWith[]): string {
  const missing = (variable: string) => problems.some((problem) => problem.variable === variable);
  // Both client credentials missing (a real tenant named, nothing else): one fix for the two.
  const both = missing("AUTH0_CLIENT_ID") && missing("AUTH0_CLIENT_SECRET");
  const fixes = [
    ...new Set(
      problems.map((problem) =>
        fixFor(
          both && problem.variable.startsWith("AUTH0_CLIENT_")
            ? { variable: CLIENT_CREDENTIALS }
            : problem,
        ),
      ),
    ),
  ];
  const sentence = fixes.join("; ");
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

/** "or unset it for X", or for an option "or leave it out for VARIABLE's (by default X)". */
function orDefault({ variable, option }: SetWith, byDefault: string): string {
  return option === undefined
    ? `or unset it for ${byDefault}`
    : `or leave it out for ${variable}'s (by default ${byDefault})`;
}

/** Stands for AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET together, both missing. */
const CLIENT_CREDENTIALS = "AUTH0_CLIENT_ID AUTH0_CLIENT_SECRET";

/** What an unset URL variable stands for. */
const URL_DEFAULTS = {
  SHOP_API_URL: "the local shop",
  SHOP_CATALOG_URL: "the catalog beside SHOP_API_URL",
  OPENAI_BASE_URL: "OpenAI's API",
} as const;

/** An http(s) URL that holds a user name or password, without them; else undefined. */
function withoutCredentials(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (!/^https?:$/.test(url.protocol) || url.hostname === "") return undefined;
    if (url.username === "" && url.password === "") return undefined;
    url.username = "";
    url.password = "";
    return `${url.href} (credentials another way)`;
  } catch {
    return undefined;
  }
}

/** The host[:port] a domain written as a URL names (`https://x.auth0.com/` -> x.auth0.com). */
function bareHostOf(value: string): string | undefined {
  try {
    const url = new URL(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) ? value : `https://${value}`);
    return BARE_HOST.test(url.host) ? url.host : undefined;
  } catch {
    return undefined;
  }
}
