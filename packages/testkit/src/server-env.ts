import { SHORT_LIVED_SHOP_ENV } from "@ciba-testbed/shared/node";

import type { ServerName } from "./server-entry.js";

/** Where a testbed's servers listen, whatever the shell says: it is a test fixture on loopback. */
export const TESTBED_HOST = "127.0.0.1";

/** Each server's listen address variable. */
const HOST_VARIABLES: Readonly<Record<ServerName, string>> = {
  "mock-auth0": "MOCK_AUTH0_HOST",
  "shop-api": "SHOP_API_HOST",
  "model-server": "MODEL_SERVER_HOST",
};

/**
 * What a testbed sets for a server on top of the caller's environment: its log level and, as
 * its port, its listen address (TESTBED_HOST). A shell's own SHOP_API_HOST (127.0.0.2, or
 * 0.0.0.0 open to the network) must not move a test's server. `env`, the testbed's own
 * variables for it, comes last.
 */
export function serverEnv(
  name: ServerName,
  logLevel: string,
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  return {
    LOG_LEVEL: logLevel,
    [HOST_VARIABLES[name]]: TESTBED_HOST,
    // A testbed's shop lives for a test file (SHORT_LIVED_SHOP_ENV).
    ...(name === "shop-api" ? SHORT_LIVED_SHOP_ENV : {}),
    ...env,
  };
}
