/**
 * `mock-auth0 --make-ca`: makes the local CA and the server certificate in MOCK_AUTH0_CERT_DIR
 * (or reuses them, as a start of the tenant would), prints one JSON line, `{"caCertPath": ...,
 * "created": ...}`, and exits without serving. For a test run that must set NODE_EXTRA_CA_CERTS
 * before its processes start (a Vitest `globalSetup`, a script before `node --test`): the
 * tenants started later with the same folder serve with that CA. It loads none of the tenant.
 */
import { ConfigError } from "@ciba-testbed/shared";
import { loadServerConfig, urlHostOf } from "@ciba-testbed/shared/node";

import { CertDirError, ensureLocalCertificates } from "./certificates.js";
import { loadConfig } from "./config.js";

try {
  const config = await loadServerConfig("mock-auth0", "MOCK_AUTH0_HOST", process.env, loadConfig);
  const made = await ensureLocalCertificates(config.certDir, Date.now, urlHostOf(config.host));
  if (made.note !== undefined) process.stderr.write(`${made.note}\n`);
  process.stdout.write(
    `${JSON.stringify({ caCertPath: made.caCertPath, created: made.created })}\n`,
  );
} catch (error) {
  if (!(error instanceof ConfigError || error instanceof CertDirError)) throw error;
  // Exit 2, as a start with the same settings: only another setting can help.
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 2;
}
