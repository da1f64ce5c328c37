import { readFileSync } from "node:fs";
import path from "node:path";

import { LOCAL_CA_SUBJECT, pemCertificates } from "@ciba-testbed/shared/node";

export const UNTRUSTED_CA_FIX =
  "the agent does not trust the tenant's CA: its process must start with NODE_EXTRA_CA_CERTS " +
  "set to testbed.caCertPath (for an agent in the test process, set it in a Vitest globalSetup " +
  'with ensureTestbedCa: the testkit README\'s "The agent in the test process")';

/** The fix for an agent that runs as a child process, or in the test's own process. */
const BOTH_FIXES =
  "start the agent with testbed.env() (whose NODE_EXTRA_CA_CERTS names a bundle of that " +
  "file's certificates and the tenant's CA), or, for an agent in the test process, set " +
  "NODE_EXTRA_CA_CERTS to ensureTestbedCa's nodeExtraCaCerts in a Vitest globalSetup (the " +
  'testkit README\'s "The agent in the test process")';

/**
 * Why an agent that ran with this process's NODE_EXTRA_CA_CERTS (`trusted`) did not trust the
 * testbed's CA (`caCertPath`, `caPem`), and the fix, by what that file holds rather than by its
 * path: a bundle of the system's CAs or a proxy's and the tenant's CA (env()'s, ensureTestbedCa's)
 * trusts the tenant as much as `caCertPath` does. The cases: no variable; a file that cannot be
 * read (Node goes on without it); a file that holds the CA (the variable came too late for this
 * process); one that holds another testbed CA (another certDir's, or one the tenant replaced);
 * one that holds none (a CI runner's system bundle, a proxy's CA).
 */
export function untrustedFix(
  ca: { caCertPath?: string | undefined; caPem?: string | undefined },
  trusted: string | undefined,
): string {
  const { caCertPath, caPem } = ca;
  const [tenantCa] = pemCertificates(caPem ?? "");
  if (
    caCertPath === undefined ||
    tenantCa === undefined ||
    trusted === undefined ||
    trusted.trim() === ""
  ) {
    return UNTRUSTED_CA_FIX;
  }
  let text: string;
  try {
    text = readFileSync(trusted, "utf8");
  } catch (error) {
    const { code = "", message } = error as NodeJS.ErrnoException;
    return (
      `the agent does not trust the tenant's CA: this process's NODE_EXTRA_CA_CERTS names ` +
      `${trusted}, which cannot be read (${code === "" ? message : code}), and Node goes on ` +
      `without it; point it at a file that holds testbed.caCertPath (${caCertPath}): ${BOTH_FIXES}`
    );
  }
  const held = pemCertificates(text);
  if (held.some((one) => one.raw.equals(tenantCa.raw))) {
    const sameFile = path.resolve(trusted) === path.resolve(caCertPath);
    return (
      "the agent does not trust the tenant's CA, though this process's NODE_EXTRA_CA_CERTS " +
      (sameFile
        ? `names testbed.caCertPath (${caCertPath})`
        : `names ${trusted}, which holds testbed.caCertPath's certificate (${caCertPath})`) +
      ": Node reads that variable only as a process starts, and it was set after this one " +
      "started (as a globalSetup sets it for Jest in band, which includes any run of a single " +
      "test file, and for Vitest's threads and vmThreads pools), or named no file yet then; " +
      `start the test runner with it set (MOCK_AUTH0_CERT_DIR=${path.dirname(caCertPath)} npx ` +
      "mock-auth0 --make-ca, then " +
      (held.length === 1
        ? `NODE_EXTRA_CA_CERTS=${sameFile ? caCertPath : trusted} before the runner's command)`
        : `NODE_EXTRA_CA_CERTS=${trusted} before the runner's command, a file that holds the ` +
          "CA and the certificates the shell's NODE_EXTRA_CA_CERTS named, as ensureTestbedCa " +
          "writes it)") +
      ", or run the agent as a child process with testbed.env()"
    );
  }
  const subject = LOCAL_CA_SUBJECT.split(", ").join("\n");
  if (held.some((one) => one.subject === subject)) {
    const besideIt = path.resolve(path.dirname(trusted)) === path.resolve(path.dirname(caCertPath));
    return (
      `the agent does not trust the tenant's CA: this process's NODE_EXTRA_CA_CERTS names ` +
      `${trusted}, which holds a testbed CA, but not this testbed's (${caCertPath}): ` +
      (besideIt
        ? "the tenant made a new CA in that folder after the file was written (the old one " +
          "neared its end or was deleted, or a start on another MOCK_AUTH0_HOST needed one); " +
          "start the test runner again, so that its globalSetup's ensureTestbedCa writes the " +
          "file anew, or start the agent with testbed.env()"
        : "it is the CA of another certDir; give ensureTestbedCa and startTestbed the same " +
          "certDir (or none), or start the agent with testbed.env()")
    );
  }
  const others =
    held.length === 0
      ? "no certificate"
      : `${String(held.length)} other certificate${held.length === 1 ? "" : "s"}`;
  return (
    `the agent does not trust the tenant's CA: this process's NODE_EXTRA_CA_CERTS names ` +
    `${trusted}, which does not hold it (${others}: a system bundle, or a TLS-intercepting ` +
    "proxy's CA, as a CI runner sets it), and Node reads one such file; the agent's must hold " +
    `that file's certificates and testbed.caCertPath (${caCertPath}): ${BOTH_FIXES}`
  );
}
