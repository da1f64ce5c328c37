/**
 * `build/agent.js`, what `pnpm agent` and the tests start: the agent CLI (main.ts), which
 * scripts/build.js also bundles into one CommonJS file, `build/agent-cli.cjs`, run here with
 * V8's code cache (`runWithCodeCache`). Node 20 compiles every ES module afresh at each start;
 * with the cache an approved purchase costs about a sixth less CPU (248 -> 207 ms).
 */
import { fileURLToPath } from "node:url";

// Not the package's index: this file loads nothing the CLI itself does not.
import { runWithCodeCache } from "@ciba-testbed/shared/node/code-cache";

const cli = fileURLToPath(new URL("../../../build/agent-cli.cjs", import.meta.url));
const args = process.argv.slice(2);
const usageOnly = args.length === 0 || args.includes("--help") || args.includes("-h");
runWithCodeCache(
  cli,
  usageOnly
    ? // Usage compiles a sliver of the CLI and sends nothing: a cache of its own, Node's flags.
      { read: [`${cli}.usage.cache`] }
    : {
        read: [`${cli}.cache`],
        // V8's baseline WebAssembly compiler only (Liftoff), as SHORT_LIVED_SHOP_NODE_FLAGS
        // gives a short-lived shop: fetch parses HTTP with a WebAssembly module (undici's
        // llhttp), which V8 otherwise also optimises on a helper thread for a process that ends
        // before that pays off. With Liftoff alone a run against the local stack costs about a
        // seventh less CPU (a send, a pending resume and an ordered resume: 0.24 -> 0.21 s
        // each). Loading the Node modules it needs before the flag is set (see v8Flags) takes
        // 2-7% more off: a purchase 213 -> 209 ms, a send in interrupt mode 219 -> 204 ms.
        // And no optimising JavaScript compiler (TurboFan, `--no-opt`): a run lives a few
        // hundred milliseconds, too short for optimised code to repay its compilation, which
        // V8 does on helper threads beside the run. A purchase against the local stack takes
        // about 8% less CPU (0.384 -> 0.354 s, mean of 30 each, alternating, on a 2-core AMD
        // EPYC; two more such runs gave 8% and 9%) in the same wall time. Not for the servers:
        // a shop or a tenant given `--no-opt` on its command line started for more CPU, not
        // less (a tenant 0.45 s against 0.36 s, mean of 8 each).
        v8Flags: "--liftoff-only --no-opt",
      },
);
