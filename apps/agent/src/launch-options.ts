import type { CodeCacheOptions } from "@ciba-testbed/shared/node/code-cache";

import { isStoreUrl } from "./store-url.js";

/**
 * How build/agent.cjs runs the CLI's bundle `cli` for the command line `args` and the
 * environment `env`: which code cache it reads and writes, and the V8 flags it sets (see
 * `runWithCodeCache`).
 */
export function launchOptions(
  args: readonly string[],
  cli: string,
  env: Readonly<Record<string, string | undefined>>,
): CodeCacheOptions {
  if (args.length === 0 || args.includes("--help") || args.includes("-h")) {
    // Usage compiles a sliver of the CLI and sends nothing: a cache of its own, Node's flags.
    return { read: [`${cli}.usage.cache`] };
  }
  if (args.find((arg) => arg !== "--") === "serve") {
    // `agent serve` is a server that runs until stopped: V8 as Node sets it up, as for the
    // other servers (see below). And a cache of its own: V8 refuses a cache made under other
    // flags, so one shared with the short runs would be compiled and written again at every
    // switch between the two.
    return { read: [`${cli}.serve.cache`] };
  }
  // A run with a Redis store (AGENT_STORE a URL) loads ioredis and takes the Redis store's
  // paths: a cache of its own. V8 takes in every function a cache holds, whether the run calls
  // it or not, and one cache for both grows to hold both: a purchase with no store read 2.25 MB
  // of it instead of 1.37 MB, for 22 ms more CPU, 1,100 more page faults and a start 20 ms
  // later (paired medians of 20 alternating runs, 2-core AMD EPYC). Read from the process's
  // environment: a store named only in `.env` runs with the other cache, which then also
  // holds the Redis code, as both did before.
  const storeUrl = isStoreUrl(env.AGENT_STORE?.trim() ?? "");
  return {
    read: [storeUrl ? `${cli}.redis.cache` : `${cli}.cache`],
    // V8's baseline WebAssembly compiler only (Liftoff), as SHOP_API_SHORT_LIVED gives a
    // short-lived shop: fetch parses HTTP with a WebAssembly module (undici's llhttp), which V8
    // otherwise also optimises on a helper thread for a process that ends before that pays
    // off. With Liftoff alone a run against the local stack costs about a seventh less CPU (a
    // send, a pending resume and an ordered resume: 0.24 -> 0.21 s each). Loading the Node
    // modules it needs before the flag is set (see v8Flags) takes 2-7% more off: a purchase
    // 213 -> 209 ms, a send in interrupt mode 219 -> 204 ms. And no optimising JavaScript
    // compiler (TurboFan, `--no-opt`): a run lives a few hundred milliseconds, too short for
    // optimised code to repay its compilation, which V8 does on helper threads beside the run.
    // A purchase against the local stack takes about 8% less CPU (0.384 -> 0.354 s, mean of 30
    // each, alternating, on a 2-core AMD EPYC; two more such runs gave 8% and 9%) in the same
    // wall time. Not for the servers: a shop or a tenant given `--no-opt` on its command line
    // started for more CPU, not less (a tenant 0.45 s against 0.36 s, mean of 8 each).
    // And a young generation that keeps its first size (`--semi-space-growth-factor=1`, read
    // by V8 each time it would grow it, so it works set this late): V8 otherwise doubles it
    // to 8 MB a half as a run's modules fill it, memory the kernel has to hand over page by
    // page. A send or a resume takes 1,100-1,400 fewer page faults and 12 ms less CPU
    // (paired medians of 30 alternating runs each, 2-core AMD EPYC VM), for a few more
    // scavenges of a smaller space.
    // And regular expressions compiled without the regexp compiler's optimisations
    // (`--no-regexp-optimization`): Node checks whether each host it connects to is an IP
    // address, and the first test of "localhost" against its IPv6 pattern took 8 ms to compile
    // that one expression, 1.2 ms without them. A purchase takes 4-5 ms less CPU (paired
    // medians of two sets of 20 alternating runs, 2-core AMD EPYC).
    // And no baseline compiler either (`--no-sparkplug`): Sparkplug turns the bytecode of the
    // functions a run calls often into machine code, which a run of a few hundred milliseconds
    // does not live to repay, and the code cache holds bytecode only, so every run did it
    // again. A send in interrupt mode takes 10.6 ms less CPU and 12 ms less wall time, an
    // approved purchase 3.8 ms less CPU, with 150-190 fewer page faults (paired medians of 20
    // alternating runs each, `perf stat`, 2-core AMD EPYC).
    v8Flags:
      "--liftoff-only --no-opt --no-sparkplug --semi-space-growth-factor=1 --no-regexp-optimization",
  };
}
