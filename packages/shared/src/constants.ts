/** The API identifier (audience) the shop API is registered under, in Auth0 and in mock-auth0. */
export const SHOP_API_AUDIENCE = "sample-shop-api";

/** The permission a token needs to place an order. */
export const PRODUCT_BUY_SCOPE = "product:buy";

/** OpenID Connect CIBA Core 1.0, section 10.1. */
export const CIBA_GRANT_TYPE = "urn:openid:params:grant-type:ciba";

/**
 * Auth0 picks the CIBA notification by `requested_expiry`: Guardian push up to 300 s, e-mail
 * from 301 s, and accepts no more than 259,200 s (3 days)
 * (https://auth0.com/docs/get-started/applications/configure-client-initiated-backchannel-authentication).
 */
export const MAX_PUSH_EXPIRY_SECONDS = 300;
export const MAX_REQUESTED_EXPIRY_SECONDS = 259_200;

/** RFC 6749, section 4.4. */
export const CLIENT_CREDENTIALS_GRANT_TYPE = "client_credentials";

/** The RFC 9396 `authorization_details` type for a purchase, registered on the shop API. */
export const PURCHASE_AUTHORIZATION_DETAILS_TYPE = "product_purchase";

/** The only currency the sample shop trades in. */
export const SHOP_CURRENCY = "USD";

/**
 * The local tenant's defaults, in one place: the ports of `pnpm dev`, and the client and user
 * of the repository's tenant in `auth0/` (the client in `tenant.yaml`, its secret in
 * `mock-auth0.json`, the user in `users.json`); `apps/mock-auth0/src/tenant/load-tenant.test.ts`
 * checks those files agree.
 */
export const LOCAL_DEFAULTS = {
  mockAuth0Port: 4010,
  shopApiPort: 4020,
  auth0Domain: "localhost:4010",
  clientId: "ciba-testbed-agent",
  clientSecret: "ciba-testbed-agent-secret",
  userId: "auth0|testbed-user",
} as const;

/**
 * The settings file `pnpm dev` writes for its tenant at each start (and removes at its end):
 * it extends the tenant's own and sets AGENT_WEB_URL to the web app's address. mock-auth0's
 * hints name `pnpm dev`'s variables for a value that came from it, never the file.
 */
export const DEV_TENANT_SETTINGS_FILE = "mock-auth0.dev.json";
