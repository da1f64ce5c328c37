import { X509Certificate, webcrypto } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import * as x509 from "@peculiar/x509";
import { afterEach, expect, it, vi } from "vitest";

import type * as ServerEntryModule from "./server-entry.js";
import type { ServerEntry } from "./server-entry.js";
import { ensureTestbedCa } from "./testbed-ca.js";

/** A mock-auth0 of another version: set, `ensureTestbedCa` runs it instead of the real one. */
const other = vi.hoisted(() => ({ entry: undefined as ServerEntry | undefined }));
vi.mock("./server-entry.js", async (importOriginal) => {
  const real = await importOriginal<typeof ServerEntryModule>();
  return {
    ...real,
    serverEntry: (name: Parameters<typeof real.serverEntry>[0]) =>
      other.entry ?? real.serverEntry(name),
  };
});

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/** A private key, as mock-auth0 writes one. */
async function writeKey(file: string, key: webcrypto.CryptoKey): Promise<void> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  writeFileSync(file, x509.PemConverter.encode(der, "PRIVATE KEY"));
}

let folder: string;
afterEach(() => {
  other.entry = undefined;
  vi.restoreAllMocks();
  rmSync(folder, { recursive: true, force: true });
});

/**
 * What an older mock-auth0 left in `folder`: a CA without NameConstraints that ends in
 * `daysLeft` days, its key, and a server certificate it signed.
 */
async function writeOlderSet(folder: string, daysLeft: number): Promise<X509Certificate> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "02",
    name: "CN=ciba-testbed local CA",
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + daysLeft * 86_400_000),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  writeFileSync(path.join(folder, "ca.pem"), ca.toString("pem"));
  await writeKey(path.join(folder, "ca-key.pem"), keys.privateKey);
  const leafKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: "03",
    subject: "CN=localhost",
    issuer: ca.subject,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + Math.min(300, daysLeft) * 86_400_000),
    publicKey: leafKeys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: "localhost" },
        { type: "ip", value: "127.0.0.1" },
      ]),
    ],
  });
  writeFileSync(path.join(folder, "localhost.pem"), leaf.toString("pem"));
  await writeKey(path.join(folder, "localhost-key.pem"), leafKeys.privateKey);
  return new X509Certificate(ca.toString("pem"));
}

/** What this process writes to its stderr from now on. */
function stderrOfThisProcess(): string[] {
  const said: string[] = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    said.push(String(chunk));
    return true;
  });
  return said;
}

it("passes on what mock-auth0 says of the CA it keeps: one an older version made", async () => {
  folder = mkdtempSync(path.join(tmpdir(), "ciba-testkit-ca-"));
  await writeOlderSet(folder, 3650);
  const said = stderrOfThisProcess();
  const made = await ensureTestbedCa({ certDir: folder });
  expect(made.caCertPath).toBe(path.join(folder, "ca.pem"));
  expect(said.join("")).toMatch(
    new RegExp(`^The local CA in ${folder} was made by an older mock-auth0: .*\\n$`),
  );
}, 60_000);

it("says, once, that it replaced a CA near its end, naming the new file and what to trust", async () => {
  folder = mkdtempSync(path.join(tmpdir(), "ciba-testkit-ca-"));
  // A CA three days from its end, as a CI cache or a developer's folder keeps one for a year.
  const old = await writeOlderSet(folder, 3);
  const said = stderrOfThisProcess();
  const made = await ensureTestbedCa({ certDir: folder });
  expect(made.created).toBe(true);
  expect(readFileSync(made.caCertPath, "utf8")).not.toBe(old.toString());
  expect(said.join("")).toBe(
    `mock-auth0 made a new local CA, ${made.caCertPath}, as the CA there before (SHA-256 ` +
      `${old.fingerprint256}) expires on ${old.validTo}, and a CA is replaced in its last 7 ` +
      "days. What trusted the old CA no longer trusts this tenant (a Node process started with " +
      "NODE_EXTRA_CA_CERTS naming it or a bundle made from it, a browser or a system store it " +
      "was added to, curl --cacert): restart each with the new ca.pem (a test run's " +
      "globalSetup with ensureTestbedCa makes its bundle anew), and add it where you added the " +
      "old one\n",
  );
  // The next run finds the new CA and says nothing.
  said.length = 0;
  expect((await ensureTestbedCa({ certDir: folder })).created).toBe(false);
  expect(said).toEqual([]);
}, 60_000);

it("says what to do when mock-auth0 --make-ca prints no CA: install the testkit's version", async () => {
  folder = mkdtempSync(path.join(tmpdir(), "ciba-testkit-ca-"));
  // A mock-auth0 that knows no --make-ca: it prints its banner and exits 0.
  const packageDir = path.join(folder, "mock-auth0");
  mkdirSync(packageDir);
  writeFileSync(path.join(packageDir, "package.json"), JSON.stringify({ version: "0.0.1" }));
  writeFileSync(path.join(packageDir, "bin.js"), "console.log('mock-auth0 0.0.1');\n");
  other.entry = { command: process.execPath, args: [path.join(packageDir, "bin.js")], packageDir };
  const certDir = path.join(folder, "certs");
  const failure = ensureTestbedCa({ certDir });
  await expect(failure).rejects.toThrow(
    'mock-auth0 --make-ca printed no {"caCertPath":...,"created":...} line: the ' +
      `@ciba-testbed/mock-auth0 installed in ${packageDir} (0.0.1) is not the one this testkit ` +
      "runs: install it in the same version as @ciba-testbed/testkit, the four @ciba-testbed " +
      "packages together in one command (npm ls @ciba-testbed/testkit @ciba-testbed/mock-auth0 " +
      `shows both); and run MOCK_AUTH0_CERT_DIR=${certDir} npx mock-auth0 --make-ca to see what ` +
      'it prints. It printed "mock-auth0 0.0.1\\n"',
  );
});
