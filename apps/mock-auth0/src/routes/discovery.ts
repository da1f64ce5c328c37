import { CIBA_GRANT_TYPE, CLIENT_CREDENTIALS_GRANT_TYPE } from "@ciba-testbed/shared";
import { Router } from "express";

import { CLIENT_AUTH_METHODS } from "../client-authentication.js";
import { SIGNING_ALG } from "../signing-keys.js";
import type { SigningKeys } from "../signing-keys.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import { oidcScopes } from "../tenant/tenant-model.js";

/** OpenID Connect Discovery 1.0 with the CIBA (section 4) and RFC 9396 (section 10) members. */
function discoveryDocument(issuer: string, directory: TenantDirectory) {
  const apis = [...directory.apis.values()];
  return {
    issuer,
    jwks_uri: `${issuer}.well-known/jwks.json`,
    token_endpoint: `${issuer}oauth/token`,
    backchannel_authentication_endpoint: `${issuer}bc-authorize`,
    backchannel_token_delivery_modes_supported: ["poll"],
    backchannel_user_code_parameter_supported: false,
    grant_types_supported: [CIBA_GRANT_TYPE, CLIENT_CREDENTIALS_GRANT_TYPE],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    response_types_supported: ["token", "id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [SIGNING_ALG],
    scopes_supported: [...new Set([...oidcScopes, ...apis.flatMap((api) => api.scopes)])],
    claims_supported: [
      "iss",
      "sub",
      "aud",
      "iat",
      "exp",
      "auth_time",
      "name",
      "email",
      "email_verified",
    ],
    authorization_details_types_supported: [
      ...new Set(apis.flatMap((api) => api.authorizationDetailsTypes)),
    ],
  };
}

export function discoveryRoutes(
  issuer: string,
  directory: TenantDirectory,
  keys: SigningKeys,
): Router {
  const router = Router();
  const document = discoveryDocument(issuer, directory);
  router.get("/.well-known/openid-configuration", (_req, res) => {
    res.set("Cache-Control", "public, max-age=60").json(document);
  });
  router.get("/.well-known/jwks.json", (_req, res) => {
    // Short caching so verifiers see a rotated key quickly.
    res.set("Cache-Control", "public, max-age=60").json(keys.jwks());
  });
  return router;
}
