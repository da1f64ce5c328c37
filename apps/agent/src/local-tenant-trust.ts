import { existsSync } from "node:fs";
import path from "node:path";
import tls from "node:tls";

import { LOCAL_DEFAULTS } from "@ciba-testbed/shared";
import { localCaToTrust, readPemFile } from "@ciba-testbed/shared/node";

/** The certificates (PEM, trimmed) `trustCertificates` made this process trust, until undone. */
const trustedHere: string[] = [];

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
  const recorded = certificates.map((pem) => pem.trim());
  trustedHere.push(...recorded);
  const forget = () => {
    for (const pem of recorded) trustedHere.splice(trustedHere.indexOf(pem), 1);
  };
  const node = tls as TlsWithDefaults;
  if (node.setDefaultCACertificates !== undefined && node.getCACertificates !== undefined) {
    const previous = node.getCACertificates("default");
    node.setDefaultCACertificates([...previous, ...certificates]);
    return () => {
      forget();
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
    forget();
    if (tls.createSecureContext === withCertificates) tls.createSecureContext = original;
  };
}

/**
 * Whether this process trusts the CA `pem`: the NODE_EXTRA_CA_CERTS bundle Node read at start
 * (`loadedAtStart`) holds it, or `trustCertificates` added it (as `trustLocalTenant` does).
 */
function trustsHere(pem: string, loadedAtStart: string | undefined): boolean {
  const ca = pem.trim();
  if (trustedHere.some((added) => added.includes(ca))) return true;
  return readPemFile(loadedAtStart)?.includes(ca) === true;
}

/**
 * The fix for a local tenant whose certificate this process does not trust, told by what it
 * finds: no CA file where the agent looks (deleted while the tenant ran, or the tenant keeps its
 * certificates elsewhere), a CA this process trusts that did not sign the tenant's certificate
 * (another tenant's folder), or a CA this process never trusted (a program of its own that
 * neither the CLI nor the web app started).
 */
export function untrustedLocalTenantFix(
  setting: { localCaFile: string; extraCaCerts: string | undefined },
  loadedAtStart: string | undefined = process.env.NODE_EXTRA_CA_CERTS,
): string {
  const { localCaFile, extraCaCerts } = setting;
  const extra = extraCaCerts === "" ? undefined : extraCaCerts;
  const elsewhere =
    "if the tenant was started with another certificate folder, set MOCK_AUTH0_CERT_DIR to that folder (or NODE_EXTRA_CA_CERTS to its CA: the caCertPath its ready record names)";
  const local = readPemFile(localCaFile);
  const named = extra === undefined ? undefined : readPemFile(extra);
  if (local === undefined && named === undefined) {
    const said = (file: string) => (existsSync(file) ? "cannot be read" : "does not exist");
    const missing =
      extra === undefined
        ? `The local tenant's CA ${localCaFile} ${said(localCaFile)}`
        : path.resolve(extra) === path.resolve(localCaFile)
          ? `The local tenant's CA ${localCaFile} (NODE_EXTRA_CA_CERTS) ${said(localCaFile)}`
          : `The local tenant's CA ${localCaFile} ${said(localCaFile)}, and ${extra} (NODE_EXTRA_CA_CERTS) ${said(extra)}`;
    return `${missing}: the tenant writes it when it starts, so it was deleted after the tenant started, or the tenant keeps its certificates elsewhere. Restart the tenant (pnpm dev, or pnpm mock-auth0), which writes it again, then ask again; ${elsewhere}.`;
  }
  const trusted = [
    ...(local === undefined ? [] : [{ file: localCaFile, pem: local }]),
    ...(named === undefined || extra === undefined ? [] : [{ file: extra, pem: named }]),
  ].find(({ pem }) => trustsHere(pem, loadedAtStart));
  if (trusted !== undefined) {
    return `The tenant's certificate was not signed by ${trusted.file}, the CA this agent trusts for the local tenant: ${elsewhere}; if it uses ${path.dirname(trusted.file)}, its CA was made again after it started, so restart it.`;
  }
  const file = local === undefined ? (extra ?? localCaFile) : localCaFile;
  return `This process does not trust ${file}, the local tenant's CA: the agent's CLI (pnpm agent, node build/agent.cjs) and web app (pnpm agent serve) trust it by themselves, and any other Node process must be started with NODE_EXTRA_CA_CERTS=${file}.`;
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
