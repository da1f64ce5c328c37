import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { SHORT_LIVED_SHOP_ENV, userTempFolder, userTempPrefix } from "@ciba-testbed/shared/node";

import type { ServerName } from "./server-entry.js";

/** Where a testbed's servers listen, whatever the shell says: it is a test fixture on loopback. */
export const TESTBED_HOST = "127.0.0.1";

/**
 * The start of the names of the variables each server reads as its settings; the first is its
 * own (`<prefix>HOST` is its listen address).
 */
const SETTING_PREFIXES: Readonly<Record<ServerName, readonly [string, ...string[]]>> = {
  "mock-auth0": ["MOCK_AUTH0_"],
  "shop-api": ["SHOP_API_", "AUTH0_"],
  "model-server": ["MODEL_SERVER_"],
};

/**
 * What a testbed sets for a server on top of the caller's environment (`inherited`): its log
 * level, its listen address (TESTBED_HOST), and every other setting of that server in
 * `inherited` blanked (an empty variable is an unset one to the servers). A shell's own
 * SHOP_API_HOST (127.0.0.2, or 0.0.0.0 open to the network), MODEL_SERVER_API_KEY (which would
 * refuse the key env() hands out) or MOCK_AUTH0_SIGNING_KEYS must not change a test's server:
 * what a testbed's servers do comes from startTestbed's options alone. `env`, the testbed's own
 * variables for it, comes last.
 */
export function serverEnv(
  name: ServerName,
  logLevel: string,
  env: Readonly<Record<string, string>>,
  inherited: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const prefixes = SETTING_PREFIXES[name];
  const blanked = Object.keys(inherited)
    .filter((variable) => prefixes.some((prefix) => variable.startsWith(prefix)))
    .map((variable) => [variable, ""] as const);
  return {
    ...Object.fromEntries(blanked),
    LOG_LEVEL: logLevel,
    [`${prefixes[0]}HOST`]: TESTBED_HOST,
    // A testbed's shop lives for a test file (SHORT_LIVED_SHOP_ENV).
    ...(name === "shop-api" ? SHORT_LIVED_SHOP_ENV : {}),
    ...env,
  };
}

/**
 * MOCK_AUTH0_CERT_DIR for a `certDir` option: the folder, absolute. Without one, inside the
 * ciba-testbed repository (`mockAuth0Dir`, the mock-auth0 package's folder, is in it), blank for
 * mock-auth0's default, `<repo>/.certs`; installed, `ciba-testbed-<uid>-certs` in the temporary
 * folder, made here for this user alone, or, when another user took that name first, a folder of
 * that name in this user's own private one there (`userTempFolder`): no other user can keep a
 * testbed from its CA. `startTestbed` and `ensureTestbedCa` both set it so, and so name the same
 * CA. A temporary folder this user cannot write fails naming TMPDIR and the certDir option.
 */
export async function certDirSetting(
  certDir: string | undefined,
  mockAuth0Dir: string,
): Promise<string> {
  if (certDir !== undefined) return path.resolve(certDir);
  if (existsSync(path.join(mockAuth0Dir, "..", "..", "pnpm-workspace.yaml"))) return "";
  const temp = tmpdir();
  return userTempFolder(`${userTempPrefix()}certs`, temp).catch((error: unknown) => {
    throw new Error(
      `the testbed cannot make its certificate folder in the temporary folder ${temp} ` +
        `(${(error as Error).message}): set TMPDIR to a folder this user may write, or give ` +
        "the certDir option a folder of this user's own",
      { cause: error },
    );
  });
}
