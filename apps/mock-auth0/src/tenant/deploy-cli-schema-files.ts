/**
 * The published package's copy of the Deploy CLI's schema (`SHIPPED_DIR` in
 * deploy-cli-schema.ts): package.json `bundle.generated` has the package build run this into
 * `dist/apps/mock-auth0/deploy-cli-schema/`.
 */
export { writeDeployCliSchema as generate } from "./deploy-cli-schema.js";
