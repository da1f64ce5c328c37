import type { RefreshTokenAsset } from "./deploy-cli-assets.js";
import type { RefreshTokenPolicy } from "./tenant-model.js";

/**
 * Auth0's defaults, as its Management API returns a new application's `refresh_token`
 * (non-rotating, non-expiring, a year and 30 days when made expiring) and as the rotation
 * docs give them (30 days with rotation):
 * https://auth0.com/docs/secure/tokens/refresh-tokens/configure-refresh-token-rotation and
 * .../configure-refresh-token-expiration.
 */
const DEFAULT_LIFETIME_SECONDS = 31_557_600;
const DEFAULT_ROTATING_LIFETIME_SECONDS = 2_592_000;
const DEFAULT_IDLE_LIFETIME_SECONDS = 2_592_000;

export type RefreshTokenPolicyResult =
  { policy: RefreshTokenPolicy } | { problem: { path: string[]; message: string } };

/**
 * A client's `refresh_token` with Auth0's defaults. An expiring token's lifetimes are finite
 * unless `infinite_*` says otherwise; rotation needs an expiring token, and the idle lifetime
 * cannot exceed the maximum, as Auth0 refuses both.
 */
export function refreshTokenPolicy(
  asset: RefreshTokenAsset | null | undefined,
): RefreshTokenPolicyResult {
  const rotating = asset?.rotation_type === "rotating";
  const expiring = asset?.expiration_type === "expiring";
  if (rotating && asset.expiration_type === "non-expiring") {
    return {
      problem: {
        path: ["expiration_type"],
        message: 'a rotating refresh token must expire: set expiration_type "expiring"',
      },
    };
  }
  const finite = rotating || expiring;
  const absolute =
    !finite || asset.infinite_token_lifetime === true
      ? undefined
      : (asset.token_lifetime ??
        (rotating ? DEFAULT_ROTATING_LIFETIME_SECONDS : DEFAULT_LIFETIME_SECONDS));
  const idle =
    !finite || asset.infinite_idle_token_lifetime === true
      ? undefined
      : (asset.idle_token_lifetime ??
        Math.min(DEFAULT_IDLE_LIFETIME_SECONDS, absolute ?? Infinity));
  if (absolute !== undefined && idle !== undefined && idle > absolute) {
    return {
      problem: {
        path: ["idle_token_lifetime"],
        message: `the idle lifetime (${idle} s) cannot exceed the maximum lifetime (${absolute} s)`,
      },
    };
  }
  return {
    policy: {
      rotating,
      absoluteLifetimeSeconds: absolute,
      idleLifetimeSeconds: idle,
      leewaySeconds: asset?.leeway ?? 0,
    },
  };
}
