import type { ClientGrant, TenantApi, TenantClient } from "./tenant/tenant-model.js";
import { oidcScopes } from "./tenant/tenant-model.js";

/**
 * What an API's API Access Policy for user-delegated flows (`subject_type_authorization.user`)
 * lets a client get for a person: every flow whose access token is issued for an end user
 * (CIBA, the authorization code), not client credentials
 * (https://auth0.com/docs/get-started/apis/api-access-policies-for-applications).
 */
export type UserAccess =
  | {
      readonly allowed: false;
      readonly policy: "deny_all" | "require_client_grant";
      /** Says which client, which API and what to change. */
      readonly description: string;
    }
  | {
      readonly allowed: true;
      /** Under `require_client_grant`, the client's `subject_type: user` grant: the ceiling. */
      readonly grant: ClientGrant | undefined;
    };

export function userAccess(client: TenantClient, api: TenantApi): UserAccess {
  if (api.userPolicy === "allow_all") return { allowed: true, grant: undefined };
  const refused = (policy: "deny_all" | "require_client_grant", why: string): UserAccess => ({
    allowed: false,
    policy,
    description: `Client "${client.clientId}" is not authorized to access "${api.identifier}" on behalf of a user: ${why}`,
  });
  if (api.userPolicy === "deny_all") {
    return refused("deny_all", "the API's user access policy is deny_all");
  }
  const grant = client.clientGrants.find(
    (g) => g.audience === api.identifier && g.subjectType === "user",
  );
  if (grant === undefined) {
    return refused("require_client_grant", 'it needs a client grant with subject_type "user"');
  }
  return { allowed: true, grant };
}

/**
 * The API scopes of `scope` that the client's grant does not hold: "the client grant defines the
 * maximum permissions the application can request" in a user flow
 * (https://auth0.com/docs/get-started/applications/application-access-to-apis-client-grants).
 * The OpenID Connect scopes are the person's, not the API's, and always pass.
 */
export function scopesNotGranted(
  access: Extract<UserAccess, { allowed: true }>,
  scope: readonly string[],
): string[] {
  const { grant } = access;
  if (grant === undefined || grant.allowAllScopes) return [];
  return scope.filter((s) => !oidcScopes.has(s) && !grant.scopes.includes(s));
}
