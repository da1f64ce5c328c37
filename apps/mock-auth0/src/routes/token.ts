import { CIBA_GRANT_TYPE, CLIENT_CREDENTIALS_GRANT_TYPE } from "@ciba-testbed/shared";
import type { Clock } from "@ciba-testbed/shared";
import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";

import type { BackchannelStore } from "../backchannel/backchannel-store.js";
import { authenticateClient } from "../client-authentication.js";
import { errors, slowDown } from "../errors.js";
import { param, requiredParam } from "../request-params.js";
import type { SigningKeys } from "../signing-keys.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import type { TenantClient } from "../tenant/tenant-model.js";
import { issueClientCredentialsToken, issueUserTokens } from "../tokens.js";
import type { TokenContext } from "../tokens.js";

const DENIED_DESCRIPTION = "The end-user denied the authorization request or it has been expired";

export interface TokenDeps {
  issuer: string;
  directory: TenantDirectory;
  store: BackchannelStore;
  keys: SigningKeys;
  clock: Clock;
  logger: Logger;
}

/** `POST /oauth/token` for the CIBA grant and `client_credentials`. */
export function token(deps: TokenDeps): RequestHandler {
  const { directory, clock } = deps;
  const supported = [CIBA_GRANT_TYPE, CLIENT_CREDENTIALS_GRANT_TYPE];

  return async (req, res) => {
    const client = authenticateClient(req, directory.clients);
    const grantType = requiredParam(req, "grant_type");
    if (!supported.includes(grantType)) {
      throw errors.unsupportedGrantType(
        `Unsupported grant type: ${grantType}. This tenant supports ${supported.join(", ")}`,
      );
    }
    if (!client.grantTypes.includes(grantType)) {
      throw errors.unauthorizedClient(`Grant type '${grantType}' not allowed for the client.`);
    }
    const context: TokenContext = {
      issuer: deps.issuer,
      keys: deps.keys,
      nowSeconds: Math.floor(clock.now() / 1000),
    };
    const tokens =
      grantType === CIBA_GRANT_TYPE
        ? await cibaGrant(deps, req, client, context)
        : await clientCredentialsGrant(deps, req, client, context);
    res.json(tokens);
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
  logger.info({ user: user.sub, client: client.clientId }, "CIBA tokens issued");
  return issueUserTokens(context, {
    client,
    user,
    api: request.audience === undefined ? undefined : directory.apis.get(request.audience),
    scope: request.scope,
    authorizationDetails: request.authorizationDetails,
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
  const requested = (param(req, "scope") ?? "").split(" ").filter(Boolean);
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
