import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

import { z } from "zod";

import { ConfigError } from "../env.js";

/** What a server's listen address must be, as every problem with one says. */
const LISTEN_HOST =
  "must be an IP address (such as 127.0.0.1 or ::1) or a host name that resolves (such as localhost)";

/**
 * A host name (RFC 1123 section 2.1: labels of letters, digits and inner hyphens). A last label
 * of digits alone is refused, as in URLs: `999.1.1.1` is a mistyped IPv4 address, not a name
 * (RFC 3696 section 2), and looking it up would only ask a DNS server about it.
 */
const HOST_NAME =
  /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*(?!\d+$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** An IPv6 address as URLs write it, `[::1]`, without its brackets; anything else as it is. */
function bareHost(value: string): string {
  return value.replace(/^\[(.*)\]$/, "$1");
}

/** Whether `value` can be a listen address: an IP address (IPv6 bracketed or not), or a host name. */
export function isListenHost(value: string): boolean {
  if (bareHost(value) !== value) return isIP(bareHost(value)) === 6;
  return isIP(value) !== 0 || HOST_NAME.test(value);
}

/**
 * An IPv4-mapped IPv6 address (`::ffff:127.0.0.3`, `::ffff:7f00:3`) as the IPv4 address it
 * stands for, which is where a server listening on it answers; any other value as it is.
 */
export function unmappedAddress(value: string): string {
  // A scoped address (`fe80::1%eth0`) is no mapped one, and URLs cannot hold its zone.
  if (isIP(value) !== 6 || value.includes("%")) return value;
  // WHATWG URLs write every IPv6 address one way: a mapped one as `::ffff:7f00:3`.
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(
    new URL(`http://[${value}]/`).hostname,
  );
  if (mapped === null) return value;
  const [high, low] = mapped.slice(1).map((group) => parseInt(group, 16)) as [number, number];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

/**
 * A server's `*_HOST` variable, trimmed, an IPv6 address's brackets dropped (Node's `listen`
 * would look `[::1]` up as a name) and an IPv4-mapped one written as IPv4 (so that the URLs and
 * the local certificate name the address clients reach): refused at start unless
 * `isListenHost`.
 */
export function listenHostSchema(defaultHost: string) {
  return z
    .string()
    .trim()
    .refine(isListenHost, LISTEN_HOST)
    .transform((value) => unmappedAddress(bareHost(value)))
    .default(defaultHost);
}

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

/**
 * Whether an address (IPv6 bracketed or not) is this machine's alone: localhost, 127.0.0.0/8
 * or ::1. A name other than localhost may resolve anywhere.
 */
export function isLoopbackAddress(host: string): boolean {
  const address = bareHost(host.trim().toLowerCase());
  if (address === "localhost") return true;
  const family = isIP(address);
  return family !== 0 && loopback.check(address, family === 6 ? "ipv6" : "ipv4");
}

/** Listen addresses a URL names `localhost`: the default, and every address, which it reaches. */
const LOCALHOST_REACHES = new Set(["127.0.0.1", "localhost", "0.0.0.0", "::"]);

/**
 * The host a URL names to reach a server listening on `listenHost`: `localhost` for the default
 * 127.0.0.1 (the name Auth0's quickstart and the local certificate use) and for every address
 * (0.0.0.0, ::), which localhost reaches; any other address or name as it is, IPv6 in brackets.
 * A server on 127.0.0.2 alone is not reached at localhost.
 */
export function urlHostOf(listenHost: string): string {
  const host = bareHost(listenHost.trim()).toLowerCase();
  if (LOCALHOST_REACHES.has(host)) return "localhost";
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** `<scheme>://<host>:<port>` of a server listening on `listenHost` (`urlHostOf`), no slash. */
export function serverUrl(scheme: "http" | "https", listenHost: string, port: number): string {
  return `${scheme}://${urlHostOf(listenHost)}:${String(port)}`;
}

/** How a host name is looked up: `dns.promises.lookup`, or a stand-in in tests. */
export type HostLookup = (host: string) => Promise<unknown>;

/**
 * The problem with `host`, the value of `variable`, when it is a host name that does not
 * resolve: `listen` would fail with getaddrinfo's ENOTFOUND once everything else had started.
 * Undefined for an IP address, an unset variable, or a value the schema refuses anyway.
 */
export async function unresolvedHostProblem(
  variable: string,
  host: string | undefined,
  lookup: HostLookup = dnsLookup,
): Promise<string | undefined> {
  const name = host?.trim() ?? "";
  if (name === "" || isIP(name) !== 0 || !HOST_NAME.test(name)) return undefined;
  try {
    await lookup(name);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return `${variable} ${LISTEN_HOST}: ${JSON.stringify(name)} does not resolve (${code})`;
  }
}

/**
 * A server's configuration by `load`, its listen host (`hostVariable`) looked up first: a name
 * that does not resolve is one more configuration problem, listed with the others, instead of a
 * getaddrinfo error at `listen`. It replaces what the schema says of the same variable (such as
 * mock-auth0's warning that a name is not a loopback address), which is beside the point then.
 */
export async function loadServerConfig<T>(
  app: string,
  hostVariable: string,
  env: Readonly<Record<string, string | undefined>>,
  load: (env: Readonly<Record<string, string | undefined>>) => T,
  lookup?: HostLookup,
): Promise<T> {
  const unresolved = await unresolvedHostProblem(hostVariable, env[hostVariable], lookup);
  if (unresolved === undefined) return load(env);
  let others: readonly string[] = [];
  try {
    load(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    others = error.problems.filter((problem) => !problem.startsWith(`${hostVariable} `));
  }
  throw new ConfigError(app, [unresolved, ...others]);
}
