import type { AuthorizationDetail } from "@ciba-testbed/shared";

import type { OpaqueAccessTokens } from "./opaque-tokens.js";
import type { SigningKeys } from "./signing-keys.js";
import type { TenantApi, TenantClient, TenantUser } from "./tenant/tenant-model.js";
import { userClaims } from "./user-claims.js";

/** Auth0's default ID token lifetime (a client's `jwt_configuration.lifetime_in_seconds`). */
const ID_TOKEN_LIFETIME_SECONDS = 36_000;
/** The lifetime of a token for `/userinfo` alone, as Auth0 answers it (`expires_in` 86400). */
const USERINFO_TOKEN_LIFETIME_SECONDS = 86_400;

export interface TokenContext {
  issuer: string;
  keys: SigningKeys;
  opaqueTokens: OpaqueAccessTokens;
  /** Seconds since the epoch. */
  nowSeconds: number;
  /** The profiles' `updated_at`. */
  profileUpdatedAt: string;
}

export interface UserTokenRequest {
  client: TenantClient;
  user: TenantUser;
  api: TenantApi | undefined;
  scope: readonly string[];
  authorizationDetails: readonly AuthorizationDetail[] | undefined;
  /** When the person approved, in seconds since the epoch: now for CIBA, the grant's for a refresh. */
  authTime: number;
  /** Sent along when the grant issued or rotated one. */
  refreshToken?: string | undefined;
  /** OIDC Core 3.1.2.1: the `/authorize` request's nonce, echoed in the ID token. */
  nonce?: string | undefined;
}

export interface TokenResponse {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
  authorization_details?: readonly AuthorizationDetail[];
}

/**
 * A person's access token in Auth0's default profile
 * (https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles): a JWT with
 * `iss`, `sub`, `aud`, `iat`, `exp`, `scope`, `azp` (and `authorization_details`), and no
 * `jti`. With `openid` its audience is the API plus the tenant's `/userinfo`. Without an API
 * it is an opaque token that only `/userinfo` accepts.
 */
async function userAccessToken(
  context: TokenContext,
  request: UserTokenRequest,
): Promise<{ token: string; expiresIn: number }> {
  const { issuer, keys, opaqueTokens, nowSeconds: iat } = context;
  const { client, user, api, scope, authorizationDetails } = request;
  if (api === undefined) {
    const expiresIn = USERINFO_TOKEN_LIFETIME_SECONDS;
    const token = await opaqueTokens.issue({
      sub: user.sub,
      azp: client.clientId,
      scope: scope.join(" "),
      iat,
      exp: iat + expiresIn,
    });
    return { token, expiresIn };
  }
  const expiresIn = api.tokenLifetimeSeconds;
  const token = await keys.sign({
    iss: issuer,
    sub: user.sub,
    aud: scope.includes("openid") ? [api.identifier, `${issuer}userinfo`] : api.identifier,
    iat,
    exp: iat + expiresIn,
    scope: scope.join(" "),
    azp: client.clientId,
    ...(authorizationDetails ? { authorization_details: authorizationDetails } : {}),
  });
  return { token, expiresIn };
}

/**
 * Tokens for a person, as Auth0 issues them after CIBA or a refresh: the access token, an ID
 * token for `openid` (audience the client) carrying the `profile` and `email` claims of the
 * scopes granted, and the refresh token when there is one.
 */
export async function issueUserTokens(
  context: TokenContext,
  request: UserTokenRequest,
): Promise<TokenResponse> {
  const { issuer, keys, nowSeconds: iat, profileUpdatedAt } = context;
  const { client, user, scope, authorizationDetails, authTime, refreshToken } = request;
  // The two signatures at once, on the thread pool (`SigningKeys.sign`): one wait, not two.
  const [access, idToken] = await Promise.all([
    userAccessToken(context, request),
    scope.includes("openid")
      ? keys.sign({
          ...userClaims(user, scope, profileUpdatedAt),
          iss: issuer,
          sub: user.sub,
          aud: client.clientId,
          iat,
          exp: iat + ID_TOKEN_LIFETIME_SECONDS,
          auth_time: authTime,
          ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
        })
      : undefined,
  ]);
  return {
    access_token: access.token,
    ...(idToken === undefined ? {} : { id_token: idToken }),
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    token_type: "Bearer",
    expires_in: access.expiresIn,
    scope: scope.join(" "),
    ...(authorizationDetails ? { authorization_details: authorizationDetails } : {}),
  };
}

/** A machine-to-machine token, marked the way Auth0 marks them: `gty` and `<client>@clients`. */
export async function issueClientCredentialsToken(
  context: TokenContext,
  request: { client: TenantClient; api: TenantApi; scope: readonly string[] },
): Promise<TokenResponse> {
  const { issuer, keys, nowSeconds: iat } = context;
  const { client, api, scope } = request;
  const accessToken = await keys.sign({
    iss: issuer,
    sub: `${client.clientId}@clients`,
    aud: api.identifier,
    iat,
    exp: iat + api.tokenLifetimeSeconds,
    scope: scope.join(" "),
    gty: "client-credentials",
    azp: client.clientId,
  });
  return {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: api.tokenLifetimeSeconds,
    scope: scope.join(" "),
  };
}
