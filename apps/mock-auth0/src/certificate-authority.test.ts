import { X509Certificate, webcrypto } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "node:tls";

import * as x509 from "@peculiar/x509";
import { describe, expect, it, onTestFinished } from "vitest";

import { ensureLocalCertificates } from "./certificates.js";

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;

function freshDir() {
  const dir = mkdtempSync(path.join(tmpdir(), "ca-"));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** A server certificate for `name` alone, signed with the CA's key as anyone who reads it can. */
async function leafFor(
  dir: string,
  name: string,
  ips: readonly string[] = [],
): Promise<{ cert: string; key: string }> {
  const { subtle } = webcrypto;
  const caCert = new x509.X509Certificate(readFileSync(path.join(dir, "ca.pem"), "utf8"));
  const caKey = await subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(readFileSync(path.join(dir, "ca-key.pem"), "utf8")),
    ALGORITHM,
    false,
    ["sign"],
  );
  const keys = await subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: "01",
    subject: `CN=${name}`,
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 30 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: name },
        ...ips.map((value) => ({ type: "ip" as const, value })),
      ]),
    ],
  });
  const key = x509.PemConverter.encode(
    await subtle.exportKey("pkcs8", keys.privateKey),
    "PRIVATE KEY",
  );
  return { cert: leaf.toString("pem"), key };
}

/** What a Node TLS client trusting only `ca` makes of a server with `leaf`, reached as `name`. */
async function clientSees(
  leaf: { cert: string; key: string },
  ca: string,
  name: string,
): Promise<string> {
  const server = createServer(leaf, (_req, res) => res.end());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port, servername: name, ca }, () => {
        resolve("trusted");
        socket.end();
      });
      socket.on("error", (error: NodeJS.ErrnoException) => {
        resolve(`${error.code ?? ""}: ${error.message}`);
      });
    });
  } finally {
    server.close();
  }
}

