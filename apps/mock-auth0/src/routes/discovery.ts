import { Router } from "express";

import { CLIENT_AUTH_METHODS } from "../client-authentication.js";
import { RESPONSE_MODES } from "../login/authorize-request.js";
import { SIGNING_ALG } from "../signing-keys.js";
import type { SigningKeys } from "../signing-keys.js";
import { ASSERTION_ALGS, oidcScopes } from "../tenant/tenant-model.js";

/**
 * Auth0's discovery document (a tenant's, copied in PrefectHQ/fastmcp
 * tests/server/auth/test_oidc_proxy.py), limited to what this tenant serves: its endpoints,
 * CIBA in poll mode, the client authentication methods and the OIDC scopes and claims it
 * issues. Auth0 lists no `grant_types_supported` and, as its RAR docs say, no
 * `authorization_details_types_supported`; the endpoints it has and mock-auth0 does not
 * (device code, MFA, registration) are left out, so no client is sent to a route
 * that 404s. Login (`/authorize`, `/oidc/logout`) is in src/login/. docs/auth0-fidelity.md has a row for each member.
 */
function discoveryDocument(issuer: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}authorize`,
    token_endpoint: `${issuer}oauth/token`,
    userinfo_endpoint: `${issuer}userinfo`,
    jwks_uri: `${issuer}.well-known/jwks.json`,
    revocation_endpoint: `${issuer}oauth/revoke`,
    // Auth0's order, without its legacy claim-named scopes and phone/address, which it does not serve.
    scopes_supported: ["openid", "profile", "offline_access", "email"].filter((scope) =>
      oidcScopes.has(scope),
    ),
    // Required by OpenID Connect Discovery 1.0 section 3 even without an authorization endpoint.
    response_types_supported: [
      "code",
      "token",
      "id_token",
      "code token",
      "code id_token",
      "token id_token",
      "code token id_token",
    ],
    response_modes_supported: [...RESPONSE_MODES],
    // Auth0 lists plain too; it and mock-auth0 accept S256 only.
    code_challenge_methods_supported: ["S256"],
    subject_types_supported: ["public"],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGS],
    claims_supported: [
      "aud",
      "auth_time",
      "email",
      "email_verified",
      "exp",
      "family_name",
      "given_name",
      "iat",
      "iss",
      "name",
      "nickname",
      "picture",
      "sub",
    ],
    // Omitted, it would mean true (OpenID Connect Discovery 1.0 section 3).
    request_uri_parameter_supported: false,
    id_token_signing_alg_values_supported: [SIGNING_ALG],
    backchannel_authentication_endpoint: `${issuer}bc-authorize`,
    backchannel_token_delivery_modes_supported: ["poll"],
    end_session_endpoint: `${issuer}oidc/logout`,
  };
}

export function discoveryRoutes(issuer: string, keys: SigningKeys): Router {
  const router = Router();
  const document = discoveryDocument(issuer);
  router.get("/.well-known/openid-configuration", (_req, res) => {
    res.set("Cache-Control", "public, max-age=60").json(document);
  });
  router.get("/.well-known/jwks.json", (_req, res) => {
    // Short caching so verifiers see a rotated key quickly.
    res.set("Cache-Control", "public, max-age=60").json(keys.jwks());
  });
  return router;
}
