import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { resolveFromInvocation } from "./invocation-dir.js";
import { isLoopbackAddress } from "./listen-host.js";

/**
 * The name the testbed's files kept across runs in the temporary folder start with: the
 * user's own, so that two users of one machine never share (or trip over) each other's.
 */
export function userTempPrefix(): string {
  return `ciba-testbed-${String(process.getuid?.() ?? "user")}-`;
}

/**
 * Where mock-auth0 keeps its local CA and signing keys unless MOCK_AUTH0_CERT_DIR says
 * otherwise. In a checkout of the ciba-testbed repository (`codeRoot` holds its
 * pnpm-workspace.yaml), `<repo>/.certs`. Installed as a package, the code's root is inside
 * node_modules, which may be read-only (installed by another user) or cached by CI with the
 * CA's private key in it: a folder of the user's own in the temporary folder instead.
 */
export function defaultCertDir(codeRoot: string, temp: string = tmpdir()): string {
  return existsSync(path.join(codeRoot, "pnpm-workspace.yaml"))
    ? path.join(codeRoot, ".certs")
    : path.join(temp, `${userTempPrefix()}certs`);
}

/** Where mock-auth0 keeps its local CA and certificates unless MOCK_AUTH0_CERT_DIR says otherwise. */
export const DEFAULT_CERT_DIR = defaultCertDir(
  fileURLToPath(new URL("../../../../", import.meta.url)),
);

/** The default local CA file. */
export const LOCAL_CA_FILE = path.join(DEFAULT_CERT_DIR, "ca.pem");

/** The local CA file mock-auth0 uses with this environment (MOCK_AUTH0_CERT_DIR honoured). */
export function localCaFile(env: Readonly<Record<string, string | undefined>>): string {
  const dir = env.MOCK_AUTH0_CERT_DIR?.trim();
  return dir ? path.join(resolveFromInvocation(dir, env), "ca.pem") : LOCAL_CA_FILE;
}

/** `localhost`, `127.0.0.0/8`, `[::1]` or `*.localhost`, with or without a port. */
export function isLoopbackHost(hostWithPort: string): boolean {
  const host = hostWithPort.toLowerCase().replace(/:\d+$/, "");
  return isLoopbackAddress(host) || host.endsWith(".localhost");
}

/**
 * The local tenant's CA cannot be trusted as it is: `problem` says what is wrong with the file,
 * `fix` what to do; the message is both, "<problem>: <fix>".
 */
export class LocalCaError extends Error {
  constructor(
    readonly problem: string,
    readonly fix: string,
    options?: ErrorOptions,
  ) {
    super(`${problem}: ${fix}`, options);
    this.name = "LocalCaError";
  }
}

/**
 * The local tenant's CA (PEM) that a client of the tenant at `tenantHost` must trust besides
 * what Node trusts already, or undefined when there is nothing to add: a remote tenant, no local
 * CA yet (`caFile`: mock-auth0's, MOCK_AUTH0_CERT_DIR honoured), or a NODE_EXTRA_CA_CERTS that
 * holds it. Node reads NODE_EXTRA_CA_CERTS only at start, so the caller hands the CA to its own
 * TLS client instead (shop-api: an `https.Agent` for the issuer).
 */
export function localCaToTrust(
  env: Readonly<Record<string, string | undefined>>,
  tenantHost: string,
  caFile: string = localCaFile(env),
): string | undefined {
  if (!isLoopbackHost(tenantHost)) return undefined;
  let ca: string;
  try {
    ca = readFileSync(caFile, "utf8").trim();
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    // A NODE_EXTRA_CA_CERTS of this user's own that holds a copy of a testbed CA is what the
    // fix says: trusted. Any other bundle (the system's) is no copy of it.
    if (holdsLocalCa(nodeExtraCaCertificates(env))) return undefined;
    // Said as what it is: left out, the tenant's certificate was later called untrusted.
    throw new LocalCaError(
      `cannot read the local tenant's CA ${caFile} (${code ?? message})`,
      `this process must trust it to reach the tenant at ${tenantHost}. Give this user the file and its folder (a folder made by another user, such as a run with sudo, is theirs), set NODE_EXTRA_CA_CERTS to a copy of it this user may read, or set MOCK_AUTH0_CERT_DIR to a folder of this user's own and start the tenant with it too`,
      { cause: error },
    );
  }
  if (pemCertificates(ca).length === 0) {
    throw new LocalCaError(
      `the local tenant's CA ${caFile} holds no certificate (it is empty or damaged)`,
      `stop the tenant, delete the files in its folder (${path.dirname(caFile)}), and start it again, which makes a new CA`,
    );
  }
  return nodeExtraCaCertificates(env)?.includes(ca) === true ? undefined : ca;
}

/** The subject mock-auth0 gives every local CA it makes (`makeLocalCertificates`). */
export const LOCAL_CA_SUBJECT = "CN=ciba-testbed local CA, O=ciba-testbed";

/** The certificates a PEM text holds, those that parse; none for text that holds none. */
export function pemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.flatMap((block) => {
    try {
      return [new X509Certificate(block)];
    } catch {
      return [];
    }
  });
}

/** Whether a PEM bundle holds a certificate with the subject of the testbed's local CA. */
function holdsLocalCa(bundle: string | undefined): boolean {
  const subject = LOCAL_CA_SUBJECT.split(", ").join("\n");
  return pemCertificates(bundle ?? "").some((certificate) => certificate.subject === subject);
}

/** The text of the NODE_EXTRA_CA_CERTS file (PEM), if it names one that exists. */
export function nodeExtraCaCertificates(
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  return readPemFile(env.NODE_EXTRA_CA_CERTS);
}

/**
 * The text of a certificate file (PEM) named by a variable, if it names one this process can
 * read. A folder or a file it may not read is no certificate, as Node itself takes such a
 * NODE_EXTRA_CA_CERTS: it warns, and goes on without.
 */
export function readPemFile(file: string | undefined): string | undefined {
  const name = file?.trim() ?? "";
  if (name === "") return undefined;
  try {
    return readFileSync(name, "utf8");
  } catch {
    return undefined;
  }
}
