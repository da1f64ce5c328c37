import { CIBA_GRANT_TYPE } from "@ciba-testbed/shared";
import { z } from "zod";

import { ASSERTION_ALGS, TOKEN_DIALECTS } from "./tenant-model.js";

/**
 * The parts of a Deploy CLI tenant mock-auth0 models, checked more strictly than the Deploy
 * CLI's own schema does (it allows most unknown properties and does not describe
 * `grant_types` at all). Unknown properties pass here: they are listed as ignored instead.
 */

/**
 * Auth0's grant types: https://auth0.com/docs/get-started/applications/application-grant-types
 * (specification-conforming, extension and legacy grants), plus CIBA
 * (https://auth0.com/docs/get-started/applications/configure-client-initiated-backchannel-authentication),
 * token exchange and Token Vault's federated connection access token exchange.
 */
export const AUTH0_GRANT_TYPES: ReadonlySet<string> = new Set([
  "implicit",
  "authorization_code",
  "client_credentials",
  "password",
  "refresh_token",
  "urn:ietf:params:oauth:grant-type:device_code",
  CIBA_GRANT_TYPE,
  "urn:ietf:params:oauth:grant-type:token-exchange",
  "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
  "http://auth0.com/oauth/grant-type/password-realm",
  "http://auth0.com/oauth/grant-type/mfa-oob",
  "http://auth0.com/oauth/grant-type/mfa-otp",
  "http://auth0.com/oauth/grant-type/mfa-recovery-code",
  "http://auth0.com/oauth/grant-type/passwordless/otp",
  "http://auth0.com/oauth/legacy/grant-type/ro",
  "http://auth0.com/oauth/legacy/grant-type/ro/jwt-bearer",
  "http://auth0.com/oauth/legacy/grant-type/delegation/refresh_token",
  "http://auth0.com/oauth/legacy/grant-type/delegation/id_token",
  "http://auth0.com/oauth/legacy/grant-type/access_token",
]);

/**
 * The values Auth0 accepts; Private Key JWT and mTLS are set with `client_authentication_methods`
 * and `token_endpoint_auth_method: null`
 * (https://auth0.com/docs/get-started/applications/configure-private-key-jwt).
 */
const TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_post", "client_secret_basic"] as const;

const grantTypeSchema = z.string().refine(
  (grant) => AUTH0_GRANT_TYPES.has(grant),
  (grant) => ({ message: `unknown grant type ${JSON.stringify(grant)}` }),
);

/**
 * A Private Key JWT credential as the Deploy CLI writes one: `name`, `credential_type:
 * public_key` and the `pem` it uploads (an export has no `pem`: Auth0 never returns it), plus
 * the Management API's `alg`.
 */
const credentialSchema = z
  .object({
    name: z.string().min(1).optional(),
    credential_type: z
      .literal("public_key", {
        errorMap: () => ({
          message: 'a private_key_jwt credential has credential_type "public_key"',
        }),
      })
      .optional(),
    pem: z.string().min(1).optional(),
    alg: z
      .enum(ASSERTION_ALGS, {
        errorMap: () => ({ message: `must be one of ${ASSERTION_ALGS.join(", ")}` }),
      })
      .optional(),
    expires_at: z
      .string()
      .datetime({ offset: true, message: "must be an ISO 8601 date and time" })
      .optional(),
  })
  .passthrough();

const clientAuthenticationMethodsSchema = z
  .object({
    private_key_jwt: z
      .object({
        credentials: z.array(credentialSchema).max(2, "Auth0 allows at most two credentials"),
      })
      .passthrough()
      .nullable()
      .optional(),
  })
  .passthrough();

/** https://auth0.com/docs/secure/tokens/refresh-tokens/configure-refresh-token-expiration */
const MAX_REFRESH_LIFETIME_SECONDS = 31_557_600;
const refreshLifetime = z
  .number()
  .int()
  .min(1)
  .max(MAX_REFRESH_LIFETIME_SECONDS, `at most ${MAX_REFRESH_LIFETIME_SECONDS} s (a year)`);

const refreshTokenSchema = z
  .object({
    rotation_type: z.enum(["rotating", "non-rotating"]).optional(),
    expiration_type: z.enum(["expiring", "non-expiring"]).optional(),
    leeway: z.number().int().min(0).optional(),
    token_lifetime: refreshLifetime.optional(),
    infinite_token_lifetime: z.boolean().optional(),
    idle_token_lifetime: refreshLifetime.optional(),
    infinite_idle_token_lifetime: z.boolean().optional(),
  })
  .passthrough();