/** What an older mock-auth0 left in `dir`: a ten-year CA without NameConstraints, and its leaf. */
async function olderCa(dir: string): Promise<string> {
  const { subtle } = webcrypto;
  const keys = await subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "02",
    name: "CN=ciba-testbed local CA",
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 3650 * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const pem = ca.toString("pem");
  writeFileSync(path.join(dir, "ca.pem"), pem);
  writeFileSync(
    path.join(dir, "ca-key.pem"),
    x509.PemConverter.encode(await subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY"),
  );
  const leaf = await leafFor(dir, "localhost", ["127.0.0.1"]);
  writeFileSync(path.join(dir, "localhost.pem"), leaf.cert);
  writeFileSync(path.join(dir, "localhost-key.pem"), leaf.key);
  return pem;
}

describe("the local CA", () => {
  it("keeps a CA an older version made, so that what trusts it goes on working, with a note saying what it allows and how to replace it", async () => {
    const dir = freshDir();
    const older = await olderCa(dir);
    const kept = await ensureLocalCertificates(dir);
    expect([kept.created, kept.caCert]).toEqual([false, older]);
    expect(kept.note).toMatch(
      new RegExp(
        `^The local CA in ${dir} was made by an older mock-auth0: its key \\(ca-key.pem\\) can sign a certificate for any host, .* delete ${path.join(dir, "ca.pem")} and start the tenant again`,
      ),
    );
    expect(kept.note).toMatch(
      / This is said once for this CA \(older-ca-noted beside it remembers it\)$/,
    );
    // Once for that CA: the next starts keep it and say nothing, as in every CI log they did.
    const again = await ensureLocalCertificates(dir);
    expect([again.caCert, again.note]).toEqual([older, undefined]);
    // Its key still signs for another host of the tenant, as before.
    const other = await ensureLocalCertificates(dir, undefined, "[fd00::3]");
    expect([other.caCert, other.note]).toEqual([older, undefined]);
    // Another CA of an older version put in its place is said anew.
    const another = await olderCa(dir);
    expect((await ensureLocalCertificates(dir)).note).toMatch(/^The local CA in /);
    expect(another).not.toBe(older);

    rmSync(path.join(dir, "ca.pem"));
    const made = await ensureLocalCertificates(dir);
    expect(made.created).toBe(true);
    expect(made.note).toBe(undefined);
  });

  it("says so when a start on another host makes a new CA, naming the new file and what must trust it", async () => {
    const dir = freshDir();
    const first = await ensureLocalCertificates(dir);
    expect(first.note).toBe(undefined);
    // Another loopback address: the same CA signs for it, and nothing changes for its clients.
    expect((await ensureLocalCertificates(dir, undefined, "127.0.0.2")).note).toBe(undefined);
    const lan = await ensureLocalCertificates(dir, undefined, "192.168.1.5");
    expect(lan.caCert).not.toBe(first.caCert);
    expect(lan.note).toBe(
      `mock-auth0 made a new local CA, ${path.join(dir, "ca.pem")}, to serve on 192.168.1.5: the CA there before cannot serve it (its NameConstraints let it sign for the loopback names and the host it was made on, not 192.168.1.5). What trusted the old CA no longer trusts this tenant (a Node process started with NODE_EXTRA_CA_CERTS naming it or a bundle made from it, a browser or a system store it was added to, curl --cacert): restart each with the new ca.pem (a test run's globalSetup with ensureTestbedCa makes its bundle anew), and add it where you added the old one`,
    );
    // The next start on that host reuses it, and says nothing more.
    expect((await ensureLocalCertificates(dir, undefined, "192.168.1.5")).note).toBe(undefined);
    // A CA whose key is gone cannot sign for a host its server certificate does not cover.
    rmSync(path.join(dir, "ca-key.pem"));
    const keyless = await ensureLocalCertificates(dir, undefined, "127.0.0.3");
    expect(keyless.caCert).not.toBe(lan.caCert);
    expect(keyless.note).toContain(
      "the CA there before cannot serve it (its key (ca-key.pem) is gone, and a certificate for 127.0.0.3 had to be signed)",
    );
  });

  it("says so, once, when it replaces a CA near its end, naming the new file and what must trust it", async () => {
    const dir = freshDir();
    const first = await ensureLocalCertificates(dir);
    const old = new X509Certificate(first.caCert);
    const end = Date.parse(old.validTo);
    // Eight days before its end the CA serves on (its server certificate, which ends three days
    // before it, is signed anew), and nothing is said.
    const kept = await ensureLocalCertificates(dir, () => end - 8 * DAY_MS);
    expect([kept.caCert, kept.note]).toEqual([first.caCert, undefined]);
    // Six days before, it is replaced: whatever trusts the old one is told what to do.
    const renewed = await ensureLocalCertificates(dir, () => end - 6 * DAY_MS);
    expect(renewed.caCert).not.toBe(first.caCert);
    expect(renewed.note).toBe(
      `mock-auth0 made a new local CA, ${path.join(dir, "ca.pem")}, as the CA there before (SHA-256 ${old.fingerprint256}) expires on ${old.validTo}, and a CA is replaced in its last 7 days. What trusted the old CA no longer trusts this tenant (a Node process started with NODE_EXTRA_CA_CERTS naming it or a bundle made from it, a browser or a system store it was added to, curl --cacert): restart each with the new ca.pem (a test run's globalSetup with ensureTestbedCa makes its bundle anew), and add it where you added the old one`,
    );
    // The next start keeps the new CA and says nothing more.
    const next = await ensureLocalCertificates(dir, () => end - 5 * DAY_MS);
    expect([next.caCert, next.note]).toEqual([renewed.caCert, undefined]);
    // A CA found past its end is named as expired.
    const newer = new X509Certificate(renewed.caCert);
    const late = await ensureLocalCertificates(dir, () => Date.parse(newer.validTo) + DAY_MS);
    expect(late.note).toContain(
      `as the CA there before (SHA-256 ${newer.fingerprint256}) expired on ${newer.validTo}. `,
    );
  });

  it("keeps the CA when its server certificate alone is gone, and says so when its key is gone too", async () => {
    const dir = freshDir();
    const first = await ensureLocalCertificates(dir);
    expect(first.note).toBe(undefined);
    // The CA signs a new server certificate: whatever trusts it is unaffected.
    rmSync(path.join(dir, "localhost.pem"));
    const resigned = await ensureLocalCertificates(dir);
    expect([resigned.created, resigned.caCert, resigned.note]).toEqual([
      true,
      first.caCert,
      undefined,
    ]);
    expect(resigned.cert).not.toBe(first.cert);
    // Without its key it cannot: a new CA, and the note says why.
    const old = new X509Certificate(first.caCert);
    rmSync(path.join(dir, "localhost.pem"));
    rmSync(path.join(dir, "ca-key.pem"));
    const made = await ensureLocalCertificates(dir);
    expect(made.caCert).not.toBe(first.caCert);
    expect(made.note).toContain(
      `, as the CA there before (SHA-256 ${old.fingerprint256}) could not sign a new server ` +
        "certificate (localhost.pem was missing, damaged or near its end): its key (ca-key.pem) " +
        "is gone or not its own. What trusted the old CA no longer trusts this tenant",
    );
  });

  it("signs what a client accepts for localhost, and nothing it accepts for another name, with the same key", async () => {
    const dir = freshDir();
    const certs = await ensureLocalCertificates(dir);
    expect(await clientSees(certs, certs.caCert, "localhost")).toBe("trusted");
    expect(await clientSees(await leafFor(dir, "localhost"), certs.caCert, "localhost")).toBe(
      "trusted",
    );
    for (const name of ["acme.us.auth0.com", "api.openai.com"]) {
      expect(await clientSees(await leafFor(dir, name), certs.caCert, name)).toBe(
        "UNSPECIFIED: permitted subtree violation",
      );
    }
  });

  it("is valid for about a year, and permits only the loopback names, in a critical extension", async () => {
    const certs = await ensureLocalCertificates(freshDir());
    const ca = new x509.X509Certificate(certs.caCert);
    const days = (ca.notAfter.getTime() - ca.notBefore.getTime()) / DAY_MS;
    expect(days).toBeLessThanOrEqual(401);
    const constraints = ca.getExtension("2.5.29.30");
    expect(constraints?.critical).toBe(true);
    expect(Date.parse(new X509Certificate(certs.cert).validTo)).toBeLessThanOrEqual(
      ca.notAfter.getTime(),
    );
  });
});
