// The shop's own default catalog, imported rather than copied: the one list of what the local
// shop sells. From the shop's catalog module alone, not its index, which loads the whole shop
// (Express, its database, PGlite): an agent that could not read the shop's catalog loaded all
// of that to fall back on this list, and its code then went into the agent CLI's code cache,
// which every later run of the CLI read (0.58 MB of the cache's 1.95 MB).
export { DEFAULT_PRODUCTS as BUILT_IN_CATALOG } from "@ciba-testbed/shop-api/catalog";
