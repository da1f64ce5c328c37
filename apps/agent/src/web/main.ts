import { LOCAL_DEFAULTS } from "@ciba-testbed/shared";
import { environmentTrustingLocalCa, localCaFile, restartWith } from "@ciba-testbed/shared/node";

import { readEnvironment } from "../config.js";

/**
 * The web app's process (`pnpm agent serve`, and what supervisors start): against the local
 * tenant it first restarts once trusting its CA, as the CLI does.
 */
async function main(): Promise<number> {
  const env = readEnvironment();
  const tenantHost = env.AUTH0_DOMAIN?.trim() ?? "";
  const restartEnv = environmentTrustingLocalCa(
    env,
    tenantHost === "" ? LOCAL_DEFAULTS.auth0Domain : tenantHost,
    localCaFile(env),
  );
  if (restartEnv !== undefined) return restartWith(restartEnv);
  const { runServe } = await import("./serve.js");
  return runServe(env);
}

void main().then((code) => {
  process.exitCode = code;
});
