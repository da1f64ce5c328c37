import tls from "node:tls";

import { LOCAL_DEFAULTS } from "@ciba-testbed/shared";
import { localCaToTrust, readPemFile } from "@ciba-testbed/shared/node";

/**
 * The CA certificates (PEM) this process must add to what Node trusts to reach the local
 * tenant, or undefined when there is nothing to add: a remote tenant, no local CA yet, or a
 * NODE_EXTRA_CA_CERTS that Node loaded at start and that already holds it.
 *
 * `loadedAtStart` is the NODE_EXTRA_CA_CERTS Node itself read (the real environment's). `env`
 * may name another one (from `.env`), which Node never read: its certificates are added too.
 */
export function localTenantCertificates(
  env: Readonly<Record<string, string | undefined>>,
  loadedAtStart: string | undefined = process.env.NODE_EXTRA_CA_CERTS,
): string[] | undefined {
  const tenantHost = env.AUTH0_DOMAIN?.trim() ?? "";
  // Judged against the bundle Node read, not one `.env` names.
  const localCa = localCaToTrust(
    { ...env, NODE_EXTRA_CA_CERTS: loadedAtStart },
    tenantHost === "" ? LOCAL_DEFAULTS.auth0Domain : tenantHost,
  );
  if (localCa === undefined) return undefined;
  const named =
    env.NODE_EXTRA_CA_CERTS?.trim() === loadedAtStart?.trim()
      ? undefined
      : readPemFile(env.NODE_EXTRA_CA_CERTS);
  return named === undefined ? [localCa] : [named, localCa];
}

/** Node 22.15+/23.5+: replaces the default CA certificates of every TLS client. */
type TlsWithDefaults = typeof tls & {
  getCACertificates?: (kind: "default") => string[];
  setDefaultCACertificates?: (certificates: string[]) => void;
};

/**
 * Makes this process trust `certificates` besides what it trusts already (Node's roots,
 * NODE_EXTRA_CA_CERTS, or the system store with `--use-openssl-ca`), for every TLS client that
 * does not choose its own CAs: global fetch (the AI SDK, the Auth0 SDKs, jose, openid-client),
 * `node:https`, Redis over TLS. Node reads NODE_EXTRA_CA_CERTS only at start, so this replaces
 * restarting the process with it.
 *
 * Where Node has `tls.setDefaultCACertificates` it is used. Node 20 has no such API: there
 * every context `tls.connect` makes without a `ca` or `secureContext` of its own (it calls
 * `tls.createSecureContext` for each connection) gets the certificates added. Node 20 adds them
 * to a new store of its bundled roots (or the system's, with `--use-openssl-ca`), without the
 * certificates of NODE_EXTRA_CA_CERTS: those (`loadedAtStart`, the file Node read) are added
 * again first, or a context would stop trusting what the variable named (a CI's or a
 * testbed's CA, a company proxy's). Resolves with a function that undoes it.
 */
export function trustCertificates(
  certificates: readonly string[],
  loadedAtStart: string | undefined = process.env.NODE_EXTRA_CA_CERTS,
): () => void {
  const node = tls as TlsWithDefaults;
  if (node.setDefaultCACertificates !== undefined && node.getCACertificates !== undefined) {
    const previous = node.getCACertificates("default");
    node.setDefaultCACertificates([...previous, ...certificates]);
    return () => {
      node.setDefaultCACertificates?.(previous);
    };
  }
  const extra = readPemFile(loadedAtStart);
  const added = extra === undefined ? certificates : [extra, ...certificates];
  const original = tls.createSecureContext;
  const withCertificates: typeof tls.createSecureContext = (options) => {
    const secureContext = original(options);
    // A caller that names its CAs gets exactly those, as without this.
    if (options?.ca === undefined) {
      const native = (secureContext as { context?: { addCACert?: (pem: string) => void } }).context;
      for (const pem of added) native?.addCACert?.(pem);
    }
    return secureContext;
  };
  tls.createSecureContext = withCertificates;
  return () => {
    if (tls.createSecureContext === withCertificates) tls.createSecureContext = original;
  };
}

/**
 * Against the local tenant, trusts its CA in this process (see `trustCertificates`); does
 * nothing when Node already trusts it or the tenant is remote.
 */
export function trustLocalTenant(env: Readonly<Record<string, string | undefined>>): void {
  const certificates = localTenantCertificates(env);
  if (certificates !== undefined) trustCertificates(certificates);
}

/**
 * `trustLocalTenant` at the web app's start: a local CA it cannot read is said in one line,
 * and the exit code (2: starting again unchanged cannot help) returned; undefined when trusted.
 */
export function trustLocalTenantToServe(
  env: Readonly<Record<string, string | undefined>>,
): number | undefined {
  try {
    trustLocalTenant(env);
    return undefined;
  } catch (error) {
    process.stderr.write(`agent serve: ${(error as Error).message}\n`);
    return 2;
  }
}
