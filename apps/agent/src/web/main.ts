import { readEnvironment } from "../config.js";
import { trustLocalTenantToServe } from "../local-tenant-trust.js";

/**
 * The web app's process (`pnpm agent serve`, and what supervisors start): against the local
 * tenant it trusts its CA in this process, as the CLI does.
 */
async function main(): Promise<number> {
  const env = readEnvironment();
  const refused = trustLocalTenantToServe(env);
  if (refused !== undefined) return refused;
  const { runServe } = await import("./serve.js");
  return runServe(env);
}

// Exits, not only sets the code: a purchase that was waiting for the person would keep the
// process alive, polling, for minutes after the web app stopped (see `serve`).
void main().then((code) => {
  process.exit(code);
});
