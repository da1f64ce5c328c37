import { randomBytes, webcrypto } from "node:crypto";

import * as x509 from "@peculiar/x509";

/**
 * Makes a local certificate authority and a `localhost` server certificate it signs, with
 * `@peculiar/x509` on Node's WebCrypto: no OpenSSL binary, same result on every OS. Loaded
 * only when certificates must be made (`certificates.ts` imports it on demand): most starts
 * reuse them, and Node's own X509Certificate reads them without this library.
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
const CA_VALIDITY_DAYS = 3650;

/** The PEMs of a fresh CA and server certificate, with their private keys. */
export interface MadeCertificates {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

export async function makeLocalCertificates(now: number): Promise<MadeCertificates> {
  const crypto = webcrypto.subtle;
  const notBefore = new Date(now - DAY_MS);
  const caKeys = await crypto.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=ciba-testbed local CA, O=ciba-testbed",
    notBefore,
    notAfter: new Date(now + CA_VALIDITY_DAYS * DAY_MS),
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const serverKeys = await crypto.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: "CN=localhost",
    issuer: ca.subject,
    notBefore,
    notAfter: new Date(now + SERVER_VALIDITY_DAYS * DAY_MS),
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(SERVER_NAMES),
      await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const privatePem = async (key: webcrypto.CryptoKey) =>
    x509.PemConverter.encode(await crypto.exportKey("pkcs8", key), "PRIVATE KEY");
  return {
    caCert: ca.toString("pem"),
    caKey: await privatePem(caKeys.privateKey),
    serverCert: server.toString("pem"),
    serverKey: await privatePem(serverKeys.privateKey),
  };
}

function serial(): string {
  // RFC 5280 section 4.1.2.2: positive, at most 20 octets; clear the top bit to stay positive.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString("hex");
}
