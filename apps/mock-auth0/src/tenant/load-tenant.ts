import { fileURLToPath } from "node:url";

import { buildTenant } from "./build-tenant.js";
import type { LoadedTenant } from "./build-tenant.js";
import type { Tenant } from "./tenant-model.js";
import { readTenantSources } from "./tenant-sources.js";
import type { TenantLocation, TenantSources } from "./tenant-sources.js";

export { TenantFileError } from "./problems.js";
export type { LoadedTenant } from "./build-tenant.js";
export type { TenantLocation, TenantSources } from "./tenant-sources.js";

/** The repository's tenant, in Auth0's formats: what `pnpm dev`, `pnpm demo` and the tests run. */
export const DEFAULT_TENANT_FILE = fileURLToPath(
  new URL("../../../../auth0/tenant.yaml", import.meta.url),
);

/** Zod's issues, or problems shaped like them (`policyProblems`), as "path.to.it: message". */
export function formatIssues(
  issues: readonly { path: readonly (string | number)[]; message: string }[],
): string[] {
  return issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return `${where}: ${issue.message}`;
  });
}

const asLocation = (location: string | TenantLocation): TenantLocation =>
  typeof location === "string" ? { tenant: location } : location;

/**
 * Reads, validates and maps a tenant, with what start-up reports about it. Files the Deploy
 * CLI's schema accepted once are not run through it again (see `deployCliSchemaProblems`).
 */
export function loadTenantReport(
  location: string | TenantLocation = DEFAULT_TENANT_FILE,
): LoadedTenant {
  return buildTenant(readTenantSources(asLocation(location)), { rememberAccepted: true });
}

/**
 * The tenant at `location` (default: the repository's `auth0/tenant.yaml` with the
 * `users.json` and `mock-auth0.json` beside it). Throws `TenantFileError` naming every problem.
 */
export function loadTenant(location: string | TenantLocation = DEFAULT_TENANT_FILE): Tenant {
  return loadTenantReport(location).tenant;
}

/** Changes to a tenant's files, as parsed: what a test changes instead of writing files. */
export interface TenantChanges {
  /** The Deploy CLI assets (`clients`, `resourceServers`, `clientGrants`, ...). */
  assets?: (assets: Record<string, unknown>) => Record<string, unknown>;
  /** The users, in Auth0's bulk user import format. */
  users?: (users: Record<string, unknown>[]) => Record<string, unknown>[];
  /** mock-auth0.json. */
  settings?: (settings: Record<string, unknown>) => Record<string, unknown>;
}

let defaultSources: TenantSources | undefined;

/**
 * A tenant built from the repository's files changed by `changes`, through the same
 * validation and mapping as a file: the one way tests make a tenant of their own.
 */
export function tenantWith(changes: TenantChanges = {}): Tenant {
  defaultSources ??= readTenantSources({ tenant: DEFAULT_TENANT_FILE });
  const sources = structuredClone(defaultSources);
  return buildTenant({
    ...sources,
    assets: changes.assets ? changes.assets(sources.assets) : sources.assets,
    users: changes.users
      ? changes.users(sources.users as Record<string, unknown>[])
      : sources.users,
    settings: changes.settings ? changes.settings(sources.settings) : sources.settings,
  }).tenant;
}
