import { z } from "zod";

import { quotedValue } from "./written-out.js";

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
 * is `***`. That is the user part, to the "@" that ends it (see `userPartEnd`: a password typed
 * without encoding may hold `@`, `/`, `:`, `?` or `#`; a token may stand alone,
 * `https://TOKEN@host`; a query value may hold an `@`, `?notify=ops@example.com`), every query
 * value (`?token=`, `?api_key=`, `?password=`), every value of a JDBC parameter after a ";"
 * (`;password=`, whole whatever it holds, braced or not) and the fragment. The scheme (or a chain of them,
 * `jdbc:postgresql://`), host, port and path are kept, so the message still shows what is wrong; a value with none of these parts is
 * returned as typed, and one that could be read either way is `***` after its scheme.
 */
export function hideCredentials(value: string): string {
  const scheme = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)+\/\//.exec(value)?.[0] ?? "";
  // JDBC's parameters, after a ";": `jdbc:sqlserver://db;password=...`. First those in braces,
  // which may hold any character, ";", "?", "#", "@" and spaces among them (SQL Server's
  // `;password = {SEC;RET}`, "}}" for a "}"); one whose brace never closes runs to the end.
  let rest = value
    .slice(scheme.length)
    .replace(/;([^;=]*)=\s*\{(?:[^}]|\}\})*(?:\}|$)/gu, ";$1=***");
  const at = userPartEnd(rest);
  if (at === "unclear") return `${scheme}***`;
  if (at !== -1) {
    // An "@" after a JDBC parameter may be its value's (`db;password=SE@CRET`): none shows.
    if (/;[^;=]*=/u.test(rest.slice(0, at))) return `${scheme}***`;
    rest = `***@${rest.slice(at + 1)}`;
  }
  // Then every other JDBC value, to the next ";", whatever it holds (`;password=SE?C#RET`).
  const semicolon = rest.indexOf(";");
  const pathEnd = rest.search(/[?#]/u);
  if (semicolon !== -1 && (pathEnd === -1 || semicolon < pathEnd)) {
    return `${scheme}${rest.slice(0, semicolon)}${rest.slice(semicolon).replace(/;([^;=]*)=[^;]*/gu, ";$1=***")}`;
  }
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
 * A host with maybe a port, as a URL's authority holds it: `db`, `127.0.0.1:5120`, `[::1]:80`.
 * A ":" with no port after it is a user's (`u:?SECRET=@db`, a password that opens with "?"),
 * not an empty port: read as a host, the password was shown as a query's key.
 */
const HOST_AND_PORT = /^(?:\[[0-9A-Fa-f:.]*\]|[A-Za-z0-9._~%-]*)(?::\d+)?$/u;

/** What follows the "@" that ends a user part: a host, then the path, query, fragment or end. */
const HOST_NEXT = /^[^@/?#&\s]+(?:[/?#]|$)/u;

/**
 * Where the user part of a URL without its scheme ends, as an index of its "@"; -1 when there
 * is none, "unclear" when the value reads both as a URL whose query or fragment holds an "@"
 * and as one whose user part holds a "?" or "#". Step by step, each step reading what follows
 * the user part found so far:
 *
 * - the last "@" before the query and the fragment ends the user part (a password may hold "@",
 *   "/" and ":": `buyer:p@ss/w:rd@db/shop`);
 * - else an "@" after the first "?" or "#" that a host follows (`buyer:hun/ter2?x@db/shop`) ends
 *   it when what comes before that "?" or "#" cannot be a host and port (`buyer:hun`), or when
 *   it can (`s3cr3tT0ken`, `buyer:1234`) and neither a path (a "/") comes before it nor a
 *   `key=value` between the "?" and the "@"; with a `key=value` there (`?notify=ops@example.com`)
 *   the "@" is the query's. With a path before it, the value is "unclear", whether a user part
 *   was found before it or not: `h/a?x@host` is a token `h/a?x` or a query `x@host`, and
 *   `buyer:p@ss/w?rd@db` a password `p@ss/w?rd` or a host `ss` with the path `/w`.
 */
function userPartEnd(rest: string): number | "unclear" {
  let end = -1;
  for (;;) {
    const from = end + 1;
    const authorityEnd = rest.slice(from).search(/[?#]/u);
    const at =
      authorityEnd === -1 ? rest.lastIndexOf("@") : rest.lastIndexOf("@", from + authorityEnd - 1);
    if (at >= from) {
      end = at;
      continue;
    }
    if (authorityEnd === -1) return end;
    const next = afterQueryAt(rest, from, from + authorityEnd);
    if (next === "unclear" || next === -1) return next === "unclear" ? next : end;
    end = next;
  }
}

/**
 * The "@" after the query or fragment that starts at `queryStart` which ends a user part begun
 * at `from` (see `userPartEnd`), -1 when none does, or "unclear".
 */
function afterQueryAt(rest: string, from: number, queryStart: number): number | "unclear" {
  for (let at = rest.indexOf("@", queryStart); at !== -1; at = rest.indexOf("@", at + 1)) {
    if (!HOST_NEXT.test(rest.slice(at + 1))) continue;
    const start = rest.slice(from, queryStart);
    const authority = start.slice(0, start.includes("/") ? start.indexOf("/") : start.length);
    if (!HOST_AND_PORT.test(authority)) return at;
    if (rest.slice(queryStart, at).includes("=")) return -1;
    return start.includes("/") ? "unclear" : at;
  }
  return -1;
}

/**
 * A value as a problem shows it: a secret by its length only, anything else `hideCredentials`,
 * quoted as every typed value is (`quotedValue`: a control character, a line feed included, as
 * `\u{001B}`, a typed backslash doubled), so that one message never mixes two styles.
 */
function shownValue(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return `${String(value.length)} characters, not shown`;
  return quotedValue(hideCredentials(value));
}
