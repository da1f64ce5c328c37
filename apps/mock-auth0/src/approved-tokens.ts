import type { RefreshTokenStore } from "./refresh-tokens.js";
import type { TenantApi, TenantClient } from "./tenant/tenant-model.js";
import { issueUserTokens } from "./tokens.js";
import type { TokenContext, TokenResponse, UserTokenRequest } from "./tokens.js";

/** RFC 6749 section 6. */
export const REFRESH_TOKEN_GRANT_TYPE = "refresh_token";

/**
 * `offline_access` gets a refresh token when the client may use the `refresh_token` grant and
 * the API allows offline access (`allow_offline_access`); a token for `/userinfo` alone needs
 * no API's leave. Otherwise the scope is granted without one, as Auth0 does.
 */
function offlineAccess(
  client: TenantClient,
  api: TenantApi | undefined,
  scope: readonly string[],
): boolean {
  return (
    scope.includes("offline_access") &&
    client.grantTypes.includes(REFRESH_TOKEN_GRANT_TYPE) &&
    (api === undefined || api.allowOfflineAccess)
  );
}

/**
 * Tokens for a grant the person has just approved (CIBA, an authorization code), with a new
 * refresh token family when `offline_access` earns one.
 */
export function issueApprovedTokens(
  refreshTokens: RefreshTokenStore,
  now: number,
  context: TokenContext,
  request: Omit<UserTokenRequest, "refreshToken">,
): Promise<TokenResponse> {
  const { client, user, api, scope, authorizationDetails, authTime } = request;
  const refreshToken = offlineAccess(client, api, scope)
    ? refreshTokens.issue(
        {
          clientId: client.clientId,
          sub: user.sub,
          audience: api?.identifier,
          scope,
          authorizationDetails,
          authTime,
        },
        client.refreshToken,
        now,
      )
    : undefined;
  return issueUserTokens(context, { ...request, refreshToken });
}
