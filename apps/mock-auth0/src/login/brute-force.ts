import type { Clock } from "@ciba-testbed/shared";

import type { BruteForceSettings } from "../tenant/tenant-model.js";

/**
 * Auth0's error and message for a login that brute-force protection blocks
 * (https://auth0.com/docs/secure/attack-protection/brute-force-protection).
 */
export const BLOCKED_ERROR = "too_many_attempts";
export const BLOCKED_MESSAGE =
  "Your account has been blocked after multiple consecutive login attempts. We've sent you an email with instructions on how to unblock it.";

/** Auth0 lifts a block on its own after 30 days. */
const BLOCK_LIFETIME_MS = 30 * 24 * 3_600_000;

/** At most this many identifier and IP pairs are tracked; the oldest go first. */
const MAX_TRACKED = 10_000;

interface Attempts {
  readonly identifier: string;
  readonly ip: string;
  failures: number;
  /** Set once the pair is blocked: when the block ends. */
  blockedUntil: number | undefined;
}

/** One blocked identifier and IP pair, as the Management API's user blocks list them. */
export interface UserBlock {
  readonly identifier: string;
  readonly ip: string;
}

/**
 * Brute-force protection in Auth0's default mode, `count_per_identifier_and_ip` with the `block`
 * shield: after `maxAttempts` consecutive wrong passwords for one user from one IP address, that
 * address cannot log in as that user, with the right password either, until an administrator
 * removes the block (here: the control API), 30 days pass, or the limit is raised above the
 * count. A successful login resets the count.
 */
export class BruteForceProtection {
  private readonly attempts = new Map<string, Attempts>();

  constructor(
    private readonly clock: Clock,
    private readonly settings: BruteForceSettings,
  ) {}

  private entry(identifier: string, ip: string): Attempts | undefined {
    const entry = this.attempts.get(JSON.stringify([identifier, ip]));
    if (entry?.blockedUntil !== undefined && entry.blockedUntil <= this.clock.now()) {
      this.attempts.delete(JSON.stringify([identifier, ip]));
      return undefined;
    }
    return entry;
  }

  /** Whether this address may not try to log in as this user now. */
  isBlocked(identifier: string, ip: string): boolean {
    const { enabled, maxAttempts } = this.settings;
    const entry = this.entry(identifier, ip);
    return enabled && entry !== undefined && entry.failures >= maxAttempts;
  }

  /** A wrong password: counted, and the pair blocked once the count reaches the limit. */
  recordFailure(identifier: string, ip: string): void {
    if (!this.settings.enabled) return;
    const key = JSON.stringify([identifier, ip]);
    const entry = this.entry(identifier, ip) ?? {
      identifier,
      ip,
      failures: 0,
      blockedUntil: undefined,
    };
    entry.failures += 1;
    if (entry.failures >= this.settings.maxAttempts && entry.blockedUntil === undefined) {
      entry.blockedUntil = this.clock.now() + BLOCK_LIFETIME_MS;
    }
    this.attempts.delete(key);
    this.attempts.set(key, entry);
    if (this.attempts.size > MAX_TRACKED) {
      const oldest = this.attempts.keys().next().value;
      if (oldest !== undefined) this.attempts.delete(oldest);
    }
  }

  /** A successful login resets the count for this user from this address. */
  recordSuccess(identifier: string, ip: string): void {
    this.attempts.delete(JSON.stringify([identifier, ip]));
  }

  /** The addresses blocked from logging in as this user. */
  blocks(identifier: string): UserBlock[] {
    return [...this.attempts.values()]
      .filter(
        (entry) => entry.identifier === identifier && this.isBlocked(entry.identifier, entry.ip),
      )
      .map(({ ip }) => ({ identifier, ip }));
  }

  /** Removes every block and count for this user, as an administrator's unblock does. */
  unblock(identifier: string): void {
    for (const [key, entry] of this.attempts) {
      if (entry.identifier === identifier) this.attempts.delete(key);
    }
  }
}
