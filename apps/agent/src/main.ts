import { mapStacksOfCrashes } from "@ciba-testbed/shared/node";

import { runCli } from "./cli.js";
import { readEnvironment } from "./config.js";

/**
 * The CLI's process (`pnpm agent`). It loads only what the command needs: `--help` reads no
 * more than the command line's own modules; the agent, its model and the Auth0 SDK load when a
 * request runs. Against the local tenant its CA is trusted in this process (no restart).
 */
function main(argv: string[]): Promise<number> {
  return runCli(argv, readEnvironment());
}

// Started without --enable-source-maps (it costs every run ~60 ms): a crash's stack is mapped
// to the TypeScript sources when it is printed.
mapStacksOfCrashes();

// A reader that has gone (`pnpm agent --help | head -1`) is not the agent's error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
});

// The exit code is set, not forced with process.exit, so output still being written is not cut.
void main(process.argv).then((code) => {
  process.exitCode = code;
});
