import type { AuthorizationDetail } from "@ciba-testbed/shared";

import type { OpaqueAccessTokens } from "./opaque-tokens.js";
import { randomId } from "./random-id.js";
import type { SigningKeys, TokenType } from "./signing-keys.js";
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
  /**
   * `refresh_token` when the grant renews tokens: Auth0's profile marks those access tokens with
   * `gty` ("Only present for `password` and `refresh_token`", Access Token Profiles).
   */
  grantType?: "refresh_token" | undefined;
  /** OIDC Core 3.1.2.1: the `/authorize` request's nonce, echoed in the ID token. */
  nonce?: string | undefined;
  /**
   * The login session's id, for a login's ID token: "During user authentication, the Auth0
   * tenant adds the sid to the ID token" (Auth0's OIDC Back-Channel Logout page).
   */
  sid?: string | undefined;
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

/** The `jti` of an RFC 9068 access token: 16 random bytes, 22 characters as Auth0's sample. */
const JTI_BYTES = 16;

/**
 * How an access token for `api` names its client, and its header's `typ`, by the API's profile
 * (https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles). Auth0's default
 * names it in `azp` and has no `jti`; RFC 9068's names it in `client_id` (section 2.2), adds a
 * fresh `jti` and types the JWT `at+jwt` (section 2.1).
 */
function profileOf(
  api: TenantApi,
  clientId: string,
): { claims: { azp: string } | { client_id: string; jti: string }; typ: TokenType } {
  return api.accessTokenProfile === "rfc9068"
    ? { claims: { client_id: clientId, jti: randomId(JTI_BYTES) }, typ: "at+jwt" }
    : { claims: { azp: clientId }, typ: "JWT" };
}

/**
 * A person's access token, in the API's profile: by default a JWT with `iss`, `sub`, `aud`,
 * `iat`, `exp`, `scope`, `azp` (and `authorization_details`), and no `jti` (`profileOf`); a
 * refresh adds `gty: "refresh_token"`, which the RFC 9068 profile does not use. With `openid`
 * its audience is the API plus the tenant's `/userinfo`. Without an API it is an opaque token
 * that only `/userinfo` accepts.
 */
async function userAccessToken(
  context: TokenContext,
  request: UserTokenRequest,
): Promise<{ token: string; expiresIn: number }> {
  const { issuer, keys, opaqueTokens, nowSeconds: iat } = context;
  const { client, user, api, scope, authorizationDetails, grantType } = request;
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
  const profile = profileOf(api, client.clientId);
  const token = await keys.sign(
    {
      iss: issuer,
      sub: user.sub,
      aud: scope.includes("openid") ? [api.identifier, `${issuer}userinfo`] : api.identifier,
      iat,
      exp: iat + expiresIn,
      scope: scope.join(" "),
      ...(profile.typ === "JWT" && grantType !== undefined ? { gty: grantType } : {}),
      ...profile.claims,
      ...(authorizationDetails ? { authorization_details: authorizationDetails } : {}),
    },
    profile.typ,
  );
  return { token, expiresIn };
}

/** A person's ID token: audience the client, the `profile` and `email` claims of `scope`. */
export function issueIdToken(
  context: Pick<TokenContext, "issuer" | "keys" | "nowSeconds" | "profileUpdatedAt">,
  request: Pick<UserTokenRequest, "client" | "user" | "scope" | "authTime" | "nonce" | "sid">,
): Promise<string> {
  const { issuer, keys, nowSeconds: iat, profileUpdatedAt } = context;
  const { client, user, scope, authTime } = request;
  return keys.sign({
    ...userClaims(user, scope, profileUpdatedAt),
    iss: issuer,
    sub: user.sub,
    aud: client.clientId,
    iat,
    exp: iat + ID_TOKEN_LIFETIME_SECONDS,
    auth_time: authTime,
    ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
    ...(request.sid === undefined ? {} : { sid: request.sid }),
  });
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
  const { scope, authorizationDetails, refreshToken } = request;
  // The two signatures at once, on the thread pool (`SigningKeys.sign`): one wait, not two.
  const [access, idToken] = await Promise.all([
    userAccessToken(context, request),
    scope.includes("openid") ? issueIdToken(context, request) : undefined,
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

/**
 * A machine-to-machine token, marked the way Auth0 marks them: `sub` `<client>@clients` and,
 * in Auth0's profile, `gty` (the RFC 9068 profile "does not use the gty claim").
 */
export async function issueClientCredentialsToken(
  context: TokenContext,
  request: { client: TenantClient; api: TenantApi; scope: readonly string[] },
): Promise<TokenResponse> {
  const { issuer, keys, nowSeconds: iat } = context;
  const { client, api, scope } = request;
  const profile = profileOf(api, client.clientId);
  const accessToken = await keys.sign(
    {
      iss: issuer,
      sub: `${client.clientId}@clients`,
      aud: api.identifier,
      iat,
      exp: iat + api.tokenLifetimeSeconds,
      scope: scope.join(" "),
      ...(profile.typ === "JWT" ? { gty: "client-credentials" } : {}),
      ...profile.claims,
    },
    profile.typ,
  );
  return {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: api.tokenLifetimeSeconds,
    scope: scope.join(" "),
  };
}
