import { X509Certificate as NodeX509Certificate, createPublicKey } from "node:crypto";
import { constants } from "node:fs";
import { access, chmod, readFile, rename, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";

import {
  LockFolderError,
  folderHolder,
  makeFolder,
  withHolderLock,
} from "@ciba-testbed/shared/node";

/**
 * A local certificate authority and a `localhost` server certificate it signed
 * (certificate-authority.ts makes them).
 */
export interface LocalCertificates {
  /** PEM of the CA: what `NODE_EXTRA_CA_CERTS` must point at. */
  caCert: string;
  caCertPath: string;
  /** PEM of the server certificate and its private key. */
  cert: string;
  key: string;
  /** True when this call made them, false when they were reused. */
  created: boolean;
  /** What the person should know of the CA kept: one made by an older version. */
  note?: string;
}

export const CA_CERT_FILE = "ca.pem";
const CA_KEY_FILE = "ca-key.pem";
const SERVER_CERT_FILE = "localhost.pem";
const SERVER_KEY_FILE = "localhost-key.pem";

/** Certificates this close to expiry are replaced at start. */
const RENEW_BEFORE_MS = 7 * 86_400_000;

/** The certificate folder cannot be made or written: the fix is another folder. */
export class CertDirError extends Error {
  override name = "CertDirError";

  constructor(
    dir: string,
    cause: unknown,
    advice = PERMISSION_CODES.has((cause as NodeJS.ErrnoException | undefined)?.code ?? "")
      ? `give this user the folder (one made by another user, such as a run with sudo, is ` +
        `theirs: sudo chown -R ${userName()} ${dir}), or ${MOVE_IT}`
      : MOVE_IT,
  ) {
    super(
      `mock-auth0 cannot keep its local CA and signing keys in ${dir} ` +
        `(${cause instanceof Error ? cause.message : String(cause)}): ${advice}`,
      { cause },
    );
  }
}

/** The way out of any certificate folder: another one. */
const MOVE_IT =
  "set MOCK_AUTH0_CERT_DIR (the testkit's certDir option) to a folder this user may write";
/** A folder this user may not use as it is (another user's, a run with sudo's). */
const PERMISSION_CODES: ReadonlySet<string> = new Set(["EACCES", "EPERM"]);

/** This user's name, for a command that gives them a file; `$USER` where it has none. */
function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return "$USER";
  }
}

/**
 * Makes the certificate folder, readable by its owner only as the keys in it are (a folder
 * already there is left as it is). Failing, it names the folder and the setting that moves it.
 *
 * A folder in the temporary folder (the default of an installed package) must be this user's:
 * any user may make `/tmp/ciba-testbed-<uid>-certs` first, and would then read the CA's
 * private key and the signing keys written into it, or plant their own. One owned by someone
 * else, or a symbolic link, is refused; one of this user's that others may open is closed.
 */
export async function makeCertDir(dir: string, temp: string = tmpdir()): Promise<void> {
  await makeFolder(dir, 0o700).catch((error: unknown) => {
    throw new CertDirError(dir, error);
  });
  const inTemp = path.relative(path.resolve(temp), path.resolve(dir));
  if (!inTemp.startsWith("..") && !path.isAbsolute(inTemp)) {
    const holder = await folderHolder(dir);
    if (holder?.mine === false) {
      // The temporary folder lets only an entry's owner remove it (its sticky bit).
      const theirs =
        holder.uid === undefined
          ? "it is not a folder of its own but a link or a file"
          : `it belongs to user ${String(holder.uid)}, not to this user (${String(holder.me)})`;
      throw new CertDirError(
        dir,
        new Error(`${theirs}, which this user cannot remove from ${temp}`),
        "set MOCK_AUTH0_CERT_DIR (the testkit's certDir option) to a folder of this user's own",
      );
    }
    if (holder !== undefined && (holder.mode & 0o077) !== 0) await chmod(dir, 0o700);
  }
  // A folder made by another user (a run with sudo) would fail later, as an unreadable keys file.
  await access(dir, constants.R_OK | constants.W_OK | constants.X_OK).catch((error: unknown) => {
    throw new CertDirError(dir, error);
  });
}

