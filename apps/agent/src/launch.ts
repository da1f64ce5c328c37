/**
 * `build/agent.cjs`, what `pnpm agent` and the tests start: the agent CLI (main.ts), which
 * scripts/build.js also bundles into one CommonJS file, `build/agent-cli.cjs`, run here with
 * V8's code cache (`runWithCodeCache`). Node 20 compiles every ES module afresh at each start;
 * with the cache an approved purchase costs about a sixth less CPU (248 -> 207 ms).
 */
// First: it takes the stop signals before anything else loads.
import "./early-signals.js";

import { fileURLToPath } from "node:url";

// Not the package's index: this file loads nothing the CLI itself does not.
import { runWithCodeCache } from "@ciba-testbed/shared/node/code-cache";

import { launchOptions } from "./launch-options.js";

const cli = fileURLToPath(new URL("../../../build/agent-cli.cjs", import.meta.url));
runWithCodeCache(cli, launchOptions(process.argv.slice(2), cli, process.env));
