import { fileURLToPath } from "node:url";

import { runWithCodeCache } from "@ciba-testbed/shared/node/code-cache";

import type * as Serve from "./serve.js";

/**
 * `./serve.js` as the agent CLI's one-file build has it (`build/agent-cli.cjs`, see
 * scripts/build.js): the web app is a bundle of its own, `build/agent-serve.cjs`, run with its
 * own code cache when `agent serve` starts. Express, the login middleware and the rest of the
 * web app are 1.6 MB of the CLI's 3.6 MB; every run of the CLI read them and every purchase's
 * code cache held their module setup, for a web app that a purchase never starts (33 ms more CPU
 * and 1,000 more page faults a purchase, paired medians of 20 alternating runs, 2-core AMD EPYC).
 */
export function runServe(env: Record<string, string | undefined>): Promise<number> {
  const file = fileURLToPath(new URL("../../../../build/agent-serve.cjs", import.meta.url));
  const { exports } = runWithCodeCache(file);
  return (exports as typeof Serve).runServe(env);
}
