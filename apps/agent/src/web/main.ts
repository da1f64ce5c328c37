import { readEnvironment } from "../config.js";
import { runTrustingLocalTenant } from "../local-tenant-restart.js";

/**
 * The web app's process (`pnpm agent serve`, and what supervisors start): against the local
 * tenant it first restarts once trusting its CA, as the CLI does.
 */
function main(): Promise<number> {
  const env = readEnvironment();
  return runTrustingLocalTenant(env, async () => {
    const { runServe } = await import("./serve.js");
    return runServe(env);
  });
}

void main().then((code) => {
  process.exitCode = code;
});
