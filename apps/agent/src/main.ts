import { LOCAL_DEFAULTS } from "@ciba-testbed/shared";
import { environmentTrustingLocalCa, localCaFile, restartWith } from "@ciba-testbed/shared/node";

import { readEnvironment } from "./config.js";

/**
 * Decides on the restart that makes Node trust the local tenant's CA before the agent's
 * heavy modules load, so that restart costs one bare Node start, not two full ones.
 */
async function main(argv: string[]): Promise<number> {
  const env = readEnvironment();
  const tenantHost = env.AUTH0_DOMAIN?.trim() ?? "";
  const restartEnv = environmentTrustingLocalCa(
    env,
    tenantHost === "" ? LOCAL_DEFAULTS.auth0Domain : tenantHost,
    localCaFile(env),
  );
  if (restartEnv !== undefined) return restartWith(restartEnv);
  const { runCli } = await import("./cli.js");
  return runCli(argv, env);
}

// A reader that has gone (`pnpm agent --help | head -1`) is not the agent's error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
});

// The exit code is set, not forced with process.exit, so output still being written is not cut.
void main(process.argv).then((code) => {
  process.exitCode = code;
});
