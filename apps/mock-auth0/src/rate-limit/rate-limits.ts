import { TokenBuckets, type BucketState, type Clock, type TakeResult } from "@ciba-testbed/shared";
import type { RequestHandler, Response } from "express";

import { tooManyRequests } from "../errors.js";
import type { Tenant } from "../tenant/tenant-model.js";

/**
 * The limits Auth0 puts on the endpoints mock-auth0 serves, each a tenant setting (`null`: off):
 * the Authentication API as a whole (`/bc-authorize`, `/oauth/token`, `/userinfo` and the login
 * endpoints), `/bc-authorize` per IP address, backchannel requests per user, and `/userinfo`
 * per user. Auth0 evaluates the API's limit first, then the endpoint's (rate-limit policy,
 * "Tenant request limits order").
 */
export interface RateLimits {
  authenticationApi: TokenBuckets | undefined;
  bcAuthorizePerIp: TokenBuckets | undefined;
  bcAuthorizePerUser: TokenBuckets | undefined;
  userinfoPerUser: TokenBuckets | undefined;
}

const perMinute = (n: number | null) =>
  n === null ? undefined : new TokenBuckets({ burst: n, sustained: n, per: "minute" });

export function rateLimitsFor(tenant: Tenant): RateLimits {
  const { rateLimits, ciba } = tenant;
  const api = rateLimits.authenticationApiRequestsPerSecond;
  return {
    authenticationApi:
      api === null ? undefined : new TokenBuckets({ burst: api, sustained: api, per: "second" }),
    bcAuthorizePerIp: perMinute(ciba.perIpRequestsPerMinute),
    bcAuthorizePerUser: perMinute(ciba.perUserRequestsPerMinute),
    // Auth0's "User Info" row: burst 10, 5 a minute, "To a unique User ID".
    userinfoPerUser:
      rateLimits.userinfoRequestsPerMinute === null
        ? undefined
        : new TokenBuckets({
            burst: Math.max(rateLimits.userinfoBurst, rateLimits.userinfoRequestsPerMinute),
            sustained: rateLimits.userinfoRequestsPerMinute,
            per: "minute",
          }),
  };
}

const REPORTED = Symbol("rate limit reported");

/**
 * Sets Auth0's `X-RateLimit-Limit`, `-Remaining` and `-Reset` (a UNIX time in seconds) for the
 * tightest limit the request met: the one with the fewest requests left, or the one that
 * refused it.
 */
export function reportRateLimit(res: Response, state: BucketState, refused = false): void {
  const locals = res.locals as { [REPORTED]?: BucketState };
  const current = locals[REPORTED];
  if (!refused && current !== undefined && current.remaining <= state.remaining) return;
  locals[REPORTED] = state;
  res.set({
    "X-RateLimit-Limit": String(state.limit),
    "X-RateLimit-Remaining": String(state.remaining),
    "X-RateLimit-Reset": String(Math.ceil(state.resetAt / 1000)),
  });
}

/** Reports the bucket's state and, when it refused the request, throws the 429. */
export function enforce(
  res: Response,
  result: TakeResult,
  refusal: (retryAfterSeconds: number) => string,
): void {
  reportRateLimit(res, result, !result.ok);
  if (!result.ok) {
    throw tooManyRequests(result.retryAfterSeconds, refusal(result.retryAfterSeconds));
  }
}

const seconds = (n: number) => `${n} s`;

/** The Authentication API's limit for the whole tenant, before the endpoint's own. */
export function authenticationApiLimit(limits: RateLimits, clock: Clock): RequestHandler {
  const buckets = limits.authenticationApi;
  return (_req, res, next) => {
    if (buckets) {
      enforce(
        res,
        buckets.take("tenant", clock.now()),
        (wait) =>
          `Too many Authentication API requests to this tenant: Auth0 allows ${buckets.policy.sustained} a second (rateLimits.authenticationApiRequestsPerSecond). Retry after ${seconds(wait)}.`,
      );
    }
    next();
  };
}

/** Auth0's "Back-Channel authorize (CIBA)" limit: requests from one IP address. */
export function bcAuthorizePerIpLimit(limits: RateLimits, clock: Clock): RequestHandler {
  const buckets = limits.bcAuthorizePerIp;
  return (req, res, next) => {
    if (buckets) {
      const ip = req.socket.remoteAddress ?? "unknown";
      enforce(
        res,
        buckets.take(ip, clock.now()),
        (wait) =>
          `Too many backchannel authentication requests from ${ip}: Auth0 allows ${buckets.policy.sustained} a minute from one IP address (ciba.perIpRequestsPerMinute). Retry after ${seconds(wait)}.`,
      );
    }
    next();
  };
}

/** The refusal text of the per-user limit. */
export function perUserRefusal(user: string, perMinute: number, wait: number): string {
  return `Too many backchannel authentication requests for user ${user}: Auth0 sends one user at most ${perMinute} a minute (ciba.perUserRequestsPerMinute). Retry after ${seconds(wait)}.`;
}

/** The refusal text of `/userinfo`'s per-user limit. */
export function userinfoRefusal(user: string, perMinute: number, wait: number): string {
  return `Too many /userinfo requests for user ${user}: Auth0 allows one user ${perMinute} a minute (rateLimits.userinfoRequestsPerMinute). Retry after ${seconds(wait)}.`;
}
