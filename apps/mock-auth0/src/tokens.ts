import { randomUUID } from "node:crypto";

import type { AuthorizationDetail } from "@ciba-testbed/shared";

import type { SigningKeys } from "./signing-keys.js";
import type { TenantApi, TenantClient, TenantUser } from "./tenant/tenant-model.js";

/** Auth0's default ID token lifetime. */
const ID_TOKEN_LIFETIME_SECONDS = 36_000;

export interface TokenContext {
  issuer: string;
  keys: SigningKeys;
  /** Seconds since the epoch. */
  nowSeconds: number;
}

export interface UserTokenRequest {
  client: TenantClient;
  user: TenantUser;
  api: TenantApi | undefined;
  scope: readonly string[];
  authorizationDetails: readonly AuthorizationDetail[] | undefined;
}

export interface TokenResponse {
  access_token: string;
  id_token?: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
  authorization_details?: readonly AuthorizationDetail[];
}

/**
 * Tokens for a person, as Auth0 issues them after CIBA: with `openid`, the access token's
 * audience is the API plus the tenant's `/userinfo`; the ID token's audience is the client.
 */
export async function issueUserTokens(
  context: TokenContext,
  request: UserTokenRequest,
): Promise<TokenResponse> {
  const { issuer, keys, nowSeconds: iat } = context;
  const { client, user, api, scope, authorizationDetails } = request;
  const userinfo = `${issuer}userinfo`;
  const expiresIn = api?.tokenLifetimeSeconds ?? 86_400;
  const audience = api
    ? scope.includes("openid")
      ? [api.identifier, userinfo]
      : api.identifier
    : userinfo;

  const accessToken = await keys.sign({
    iss: issuer,
    sub: user.sub,
    aud: audience,
    iat,
    exp: iat + expiresIn,
    scope: scope.join(" "),
    azp: client.clientId,
    jti: randomUUID(),
    ...(authorizationDetails ? { authorization_details: authorizationDetails } : {}),
  });
  const idToken = await keys.sign({
    iss: issuer,
    sub: user.sub,
    aud: client.clientId,
    iat,
    exp: iat + ID_TOKEN_LIFETIME_SECONDS,
    auth_time: iat,
    ...(scope.includes("profile") ? { name: user.name } : {}),
    ...(scope.includes("email") ? { email: user.email, email_verified: user.emailVerified } : {}),
  });
  return {
    access_token: accessToken,
    id_token: idToken,
    token_type: "Bearer",
    expires_in: expiresIn,
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
    jti: randomUUID(),
  });
  return {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: api.tokenLifetimeSeconds,
    scope: scope.join(" "),
  };
}