/**
 * Reuses the certificates in `dir` when they are usable, else creates a fresh set. `host` is the
 * host of the tenant's URLs (`urlHostOf` its listen address): a server certificate that does not
 * cover it is replaced by one that does, signed by the same CA, which stays trusted.
 */
export async function ensureLocalCertificates(
  dir: string,
  now: () => number = Date.now,
  host = "localhost",
): Promise<LocalCertificates> {
  await makeCertDir(dir);
  return withDirectoryLock(path.join(dir, ".lock"), async () => {
    const existing = await readUsable(dir, now());
    if (existing && covers(existing.cert, host)) return withNote(existing, dir);
    // A CA that lasts beyond the renewal, with its key, whose server certificate alone cannot
    // serve (near its end: it ends days before the CA; gone, damaged): it signs a new one, and
    // whatever trusts it is unaffected.
    const signer = existing ?? (await lastingCa(dir, now()));
    // A CA made with NameConstraints signs for the loopback names and the host it was made for.
    const { caPermits } = await import("./certificate-authority.js");
    const permits = signer !== undefined && caPermits(signer.caCert, host);
    // The CA the folder held, when no new server certificate can come from it (near its end,
    // its key gone): what trusts the folder's ca.pem trusts it, and must hear of the new one.
    const outgoing = signer === undefined ? await readCa(dir) : undefined;
    const write = permits
      ? writeServerFor(dir, host, signer, now())
      : writeFresh(dir, now(), host, signer?.cert);
    const replaced = await write.catch((error: unknown) => {
      throw new CertDirError(dir, error);
    });
    const created = await readUsable(dir, now());
    if (!created || !covers(created.cert, host)) {
      throw new Error(`Certificates written to ${dir} could not be read back`);
    }
    const made = { ...created, created: true };
    if (outgoing !== undefined) {
      return { ...made, note: newCaNote(made.caCertPath, whyOutgoing(outgoing, now())) };
    }
    if (signer === undefined || replaced === false) return withNote(made, dir);
    const why = permits
      ? `its key (${CA_KEY_FILE}) is gone, and a certificate for ${host} had to be signed`
      : `its NameConstraints let it sign for the loopback names and the host it was made on, ` +
        `not ${host}`;
    return {
      ...made,
      note: newCaNote(
        made.caCertPath,
        `to serve on ${host}: the CA there before cannot serve it (${why})`,
      ),
    };
  });
}

/**
 * What a person must hear when the folder's CA was replaced: whatever trusted the old one (a
 * process, a browser, a system store, a CI cache's bundle) fails TLS with this tenant from now
 * on, with nothing else pointing here. `why` follows the new file's name.
 */
function newCaNote(caCertPath: string, why: string): string {
  return (
    `mock-auth0 made a new local CA, ${caCertPath}, ${why}. What trusted the old CA no longer ` +
    "trusts this tenant (a Node process started with NODE_EXTRA_CA_CERTS naming it or a bundle " +
    "made from it, a browser or a system store it was added to, curl --cacert): restart each " +
    `with the new ${CA_CERT_FILE} (a test run's globalSetup with ensureTestbedCa makes its ` +
    "bundle anew), and add it where you added the old one"
  );
}

