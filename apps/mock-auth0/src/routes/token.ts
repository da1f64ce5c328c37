import { CIBA_GRANT_TYPE, CLIENT_CREDENTIALS_GRANT_TYPE, OAuthError } from "@ciba-testbed/shared";
import type { Clock } from "@ciba-testbed/shared";
import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";
import { sendJson } from "@ciba-testbed/shared/http";

import { issueApprovedTokens, REFRESH_TOKEN_GRANT_TYPE } from "../approved-tokens.js";
import type { BackchannelStore } from "../backchannel/backchannel-store.js";
import { authenticateClient, publicClient } from "../client-authentication.js";
import { errors, slowDown } from "../errors.js";
import {
  AUTHORIZATION_CODE_GRANT_TYPE,
  authorizationCodeGrant,
} from "../login/authorization-code-grant.js";
import type { LoginState } from "../login/login-state.js";
import type { OpaqueAccessTokens } from "../opaque-tokens.js";
import type { RefreshTokenStore } from "../refresh-tokens.js";
import { param, requiredParam, scopeParam } from "../request-params.js";
import type { SigningKeys } from "../signing-keys.js";
import { AUTH0_GRANT_TYPES } from "../tenant/deploy-cli-assets.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import type { TenantClient } from "../tenant/tenant-model.js";
import { issueClientCredentialsToken, issueUserTokens } from "../tokens.js";
import type { TokenContext, TokenResponse } from "../tokens.js";

/** Auth0's answer to every refresh token it will not exchange, whatever the reason. */
const INVALID_REFRESH_TOKEN = "Unknown or invalid refresh token.";

const DENIED_DESCRIPTION = "The end-user denied the authorization request or it has been expired";

export interface TokenDeps {
  issuer: string;
  directory: TenantDirectory;
  store: BackchannelStore;
  keys: SigningKeys;
  opaqueTokens: OpaqueAccessTokens;
  refreshTokens: RefreshTokenStore;
  /** The profiles' `updated_at`. */
  profileUpdatedAt: string;
  /** The authorization codes `/authorize` issued. */
  login: LoginState;
  clock: Clock;
  logger: Logger;
}

type GrantHandler = (
  deps: TokenDeps,
  req: Request,
  client: TenantClient,
  context: TokenContext,
) => Promise<TokenResponse>;

const GRANTS = new Map<string, GrantHandler>([
  [CIBA_GRANT_TYPE, cibaGrant],
  [REFRESH_TOKEN_GRANT_TYPE, refreshTokenGrant],
  [CLIENT_CREDENTIALS_GRANT_TYPE, clientCredentialsGrant],
  [AUTHORIZATION_CODE_GRANT_TYPE, authorizationCodeGrant],
]);

/**
 * The grant types Auth0 has that are used at its token endpoint (its Application Grant Types
 * but `implicit`). For one of these that the client is not allowed, Auth0 answers as for any
 * grant the client lacks, `403 unauthorized_client` "Grant type '...' not allowed for the
 * client.", before anything about the grant itself; only a grant type Auth0 does not have is
 * `unsupported_grant_type`. mock-auth0 answers the same, so a client that sends `password`
 * learns what Auth0 would tell it: the application needs that grant.
 */
const isAuth0TokenGrant = (grantType: string) =>
  grantType !== "implicit" && AUTH0_GRANT_TYPES.has(grantType);

/**
 * A public client (`token_endpoint_auth_method: none`) sends its client_id and no secret to
 * redeem a code with PKCE (go-auth0's recorded TestLoginWithAuthCodeWithPKCE) and to refresh
 * (Auth0's Refresh Access Token: `client_secret` is "Required when the Token Endpoint
 * Authentication Method is set to Post or Basic"): it is identified, not authenticated. Any
 * other request goes through client authentication.
 */
function publicTokenClient(
  req: Request,
  clients: ReadonlyMap<string, TenantClient>,
): TenantClient | undefined {
  const grantType = param(req, "grant_type");
  if (grantType !== AUTHORIZATION_CODE_GRANT_TYPE && grantType !== REFRESH_TOKEN_GRANT_TYPE) {
    return undefined;
  }
  return publicClient(req, clients);
}

/** `POST /oauth/token` for the CIBA grant, `authorization_code`, `refresh_token` and `client_credentials`. */
export function token(deps: TokenDeps): RequestHandler {
  const { directory, clock } = deps;
  const supported = [...GRANTS.keys()];

  return async (req, res) => {
    const client =
      publicTokenClient(req, directory.clients) ??
      authenticateClient(req, directory.clients, { tokenEndpoint: { logger: deps.logger } });
    const grantType = requiredParam(req, "grant_type");
    const implemented = supported.includes(grantType);
    if ((implemented || isAuth0TokenGrant(grantType)) && !client.grantTypes.includes(grantType)) {
      throw errors.unauthorizedClient(`Grant type '${grantType}' not allowed for the client.`);
    }
    if (!implemented) {
      throw errors.unsupportedGrantType(
        isAuth0TokenGrant(grantType)
          ? `Grant type ${grantType} is one Auth0 has and mock-auth0 does not: it supports ${supported.join(", ")}`
          : `Unsupported grant type: ${grantType}. This tenant supports ${supported.join(", ")}`,
      );
    }
    const context: TokenContext = {
      issuer: deps.issuer,
      keys: deps.keys,
      opaqueTokens: deps.opaqueTokens,
      nowSeconds: Math.floor(clock.now() / 1000),
      profileUpdatedAt: deps.profileUpdatedAt,
    };
    const grant = GRANTS.get(grantType);
    if (!grant) throw new Error(`no handler for ${grantType}`);
    let answer: TokenResponse;
    try {
      answer = await grant(deps, req, client, context);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      // A grant's refusal, `authorization_pending` above all (most polls get it), is answered
      // here exactly as the error handler answers it, without walking the rest of the app.
      sendJson(res, error.status, error.toJSON(), error.headers);
      return;
    }
    sendJson(res, 200, answer);
  };
}

