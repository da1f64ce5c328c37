/**
 * The environment for a shop-api process that lives for one test, demo or testbed
 * (`SHOP_API_SHORT_LIVED`): V8's baseline WebAssembly compiler alone (Liftoff) opens the shop's
 * PGlite database for 0.8 s of CPU instead of 1.5 s; the rest went to optimising code such a
 * shop never runs long enough to use. The shop sets that V8 flag itself once Node's own modules
 * are loaded: on Node's command line it would cost them their code cache. A long-lived shop
 * keeps the optimising tier: once warm it sells about 11% more orders a second (`pnpm bench`),
 * so `pnpm shop-api` does not use this. `pnpm dev` does: its shop starts again at every change
 * of its sources and never serves a load.
 */
export const SHORT_LIVED_SHOP_ENV: Readonly<Record<string, string>> = {
  SHOP_API_SHORT_LIVED: "true",
};

/**
 * The same for a process that opens PGlite itself, such as a test worker, as Node flags: it
 * lives no longer than such a shop.
 */
export const SHORT_LIVED_SHOP_NODE_FLAGS: readonly string[] = ["--liftoff-only"];
