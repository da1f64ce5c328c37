import { z } from "zod";

/**
 * The configuration could not be read: every problem at once, each naming its variable, so one
 * attempt shows everything to fix.
 */
export class ConfigError extends Error {
  constructor(
    readonly app: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid ${app} configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * A zod check from a function that names what is wrong with a value, or undefined when nothing
 * is: `z.string().superRefine(refuseWith(issuerUrlProblem))`. The problem reads after the
 * variable's name ("AUTH0_ISSUER_BASE_URL must use https").
 */
export function refuseWith(problem: (value: string) => string | undefined) {
  return (value: string, ctx: z.RefinementCtx): void => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message });
  };
}

/** A TCP port, 0 (any free port) to 65535, from an environment string. */
export const portSchema = z.coerce
  .number({ invalid_type_error: "must be a port number" })
  .int("must be a whole number")
  .min(0, "must be 0 to 65535")
  .max(65_535, "must be 0 to 65535");

export interface ParseEnvOptions {
  /** Names the app in the error's first line: "Invalid shop-api configuration". */
  app: string;
  /** A command-line option that sets the same value, shown beside the variable's name. */
  optionOf?: Readonly<Record<string, string>>;
}

/**
 * Parses environment variables with a zod object schema. An empty or blank value counts as
 * unset (`X=` in a .env file means "use the default"), and every problem is reported in one
 * `ConfigError`, each line naming the variable and showing what it got.
 */
export function parseEnv<T extends z.ZodTypeAny>(
  schema: T,
  env: Readonly<Record<string, string | undefined>>,
  options: ParseEnvOptions,
): z.output<T> {
  const set = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const parsed = schema.safeParse(set);
  if (parsed.success) return parsed.data as z.output<T>;
  throw new ConfigError(
    options.app,
    parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      const option = options.optionOf?.[name];
      const got = set[name];
      return (
        `${name}${option ? ` (or ${option})` : ""} ${issue.message}` +
        (got === undefined ? "" : ` (got ${shownValue(name, got)})`)
      );
    }),
  );
}

/**
 * A variable that holds a secret: its value never appears in a message (which logs keep).
 * Matched at the end of the name, so that SHOP_API_TOKEN_CACHE_SIZE, a number, is shown.
 */
const SECRET_NAME = /(?:SECRET|TOKEN|PASSWORD|KEY|CREDENTIALS?)$/i;

/**
 * Replaces a URL's passwords with `***`, in the user part and in the query (`?password=`,
 * `?sslpassword=`, which node-postgres and libpq read too); true when it hid any.
 */
export function hideUrlPasswords(url: URL): boolean {
  const inQuery = ["password", "sslpassword"].filter((key) => url.searchParams.has(key));
  if (url.password === "" && inQuery.length === 0) return false;
  if (url.password !== "") url.password = "***";
  for (const key of inQuery) url.searchParams.set(key, "***");
  return true;
}

/**
 * A value as a message may show it, parsed as a URL or not: whatever could carry a credential
 * is `***`. That is the user part, to the last `@` before the query or fragment (a password
 * typed without encoding may hold `@`, `/` or `:`; a token may stand alone, `https://TOKEN@host`;
 * a query value may hold an `@`, `?notify=ops@example.com`), every query value (`?token=`,
 * `?api_key=`, `?password=`) and the fragment. The scheme, host, port and path are kept, so the
 * message still shows what is wrong; a value with none of these parts is returned as typed.
 */
export function hideCredentials(value: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(value)?.[0] ?? "";
  let rest = value.slice(scheme.length);
  const at = userPartEnd(rest);
  if (at !== -1) rest = `***@${rest.slice(at + 1)}`;
  const hash = rest.indexOf("#");
  if (hash !== -1 && hash < rest.length - 1) rest = `${rest.slice(0, hash)}#***`;
  const query = rest.indexOf("?");
  if (query === -1) return scheme + rest;
  const end = rest.includes("#", query) ? rest.indexOf("#", query) : rest.length;
  const pairs = rest
    .slice(query + 1, end)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq === -1) return pair === "" ? "" : "***";
      return eq === pair.length - 1 ? pair : `${pair.slice(0, eq + 1)}***`;
    });
  return `${scheme}${rest.slice(0, query)}?${pairs.join("&")}${rest.slice(end)}`;
}

/**
 * Where the user part of a URL without its scheme ends: its last "@" before the query and the
 * fragment, which may hold an "@" of their own (`?notify=ops@example.com`); or, when there is
 * none, an "@" after a "?" or "#" that a password typed without encoding holds
 * (`buyer:hunter2?x@db:5432/shop`): one after a `user:password`-like start with no "/" in it,
 * and before a host. -1 when there is no user part.
 */
function userPartEnd(rest: string): number {
  const authorityEnd = rest.search(/[?#]/u);
  const at = rest.lastIndexOf("@", authorityEnd === -1 ? rest.length : authorityEnd - 1);
  if (at !== -1 || authorityEnd === -1) return at;
  let found = -1;
  for (
    let next = rest.indexOf("@", authorityEnd);
    next !== -1;
    next = rest.indexOf("@", next + 1)
  ) {
    const before = rest.slice(0, next);
    if (before.includes("/") || !before.includes(":")) break;
    if (/^[^@/?#&\s]+(?:[/?#]|$)/u.test(rest.slice(next + 1))) found = next;
  }
  return found;
}

/** A value as a problem shows it: a secret by its length only, anything else `hideCredentials`. */
function shownValue(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return `${String(value.length)} characters, not shown`;
  return JSON.stringify(hideCredentials(value));
}