/** Why the folder's CA `ca` could not serve on at `now`: its end, or its key. */
function whyOutgoing(ca: NodeX509Certificate, now: number): string {
  const end = Date.parse(ca.validTo);
  const was = `the CA there before (SHA-256 ${ca.fingerprint256})`;
  if (end <= now) return `as ${was} expired on ${ca.validTo}`;
  if (end - now <= RENEW_BEFORE_MS) {
    const days = String(RENEW_BEFORE_MS / 86_400_000);
    return `as ${was} expires on ${ca.validTo}, and a CA is replaced in its last ${days} days`;
  }
  return (
    `as ${was} could not sign a new server certificate (${SERVER_CERT_FILE} was missing, ` +
    `damaged or near its end): its key (${CA_KEY_FILE}) is gone or not its own`
  );
}

/**
 * The CA in `dir` with what signs for it, when it lasts beyond the renewal and its key is its
 * own: `cert` is the server certificate beside it, when one can be read, for the names it covered.
 */
async function lastingCa(
  dir: string,
  now: number,
): Promise<{ caCert: string; cert?: string } | undefined> {
  const ca = await readCa(dir);
  if (ca === undefined || Date.parse(ca.validTo) - now <= RENEW_BEFORE_MS) return undefined;
  const caKey = await readFile(path.join(dir, CA_KEY_FILE), "utf8").catch(() => undefined);
  try {
    const own = createPublicKey(caKey ?? "").export({ type: "spki", format: "der" });
    if (!own.equals(ca.publicKey.export({ type: "spki", format: "der" }))) return undefined;
  } catch {
    return undefined;
  }
  const cert = await readFile(path.join(dir, SERVER_CERT_FILE), "utf8").catch(() => undefined);
  try {
    if (cert !== undefined) new NodeX509Certificate(cert);
  } catch {
    return { caCert: ca.toString() };
  }
  return cert === undefined ? { caCert: ca.toString() } : { caCert: ca.toString(), cert };
}

/** The CA in `dir` (ca.pem), or undefined when there is none or it is no certificate. */
async function readCa(dir: string): Promise<NodeX509Certificate | undefined> {
  const pem = await readFile(path.join(dir, CA_CERT_FILE), "utf8").catch(() => undefined);
  if (pem === undefined) return undefined;
  try {
    return new NodeX509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** The DER of the NameConstraints extension's id, 2.5.29.30: in every CA made since it had one. */
const NAME_CONSTRAINTS_OID = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x1e]);

/** Beside a CA an older version made: the fingerprint of the one the note was given for. */
const OLDER_CA_NOTED_FILE = "older-ca-noted";

/**
 * A CA made by an older version (no NameConstraints, ten years) is kept, so that every process
 * that trusts it (a running `pnpm dev`, an agent started with NODE_EXTRA_CA_CERTS) goes on
 * working; the note says what it allows and how to get a new one, once for that CA (a file
 * beside it remembers it was said): at every start it was the same words in every CI log.
 */
async function withNote(certificates: LocalCertificates, dir: string): Promise<LocalCertificates> {
  const ca = new NodeX509Certificate(certificates.caCert);
  if (ca.raw.includes(NAME_CONSTRAINTS_OID)) return certificates;
  const marker = path.join(dir, OLDER_CA_NOTED_FILE);
  const noted = await readFile(marker, "utf8").catch(() => "");
  if (noted.trim() === ca.fingerprint256) return certificates;
  // Unwritten (a read-only folder), it is said again at the next start, which is no harm.
  await writeAtomically(marker, `${ca.fingerprint256}\n`, 0o644).catch(() => undefined);
  return {
    ...certificates,
    note:
      `The local CA in ${dir} was made by an older mock-auth0: its key (ca-key.pem) can sign a ` +
      "certificate for any host, acme.us.auth0.com or api.openai.com too, that every process " +
      `trusting ca.pem accepts, until it expires on ${ca.validTo}. It is kept, so that what ` +
      `trusts it goes on working. For a CA that signs for localhost and loopback addresses only, ` +
      `delete ${path.join(dir, CA_CERT_FILE)} and start the tenant again (or run mock-auth0 ` +
      "--make-ca), then restart the processes that trust the old one. This is said once for " +
      `this CA (${OLDER_CA_NOTED_FILE} beside it remembers it)`,
  };
}

