import type { TenantUser } from "./tenant/tenant-model.js";

/**
 * The claims the `profile` and `email` scopes release about a person, as Auth0 releases them
 * in ID tokens and at `/userinfo` (https://auth0.com/docs/get-started/apis/scopes/openid-connect-scopes;
 * values as in go-auth0's recorded /userinfo answer). Only the scopes granted count; `sub` is
 * the caller's to add.
 */
export function userClaims(
  user: TenantUser,
  scope: readonly string[],
  /** When the profile last changed: for a tenant read from files, when it was read (imported). */
  updatedAt: string,
): Record<string, string | boolean> {
  return {
    ...(scope.includes("profile")
      ? {
          ...(user.givenName === undefined ? {} : { given_name: user.givenName }),
          ...(user.familyName === undefined ? {} : { family_name: user.familyName }),
          nickname: user.nickname,
          name: user.name,
          picture: user.picture,
          updated_at: updatedAt,
        }
      : {}),
    ...(scope.includes("email") ? { email: user.email, email_verified: user.emailVerified } : {}),
  };
}
