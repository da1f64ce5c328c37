import type { Tenant, TenantApi, TenantClient, TenantUser } from "./tenant-model.js";

/** The tenant's clients, users and APIs, indexed for the request handlers. */
export interface TenantDirectory {
  readonly tenant: Tenant;
  readonly clients: ReadonlyMap<string, TenantClient>;
  readonly users: ReadonlyMap<string, TenantUser>;
  readonly apis: ReadonlyMap<string, TenantApi>;
}

export function tenantDirectory(tenant: Tenant): TenantDirectory {
  return {
    tenant,
    clients: new Map(tenant.clients.map((client) => [client.clientId, client])),
    users: new Map(tenant.users.map((user) => [user.sub, user])),
    apis: new Map(tenant.apis.map((api) => [api.identifier, api])),
  };
}
