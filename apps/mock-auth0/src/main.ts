/** The mock-auth0 process: `pnpm mock-auth0`, and the packaged bin. */
import { ConfigError, shellWord } from "@ciba-testbed/shared";
import {
  announceReady,
  closeOnSignals,
  hideUrlsInNodeWarnings,
  keepServingWithoutOutput,
  listenFailureLine,
  loadServerConfig,
  mapStacksOfCrashes,
} from "@ciba-testbed/shared/node";
import { dropLogWhenUnwritable } from "@ciba-testbed/shared/node/unwritable-log";

import { CertDirError, makeCertDir } from "./certificates.js";
import { loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startMockAuth0 } from "./server.js";
import { SigningKeys, SigningKeysFileError } from "./signing-keys.js";
import { TenantFileError, loadTenantReport } from "./tenant/load-tenant.js";

// Started without --enable-source-maps (LAZY_SOURCE_MAPS in scripts/build.js): a crash's stack
// is mapped to the TypeScript sources when it is printed, as the stacks the tenant logs are.
mapStacksOfCrashes();
// A reader of its output that has gone, or a full disk, is no reason to stop serving.
keepServingWithoutOutput("mock-auth0");
// A request target Express hands to url.parse() is not quoted on stderr: it may hold a password.
hideUrlsInNodeWarnings();
await main().catch(exitOnStartError);

async function main(): Promise<void> {
  const config = await loadServerConfig("mock-auth0", "MOCK_AUTH0_HOST", process.env, loadConfig);
  // Before the signing keys, which are kept there by default: a folder that cannot be made is
  // then named with the setting that moves it, not as an unreadable keys file.
  await makeCertDir(config.certDir);
  // Read before anything listens. The first time, they are made in libuv's thread pool while
  // the tenant loads and starts listening; requests that need them wait for them (`createApp`).
  const signingKeys = await SigningKeys.persisted(config.signingKeysFile);
  signingKeys.ready.catch(exitOnStartError);
  const logger = createLogger(config.logLevel);
  dropLogWhenUnwritable(logger);
  for (const warning of config.warnings) process.stderr.write(`WARNING: ${warning}\n`);
  const { tenant, ignored, notices, warnings } = loadTenantReport(config.tenant);
  for (const warning of warnings) process.stderr.write(`WARNING: ${warning}\n`);
  if (ignored.length > 0) logger.debug({ ignored }, "tenant parts mock-auth0 does not model");
  const running = await startMockAuth0({ ...config, tenant, logger, keys: signingKeys });

  logger.info(
    { issuer: running.issuer, caCert: running.caCertPath, tenant: config.tenant.tenant },
    "mock-auth0 listening",
  );
  // Taken before the ready record goes out: a supervisor that stops the server on reading it
  // would otherwise meet Node's default for a signal no listener takes yet, death by it.
  closeOnSignals(
    () => running.close(),
    (signal) => {
      logger.info({ signal }, "mock-auth0 stopping");
    },
  );

  // What supervisors wait for: one JSON line on stdout, whatever LOG_LEVEL says.
  announceReady({
    service: "mock-auth0",
    url: running.issuer,
    port: running.port,
    issuer: running.issuer,
    caCertPath: running.caCertPath,
    // Said once, as this start replaced the CA (or found one an older version made): a
    // supervisor that shows no log (the testkit) passes it on to its person.
    ...(running.caNote === undefined ? {} : { caNote: running.caNote }),
    // What a supervisor configures a resource server with: its audience, from the tenant.
    apis: tenant.apis.map(({ identifier, scopes }) => ({ identifier, scopes })),
  });
  process.stderr.write(
    [
      "",
      `mock-auth0 (tenant "${tenant.name}") is serving ${running.issuer}`,
      "The testbed's shop and agent trust its local CA by themselves; any other Node process",
      "that calls it must be started with:",
      `  export NODE_EXTRA_CA_CERTS=${shellWord(running.caCertPath)}`,
      `Control API: ${running.issuer}approver/api/requests`,
      config.controlToken === undefined
        ? `Approver page: ${running.issuer}approver`
        : `Control API and approver page need MOCK_AUTH0_CONTROL_TOKEN: open ${running.issuer}approver#token=<the token>`,
      // Derived credentials are not secrets (anyone can derive them), so they may be shown.
      ...notices.map((notice) => `Note: ${notice}`),
      "",
    ].join("\n"),
  );
}

function exitOnStartError(error: unknown): never {
  if (
    error instanceof ConfigError ||
    error instanceof TenantFileError ||
    error instanceof SigningKeysFileError ||
    error instanceof CertDirError
  ) {
    // Exit 2: the configuration is wrong, and starting again without changing it cannot help.
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  } else {
    process.stderr.write(
      listenFailureLine(error, { port: "MOCK_AUTH0_PORT", host: "MOCK_AUTH0_HOST" }) ??
        `mock-auth0 failed to start: ${String(error)}\n`,
    );
  }
  process.exit(1);
}
