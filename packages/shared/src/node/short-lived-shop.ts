/**
 * Node flags for a shop-api that lives for one test, demo or testbed. V8's baseline
 * WebAssembly compiler alone (Liftoff) opens the shop's PGlite database for 0.8 s of CPU
 * instead of 1.5 s: the rest went to optimising code such a shop never runs long enough to use.
 * A long-lived shop keeps the optimising tier: once warm it sells about 11% more orders a
 * second (`pnpm bench`), so `pnpm shop-api` does not use these. `pnpm dev` does: its shop
 * starts again at every change of its sources and never serves a load.
 */
export const SHORT_LIVED_SHOP_NODE_FLAGS: readonly string[] = ["--liftoff-only"];
