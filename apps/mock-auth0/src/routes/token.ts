import { CIBA_GRANT_TYPE, CLIENT_CREDENTIALS_GRANT_TYPE } from "@ciba-testbed/shared";
import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";

import type { BackchannelStore } from "../backchannel/backchannel-store.js";
import { authenticateClient } from "../client-authentication.js";
import type { Clock } from "../clock.js";
import type { OAuthError } from "../oauth-error.js";
import {
  accessDenied,
  authorizationPending,
  expiredToken,
  forbidden,
  invalidGrant,
  slowDown,
  unauthorizedClient,
  unsupportedGrantType,
} from "../oauth-error.js";
import { param, requiredParam } from "../request-params.js";
import type { SigningKeys } from "../signing-keys.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import type { TenantClient } from "../tenant/tenant-schema.js";
import { issueClientCredentialsToken, issueUserTokens } from "../tokens.js";
import type { TokenContext } from "../tokens.js";

/**
 * A poll may arrive this much earlier than the interval and still count as on time: timers
 * and the network make gaps a little uneven.
 */
const POLL_TOLERANCE = 0.1;

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
      throw unsupportedGrantType(
        `Unsupported grant type: ${grantType}. This tenant supports ${supported.join(", ")}`,
      );
    }
    if (!(client.grantTypes as string[]).includes(grantType)) {
      throw unauthorizedClient(`Grant type '${grantType}' not allowed for the client.`);
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
 * CIBA Core 1.0 sections 10-11, guard clauses in the spec's order: unknown id -> expired ->
 * polled too fast -> pending -> denied -> issue once and consume.
 */
async function cibaGrant(
  deps: TokenDeps,
  req: Request,
  client: TenantClient,
  context: TokenContext,
) {
  const { directory, store, clock, logger } = deps;
  const authReqId = requiredParam(req, "auth_req_id");
  const request = store.get(authReqId);
  if (request?.clientId !== client.clientId || request.status === "consumed") {
    // A foreign id is answered exactly like an unknown one, so ids cannot be probed.
    throw invalidGrant(
      "The auth_req_id is unknown, was already used, or belongs to another client",
    );
  }

  const answer = (error: OAuthError): OAuthError => {
    store.recordPoll(request, error.code);
    return error;
  };
  const now = clock.now();
  if (request.status === "expired" || now >= request.expiresAt) {
    throw answer(
      directory.tenant.ciba.expiredError === "expired_token"
        ? expiredToken(
            "The auth_req_id has expired: start a new backchannel authentication request",
          )
        : accessDenied(DENIED_DESCRIPTION),
    );
  }
  if (
    request.lastPollAt !== undefined &&
    now - request.lastPollAt < request.intervalMs * (1 - POLL_TOLERANCE)
  ) {
    const intervalMs = store.slowDown(request);
    throw answer(slowDown(Math.ceil(intervalMs / 1000)));
  }
  if (request.status === "pending") {
    throw answer(authorizationPending("The end-user authorization is pending"));
  }
  if (request.status === "denied") throw answer(accessDenied(DENIED_DESCRIPTION));

  const user = directory.users.get(request.userId);
  if (!user) throw answer(invalidGrant("The user of this request no longer exists"));
  store.recordPoll(request, "token");
  store.consume(request);
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
    throw forbidden(
      "No audience parameter was provided, and no default audience has been configured",
    );
  }
  const api = deps.directory.apis.get(audience);
  if (!api) throw forbidden(`Service not found: ${audience}`);
  const grant = client.clientGrants.find((g) => g.audience === audience);
  if (!grant) {
    throw forbidden(`Client "${client.clientId}" is not authorized to access "${audience}".`);
  }
  const requested = (param(req, "scope") ?? "").split(" ").filter(Boolean);
  const notGranted = requested.filter((scope) => !grant.scopes.includes(scope));
  if (notGranted.length > 0) {
    throw forbidden(`Client has not been granted scopes: ${notGranted.join(" ")}`);
  }
  return issueClientCredentialsToken(context, {
    client,
    api,
    scope: requested.length > 0 ? requested : grant.scopes,
  });
}
