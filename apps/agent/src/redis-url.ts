import { quotedValue } from "@ciba-testbed/shared";

/** A Redis AGENT_STORE, checked: where the server is and which database the agent uses. */
export interface RedisLocation {
  /** As given: passed to the client, never printed (it may hold a password). */
  url: string;
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username: string | undefined;
  hasPassword: boolean;
  /** The URL without its password, for messages. */
  display: string;
}

const DEFAULT_PORT = 6379;
export const REDIS_URL_EXAMPLE = "redis://localhost:6379/0";

/**
 * Reads `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS). Returns the
 * problem, worded to follow the variable's name, when the URL is not one.
 */
export function parseRedisUrl(value: string): RedisLocation | { problem: string } {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme !== "redis" && scheme !== "rediss") {
    return {
      problem: `is a ${scheme ?? "malformed"}:// URL; the agent's stores are a directory or a Redis URL such as ${REDIS_URL_EXAMPLE}`,
    };
  }
  // A "/", "?" or "#" ends a URL's authority, so one in a password not percent-encoded cuts it
  // there: the rest of the password would be read as the database, the query or the fragment.
  // Whatever follows it is never quoted back.
  const afterScheme = value.slice(scheme.length + "://".length);
  const authorityEnd = afterScheme.search(/[/?#]/);
  if (authorityEnd !== -1 && afterScheme.includes("@", authorityEnd)) {
    return {
      problem: `has a "/", "?" or "#" before its last "@", which ends the user name and password there; percent-encode them in the password (/ as %2F, ? as %3F, # as %23, @ as %40), e.g. redis://:p%40ss%2Fword@localhost:6379/0`,
    };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `is not a valid URL; write it as ${REDIS_URL_EXAMPLE}` };
  }
  if (url.hostname === "") return { problem: `names no host; write it as ${REDIS_URL_EXAMPLE}` };
  const dbText = url.pathname.replace(/^\//, "");
  if (!/^\d{0,5}$/.test(dbText)) {
    return {
      problem: `has the database ${quotedValue(decodeURIComponent(dbText))}; the path is a database number, e.g. ${REDIS_URL_EXAMPLE}`,
    };
  }
  if (url.search !== "" || url.hash !== "") {
    return { problem: `takes no query or fragment; write it as ${REDIS_URL_EXAMPLE}` };
  }
  const port = url.port === "" ? DEFAULT_PORT : Number(url.port);
  const username = url.username === "" ? undefined : decodeURIComponent(url.username);
  const display = new URL(value);
  if (display.password !== "") display.password = "***";
  return {
    url: value,
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    db: dbText === "" ? 0 : Number(dbText),
    tls: scheme === "rediss",
    username,
    hasPassword: url.password !== "",
    display: display.href,
  };
}

/** The redis-cli command that runs `args` against this location (asking for the password). */
export function redisCliCommand(location: RedisLocation, args: string[]): string {
  const options = [
    "-h",
    location.host,
    "-p",
    String(location.port),
    "-n",
    String(location.db),
    ...(location.tls ? ["--tls"] : []),
    ...(location.username === undefined ? [] : ["--user", location.username]),
    ...(location.hasPassword ? ["--askpass"] : []),
  ];
  return ["redis-cli", ...options, ...args].map(shellWord).join(" ");
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
