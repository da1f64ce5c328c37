import { createHash, timingSafeEqual } from "node:crypto";

import type { Request } from "express";

import { issueApprovedTokens } from "../approved-tokens.js";
import { refusedCode } from "../errors.js";
import { param, requiredParam } from "../request-params.js";
import type { TokenDeps } from "../routes/token.js";
import type { TenantClient } from "../tenant/tenant-model.js";
import type { TokenContext, TokenResponse } from "../tokens.js";

export const AUTHORIZATION_CODE_GRANT_TYPE = "authorization_code";

/** Auth0's answer to a code it will not exchange (go-auth0's recorded TestLoginWithAuthCode). */
const INVALID_CODE = "Invalid authorization code";

/** RFC 7636 section 4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

function sameText(a: string, b: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * RFC 6749 section 4.1.3 with RFC 7636 section 4.6, as guard clauses in that order: the code
 * (unknown, used, expired or another client's), a redirect_uri sent, the redirect_uri it was
 * issued for, the code_verifier, then tokens once. Auth0 answers every refusal `invalid_grant`,
 * 403 to a confidential client and 400 to a public one (`refusedCode`).
 */
export async function authorizationCodeGrant(
  deps: TokenDeps,
  req: Request,
  client: TenantClient,
  context: TokenContext,
): Promise<TokenResponse> {
  const { directory, clock, logger, login } = deps;
  const code = requiredParam(req, "code");
  // Every code was issued to a request with a redirect_uri (`/authorize` requires one), so an
  // exchange of one must send it (RFC 6749 section 4.1.3): refused before the code is spent. A
  // code the client was not issued is "Invalid authorization code" first, whatever else the
  // request leaves out: go-auth0's recording TestLoginWithAuthCode/Should_throw_for_an_invalid_
  // code sends no redirect_uri and gets that answer from a real tenant. An empty redirect_uri=
  // (an unset configuration variable) is one left out, and leaves the code unspent too.
  const sent = param(req, "redirect_uri");
  const redirectUri = sent === "" ? undefined : sent;
  if (redirectUri === undefined && login.peekCode(code)?.clientId === client.clientId) {
    throw refusedCode(
      client,
      "redirect_uri is required: send the redirect_uri of the authorization request that issued the code",
    );
  }
  const issued = login.takeCode(code);
  if (issued?.clientId !== client.clientId) {
    throw refusedCode(client, INVALID_CODE);
  }
  if (redirectUri !== issued.redirectUri) {
    throw refusedCode(client, "redirect_uri is not the one the authorization code was issued for");
  }
  const verifier = param(req, "code_verifier");
  if (issued.codeChallenge === undefined) {
    if (verifier !== undefined) {
      throw refusedCode(
        client,
        "code_verifier was sent, but the authorization request had no code_challenge",
      );
    }
  } else {
    if (verifier === undefined || !CODE_VERIFIER.test(verifier)) {
      throw refusedCode(
        client,
        "Failed to verify code verifier: send the code_verifier (43-128 characters) whose S256 is the code_challenge",
      );
    }
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    if (!sameText(challenge, issued.codeChallenge)) {
      throw refusedCode(client, "Failed to verify code verifier");
    }
  }
  const user = directory.users.get(issued.sub);
  if (user === undefined) throw refusedCode(client, INVALID_CODE);
  const tokens = await issueApprovedTokens(deps.refreshTokens, clock.now(), context, {
    client,
    user,
    api: issued.audience === undefined ? undefined : directory.apis.get(issued.audience),
    scope: issued.scope,
    authorizationDetails: undefined,
    authTime: issued.authTime,
    nonce: issued.nonce,
    sid: issued.sid,
  });
  logger.info({ user: user.sub, client: client.clientId }, "authorization code exchanged");
  return tokens;
}
