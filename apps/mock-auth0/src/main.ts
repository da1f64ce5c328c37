import { ConfigError, loadSettings } from "./config.js";
import { createLogger } from "./logger.js";
import { startMockAuth0 } from "./server.js";
import { TenantFileError, loadTenant } from "./tenant/load-tenant.js";

async function main(): Promise<void> {
  const settings = loadSettings(process.env);
  const logger = createLogger(settings.logLevel);
  for (const warning of settings.warnings) process.stderr.write(`WARNING: ${warning}\n`);
  const tenant = loadTenant(settings.tenantFile);
  const running = await startMockAuth0({ ...settings, tenant, logger });

  logger.info(
    { issuer: running.issuer, caCert: running.caCertPath, tenant: settings.tenantFile },
    "mock-auth0 listening",
  );
  process.stderr.write(
    [
      "",
      `mock-auth0 (tenant "${tenant.name}") is serving ${running.issuer}`,
      "Node processes that call it must trust its local CA; start them with:",
      `  export NODE_EXTRA_CA_CERTS=${running.caCertPath}`,
      `Control API: ${running.issuer}approver/api/requests`,
      settings.controlToken === undefined
        ? `Approver page: ${running.issuer}approver`
        : `Control API and approver page need MOCK_AUTH0_CONTROL_TOKEN: open ${running.issuer}approver#token=<the token>`,
      "",
    ].join("\n"),
  );

  const stop = (signal: string) => {
    logger.info({ signal }, "mock-auth0 stopping");
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof TenantFileError) {
    // Exit 2: the configuration is wrong, and starting again without changing it cannot help.
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  } else if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
    process.stderr.write(
      `${(error as Error).message}: another process holds the port; stop it or set MOCK_AUTH0_PORT\n`,
    );
  } else {
    process.stderr.write(`mock-auth0 failed to start: ${String(error)}\n`);
  }
  process.exit(1);
});