/**
 * CIBA Core 1.0 sections 10-11. The store's `poll` decides the answer in the spec's order;
 * this turns it into Auth0's wire format.
 */
async function cibaGrant(
  deps: TokenDeps,
  req: Request,
  client: TenantClient,
  context: TokenContext,
) {
  const { directory, store, clock, logger } = deps;
  const authReqId = requiredParam(req, "auth_req_id");
  const result = store.poll(authReqId, client.clientId, clock.now());
  switch (result.answer) {
    case "invalid_grant":
      throw errors.invalidGrant(
        "The auth_req_id is unknown, was already used, or belongs to another client",
      );
    case "expired":
      throw directory.tenant.ciba.expiredError === "expired_token"
        ? errors.expiredToken(
            "The auth_req_id has expired: start a new backchannel authentication request",
          )
        : errors.accessDenied(DENIED_DESCRIPTION);
    case "slow_down":
      throw slowDown(Math.ceil(result.intervalMs / 1000));
    case "authorization_pending":
      throw errors.authorizationPending("The end-user authorization is pending");
    case "access_denied":
      throw errors.accessDenied(DENIED_DESCRIPTION);
    case "token":
      break;
  }
  const { request } = result;
  // Users come from the tenant file, which cannot change while the tenant runs.
  const user = directory.users.get(request.userId);
  if (!user) throw errors.invalidGrant("The user of this request no longer exists");
  const tokens = await issueApprovedTokens(deps.refreshTokens, clock.now(), context, {
    client,
    user,
    api: request.audience === undefined ? undefined : directory.apis.get(request.audience),
    scope: request.scope,
    authorizationDetails: request.authorizationDetails,
    // OIDC Core 2: auth_time is when the person authenticated; in CIBA, when they approved.
    authTime: Math.floor((request.decision?.at ?? clock.now()) / 1000),
  });
  logger.info(
    {
      user: user.sub,
      client: client.clientId,
      refreshToken: tokens.refresh_token !== undefined,
    },
    "CIBA tokens issued",
  );
  return tokens;
}

/**
 * RFC 6749 section 6 with Auth0's refresh token rotation: new tokens for the grant the person
 * approved, with a new refresh token when the client's tokens rotate. Any token Auth0 would
 * not exchange gets its one answer, 403 `invalid_grant` "Unknown or invalid refresh token.".
 * `scope` may narrow the grant (scopes it never held are dropped); `offline_access` stays.
 */
async function refreshTokenGrant(
  deps: TokenDeps,
  req: Request,
  client: TenantClient,
  context: TokenContext,
) {
  const { directory, refreshTokens, clock, logger } = deps;
  const presented = requiredParam(req, "refresh_token");
  const result = refreshTokens.exchange(presented, client.clientId, clock.now());
  if (!result.ok) {
    if (result.reason === "reuse_revoked_family") {
      logger.warn(
        { client: client.clientId },
        "a rotated refresh token was used again: its family is revoked",
      );
    }
    throw errors.invalidRefreshToken(INVALID_REFRESH_TOKEN);
  }
  const { grant } = result;
  const user = directory.users.get(grant.sub);
  if (!user) throw errors.invalidRefreshToken(INVALID_REFRESH_TOKEN);
  const requested = (scopeParam(req) ?? "").split(" ").filter(Boolean);
  const scope =
    requested.length === 0
      ? grant.scope
      : grant.scope.filter((s) => requested.includes(s) || s === "offline_access");
  return issueUserTokens(context, {
    client,
    user,
    api: grant.audience === undefined ? undefined : directory.apis.get(grant.audience),
    scope,
    authorizationDetails: grant.authorizationDetails,
    authTime: grant.authTime,
    refreshToken: result.refreshToken,
    grantType: "refresh_token",
  });
}

/** RFC 6749 section 4.4, with Auth0's checks and messages. */
async function clientCredentialsGrant(
  deps: TokenDeps,
  req: Request,
  client: TenantClient,
  context: TokenContext,
) {
  const audience = param(req, "audience");
  if (audience === undefined || audience === "") {
    throw errors.forbidden(
      "No audience parameter was provided, and no default audience has been configured",
    );
  }
  const api = deps.directory.apis.get(audience);
  if (!api) throw errors.forbidden(`Service not found: ${audience}`);
  // API Access Policies for client access (`subject_type_authorization.client`).
  if (api.clientPolicy === "deny_all") {
    throw errors.forbidden(
      `Client "${client.clientId}" is not authorized to access "${audience}": the API's client access policy is deny_all`,
    );
  }
  const grant = client.clientGrants.find(
    (g) => g.audience === audience && g.subjectType === "client",
  );
  if (!grant) {
    throw errors.forbidden(
      `Client "${client.clientId}" is not authorized to access "${audience}".`,
    );
  }
  const granted = grant.allowAllScopes ? api.scopes : grant.scopes;
  // A scope is a set (RFC 6749 section 3.3): a repeated one is asked once, as /bc-authorize reads it.
  const requested = [...new Set((scopeParam(req) ?? "").split(" ").filter(Boolean))];
  const notGranted = requested.filter((scope) => !granted.includes(scope));
  if (notGranted.length > 0) {
    throw errors.forbidden(`Client has not been granted scopes: ${notGranted.join(" ")}`);
  }
  return issueClientCredentialsToken(context, {
    client,
    api,
    scope: requested.length > 0 ? requested : granted,
  });
}
