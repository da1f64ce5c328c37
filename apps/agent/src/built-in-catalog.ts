// The shop's own default catalog, imported rather than copied: the one list of what the local
// shop sells. Loading it loads the shop's module graph, so the agent does it only when needed.
export { DEFAULT_PRODUCTS as BUILT_IN_CATALOG } from "@ciba-testbed/shop-api";
