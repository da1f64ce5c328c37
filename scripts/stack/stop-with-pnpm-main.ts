/**
 * Loaded first into the process of a package script that runs a server (`pnpm mock-auth0`,
 * `pnpm shop-api`, `pnpm model-server`; see scripts/build.js):
 * stops it, as SIGTERM does, once the pnpm that runs it is gone (`stopWithPnpm`). A `kill` of
 * pnpm's pid left the server holding its port, with nothing to stop it.
 */
import { stopWithPnpm } from "./stop-with-pnpm.js";

const script = process.env.npm_lifecycle_event ?? "script";
stopWithPnpm({
  intervalMs: 500,
  onGone: (pnpm) => {
    process.stderr.write(`pnpm ${script}: pnpm (pid ${String(pnpm.pid)}) is gone; stopping\n`);
  },
});