export const clientSchema = z
  .object({
    name: z.string().min(1),
    client_id: z.string().min(1).optional(),
    client_secret: z.string().min(1).optional(),
    app_type: z.string().optional(),
    is_first_party: z.boolean().optional(),
    oidc_conformant: z.boolean().optional(),
    grant_types: z.array(grantTypeSchema).optional(),
    token_endpoint_auth_method: z
      .enum(TOKEN_ENDPOINT_AUTH_METHODS, {
        errorMap: () => ({
          message:
            "must be none, client_secret_post or client_secret_basic (Private Key JWT and mTLS are set with client_authentication_methods and token_endpoint_auth_method: null)",
        }),
      })
      .nullable()
      .optional(),
    client_authentication_methods: clientAuthenticationMethodsSchema.nullable().optional(),
    refresh_token: refreshTokenSchema.nullable().optional(),
    async_approval_notification_channels: z
      .array(
        z.enum(["guardian-push", "email"], {
          errorMap: () => ({ message: 'must be "guardian-push" or "email"' }),
        }),
      )
      .min(1)
      .nullable()
      .optional(),
    callbacks: z.array(z.string()).optional(),
    allowed_logout_urls: z.array(z.string()).optional(),
    initiate_login_uri: z.string().optional(),
  })
  .passthrough();

const scopeSchema = z
  .object({
    value: z.string({ required_error: 'a scope needs "value"' }).min(1, 'a scope needs "value"'),
    description: z.string().optional(),
  })
  .passthrough();

export const resourceServerSchema = z
  .object({
    name: z.string().min(1),
    identifier: z.string().min(1),
    scopes: z.array(scopeSchema).optional(),
    token_lifetime: z.number().int().positive().optional(),
    allow_offline_access: z.boolean().optional(),
    // The Deploy CLI's schema takes any string; Auth0 takes these four.
    token_dialect: z
      .enum(TOKEN_DIALECTS, {
        errorMap: () => ({
          message: `must be one of ${TOKEN_DIALECTS.join(", ")} (https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles)`,
        }),
      })
      .optional(),
    enforce_policies: z.boolean().optional(),
    consent_policy: z.string().nullable().optional(),
    authorization_details: z
      .array(z.object({ type: z.string().min(1) }).passthrough())
      .nullable()
      .optional(),
    subject_type_authorization: z
      .object({
        user: z
          .object({ policy: z.enum(["allow_all", "require_client_grant", "deny_all"]).optional() })
          .passthrough()
          .optional(),
        client: z
          .object({ policy: z.enum(["require_client_grant", "deny_all"]).optional() })
          .passthrough()
          .optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

export const clientGrantSchema = z
  .object({
    client_id: z.string().min(1),
    audience: z.string().min(1),
    scope: z.array(z.string().min(1)).optional(),
    subject_type: z.enum(["client", "user"]).optional(),
    allow_all_scopes: z.boolean().optional(),
    authorization_details_types: z.array(z.string().min(1)).optional(),
  })
  .passthrough();

export const guardianFactorSchema = z
  .object({ name: z.string().min(1), enabled: z.boolean().optional() })
  .passthrough();

export const modelledAssetsSchema = z
  .object({
    tenant: z
      .object({
        friendly_name: z.string().optional(),
        resource_parameter_profile: z.enum(["audience", "compatibility"]).optional(),
      })
      .passthrough()
      .nullish(),
    clients: z.array(clientSchema).nullish(),
    resourceServers: z.array(resourceServerSchema).nullish(),
    clientGrants: z.array(clientGrantSchema).nullish(),
    guardianFactors: z.array(guardianFactorSchema).nullish(),
  })
  .passthrough();

export type ClientAsset = z.output<typeof clientSchema>;
export type RefreshTokenAsset = z.output<typeof refreshTokenSchema>;
export type ResourceServerAsset = z.output<typeof resourceServerSchema>;
export type ClientGrantAsset = z.output<typeof clientGrantSchema>;
export type ModelledAssets = z.output<typeof modelledAssetsSchema>;

/** The properties read from each kind of asset; the rest is listed as ignored at start. */
export const MODELLED_PROPERTIES = {
  clients: [
    "name",
    "client_id",
    "client_secret",
    "app_type",
    "is_first_party",
    "oidc_conformant",
    "grant_types",
    "token_endpoint_auth_method",
    "client_authentication_methods",
    "refresh_token",
    "async_approval_notification_channels",
    "callbacks",
    "allowed_logout_urls",
    "initiate_login_uri",
  ],
  resourceServers: [
    "name",
    "identifier",
    "scopes",
    "token_lifetime",
    "allow_offline_access",
    "authorization_details",
    "subject_type_authorization",
    "token_dialect",
    // Not modelled, but read: start-up warns what Auth0 would do differently with them.
    "enforce_policies",
    "consent_policy",
  ],
  clientGrants: [
    "client_id",
    "audience",
    "scope",
    "subject_type",
    "allow_all_scopes",
    "authorization_details_types",
  ],
  guardianFactors: ["name", "enabled"],
  tenant: ["friendly_name", "resource_parameter_profile"],
} as const;
