import type { ApproverPolicy } from "../approver/policy.js";
import type { CibaSettings } from "./settings-schema.js";

export type { CibaSettings } from "./settings-schema.js";

const OIDC_SCOPES = ["openid", "profile", "email", "offline_access"] as const;
export const oidcScopes: ReadonlySet<string> = new Set(OIDC_SCOPES);

/** A client's `async_approval_notification_channels` value. */
export type NotificationChannel = "guardian-push" | "email";

/**
 * How a client authenticates at the token endpoints. mock-auth0 checks client secrets (sent
 * either way); `none` is a public client, `unsupported` one that uses Private Key JWT or mTLS
 * (`client_authentication_methods`).
 */
export type ClientAuthentication = "client_secret" | "none" | "unsupported";

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
  readonly name: string;
  readonly grantTypes: readonly string[];
  /** Read and checked; choosing the channel by them is issue 13 (docs/auth0-fidelity.md). */
  readonly notificationChannels: readonly NotificationChannel[];
  readonly clientGrants: readonly ClientGrant[];
}

export interface TenantUser {
  readonly sub: string;
  readonly name: string;
  readonly email: string;
  readonly emailVerified: boolean;
  /** Guardian push enrolment: Auth0 has no file for it, so it comes from mock-auth0.json. */
  readonly pushEnrolled: boolean;
}

/** Auth0's API Access Policies: `subject_type_authorization` of a resource server. */
export type UserAccessPolicy = "allow_all" | "require_client_grant" | "deny_all";
export type ClientAccessPolicy = "require_client_grant" | "deny_all";

export interface TenantApi {
  readonly identifier: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly authorizationDetailsTypes: readonly string[];
  readonly tokenLifetimeSeconds: number;
  readonly userPolicy: UserAccessPolicy;
  readonly clientPolicy: ClientAccessPolicy;
}

/** The tenant the request handlers serve, mapped from the Deploy CLI files and mock-auth0.json. */
export interface Tenant {
  readonly name: string;
  readonly clients: readonly TenantClient[];
  readonly users: readonly TenantUser[];
  readonly apis: readonly TenantApi[];
  /** `guardianFactors`: whether the push-notification factor is enabled. */
  readonly guardianPushEnabled: boolean;
  readonly ciba: CibaSettings;
  readonly approver: ApproverPolicy;
}
