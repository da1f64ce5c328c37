/**
 * Auth0's rate-limit algorithm (rate-limit policy, "Rate limit algorithm"): a token bucket per
 * key whose size is the burst limit, refilled at the sustained rate. A limit counted per
 * second is refilled every millisecond, one counted per minute every second. Tokens are kept
 * as integers (a request costs `periodMs` units, the refill adds `sustained` units a
 * millisecond), so a refill never falls short by a rounding error. mock-auth0 limits with it as
 * Auth0 does, and the agent's web app the new chats of each person.
 */
export interface RateLimitPolicy {
  /** The bucket size: requests that may arrive at once. */
  burst: number;
  /** Requests added back per `per`. */
  sustained: number;
  per: "second" | "minute";
}

/** A bucket as the `X-RateLimit-*` headers report it, after the request was counted. */
export interface BucketState {
  /** `X-RateLimit-Limit`: the bucket size. */
  limit: number;
  /** `X-RateLimit-Remaining`: whole requests left in the bucket. */
  remaining: number;
  /** When the bucket next gains a whole request (epoch ms); now when it is full. */
  resetAt: number;
}

export type TakeResult = BucketState & ({ ok: true } | { ok: false; retryAfterSeconds: number });

interface Bucket {
  units: number;
  /** The refill tick the units were last brought up to. */
  at: number;
}

/**
 * Keys past which buckets that have refilled completely are forgotten (a new bucket starts
 * full anyway), at most once a period so that a crowd of busy keys costs no repeated sweeps.
 */
const PRUNE_ABOVE = 10_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly periodMs: number;
  private readonly tickMs: number;
  private readonly capacity: number;
  private lastPrune = Number.NEGATIVE_INFINITY;

  constructor(readonly policy: RateLimitPolicy) {
    if (!Number.isInteger(policy.burst) || policy.burst < 1) {
      throw new Error(`a rate limit's burst must be a positive integer (got ${policy.burst})`);
    }
    if (!Number.isInteger(policy.sustained) || policy.sustained < 1) {
      throw new Error(`a rate limit's rate must be a positive integer (got ${policy.sustained})`);
    }
    this.periodMs = policy.per === "second" ? 1_000 : 60_000;
    this.tickMs = policy.per === "second" ? 1 : 1_000;
    this.capacity = policy.burst * this.periodMs;
  }

  /** Counts one request for `key` at `now` when the bucket holds one; else says when to retry. */
  take(key: string, now: number): TakeResult {
    return this.evaluate(key, now, true);
  }

  /** What `take` would answer, without counting the request. */
  peek(key: string, now: number): TakeResult {
    return this.evaluate(key, now, false);
  }

  private evaluate(key: string, now: number, consume: boolean): TakeResult {
    const tick = Math.floor(now / this.tickMs) * this.tickMs;
    const stored = this.buckets.get(key);
    const bucket: Bucket = stored
      ? { units: stored.units, at: stored.at }
      : { units: this.capacity, at: tick };
    if (tick > bucket.at) {
      bucket.units = Math.min(
        this.capacity,
        bucket.units + (tick - bucket.at) * this.policy.sustained,
      );
      bucket.at = tick;
    }
    const ok = bucket.units >= this.periodMs;
    if (ok && consume) bucket.units -= this.periodMs;
    if (consume || stored) {
      this.buckets.set(key, bucket);
      if (!stored && this.buckets.size > PRUNE_ABOVE && tick - this.lastPrune >= this.periodMs) {
        this.prune(tick);
      }
    }
    const remaining = Math.floor(bucket.units / this.periodMs);
    const state: BucketState = {
      limit: this.policy.burst,
      remaining,
      resetAt:
        bucket.units >= this.capacity
          ? now
          : this.whenUnits(bucket, (remaining + 1) * this.periodMs),
    };
    if (ok) return { ok: true, ...state };
    const retryAt = this.whenUnits(bucket, this.periodMs);
    return {
      ok: false,
      ...state,
      retryAfterSeconds: Math.max(1, Math.ceil((retryAt - now) / 1000)),
    };
  }

  /** The refill tick at which `bucket` holds `units`. */
  private whenUnits(bucket: Bucket, units: number): number {
    const ms = Math.ceil((units - bucket.units) / this.policy.sustained);
    return Math.ceil((bucket.at + ms) / this.tickMs) * this.tickMs;
  }

  /** Forgets buckets that are full by `tick`: they hold nothing a new bucket would not. */
  private prune(tick: number): void {
    this.lastPrune = tick;
    for (const [key, bucket] of this.buckets) {
      if (bucket.units + (tick - bucket.at) * this.policy.sustained >= this.capacity) {
        this.buckets.delete(key);
      }
    }
  }
}