/** Whether the server certificate `cert` is valid for `host` (a URL's host). */
function covers(cert: string, host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  const server = new NodeX509Certificate(cert);
  return (isIP(bare) === 0 ? server.checkHost(bare) : server.checkIP(bare)) !== undefined;
}

async function readUsable(dir: string, now: number): Promise<LocalCertificates | undefined> {
  const read = (file: string) => readFile(path.join(dir, file), "utf8").catch(() => undefined);
  const [caCert, cert, key] = await Promise.all([
    read(CA_CERT_FILE),
    read(SERVER_CERT_FILE),
    read(SERVER_KEY_FILE),
  ]);
  if (caCert === undefined || cert === undefined || key === undefined) return undefined;
  try {
    const ca = new NodeX509Certificate(caCert);
    const server = new NodeX509Certificate(cert);
    const usable =
      server.verify(ca.publicKey) &&
      server.checkHost("localhost") !== undefined &&
      server.checkIP("127.0.0.1") !== undefined &&
      Date.parse(server.validTo) - now > RENEW_BEFORE_MS &&
      Date.parse(ca.validTo) - now > RENEW_BEFORE_MS;
    if (!usable) return undefined;
  } catch {
    return undefined;
  }
  return { caCert, caCertPath: path.join(dir, CA_CERT_FILE), cert, key, created: false };
}

/** A new CA and server certificate for `host`, and for the names `previous` covered. */
async function writeFresh(
  dir: string,
  now: number,
  host: string,
  previous?: string,
): Promise<void> {
  const { makeLocalCertificates } = await import("./certificate-authority.js");
  const made = await makeLocalCertificates(now, host, previous);
  // The CA key signs nothing after this, but keeping it lets a person issue more local certs.
  await writeAtomically(path.join(dir, CA_KEY_FILE), made.caKey, 0o600);
  await writeAtomically(path.join(dir, SERVER_KEY_FILE), made.serverKey, 0o600);
  await writeAtomically(path.join(dir, SERVER_CERT_FILE), made.serverCert, 0o644);
  await writeAtomically(path.join(dir, CA_CERT_FILE), made.caCert, 0o644);
}

/**
 * A server certificate for `host` too, by the CA in `dir`, for the names `signer.cert` (the one
 * it replaces, when there is one) covered; without the CA's key, a fresh set. Whether the CA was
 * made anew: true when its key was gone.
 */
async function writeServerFor(
  dir: string,
  host: string,
  signer: { caCert: string; cert?: string },
  now: number,
): Promise<boolean> {
  const caKey = await readFile(path.join(dir, CA_KEY_FILE), "utf8").catch(() => undefined);
  if (caKey === undefined) {
    await writeFresh(dir, now, host, signer.cert);
    return true;
  }
  const { makeServerCertificateFor } = await import("./certificate-authority.js");
  const made = await makeServerCertificateFor(
    host,
    { caCert: signer.caCert, caKey, previous: signer.cert },
    now,
  );
  await writeAtomically(path.join(dir, SERVER_KEY_FILE), made.serverKey, 0o600);
  await writeAtomically(path.join(dir, SERVER_CERT_FILE), made.serverCert, 0o644);
  return false;
}

async function writeAtomically(file: string, content: string, mode: number): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, content, { mode });
  await rename(temp, file);
}

/**
 * Several tenants may start at once (test workers, `pnpm dev`): a lock makes the first one
 * create the certificates and the others reuse them. A lock left by a tenant killed while it
 * made them is taken over at once once that process is gone (`withHolderLock`).
 */
function withDirectoryLock<T>(lock: string, work: () => Promise<T>): Promise<T> {
  return withHolderLock(lock, work).catch((error: unknown) => {
    throw error instanceof LockFolderError
      ? new CertDirError(path.dirname(lock), error.cause)
      : error;
  });
}
