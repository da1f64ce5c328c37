import type { KeyObject } from "node:crypto";

import type { ApproverPolicy } from "../approver/policy.js";
import type {
  BruteForceSettings,
  CibaSettings,
  LoginSettings,
  RateLimitSettings,
} from "./settings-schema.js";

export type {
  BruteForceSettings,
  CibaSettings,
  LoginSettings,
  RateLimitSettings,
} from "./settings-schema.js";

const OIDC_SCOPES = ["openid", "profile", "email", "offline_access"] as const;
export const oidcScopes: ReadonlySet<string> = new Set(OIDC_SCOPES);

/** A client's `async_approval_notification_channels` value. */
export type NotificationChannel = "guardian-push" | "email";

/**
 * How a client authenticates at the token endpoints. mock-auth0 checks client secrets (sent
 * either way) and Private Key JWT assertions; `none` is a public client, `unsupported` one that
 * uses mTLS (`client_authentication_methods.tls_client_auth` and the self-signed variant).
 */
export type ClientAuthentication = "client_secret" | "private_key_jwt" | "none" | "unsupported";

/** The algorithms Auth0 allows for a Private Key JWT credential (RS256 when none is named). */
export const ASSERTION_ALGS = ["RS256", "RS384", "PS256"] as const;
export type AssertionAlg = (typeof ASSERTION_ALGS)[number];

/** One `client_authentication_methods.private_key_jwt.credentials` entry with its public key. */
export interface AssertionKey {
  readonly name: string;
  readonly alg: AssertionAlg;
  readonly publicKey: KeyObject;
  /** The RFC 7638 thumbprint, as Auth0 makes the credential's `kid`. */
  readonly kid: string;
  /** `expires_at` in epoch milliseconds: past it the credential is no longer valid. */
  readonly expiresAt: number | undefined;
}

/**
 * A client's `refresh_token` settings, with Auth0's defaults applied. Lifetimes in seconds;
 * `undefined` is an infinite lifetime.
 */
export interface RefreshTokenPolicy {
  readonly rotating: boolean;
  /** From the family's first token; rotation does not extend it. */
  readonly absoluteLifetimeSeconds: number | undefined;
  /** From the last exchange. */
  readonly idleLifetimeSeconds: number | undefined;
  /** How long the token just rotated may still be exchanged without tripping reuse detection. */
  readonly leewaySeconds: number;
}

/** A Deploy CLI `clientGrants` entry, attached to its client. */
export interface ClientGrant {
  readonly audience: string;
  /** `client` (client credentials) or `user` (user-delegated flows such as CIBA). */
  readonly subjectType: "client" | "user";
  readonly scopes: readonly string[];
  readonly allowAllScopes: boolean;
  /** The `authorization_details` types it allows when the API requires a client grant. */
  readonly authorizationDetailsTypes: readonly string[];
}

export interface TenantClient {
  readonly clientId: string;
  /** `undefined` for a client that does not authenticate with a secret. */
  readonly clientSecret: string | undefined;
  readonly authentication: ClientAuthentication;
  /** The public keys of a `private_key_jwt` client (at most two, as Auth0 allows). */
  readonly assertionKeys: readonly AssertionKey[];
  readonly name: string;
  readonly grantTypes: readonly string[];
  /** `async_approval_notification_channels`, in Auth0's order of preference. */
  readonly notificationChannels: readonly NotificationChannel[];
  readonly clientGrants: readonly ClientGrant[];
  /** `app_type` (`regular_web`, `spa`, `native`, `non_interactive`), when the tenant says. */
  readonly appType: string | undefined;
  /** Allowed Callback URLs (`callbacks`): the only places `/authorize` sends a code to. */
  readonly callbacks: readonly string[];
  /** Allowed Logout URLs (`allowed_logout_urls`): where logout may return the browser. */
  readonly allowedLogoutUrls: readonly string[];
  /**
   * Application Login URI (`initiate_login_uri`): the application's route that starts a login,
   * where a login page whose transaction is gone sends the browser.
   */
  readonly initiateLoginUri: string | undefined;
  /**
   * `is_first_party` (Auth0's default: true). A third-party application gets a code or token
   * from `/authorize` only once the person consented on the consent page.
   */
  readonly isFirstParty: boolean;
  readonly refreshToken: RefreshTokenPolicy;
}

