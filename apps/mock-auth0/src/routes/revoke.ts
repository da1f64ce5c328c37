import type { Clock } from "@ciba-testbed/shared";
import type { RequestHandler } from "express";
import type { Logger } from "pino";

import { authenticateClient, publicClient } from "../client-authentication.js";
import type { RefreshTokenStore } from "../refresh-tokens.js";
import { requiredParam } from "../request-params.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";

export interface RevokeDeps {
  directory: TenantDirectory;
  refreshTokens: RefreshTokenStore;
  clock: Clock;
  logger: Logger;
}

/**
 * `POST /oauth/revoke`, Auth0's Revoke Refresh Token (auth0/docs-v2
 * main/docs/api/authentication/revoke-refresh-token/revoke-refresh-token.mdx; its answers in
 * auth0/docs articles/api/authentication/api-authz/_revoke-refresh-token.md): 200 with an empty
 * body when the token is revoked, does not exist, or was not issued to the calling application
 * (go-auth0's recorded TestRevokeRefreshToken: `Content-Type: application/json`, no body);
 * 400 `invalid_request` without `token`; 401 `invalid_client` when the client does not
 * authenticate. A public application sends its client_id alone. Checked in RFC 7009 section
 * 2.1's order: the client first, then the token.
 */
export function revoke(deps: RevokeDeps): RequestHandler {
  const { directory, refreshTokens, clock, logger } = deps;
  return (req, res) => {
    const client =
      publicClient(req, directory.clients) ?? authenticateClient(req, directory.clients);
    const token = requiredParam(req, "token");
    const revoked = refreshTokens.revokeToken(token, client.clientId, clock.now());
    logger.info({ client: client.clientId, revoked }, "refresh token revocation");
    res.status(200).end();
  };
}
