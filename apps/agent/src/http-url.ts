import { hideCredentials, refuseWith } from "@ciba-testbed/shared";
import { z } from "zod";

/**
 * What AUTH0_DOMAIN holds: a host and maybe a port, no scheme, no path. An IPv6 address in
 * brackets, as a URL writes it (a local tenant on `::1`: `[::1]:4010`).
 */
export const BARE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;

/**
 * An http:// or https:// URL. zod's `url()` takes any scheme, and reads `localhost:4520` as
 * the scheme `localhost:`: the agent then failed later, with no message. A value without a
 * scheme is answered with itself written out in full.
 */
export function httpUrl(example: string) {
  return z
    .string()
    .trim()
    .superRefine(refuseWith((value) => httpUrlProblem(value, example)));
}

function httpUrlProblem(value: string, example: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url !== undefined && (url.protocol === "http:" || url.protocol === "https:")) {
    if (url.hostname === "") return `names no host: write it as ${example}`;
    // fetch refuses such a URL ("Request cannot be constructed from a URL that includes
    // credentials"), and messages would show the password.
    return url.username !== "" || url.password !== ""
      ? "must not hold a user name or password (user:password@): fetch refuses such a URL; send credentials another way (OPENAI_API_KEY for a model server)"
      : undefined;
  }
  const written = writtenInFull(value, example);
  if (written !== undefined) {
    return `must start with http:// or https://: write it as ${written} (or https:// for TLS)`;
  }
  return `must be an http:// or https:// URL such as ${example}`;
}

/**
 * A host (and port, path) given with no scheme, `localhost:4520` or
 * `shop.example.com/api/purchases`, written in full after the example's path, with http:// and
 * no credentials shown: `http://localhost:4520/api/purchases`. Undefined for anything else.
 */
export function writtenInFull(value: string, example: string): string | undefined {
  if (!/^(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(?::\d{1,5})?(?:\/\S*)?$/.test(value)) return undefined;
  const path = new URL(example).pathname;
  return `http://${hideCredentials(value.includes("/") ? value : `${value}${path}`)}`;
}
