/**
 * SHOP_API_DATABASE_URL read as node-postgres reads it (pg-connection-string), without loading
 * it: the configuration checks the URL, and messages show it, before any driver is loaded.
 */

/**
 * The host a URL with a user and no host is parsed with (`postgresql://shop@/shop?host=/tmp`,
 * one of libpq's forms for a Unix socket), which the URL standard refuses but node-postgres
 * takes: it too parses such a URL with a stand-in host, and reads it as none.
 */
const NO_HOST = "no-host.invalid";

/** A PostgreSQL URL, parsed; `host` is its host as node-postgres reads it ("" for none). */
export interface DatabaseUrl {
  url: URL;
  host: string;
}

/** `value` parsed as node-postgres parses it, or undefined when it cannot be. */
export function parseDatabaseUrl(value: string): DatabaseUrl | undefined {
  try {
    const url = new URL(value);
    return { url, host: url.hostname };
  } catch {
    // A user and no host: "@" just before the path, query, fragment or end.
    const hostless = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@)(?=[/?#]|$)/u.exec(value);
    if (hostless?.[1] === undefined) return undefined;
    const prefix = hostless[1];
    try {
      return { url: new URL(prefix + NO_HOST + value.slice(prefix.length)), host: "" };
    } catch {
      return undefined;
    }
  }
}

/** `parsed` written back as a URL, a host it was parsed without left out again. */
export function databaseUrlText({ url, host }: DatabaseUrl): string {
  const text = url.toString();
  return host === "" && url.hostname === NO_HOST ? text.replace(`@${NO_HOST}`, "@") : text;
}
