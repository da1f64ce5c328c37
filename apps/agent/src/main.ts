import { mapStacksOfCrashes } from "@ciba-testbed/shared/node";

import { runCli } from "./cli.js";
import { readEnvironment } from "./config.js";
import { fetchOnNextTurn } from "./fetch-on-next-turn.js";

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

// Every request of this process (the AI SDK's, the Auth0 SDK's, the agent's own) reuses the
// connection an answer just came back on: one connection to the tenant and one to the shop a
// purchase, not two each (fetch-on-next-turn.ts).
globalThis.fetch = fetchOnNextTurn(globalThis.fetch);

// What cannot be written is lost, and nothing else: a reader that has gone (`pnpm agent --help |
// head -1`, `2>&1 >out | head -1`), a full disk (ENOSPC), on stdout or stderr. The run goes on
// and ends with its outcome's code, which a script reads to know what was ordered: a crash's
// exit 1 after an order would have a job that retries on 1 ask the person again, and buy twice.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);

// Exits once everything written to stdout and stderr is out, with the code set. Ending with the
// event loop instead also frees the whole heap first: from the report to the process's end took
// 44-50 ms that way and 23-24 ms this way (median of 16 approved purchases each, alternating,
// 2-core AMD EPYC). Nothing else is left to finish by then: the store is closed first.
void main(process.argv).then(async (code) => {
  process.exitCode = code;
  await Promise.all([written(process.stdout), written(process.stderr)]);
  process.exit(code);
});

/** Resolves once what was written to `stream` before is out (or the stream is gone). */
function written(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    stream.write("", () => {
      resolve();
    });
  });
}
