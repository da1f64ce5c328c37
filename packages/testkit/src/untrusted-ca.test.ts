import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { ensureLocalCertificates } from "@ciba-testbed/mock-auth0";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { UNTRUSTED_CA_FIX, untrustedFix } from "./untrusted-ca.js";

/** Two certDirs, each with a CA of its own, as two testbeds' folders (real CAs, made here). */
let folder: string;
let ca: { caCertPath: string; caPem: string };
let other: { caCertPath: string; caPem: string };
/** A certificate that is no testbed CA: the tenant's server certificate. */
let server: string;

beforeAll(async () => {
  folder = mkdtempSync(path.join(tmpdir(), "ciba-testkit-untrusted-"));
  const made = await ensureLocalCertificates(path.join(folder, "certs"));
  const older = await ensureLocalCertificates(path.join(folder, "older-certs"));
  ca = { caCertPath: made.caCertPath, caPem: made.caCert };
  other = { caCertPath: older.caCertPath, caPem: older.caCert };
  server = made.cert;
});
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

/** A file in the test's folder holding `text`. */
function file(name: string, text: string): string {
  const written = path.join(folder, name);
  writeFileSync(written, text);
  return written;
}

describe("untrustedFix", () => {
  it("says to set NODE_EXTRA_CA_CERTS when this process names none", () => {
    expect(untrustedFix(ca, undefined)).toBe(UNTRUSTED_CA_FIX);
    expect(untrustedFix(ca, "")).toBe(UNTRUSTED_CA_FIX);
  });

  it("says the variable came too late when it names the CA itself, or a bundle that holds it", () => {
    expect(untrustedFix(ca, ca.caCertPath)).toContain(
      `though this process's NODE_EXTRA_CA_CERTS names testbed.caCertPath (${ca.caCertPath}): Node reads that variable only as a process starts`,
    );
    // A CI runner's bundle and the CA, its lines ended as Windows ends them: the same certificate.
    const bundle = file("bundle.pem", `${server}\n${ca.caPem}`.replaceAll("\n", "\r\n"));
    const said = untrustedFix(ca, bundle);
    expect(said).toContain(
      `though this process's NODE_EXTRA_CA_CERTS names ${bundle}, which holds testbed.caCertPath's certificate (${ca.caCertPath}): Node reads that variable only as a process starts`,
    );
    expect(said).toContain(
      `NODE_EXTRA_CA_CERTS=${bundle} before the runner's command, a file that holds the CA and the certificates the shell's NODE_EXTRA_CA_CERTS named, as ensureTestbedCa writes it)`,
    );
    expect(said).not.toContain("different");
  });

  it("names a file without the CA as such: a system bundle, or a proxy's CA", () => {
    const system = file("system.pem", `${server}\n`);
    expect(untrustedFix(ca, system)).toBe(
      `the agent does not trust the tenant's CA: this process's NODE_EXTRA_CA_CERTS names ${system}, which does not hold it (1 other certificate: a system bundle, or a TLS-intercepting proxy's CA, as a CI runner sets it), and Node reads one such file; the agent's must hold that file's certificates and testbed.caCertPath (${ca.caCertPath}): start the agent with testbed.env() (whose NODE_EXTRA_CA_CERTS names a bundle of that file's certificates and the tenant's CA), or, for an agent in the test process, set NODE_EXTRA_CA_CERTS to ensureTestbedCa's nodeExtraCaCerts in a Vitest globalSetup (the testkit README's "The agent in the test process")`,
    );
    expect(untrustedFix(ca, file("empty.pem", ""))).toContain(
      "which does not hold it (no certificate: ",
    );
  });

  it("names the CA of another certDir, and one the tenant replaced in the same folder", () => {
    expect(untrustedFix(ca, other.caCertPath)).toBe(
      `the agent does not trust the tenant's CA: this process's NODE_EXTRA_CA_CERTS names ${other.caCertPath}, which holds a testbed CA, but not this testbed's (${ca.caCertPath}): it is the CA of another certDir; give ensureTestbedCa and startTestbed the same certDir (or none), or start the agent with testbed.env()`,
    );
    // A bundle written beside the CA before the tenant made a new one there.
    const stale = path.join(path.dirname(ca.caCertPath), "node-extra-ca-certs.pem");
    writeFileSync(stale, `${server}\n${other.caPem}`);
    expect(untrustedFix(ca, stale)).toContain(
      `names ${stale}, which holds a testbed CA, but not this testbed's (${ca.caCertPath}): the tenant made a new CA in that folder after the file was written (the old one neared its end or was deleted, or a start on another MOCK_AUTH0_HOST needed one); start the test runner again`,
    );
  });

  it("names a file that cannot be read, and its reason", () => {
    const missing = path.join(folder, "no-such.pem");
    expect(untrustedFix(ca, missing)).toBe(
      `the agent does not trust the tenant's CA: this process's NODE_EXTRA_CA_CERTS names ${missing}, which cannot be read (ENOENT), and Node goes on without it; point it at a file that holds testbed.caCertPath (${ca.caCertPath}): start the agent with testbed.env() (whose NODE_EXTRA_CA_CERTS names a bundle of that file's certificates and the tenant's CA), or, for an agent in the test process, set NODE_EXTRA_CA_CERTS to ensureTestbedCa's nodeExtraCaCerts in a Vitest globalSetup (the testkit README's "The agent in the test process")`,
    );
    const aFolder = path.join(folder, "a-folder.pem");
    mkdirSync(aFolder);
    expect(untrustedFix(ca, aFolder)).toContain(`names ${aFolder}, which cannot be read (EISDIR)`);
    expect(readFileSync(ca.caCertPath, "utf8")).toBe(ca.caPem);
  });
});
