import { randomBytes, webcrypto } from "node:crypto";
import { isIP } from "node:net";

import { AsnConvert } from "@peculiar/asn1-schema";
import {
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  NameConstraints,
  id_ce_nameConstraints,
} from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";

import { LOCAL_CA_SUBJECT } from "@ciba-testbed/shared/node";

/**
 * Makes a local certificate authority and a `localhost` server certificate it signs (and a server
 * certificate for one more host, signed by a CA made before), with `@peculiar/x509` on Node's
 * WebCrypto: no OpenSSL binary, same result on every OS. Loaded only when certificates must be
 * made (`certificates.ts` imports it on demand): most starts reuse them, and Node's own
 * X509Certificate reads them without this library.
 */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const SERVER_NAMES: x509.JsonGeneralName[] = [
  { type: "dns", value: "localhost" },
  { type: "ip", value: "127.0.0.1" },
  { type: "ip", value: "::1" },
];
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;
/** Browsers refuse server certificates valid for more than 398 days. */
const SERVER_VALIDITY_DAYS = 397;
/**
 * A CA for one machine's development, made anew at start once it nears its end (`certificates.ts`):
 * a key copied off the machine or left in an old folder is of use for a little over a year.
 */
const CA_VALIDITY_DAYS = 400;

/**
 * What every CA may sign for (RFC 5280 section 4.2.1.10): `localhost` and its subdomains, and
 * the loopback addresses the tenant listens on (127.0.0.0/8, where `MOCK_AUTH0_HOST=127.0.0.2`
 * is, and ::1). Whoever reads the CA's key cannot make a certificate that a process trusting the
 * CA accepts for `acme.us.auth0.com` or `api.openai.com`.
 */
const LOOPBACK_SUBTREES: readonly GeneralName[] = [
  new GeneralName({ dNSName: "localhost" }),
  new GeneralName({ iPAddress: "127.0.0.0/8" }),
  new GeneralName({ iPAddress: "::1/128" }),
];

/** The PEMs of a fresh CA and server certificate, with their private keys. */
export interface MadeCertificates {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

const crypto = webcrypto.subtle;

/**
 * A CA and a server certificate it signed for the loopback names and `host` (a URL's host), and
 * the names `previous` covered (the server certificate of a CA that may not sign for `host`).
 */
export async function makeLocalCertificates(
  now: number,
  host = "localhost",
  previous?: string,
): Promise<MadeCertificates> {
  const names = withHost(previous === undefined ? SERVER_NAMES : namesOf(previous), host);
  const caKeys = await crypto.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: LOCAL_CA_SUBJECT,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + CA_VALIDITY_DAYS * DAY_MS),
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      nameConstraints(names),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    caCert: ca.toString("pem"),
    caKey: await privatePem(caKeys.privateKey),
    ...(await makeServerCertificate(ca, caKeys.privateKey, names, now)),
  };
}

/**
 * The CA's critical NameConstraints: the loopback names, and each of `names` (its server
 * certificate's) that is another address or name the tenant was started on (`MOCK_AUTH0_HOST`: a
 * LAN address, a host name), permitted exactly.
 */
function nameConstraints(names: readonly x509.JsonGeneralName[]): x509.Extension {
  const own = names.flatMap((name) => hostSubtree(name.value) ?? []);
  const bases = [...LOOPBACK_SUBTREES, ...own];
  const value = new NameConstraints({
    permittedSubtrees: new GeneralSubtrees(bases.map((base) => new GeneralSubtree({ base }))),
  });
  return new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(value));
}

/** `host` (a URL's host) as a subtree of its own, or undefined for a loopback name. */
function hostSubtree(host: string): GeneralName | undefined {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost" || bare.endsWith(".localhost") || bare === "::1") return undefined;
  const version = isIP(bare);
  if (version === 4 && bare.startsWith("127.")) return undefined;
  if (version === 0) return new GeneralName({ dNSName: bare });
  return new GeneralName({ iPAddress: `${bare}/${version === 4 ? "32" : "128"}` });
}

/**
 * Whether the CA (PEM) may sign a server certificate for `host`: a CA of an older version, made
 * without NameConstraints, may sign for any; one made since, for the loopback names and the host
 * it was made for.
 */
export function caPermits(caCert: string, host: string): boolean {
  const extension = new x509.X509Certificate(caCert).getExtension(id_ce_nameConstraints);
  if (extension === null) return true;
  const own = hostSubtree(host);
  if (own === undefined) return true;
  const wanted = Buffer.from(AsnConvert.serialize(own));
  const permitted = AsnConvert.parse(extension.value, NameConstraints).permittedSubtrees;
  if (permitted === undefined) return false;
  return permitted.some((subtree) =>
    wanted.equals(Buffer.from(AsnConvert.serialize(subtree.base))),
  );
}

/**
 * A server certificate, signed by the CA made before (so whatever trusts it trusts this one), for
 * the names `previous` (the server certificate it replaces, when there is one) covers and `host`: a tenant that
 * listens on another loopback address (127.0.0.2) is reached at it, and tenants started on two
 * such addresses keep each other's covered.
 */
export async function makeServerCertificateFor(
  host: string,
  made: { caCert: string; caKey: string; previous?: string | undefined },
  now: number,
): Promise<Pick<MadeCertificates, "serverCert" | "serverKey">> {
  const ca = new x509.X509Certificate(made.caCert);
  const caKey = await crypto.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(made.caKey),
    ALGORITHM,
    false,
    ["sign"],
  );
  const names = made.previous === undefined ? SERVER_NAMES : namesOf(made.previous);
  return makeServerCertificate(ca, caKey, withHost(names, host), now);
}

/** The names a server certificate (PEM) covers; the loopback names for one that names none. */
function namesOf(serverCert: string): x509.JsonGeneralName[] {
  return (
    new x509.X509Certificate(serverCert)
      .getExtension(x509.SubjectAlternativeNameExtension)
      ?.names.toJSON() ?? SERVER_NAMES
  );
}

async function makeServerCertificate(
  ca: x509.X509Certificate,
  caKey: webcrypto.CryptoKey,
  names: x509.JsonGeneralName[],
  now: number,
): Promise<Pick<MadeCertificates, "serverCert" | "serverKey">> {
  const serverKeys = await crypto.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: "CN=localhost",
    issuer: ca.subject,
    notBefore: new Date(now - DAY_MS),
    // Never past the CA's own end.
    notAfter: new Date(Math.min(now + SERVER_VALIDITY_DAYS * DAY_MS, ca.notAfter.getTime())),
    publicKey: serverKeys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(await ca.publicKey.export()),
    ],
  });
  return {
    serverCert: server.toString("pem"),
    serverKey: await privatePem(serverKeys.privateKey),
  };
}

/** `names` and `host` (a URL's host: an IPv6 address in brackets), unless they name it. */
function withHost(names: x509.JsonGeneralName[], host: string): x509.JsonGeneralName[] {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const name: x509.JsonGeneralName = { type: isIP(bare) === 0 ? "dns" : "ip", value: bare };
  return names.some((other) => other.type === name.type && other.value === name.value)
    ? names
    : [...names, name];
}

async function privatePem(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.exportKey("pkcs8", key), "PRIVATE KEY");
}

function serial(): string {
  // RFC 5280 section 4.1.2.2: positive, at most 20 octets; clear the top bit to stay positive.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString("hex");
}
