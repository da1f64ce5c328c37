/**
 * The published package's empty shop database, a PostgreSQL cluster with the shop's schema and no
 * data (`EMPTY_CLUSTER_DIR` in open-database.ts): package.json `bundle.generated` has the package
 * build run this into `dist/apps/shop-api/empty-cluster/`.
 */
export { writeEmptyCluster as generate } from "./open-database.js";
