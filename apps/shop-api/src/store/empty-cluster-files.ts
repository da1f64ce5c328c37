/**
 * The published package's empty PostgreSQL cluster (`EMPTY_CLUSTER_DIR` in open-database.ts):
 * package.json `bundle.generated` has the package build run this into
 * `dist/apps/shop-api/empty-cluster/`.
 */
export { writeEmptyCluster as generate } from "./open-database.js";
