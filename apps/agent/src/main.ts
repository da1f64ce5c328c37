import { readEnvironment } from "./config.js";
import { runTrustingLocalTenant } from "./local-tenant-restart.js";

/**
 * The CLI's process (`pnpm agent`): against the local tenant it first restarts once trusting
 * its CA, before the agent's heavy modules load.
 */
function main(argv: string[]): Promise<number> {
  const env = readEnvironment();
  return runTrustingLocalTenant(env, async () => {
    const { runCli } = await import("./cli.js");
    return runCli(argv, env);
  });
}

// A reader that has gone (`pnpm agent --help | head -1`) is not the agent's error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
});

// The exit code is set, not forced with process.exit, so output still being written is not cut.
void main(process.argv).then((code) => {
  process.exitCode = code;
});