/** A person, with the profile Auth0 keeps for an imported user (the OIDC `profile` claims). */
export interface TenantUser {
  readonly sub: string;
  readonly name: string;
  readonly nickname: string;
  readonly picture: string;
  readonly givenName: string | undefined;
  readonly familyName: string | undefined;
  readonly email: string;
  readonly emailVerified: boolean;
  /** The bulk import's `password_hash` (bcrypt): the login page then asks for the password. */
  readonly passwordHash: string | undefined;
  /** Guardian push enrolment: Auth0 has no file for it, so it comes from mock-auth0.json. */
  readonly pushEnrolled: boolean;
}

/** Auth0's API Access Policies: `subject_type_authorization` of a resource server. */
export type UserAccessPolicy = "allow_all" | "require_client_grant" | "deny_all";
export type ClientAccessPolicy = "require_client_grant" | "deny_all";

/**
 * An API's `token_dialect`, Auth0's access token profiles
 * (https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles): the default
 * (`access_token`) and RFC 9068's, each also with RBAC's `permissions` claim (`_authz`).
 */
export const TOKEN_DIALECTS = [
  "access_token",
  "access_token_authz",
  "rfc9068_profile",
  "rfc9068_profile_authz",
] as const;
export type TokenDialect = (typeof TOKEN_DIALECTS)[number];

/**
 * The format of an API's access tokens: Auth0's default profile (`azp`, no `jti`, `typ: JWT`)
 * or RFC 9068's (`client_id`, a `jti`, `typ: at+jwt`, no `gty`).
 */
export type AccessTokenProfile = "auth0" | "rfc9068";

export interface TenantApi {
  readonly identifier: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly authorizationDetailsTypes: readonly string[];
  readonly tokenLifetimeSeconds: number;
  /** `allow_offline_access`: whether `offline_access` gets a refresh token for this API. */
  readonly allowOfflineAccess: boolean;
  readonly userPolicy: UserAccessPolicy;
  readonly clientPolicy: ClientAccessPolicy;
  /** From `token_dialect` (default `access_token`: Auth0's profile). */
  readonly accessTokenProfile: AccessTokenProfile;
}

/** A keyword of mock-auth0.json (`keywords`), and the settings file that set it. */
export interface TenantKeyword {
  readonly name: string;
  readonly value: unknown;
  /** The settings file whose own `keywords` hold the value, as its path on disk. */
  readonly file: string;
}

/** The tenant the request handlers serve, mapped from the Deploy CLI files and mock-auth0.json. */
export interface Tenant {
  readonly name: string;
  readonly clients: readonly TenantClient[];
  readonly users: readonly TenantUser[];
  readonly apis: readonly TenantApi[];
  /** `guardianFactors`: whether the push-notification factor is enabled. */
  readonly guardianPushEnabled: boolean;
  /**
   * `tenant.resource_parameter_profile`: `compatibility` lets `resource` name the API when
   * `audience` is absent; `audience` (Auth0's default) reads `audience` only.
   */
  readonly resourceParameterProfile: "audience" | "compatibility";
  readonly ciba: CibaSettings;
  readonly login: LoginSettings;
  readonly rateLimits: RateLimitSettings;
  /** Auth0's Brute-force Protection on the login page. */
  readonly bruteForce: BruteForceSettings;
  readonly approver: ApproverPolicy;
  /** The keywords the tenant's files were read with: where a developer changes a value. */
  readonly keywords: readonly TenantKeyword[];
}
