import { environmentTrustingLocalCa, restartWith } from "@ciba-testbed/shared/node";

import { LOCAL_TENANT, readEnvironment } from "./config.js";

/**
 * Decides on the restart that makes Node trust the local tenant's CA before the agent's
 * heavy modules load, so that restart costs one bare Node start, not two full ones.
 */
async function main(argv: string[]): Promise<number> {
  const env = readEnvironment();
  const tenantHost = env.AUTH0_DOMAIN?.trim() ?? "";
  const restartEnv = environmentTrustingLocalCa(
    env,
    tenantHost === "" ? LOCAL_TENANT.domain : tenantHost,
    LOCAL_TENANT.caFile,
  );
  if (restartEnv !== undefined) return restartWith(restartEnv);
  const { runCli } = await import("./cli.js");
  return runCli(argv, env);
}

// No top-level await: the CLI must also run when compiled to CommonJS.
void main(process.argv).then((code) => {
  process.exitCode = code;
});
